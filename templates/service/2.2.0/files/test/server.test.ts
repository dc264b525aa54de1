import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { afterEach, describe, expect, it } from "vitest";

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill("SIGKILL");
});

/** Run src/server.ts as its own process, as in production but through tsx, and wait for it to listen. */
async function startServer(env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", "src/server.ts"], {
    env: { ...process.env, PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "info", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  const lines = createInterface({ input: child.stdout! });
  for await (const line of lines) {
    const match = /"msg":"Server listening at (http:\/\/127\.0\.0\.1:\d+)"/.exec(line);
    if (match) return { child, url: match[1]! };
  }
  throw new Error("the server exited before listening");
}

{{#if (eq database "postgres")}}
// Nothing listens on port 1: the service must still start and be live, but not ready.
const databaseEnv = { DATABASE_URL: "postgres://app:secret@127.0.0.1:1/{{name}}" };
{{else}}
const databaseEnv = {};
{{/if}}

describe("server process", () => {
  it("serves, then on SIGTERM turns unready, drains and exits 0", async () => {
    const { child, url } = await startServer({ ...databaseEnv, SHUTDOWN_DELAY_MS: "1000" });
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
{{#if (eq database "postgres")}}
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { checks: Record<string, string> }).checks.database).toBeTruthy();
{{else}}
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
{{/if}}
    const exited = once(child, "exit");
    child.kill("SIGTERM");
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect((await fetch(`${url}/readyz`)).status).toBe(503);
    const [code] = await exited;
    expect(code).toBe(0);
  });

  it("refuses to start with bad configuration, saying what is wrong", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", "src/server.ts"], {
      env: { ...process.env, ...databaseEnv, PORT: "not-a-port" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.push(child);
    let stderr = "";
    child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const [code] = await once(child, "exit");
    expect(code).toBe(1);
    expect(stderr).toContain('PORT must be a number (got "not-a-port")');
  });
});
