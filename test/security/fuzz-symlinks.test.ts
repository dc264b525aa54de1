import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { stringify } from "yaml";
import { describe, expect, it } from "vitest";
import { git, runCli, tempDir, writeFiles } from "../helpers.js";
import { makeSource } from "../template-fixtures.js";
import { snapshotWorld } from "./world-snapshot.js";

/**
 * Issue 11, "Done when": hostile template trees with symlinks (inside, outside, into .git in any spelling, chains),
 * hostile answers and hostile links committed in the service, run through the real CLI for `new`, `doctor --fix`
 * and `upgrade`. Property: nothing outside the service changes and nothing is written into its .git, ever; and no
 * command crashes (exit 70 or a stack trace). PAVED_PROPERTY_SCALE=10 runs ten times as many cases.
 */
const SCALE = Number(process.env.PAVED_PROPERTY_SCALE ?? 1) || 1;
const RUNS = 12 * SCALE;
const STACK = /\n\s+at .*\.js:\d+/;

const DOT_GIT = [".git", ".GIT", ".git.", ".git ", ".Git./hooks", ".git/hooks", "sub/../.git"];
const OUTSIDE = [
  "../outside",
  "../../outside",
  "../../../outside",
  "ABS_OUTSIDE",
  "..",
  ".",
  "d1/../..",
  "d2/sub/../../..",
  "l1/../..",
  "x",
];
// Resolved inside (some as chains through the other links), unless the chain loops or climbs out through one.
const INSIDE = ["d1", "d2/sub", "d1/a.txt", "README.md", "l1", "x", "cfg", "d2/sub/l/..", "l1/a.txt", "../d2"];
// Mostly links that load, so the writers (not only the loader) meet the hostile service links below.
const linkArb = fc.record({
  at: fc.constantFrom("x", "l1", "cfg", "d1/l", "d2/sub/l", "d1/x"),
  to: fc.oneof(
    { weight: 10, arbitrary: fc.constantFrom(...INSIDE) },
    { weight: 1, arbitrary: fc.constantFrom(...DOT_GIT) },
    { weight: 1, arbitrary: fc.constantFrom(...OUTSIDE) },
  ),
});
const answerArb = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom("d1", "x", "l1", "cfg", "d2/sub/l", "d2") },
  { weight: 1, arbitrary: fc.constantFrom(".GIT", ".git.", "GIT~1") },
);
const treeArb = fc.record({ links: fc.array(linkArb, { maxLength: 3 }), nameAnswer: answerArb });
type HostileTree = { links: Array<{ at: string; to: string }>; nameAnswer: string };
const plantArb = fc.subarray([
  ["x", ".git"],
  ["cfg", "../outside"],
  ["l1", ".git/hooks"],
  ["d2", "../outside"],
  ["d1", ".git"],
] as const);
const caseArb = fc.record({ first: treeArb, second: treeArb, plants: plantArb, recordedAnswer: answerArb });

// Git's own churn in .git during commit, status and upgrade's index update; paved's state files (journal, lock).
const GIT_CHURN = /^(objects|logs|refs|index|ORIG_HEAD|COMMIT_EDITMSG|packed-refs|FETCH_HEAD)(\/|$)|paved|\.lock$/;
const gitDirState = (service: string) => snapshotWorld(path.join(service, ".git"), (rel) => GIT_CHURN.test(rel));

function manifest(name: string, version: string) {
  return stringify({
    name,
    version,
    description: "hostile",
    questions: [
      { name: "token", type: "input", message: "Token", secret: true, required: false, default: "" },
      { name: "p", type: "input", message: "Folder", default: "d1" },
    ],
    files: { managed: ["**"] },
  });
}

/** Replace a version's files/ with a hostile tree: files whose folders are templated, plus random symlinks. */
function writeHostileVersion(versionDir: string, tree: HostileTree, marker: string, outside: string): void {
  const files = path.join(versionDir, "files");
  rmSync(files, { recursive: true, force: true });
  writeFiles(files, {
    "README.md": `v ${versionDir}\n`,
    "d1/a.txt": "a\n",
    "d2/sub/b.txt": "b\n",
    "{{#if token}}cfg{{else}}x{{/if}}/config": `[core]\n\tfsmonitor = "touch ${marker}"\n`,
    "{{p}}/hooks/pre-commit": `#!/bin/sh\ntouch ${marker}\n`,
    "{{p}}/evil.txt": "planted\n",
  });
  const seen = new Set<string>();
  for (const link of tree.links) {
    if (seen.has(link.at)) continue;
    seen.add(link.at);
    mkdirSync(path.dirname(path.join(files, link.at)), { recursive: true });
    symlinkSync(link.to === "ABS_OUTSIDE" ? outside : link.to, path.join(files, link.at));
  }
}

describe("fuzz: hostile symlinks never lead a write outside the service or into .git", () => {
  it(`holds for new, doctor --fix and upgrade (${RUNS} cases)`, async () => {
    const source = makeSource({
      evil: {
        "1.0.0": { manifest: manifest("evil", "1.0.0"), files: { "README.md": "benign\n", "d1/a.txt": "a\n", "d2/sub/b.txt": "b\n" } },
      },
    });
    mkdirSync(path.join(source, "evil/1.1.0"));
    writeFileSync(path.join(source, "evil/1.1.0/template.yaml"), manifest("evil", "1.1.0"));
    // One benign service, copied for each case (its recorded source path is relative, and every world is a sibling).
    const base = path.join(tempDir("paved-world-"), "svc");
    const created = await runCli(["new", "evil", base, "--source", source, "--version", "1.0.0", "--set", "token=s3cret"]);
    expect(created.exitCode, created.stderr).toBe(0);
    const referenceGit = gitDirState(base);

    await fc.assert(
      fc.asyncProperty(caseArb, async (c) => {
        const world = tempDir("paved-world-");
        const outside = path.join(world, "outside");
        const marker = path.join(world, "pwned");
        writeFiles(world, { "precious.txt": "do not touch\n", "outside/keep.txt": "keep\n" });
        const svc = path.join(world, "svc");
        cpSync(base, svc, { recursive: true, verbatimSymlinks: true });
        writeHostileVersion(path.join(source, "evil/1.0.0"), c.first, marker, outside);
        writeHostileVersion(path.join(source, "evil/1.1.0"), c.second, marker, outside);

        const outsideOnly = () => snapshotWorld(world, (rel) => rel === "svc" || rel === "fresh");
        const worldBefore = outsideOnly();
        const expectSafe = (result: { exitCode?: number; stderr: string; stdout: string }, what: string) => {
          expect(result.stderr, what).not.toMatch(STACK);
          expect(result.exitCode, `${what}: ${result.stdout}${result.stderr}`).not.toBe(70);
          expect(outsideOnly(), what).toEqual(worldBefore);
        };

        const fresh = await runCli([
          "new",
          "evil",
          path.join(world, "fresh"),
          "--source",
          source,
          "--version",
          "1.0.0",
          "--set",
          `p=${c.first.nameAnswer}`,
        ]);
        expectSafe(fresh, "new");
        if (fresh.exitCode === 0) expect(gitDirState(path.join(world, "fresh")), "new: .git").toEqual(referenceGit);

        for (const [at, to] of c.plants) {
          rmSync(path.join(svc, at), { recursive: true, force: true });
          symlinkSync(to, path.join(svc, at));
        }
        const yml = path.join(svc, ".paved.yml");
        writeFileSync(yml, readFileSync(yml, "utf8").replace(/\bp: .*/, `p: ${JSON.stringify(c.recordedAnswer)}`));
        await git(svc, ["add", "-A"]);
        await git(svc, ["commit", "-qm", "plant", "--allow-empty"]);
        const svcGit = gitDirState(svc);

        const doctor = await runCli(["doctor", svc, "--fix"]);
        expectSafe(doctor, "doctor --fix");
        expect(gitDirState(svc), "doctor --fix: .git").toEqual(svcGit);

        const upgrade = await runCli(["upgrade", svc, "--to", "1.1.0", "--allow-dirty"]);
        expectSafe(upgrade, "upgrade");
        expect(gitDirState(svc), "upgrade: .git").toEqual(svcGit);
        expect(existsSync(marker)).toBe(false);
        rmSync(world, { recursive: true, force: true });
      }),
      { numRuns: RUNS, endOnFailure: true },
    );
  }, 600_000);
});
