import { chmodSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../helpers.js";
import { makeSource, newService } from "../upgrade/fixtures.js";

function source(): string {
  return makeSource({
    "1.0.0": { files: { "README.md": "# {{name}}\n\none\ntwo\nthree\n", "gone.txt": "x\n", "run.sh": "echo\n", "same.txt": "same\n" } },
  });
}

describe("paved diff", () => {
  it("shows no drift for a fresh service, and exits 0 with --exit-code", async () => {
    const dir = await newService(source(), "1.0.0");
    const result = await runCli(["diff", dir, "--exit-code"]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain("no drift");
  });

  it("prints the team's drift as a unified diff from the fresh render, --stat, --exit-code and --json", async () => {
    const dir = await newService(source(), "1.0.0");
    const readme = path.join(dir, "README.md");
    writeFileSync(readme, readFileSync(readme, "utf8").replace("two\n", "two, edited\n"));
    rmSync(path.join(dir, "gone.txt"));
    chmodSync(path.join(dir, "run.sh"), 0o755);
    writeFileSync(path.join(dir, "team-file.ts"), "not drift: the team's own file\n");

    const full = await runCli(["diff", dir]);
    expect(full.exitCode).toBe(0);
    expect(full.stdout).toBe(
      [
        "diff --git a/README.md b/README.md",
        "--- a/README.md",
        "+++ b/README.md",
        "@@ -1,5 +1,5 @@",
        " # demo-svc",
        " ",
        " one",
        "-two",
        "+two, edited",
        " three",
        "diff --git a/gone.txt b/gone.txt",
        "deleted file mode 100644",
        "--- a/gone.txt",
        "+++ /dev/null",
        "@@ -1 +0,0 @@",
        "-x",
        "diff --git a/run.sh b/run.sh",
        "old mode 100644",
        "new mode 100755",
      ].join("\n"),
    );

    const stat = await runCli(["diff", dir, "--stat", "--exit-code"]);
    expect(stat.exitCode).toBe(1);
    expect(stat.stdout).toContain(" README.md | 2 +-");
    expect(stat.stdout).toContain(" gone.txt  | 1 -");
    expect(stat.stdout).toContain("3 files changed, 1 insertion(+), 2 deletions(-)");

    const json = await runCli(["diff", dir, "--json"]);
    const report = JSON.parse(String(json.stdout));
    expect(report).toMatchObject({ ok: true, template: "svc", version: "1.0.0", drifted: true, added: 1, removed: 2 });
    expect(report.files.map((f: { path: string; status: string }) => `${f.path}:${f.status}`)).toEqual([
      "README.md:modified",
      "gone.txt:deleted",
      "run.sh:mode",
    ]);
  });

  it("refuses a directory that is not a service", async () => {
    const result = await runCli(["diff", path.dirname(await newService(source(), "1.0.0"))]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(".paved.yml");
  });
});
