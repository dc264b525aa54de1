import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { execa } from "execa";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { mergeText } from "../../src/upgrade/diff3.js";
import { tempDir } from "../helpers.js";

/** Lines from a small alphabet so that changes collide often and alignments are ambiguous. */
const lineArb = fc.constantFrom("a\n", "b\n", "c\n", "d\n", "{\n", "}\n", "\n", "  return x;\n", "foo bar\n", "--\n", "a\r\n", "b\r\n");

const editArb = fc.record({
  at: fc.nat(),
  remove: fc.nat({ max: 3 }),
  insert: fc.array(lineArb, { maxLength: 4 }),
});

function applyEdits(lines: string[], edits: Array<{ at: number; remove: number; insert: string[] }>): string[] {
  const out = [...lines];
  for (const e of edits) {
    const at = out.length === 0 ? 0 : e.at % (out.length + 1);
    out.splice(at, e.remove, ...e.insert);
  }
  return out;
}

const tailArb = fc.constantFrom("", "", "", "z", "a", "end");

const caseArb = fc
  .record({
    base: fc.array(lineArb, { maxLength: 14 }),
    ours: fc.array(editArb, { maxLength: 3 }),
    theirs: fc.array(editArb, { maxLength: 3 }),
    tails: fc.tuple(tailArb, tailArb, tailArb),
  })
  .map(({ base, ours, theirs, tails }) => ({
    base: base.join("") + tails[0],
    ours: applyEdits(base, ours).join("") + tails[1],
    theirs: applyEdits(base, theirs).join("") + tails[2],
  }));

/** Larger, file-like inputs: many distinct lines with a few repeated ones, to exercise the diff's preprocessing. */
const bigLineArb = fc.oneof(fc.integer({ min: 0, max: 60 }).map((n) => `line ${n}\n`), fc.constantFrom("\n", "}\n", "{\n"));
const bigCaseArb = fc
  .record({
    base: fc.array(bigLineArb, { minLength: 20, maxLength: 120 }),
    ours: fc.array(fc.record({ at: fc.nat(), remove: fc.nat({ max: 6 }), insert: fc.array(bigLineArb, { maxLength: 6 }) }), { maxLength: 6 }),
    theirs: fc.array(fc.record({ at: fc.nat(), remove: fc.nat({ max: 6 }), insert: fc.array(bigLineArb, { maxLength: 6 }) }), { maxLength: 6 }),
  })
  .map(({ base, ours, theirs }) => ({ base: base.join(""), ours: applyEdits(base, ours).join(""), theirs: applyEdits(base, theirs).join("") }));

/**
 * Big files with many scattered edits that copy other lines of the file: long edit scripts with long
 * common runs reach the diff's cost cut-offs and snake heuristics (over 256 edits in one search).
 */
const hugeEdits = fc.array(fc.record({ at: fc.nat(), remove: fc.nat({ max: 4 }), insert: fc.array(fc.integer({ min: 0, max: 7999 }).map((n) => `row ${n}\n`), { maxLength: 4 }) }), { minLength: 200, maxLength: 350 });
const hugeCaseArb = fc
  .record({ size: fc.integer({ min: 5000, max: 8000 }), ours: hugeEdits, theirs: hugeEdits })
  .map(({ size, ours, theirs }) => {
    const base = Array.from({ length: size }, (_, i) => `row ${i}\n`);
    return { base: base.join(""), ours: applyEdits(base, ours).join(""), theirs: applyEdits(base, theirs).join("") };
  });

interface Case {
  base: string;
  ours: string;
  theirs: string;
}

/** Run `git merge-file -p` on every case in one shell process (fast), returning output and conflict count. */
async function gitMergeFile(cases: Case[], style: "merge" | "diff3"): Promise<Array<{ text: string; status: number }>> {
  const root = tempDir("paved-merge-file-");
  cases.forEach((c, i) => {
    const dir = path.join(root, String(i));
    mkdirSync(dir);
    writeFileSync(path.join(dir, "base"), c.base);
    writeFileSync(path.join(dir, "ours"), c.ours);
    writeFileSync(path.join(dir, "theirs"), c.theirs);
  });
  const script = `for d in $(seq 0 ${cases.length - 1}); do git merge-file ${style === "diff3" ? "--diff3 " : ""}-p -L ours -L base -L theirs "$d/ours" "$d/base" "$d/theirs" > "$d/out"; echo $? > "$d/status"; done`;
  await execa("bash", ["-c", script], { cwd: root, env: { HOME: root, GIT_CONFIG_NOSYSTEM: "1", GIT_CONFIG_GLOBAL: "/dev/null" } });
  return cases.map((_, i) => ({
    text: readFileSync(path.join(root, String(i), "out"), "utf8"),
    status: Number(readFileSync(path.join(root, String(i), "status"), "utf8").trim()),
  }));
}

async function expectAgreement(cases: Case[], style: "merge" | "diff3"): Promise<void> {
  const expected = await gitMergeFile(cases, style);
  let conflicted = 0;
  cases.forEach((c, i) => {
    const ours = mergeText(c.base, c.ours, c.theirs, { labels: { ours: "ours", base: "base", theirs: "theirs" }, style });
    const git = expected[i]!;
    if (ours.text !== git.text || ours.conflicts.length !== git.status) {
      // Print the smallest useful reproduction before failing.
      console.error(JSON.stringify({ style, case: c, git, ours }, null, 2));
    }
    expect(ours.text).toBe(git.text);
    expect(ours.conflicts.length).toBe(git.status);
    if (git.status > 0) conflicted++;
  });
  // The generators must really produce conflicts, or the comparison proves little.
  expect(conflicted).toBeGreaterThan(cases.length / 10);
}

/** Cases per comparison; PAVED_PROPERTY_SCALE=10 runs ten times as many (each case spawns git once). */
const SCALE = Number(process.env.PAVED_PROPERTY_SCALE ?? 1) || 1;
export const AGREEMENT_CASES = { small: 1500 * SCALE, large: 300 * SCALE, huge: 20 * SCALE, diff3: 500 * SCALE };

describe("mergeText agrees with git merge-file byte for byte", () => {
  it(`on ${AGREEMENT_CASES.small} small generated cases (conflicts, identical changes, CRLF, missing final newlines)`, async () => {
    const cases = fc.sample(caseArb, { numRuns: AGREEMENT_CASES.small, seed: 4242 });
    await expectAgreement(cases, "merge");
  });

  it(`on ${AGREEMENT_CASES.large} larger file-like cases`, async () => {
    const cases = fc.sample(bigCaseArb, { numRuns: AGREEMENT_CASES.large, seed: 777 });
    await expectAgreement(cases, "merge");
  });

  it(`on ${AGREEMENT_CASES.huge} huge cases (thousands of lines, hundreds of edits per side)`, async () => {
    const cases = fc.sample(hugeCaseArb, { numRuns: AGREEMENT_CASES.huge, seed: 2026 });
    await expectAgreement(cases, "merge");
  });

  it("on giant files, where the diff's snake heuristics take over (more than 32,768 lines)", async () => {
    const giantEdits = fc.array(fc.record({ at: fc.nat(), remove: fc.nat({ max: 4 }), insert: fc.array(fc.integer({ min: 0, max: 39999 }).map((n) => `row ${n}\n`), { maxLength: 4 }) }), { minLength: 1500, maxLength: 1500 });
    const cases = fc.sample(fc.record({ ours: giantEdits, theirs: giantEdits }), { numRuns: 2, seed: 11 }).map(({ ours, theirs }) => {
      const base = Array.from({ length: 40000 }, (_, i) => `row ${i}\n`);
      return { base: base.join(""), ours: applyEdits(base, ours).join(""), theirs: applyEdits(base, theirs).join("") };
    });
    const expected = await gitMergeFile(cases, "merge");
    cases.forEach((c, i) => expect(mergeText(c.base, c.ours, c.theirs).text === expected[i]!.text).toBe(true));
  });

  it(`in diff3 style on ${AGREEMENT_CASES.diff3} cases`, async () => {
    const cases = fc.sample(caseArb, { numRuns: AGREEMENT_CASES.diff3, seed: 99 });
    await expectAgreement(cases, "diff3");
  });

  it("on hand-written edge cases", async () => {
    const cases: Case[] = [
      { base: "", ours: "", theirs: "" },
      { base: "", ours: "a\n", theirs: "b\n" },
      { base: "", ours: "a\n", theirs: "a\n" },
      { base: "a\nb\nc\n", ours: "a\nB\nc\n", theirs: "a\nB\nc\n" },
      { base: "a\nb\nc", ours: "a\nb\nc\n", theirs: "a\nb\nC" },
      { base: "a\nb\nc", ours: "a\nb\nX", theirs: "a\nb\nY" },
      { base: "1\n2\n3\n4\n5\n6\n7\n8\n", ours: "1\nX\n3\n4\n5\n6\nY\n8\n", theirs: "1\nZ\n3\n4\n5\n6\nW\n8\n" },
      { base: "1\n2\n3\n4\n", ours: "1\nX\n3\nY\n", theirs: "1\nZ\n3\nW\n" },
      { base: "a\r\nb\r\nc\r\n", ours: "a\r\nX\r\nc\r\n", theirs: "a\r\nY\r\nc\r\n" },
      { base: "x\n}\n}\ny\n", ours: "x\n1\n}\n}\n2\ny\n", theirs: "x\n3\n}\n}\n4\ny\n" },
    ];
    const expected = await gitMergeFile(cases, "merge");
    cases.forEach((c, i) => expect(mergeText(c.base, c.ours, c.theirs).text).toBe(expected[i]!.text));
  });
});
