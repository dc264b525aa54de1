import { describe, expect, it } from "vitest";
import { lockfileNeeded } from "../../src/lockfile.js";
import { normalizeCommand } from "../../src/hooks.js";
import { manifestSchema } from "../../src/templates/manifest.js";
import { textFile, type FileTree } from "../../src/tree.js";
import { describeKept, keptFilesOf } from "../../src/upgrade/kept-files.js";
import { changedAnswers, formatReleaseNotes, releaseNotesOf, upgradeCommitMessage } from "../../src/upgrade/release-notes.js";

const tree = (files: Record<string, string>): FileTree => new Map(Object.entries(files).map(([p, t]) => [p, textFile(t)]));
const manifest = (extra: Record<string, unknown>) => manifestSchema.parse({ name: "svc", version: "1.1.0", description: "d", ...extra });

describe("kept files", () => {
  it("finds files the old version had, the new one dropped and the tree still holds, with what referenced them", () => {
    const old = tree({
      "deploy/sa.yaml": "kind: ServiceAccount\n",
      "deploy/kustomization.yaml": "resources: [sa.yaml]\n",
      "README.md": "see deploy/sa.yaml\n",
      "gone.txt": "x\n",
      "other.txt": "y\n",
    });
    const next = tree({ "deploy/kustomization.yaml": "resources: []\n", "README.md": "x\n", "other.txt": "y\n" });
    const after = tree({
      "deploy/sa.yaml": "kind: ServiceAccount # edited\n",
      "deploy/kustomization.yaml": "resources: []\n",
      "README.md": "x\n",
      "other.txt": "y\n",
    });
    const kept = keptFilesOf(old, next, after);
    expect(kept).toEqual([{ path: "deploy/sa.yaml", referencedBy: ["README.md", "deploy/kustomization.yaml"] }]);
    expect(describeKept(kept[0]!)).toContain("in the old version README.md, deploy/kustomization.yaml referenced it");
  });
});

describe("release notes", () => {
  it("one section per version; versions without notes or actions are left out of the text, not the data", () => {
    const notes = releaseNotesOf([
      manifest({ version: "1.1.0", changelog: "Minor.\n", actions: ["Do a thing."], released: "2026-10-06" }),
      manifest({ version: "1.2.0" }),
    ]);
    expect(notes).toEqual([
      { version: "1.1.0", released: "2026-10-06", changelog: "Minor.", actions: ["Do a thing."] },
      { version: "1.2.0", released: null, changelog: null, actions: [] },
    ]);
    expect(formatReleaseNotes("svc", notes)).toEqual(["svc 1.1.0 (2026-10-06)", "  Minor.", "  Action needed:", "    - [ ] Do a thing."]);
  });

  it("commit messages: an upgrade carries every section; a same-version re-render names the answers that changed", () => {
    const notes = releaseNotesOf([manifest({ version: "1.1.0", changelog: "A." }), manifest({ version: "2.0.0", changelog: "B." })]);
    expect(upgradeCommitMessage({ template: "svc", from: "1.0.0", to: "2.0.0", sourceId: "builtin", notes })).toBe(
      "Upgrade svc from 1.0.0 to 2.0.0\n\nApplied by `paved upgrade` (template svc, source builtin).\n\n## svc 1.1.0\n  A.\n\n## svc 2.0.0\n  B.\n",
    );
    const answerChanges = changedAnswers({ owner: "team-a", tier: 2, old: 1 }, { owner: "team-b", tier: 2, fresh: 3 });
    expect(answerChanges).toEqual([{ name: "owner", from: "team-a", to: "team-b" }]);
    expect(
      upgradeCommitMessage({ template: "svc", from: "1.1.0", to: "1.1.0", sourceId: "builtin", notes: [], answerChanges }).split("\n")[0],
    ).toBe("Change answers of svc 1.1.0: owner team-a -> team-b");
  });
});

describe("lockfile refresh is due", () => {
  const spec = { command: normalizeCommand("npm install --package-lock-only"), files: ["package-lock.json"], inputs: ["package.json"] };
  it("only when the service has the lockfile and the upgrade changed an input", () => {
    const before = tree({ "package.json": "{}", "package-lock.json": "{}" });
    expect(lockfileNeeded(spec, before, tree({ "package.json": '{"a":1}', "package-lock.json": "{}" }))).toBe(true);
    expect(lockfileNeeded(spec, before, before)).toBe(false);
    expect(lockfileNeeded(spec, tree({ "package.json": "{}" }), tree({ "package.json": '{"a":1}' }))).toBe(false);
    expect(lockfileNeeded({ ...spec, inputs: [] }, before, before)).toBe(true);
  });
});
