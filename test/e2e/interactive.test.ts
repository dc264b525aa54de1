import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { runInTerminal as runInPty, tempDir } from "../helpers.js";

/** Questions after the scripted ones (a template may grow) take their defaults. */
const runInTerminal = (args: string[], script: Array<[prompt: string, keys: string]>) => runInPty(args, script, { thenEnter: true });

const ENTER = "\r";
const DOWN = "\u001b[B";

describe("interactive prompts on a terminal", () => {
  it("asks every question, offers defaults, validates and records the answers", async () => {
    const target = path.join(tempDir(), "tty-svc");
    const result = await runInTerminal(
      ["new", "service", target, "--no-install", "--no-git"],
      [
        ["Service name", ENTER],
        ["One-line description", "Typed at a terminal" + ENTER],
        ["Owning team", "Team Bad!" + ENTER],
        ["must be a team name", "\u0015team-tty" + ENTER],
        ["Port the service listens on", ENTER],
        ["CI system", DOWN + ENTER],
        ["Database", ENTER],
        ["Service tier", "\u0015" + "1" + ENTER],
        ["Kubernetes namespace", ENTER],
      ],
    );
    expect(result.exitCode, result.stdout).toBe(0);
    const answers = parse(readFileSync(path.join(target, ".paved.yml"), "utf8")).answers;
    expect(answers).toMatchObject({
      name: "tty-svc",
      description: "Typed at a terminal",
      owner: "team-tty",
      port: 8080,
      ci: "gitlab",
      database: "none",
      tier: 1,
      namespace: "team-tty",
    });
  });

  it("--yes never prompts, even on a terminal", async () => {
    const parent = tempDir();
    const result = await runInTerminal(
      ["new", "service", path.join(parent, "yes-svc"), "--yes", "--set", "owner=team-y", "--no-install", "--no-git"],
      [],
    );
    expect(result.exitCode, result.stdout).toBe(0);
    expect(result.stdout).not.toMatch(/\?.*Service name/);
  });

  it("Ctrl-C at a prompt exits 130 and writes nothing", async () => {
    const parent = tempDir();
    const result = await runInTerminal(["new", "service", path.join(parent, "cancelled"), "--no-install"], [["Service name", "\u0003"]]);
    expect(result.exitCode).toBe(130);
    expect(readdirSync(parent)).toEqual([]);
  });
});
