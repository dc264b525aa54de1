import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { findingsOf, makeService, only, svcVersion } from "./fixtures.js";

describe("paved/conflicts", () => {
  it("passes a clean service", async () => {
    const svc = await makeService();
    expect(only(await svc.run(), "paved/conflicts").status).toBe("pass");
  });

  it("fails on an unmerged index entry, with the file and the line of its first marker", async () => {
    const svc = await makeService();
    // A real unmerged entry, as `paved upgrade` or `git merge` records it.
    const ids = ["# base\n", "# ours\n", "# theirs\n"].map((t) =>
      execFileSync("git", ["hash-object", "-w", "--stdin"], { cwd: svc.dir, input: t }).toString().trim(),
    );
    execFileSync("git", ["update-index", "--index-info"], {
      cwd: svc.dir,
      input: `0 ${"0".repeat(40)}\tREADME.md\n${ids.map((id, i) => `100644 ${id} ${i + 1}\tREADME.md`).join("\n")}\n`,
    });
    writeFileSync(path.join(svc.dir, "README.md"), "intro\n<<<<<<< yours\n# ours\n=======\n# theirs\n>>>>>>> svc 1.1.0\n");
    const f = only(await svc.run(), "paved/conflicts");
    expect(f).toMatchObject({ status: "fail", severity: "error", file: "README.md", line: 2 });
    expect(f.message).toBe("README.md has an unresolved conflict (unmerged in the git index)");
  });

  it("fails on committed conflict marker pairs, but not on a lone marker-like line", async () => {
    const svc = await makeService();
    svc.write({
      "docs/runbook.md": "# Runbook\n\n<<<<<<< yours\nold\n=======\nnew\n>>>>>>> svc 1.1.0\n",
      "notes.md": "a heading underline\n<<<<<<< only one side\n",
    });
    const found = findingsOf(await svc.run(), "paved/conflicts");
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ status: "fail", file: "docs/runbook.md", line: 3 });
    expect(found[0]!.message).toContain("docs/runbook.md:3 holds conflict markers");
  });

  it("fails on .rej and .orig files beside template files, tracked or untracked, and ignores others", async () => {
    const svc = await makeService();
    svc.write({ "Dockerfile.rej": "--- a/Dockerfile\n" });
    writeFileSync(path.join(svc.dir, "README.md.orig"), "# old\n");
    writeFileSync(path.join(svc.dir, "mine.txt.rej"), "not next to a template file\n");
    const found = findingsOf(await svc.run(), "paved/conflicts");
    expect(found.map((f) => [f.file, f.message])).toEqual([
      ["Dockerfile.rej", "Dockerfile.rej is left over from a conflicted merge of Dockerfile"],
      ["README.md.orig", "README.md.orig is left over from a conflicted merge of README.md"],
    ]);
  });
});

describe("a failed data check states the problem, not the rule", () => {
  it("uses failMessage, else `not met: <message>`", async () => {
    const checks = [
      {
        id: "svc/non-root",
        type: "file-contains",
        file: "Dockerfile",
        pattern: "^USER\\s+(?!root)",
        message: "the image runs as an unprivileged user",
        failMessage: "the image runs as root",
      },
      { id: "svc/health", type: "file-contains", file: "Dockerfile", pattern: "^HEALTHCHECK", message: "the image declares a HEALTHCHECK" },
    ];
    const svc = await makeService({ versions: { "1.0.0": svcVersion({ manifest: { checks } }) } });
    svc.write({ Dockerfile: "FROM node:22-alpine\nUSER root\n" });
    const report = await svc.run();
    expect(only(report, "svc/non-root").message).toBe("the image runs as root (Dockerfile does not match /^USER\\s+(?!root)/)");
    expect(only(report, "svc/health").message).toBe("not met: the image declares a HEALTHCHECK (Dockerfile does not match /^HEALTHCHECK/)");
  });

  it("every check of the built-in service template says its problem when it fails", async () => {
    const { readFileSync, readdirSync } = await import("node:fs");
    const { parse } = await import("yaml");
    const { ROOT } = await import("../helpers.js");
    // Version folders only: templates/service also holds README.md and versions.lock.json.
    for (const version of readdirSync(path.join(ROOT, "templates/service")).filter((v) => /^\d+\.\d+\.\d+/.test(v))) {
      const manifest = parse(readFileSync(path.join(ROOT, "templates/service", version, "template.yaml"), "utf8")) as {
        checks: Array<{ id: string; message: string; failMessage?: string }>;
      };
      for (const check of manifest.checks) {
        expect(check.failMessage, `${version} ${check.id}`).toBeTruthy();
        expect(check.failMessage, `${version} ${check.id}`).not.toBe(check.message);
      }
    }
  });
});
