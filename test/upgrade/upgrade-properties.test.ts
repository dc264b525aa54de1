import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { manifestSchema } from "../../src/templates/manifest.js";
import type { TemplateSource, TemplateVersion } from "../../src/templates/source.js";
import { entriesEqual, entryText, type FileEntry, type FileTree } from "../../src/tree.js";
import { applyPlan, planUpgrade } from "../../src/upgrade/plan.js";
import { computeUpgrade } from "../../src/upgrade/steps.js";

/** Cases per property; thousands, in memory. PAVED_PROPERTY_SCALE=10 runs ten times as many. */
const SCALE = Number(process.env.PAVED_PROPERTY_SCALE ?? 1) || 1;
const PROPERTY_RUNS = { singleStep: 4000 * SCALE, sameVersion: 2000 * SCALE, multiStep: 1500 * SCALE };

const labels = { ours: "yours", base: "base", theirs: "theirs" };

// Template lines repeat (braces, blank lines, common words) so merges hit ambiguous alignments.
const templateLine = fc.oneof(
  fc.constantFrom("{\n", "}\n", "\n", "  return x;\n", "import a\n", "key: value\n"),
  fc.integer({ min: 0, max: 30 }).map((n) => `tpl ${n}\n`),
);
// Team lines never occur in a template, so each one must be found again in the result.
const teamLine = fc.integer({ min: 0, max: 1_000_000 }).map((n) => `team ${n}\n`);

type Edit = { at: number; remove: number; insert: string[] };
const edits = (line: fc.Arbitrary<string>) =>
  fc.array(fc.record({ at: fc.nat(), remove: fc.nat({ max: 3 }), insert: fc.array(line, { maxLength: 3 }) }), {
    minLength: 1,
    maxLength: 4,
  });

function applyEdits(lines: string[], list: Edit[]): string[] {
  const out = [...lines];
  for (const e of list) out.splice(out.length === 0 ? 0 : e.at % (out.length + 1), e.remove, ...e.insert);
  return out;
}

const change = (line: fc.Arbitrary<string>) =>
  fc.oneof(
    { weight: 3, arbitrary: fc.constant({ kind: "same" as const }) },
    { weight: 4, arbitrary: edits(line).map((e) => ({ kind: "edit" as const, edits: e })) },
    { weight: 1, arbitrary: fc.constant({ kind: "delete" as const }) },
    { weight: 1, arbitrary: fc.constant({ kind: "chmod" as const }) },
  );
type Change = { kind: "same" } | { kind: "edit"; edits: Edit[] } | { kind: "delete" } | { kind: "chmod" };

const fileArb = fc.record({
  lines: fc.array(templateLine, { maxLength: 14 }),
  noFinalNewline: fc.boolean(),
  template: change(templateLine),
  team: change(teamLine),
});

const scenarioArb = fc.record({
  files: fc.array(fileArb, { minLength: 1, maxLength: 6 }),
  templateNew: fc.array(fc.array(templateLine, { minLength: 1, maxLength: 5 }), { maxLength: 2 }),
  teamNew: fc.array(fc.record({ collide: fc.boolean(), lines: fc.array(teamLine, { minLength: 1, maxLength: 4 }) }), { maxLength: 2 }),
});

const entry = (lines: string[], mode = 0o644, trim = false): FileEntry => {
  let text = lines.join("");
  if (trim && text.endsWith("\n")) text = text.slice(0, -1);
  return { data: Buffer.from(text), mode };
};

function changed(base: FileEntry, lines: string[], c: Change): FileEntry | undefined {
  if (c.kind === "same") return base;
  if (c.kind === "delete") return undefined;
  if (c.kind === "chmod") return { data: base.data, mode: base.mode === 0o644 ? 0o755 : 0o644 };
  return entry(applyEdits(lines, c.edits), base.mode);
}

type Scenario = typeof scenarioArb extends fc.Arbitrary<infer T> ? T : never;

function buildTrees(s: Scenario) {
  const base: FileTree = new Map();
  const theirs: FileTree = new Map();
  const ours: FileTree = new Map();
  s.files.forEach((f, i) => {
    const p = `dir${i % 2}/file${i}.txt`;
    const b = entry(f.lines, 0o644, f.noFinalNewline);
    base.set(p, b);
    const t = changed(b, f.lines, f.template);
    const o = changed(b, f.lines, f.team);
    if (t) theirs.set(p, t);
    if (o) ours.set(p, o);
  });
  for (const [i, lines] of s.templateNew.entries()) theirs.set(`new${i}.txt`, entry(lines));
  for (const [i, f] of s.teamNew.entries()) ours.set(f.collide ? `new${i}.txt` : `mine${i}.txt`, entry(f.lines));
  return { base, theirs, ours };
}

const count = (text: string, line: string) => text.split(/(?<=\n)/).filter((l) => l === line || l === line.slice(0, -1)).length;

/** Every team line (a line the team added or changed) is still in the result, as often as before. */
function expectTeamLinesKept(ours: FileTree, result: FileTree, base: FileTree): void {
  for (const [p, mine] of ours) {
    if (entriesEqual(mine, base.get(p))) continue;
    const text = entryText(mine);
    const teamLines = new Set(text.split(/(?<=\n)/).filter((l) => l.startsWith("team ")));
    if (teamLines.size === 0) continue;
    const after = result.get(p);
    expect(after, `${p} must survive`).toBeDefined();
    const merged = entryText(after!);
    for (const line of teamLines) expect(count(merged, line), `${JSON.stringify(line)} in ${p}`).toBeGreaterThanOrEqual(count(text, line));
  }
}

/** Files the team did not touch (same as the old render, or absent from both) equal the new render exactly. */
function expectUntouchedEqualTheirs(base: FileTree, theirs: FileTree, ours: FileTree, result: FileTree): void {
  for (const p of new Set([...base.keys(), ...theirs.keys()])) {
    if (!entriesEqual(ours.get(p), base.get(p))) continue;
    expect(entriesEqual(result.get(p), theirs.get(p)), `${p} equals the new template`).toBe(true);
  }
}

function memoryVersion(version: string, files: FileTree): TemplateVersion {
  // Generated lines can form "{{"; copy every file verbatim so only the merge is under test.
  const manifest = manifestSchema.parse({ name: "svc", version, description: "in memory", files: { copy: ["**"] } });
  return {
    manifest,
    files,
    dir: `/in-memory/svc/${version}`,
    label: `/in-memory/svc/${version}`,
    source: { id: "memory" } as TemplateSource,
  };
}

describe("upgrade properties (fast-check, in memory)", () => {
  it(`keeps every team line and takes the template for untouched files (${PROPERTY_RUNS.singleStep} cases)`, () => {
    let conflicts = 0;
    fc.assert(
      fc.property(scenarioArb, (s) => {
        const { base, theirs, ours } = buildTrees(s);
        const actions = planUpgrade({ base, theirs, ours, managed: new Set(), labels });
        const result = applyPlan(ours, actions);
        if (actions.some((a) => a.conflict)) conflicts++;
        expectTeamLinesKept(ours, result, base);
        expectUntouchedEqualTheirs(base, theirs, ours, result);
        // A file the team deleted stays deleted.
        for (const p of base.keys()) if (!ours.has(p)) expect(result.has(p)).toBe(false);
      }),
      { numRuns: PROPERTY_RUNS.singleStep, seed: 20261121 },
    );
    // The generator must produce conflicts, or the first property proves little.
    expect(conflicts).toBeGreaterThan(PROPERTY_RUNS.singleStep / 20);
  });

  it(`upgrading to the version you are on changes nothing (${PROPERTY_RUNS.sameVersion} cases)`, () => {
    fc.assert(
      fc.property(scenarioArb, (s) => {
        const { base, ours } = buildTrees(s);
        const actions = planUpgrade({ base, theirs: base, ours, managed: new Set(), labels });
        expect(actions.filter((a) => a.result !== undefined)).toEqual([]);
        const result = applyPlan(ours, actions);
        expect(result.size).toBe(ours.size);
        for (const [p, e] of ours) expect(result.get(p)).toBe(e);
      }),
      { numRuns: PROPERTY_RUNS.sameVersion, seed: 7 },
    );
  });

  it(`across two versions step by step keeps team lines and ends on the last render (${PROPERTY_RUNS.multiStep} cases)`, async () => {
    let completed = 0;
    await fc.assert(
      fc.asyncProperty(scenarioArb, fc.array(change(templateLine), { minLength: 6, maxLength: 6 }), async (s, second) => {
        const { base: v1, theirs: v2, ours } = buildTrees(s);
        const v3: FileTree = new Map();
        [...v2.entries()].forEach(([p, e], i) => {
          const next = changed(e, entryText(e).split(/(?<=\n)/), second[i % second.length]!);
          if (next) v3.set(p, next);
        });
        const chain = [v1, v2, v3].map((files, i) => ({ version: memoryVersion(`1.${i}.0`, files), answers: {} }));
        const out = await computeUpgrade({ template: "svc", dirName: "demo", ours, path: chain });
        expectTeamLinesKept(ours, out.tree, v1);
        if (out.conflicts.length === 0) {
          completed++;
          expect(out.reached.version.manifest.version).toBe("1.2.0");
          expect(out.steps.map((x) => `${x.from}->${x.to}`)).toEqual(["1.0.0->1.1.0", "1.1.0->1.2.0"]);
          expectUntouchedEqualTheirs(v1, v3, ours, out.tree);
        } else {
          // Stopped at the step that conflicts; never past it.
          expect(out.steps[out.steps.length - 1]!.actions.some((a) => a.conflict)).toBe(true);
        }
      }),
      { numRuns: PROPERTY_RUNS.multiStep, seed: 31337 },
    );
    expect(completed).toBeGreaterThan(PROPERTY_RUNS.multiStep / 4);
  });
});
