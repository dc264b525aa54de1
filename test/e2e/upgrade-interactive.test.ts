import { readFileSync } from "node:fs";
import path from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { BIN, CLI_ENV, ROOT } from "../helpers.js";
import { BASE_QUESTIONS, makeSource, newService } from "../upgrade/fixtures.js";

const DRIVER = path.join(ROOT, "test", "support", "pty-driver.py");

/** Run paved in a real pseudo-terminal, typing `keys` when `prompt` appears. */
function runInTerminal(args: string[], script: Array<[prompt: string, keys: string]>) {
  const env: Record<string, string> = { ...CLI_ENV, TERM: "xterm" };
  delete env.CI;
  return execa("python3", [DRIVER, JSON.stringify(script), "--", process.execPath, BIN, ...args], { reject: false, env, extendEnv: true, timeout: 90_000 });
}

describe("paved upgrade on a terminal", () => {
  it("asks only the questions that are new in the target version", async () => {
    const source = makeSource({
      "1.0.0": { files: { "owner.txt": "{{owner}}\n" } },
      "1.1.0": {
        manifest: { questions: [...BASE_QUESTIONS, { name: "region", type: "input", message: "Region to deploy to", required: true }] },
        files: { "owner.txt": "{{owner}}\n", "region.txt": "{{region}}\n" },
      },
    });
    const dir = await newService(source, "1.0.0", ["--set", "owner=team-tty"]);
    const result = await runInTerminal(["upgrade", dir], [["Region to deploy to", "eu-west\r"]]);
    expect(result.exitCode, String(result.stdout)).toBe(0);
    expect(String(result.stdout)).not.toContain("Owner");
    expect(readFileSync(path.join(dir, "region.txt"), "utf8")).toBe("eu-west\n");
    expect(parse(readFileSync(path.join(dir, ".paved.yml"), "utf8")).answers).toMatchObject({ owner: "team-tty", region: "eu-west" });
  });
});
