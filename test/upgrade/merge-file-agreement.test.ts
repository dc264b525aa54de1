import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { execa } from "execa";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { mergeBytes, mergeText } from "../../src/diff/xdiff/diff3.js";
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
const bigLineArb = fc.oneof(
  fc.integer({ min: 0, max: 60 }).map((n) => `line ${n}\n`),
  fc.constantFrom("\n", "}\n", "{\n"),
);
const bigCaseArb = fc
  .record({
    base: fc.array(bigLineArb, { minLength: 20, maxLength: 120 }),
    ours: fc.array(fc.record({ at: fc.nat(), remove: fc.nat({ max: 6 }), insert: fc.array(bigLineArb, { maxLength: 6 }) }), {
      maxLength: 6,
    }),
    theirs: fc.array(fc.record({ at: fc.nat(), remove: fc.nat({ max: 6 }), insert: fc.array(bigLineArb, { maxLength: 6 }) }), {
      maxLength: 6,
    }),
  })
  .map(({ base, ours, theirs }) => ({
    base: base.join(""),
    ours: applyEdits(base, ours).join(""),
    theirs: applyEdits(base, theirs).join(""),
  }));

/**
 * Big files with many scattered edits that copy other lines of the file: long edit scripts with long
 * common runs reach the diff's cost cut-offs and snake heuristics (over 256 edits in one search).
 */
const hugeEdits = fc.array(
  fc.record({
    at: fc.nat(),
    remove: fc.nat({ max: 4 }),
    insert: fc.array(
      fc.integer({ min: 0, max: 7999 }).map((n) => `row ${n}\n`),
      { maxLength: 4 },
    ),
  }),
  { minLength: 200, maxLength: 350 },
);
const hugeCaseArb = fc
  .record({ size: fc.integer({ min: 5000, max: 8000 }), ours: hugeEdits, theirs: hugeEdits })
  .map(({ size, ours, theirs }) => {
    const base = Array.from({ length: size }, (_, i) => `row ${i}\n`);
    return { base: base.join(""), ours: applyEdits(base, ours).join(""), theirs: applyEdits(base, theirs).join("") };
  });

/**
 * Text that is not UTF-8, as git sees it (no NUL, so not binary): lines of Latin-1 bytes (0x80-0xFF),
 * invalid UTF-8 sequences, UTF-8 BOMs and CRLF, from a small alphabet so that lines collide. Cases are
 * byte strings (one char per byte), written to and read from disk as latin1.
 */
const highByteArb = fc.constantFrom(0x41, 0x7a, 0x80, 0x9f, 0xa0, 0xc3, 0xa9, 0xe9, 0xef, 0xbb, 0xbf, 0xff, 0x0d, 0x20);
const byteLineArb = fc.oneof(
  lineArb,
  fc.array(highByteArb, { maxLength: 4 }).map((bytes) => `${String.fromCharCode(...bytes)}\n`),
  fc.constantFrom("caf\xe9\n", "caf\xe9\r\n", "na\xefve\n", "\xef\xbb\xbfa\n", "\xc3\x28\n", "\xe2\x82\n", "\xff\xfe\n", "\x85\n"),
);
const byteTailArb = fc.constantFrom("", "", "", "\xe9", "a", "\xc3");
const bytesCaseArb = fc
  .record({
    bom: fc.boolean(),
    base: fc.array(byteLineArb, { maxLength: 14 }),
    ours: fc.array(fc.record({ at: fc.nat(), remove: fc.nat({ max: 3 }), insert: fc.array(byteLineArb, { maxLength: 4 }) }), {
      maxLength: 3,
    }),
    theirs: fc.array(fc.record({ at: fc.nat(), remove: fc.nat({ max: 3 }), insert: fc.array(byteLineArb, { maxLength: 4 }) }), {
      maxLength: 3,
    }),
    tails: fc.tuple(byteTailArb, byteTailArb, byteTailArb),
  })
  .map(({ bom, base, ours, theirs, tails }) => {
    const start = bom ? "\xef\xbb\xbf" : "";
    return {
      base: start + base.join("") + tails[0],
      ours: start + applyEdits(base, ours).join("") + tails[1],
      theirs: start + applyEdits(base, theirs).join("") + tails[2],
    };
  });

/** Byte strings: one char (U+0000-U+00FF) per byte of the file. */
interface Case {
  base: string;
  ours: string;
  theirs: string;
}

const bytes = (text: string) => Buffer.from(text, "latin1");

/** Run `git merge-file -p` on every case in one shell process (fast), returning output and conflict count. */
async function gitMergeFile(cases: Case[], style: "merge" | "diff3"): Promise<Array<{ text: string; status: number }>> {
  const root = tempDir("paved-merge-file-");
  cases.forEach((c, i) => {
    const dir = path.join(root, String(i));
    mkdirSync(dir);
    writeFileSync(path.join(dir, "base"), bytes(c.base));
    writeFileSync(path.join(dir, "ours"), bytes(c.ours));
    writeFileSync(path.join(dir, "theirs"), bytes(c.theirs));
  });
  const script = `for d in $(seq 0 ${cases.length - 1}); do git merge-file ${style === "diff3" ? "--diff3 " : ""}-p -L ours -L base -L theirs "$d/ours" "$d/base" "$d/theirs" > "$d/out"; echo $? > "$d/status"; done`;
  await execa("bash", ["-c", script], { cwd: root, env: { HOME: root, GIT_CONFIG_NOSYSTEM: "1", GIT_CONFIG_GLOBAL: "/dev/null" } });
  return cases.map((_, i) => ({
    text: readFileSync(path.join(root, String(i), "out"), "latin1"),
    status: Number(readFileSync(path.join(root, String(i), "status"), "utf8").trim()),
  }));
}

async function expectAgreement(cases: Case[], style: "merge" | "diff3"): Promise<void> {
  const expected = await gitMergeFile(cases, style);
  let conflicted = 0;
  cases.forEach((c, i) => {
    // mergeBytes is what upgrade calls: the files' bytes in, the merged bytes out.
    const merged = mergeBytes(bytes(c.base), bytes(c.ours), bytes(c.theirs), {
      labels: { ours: "ours", base: "base", theirs: "theirs" },
      style,
    });
    const ours = { text: merged.data.toString("latin1"), conflicts: merged.conflicts };
    const git = expected[i]!;
    if (ours.text !== git.text || ours.conflicts !== git.status) {
      // Print the smallest useful reproduction before failing.
      console.error(JSON.stringify({ style, case: c, git, ours }, null, 2));
    }
    expect(ours.text).toBe(git.text);
    expect(ours.conflicts).toBe(git.status);
    if (git.status > 0) conflicted++;
  });
  // The generators must really produce conflicts, or the comparison proves little.
  expect(conflicted).toBeGreaterThan(cases.length / 10);
}

/** Cases per comparison; PAVED_PROPERTY_SCALE=10 runs ten times as many (each case spawns git once). */
const SCALE = Number(process.env.PAVED_PROPERTY_SCALE ?? 1) || 1;
const AGREEMENT_CASES = { small: 1500 * SCALE, bytes: 1000 * SCALE, large: 300 * SCALE, huge: 20 * SCALE, diff3: 500 * SCALE };

describe("mergeBytes (and mergeText) agree with git merge-file byte for byte", () => {
  it(`on ${AGREEMENT_CASES.small} small generated cases (conflicts, identical changes, CRLF, missing final newlines)`, async () => {
    const cases = fc.sample(caseArb, { numRuns: AGREEMENT_CASES.small, seed: 4242 });
    await expectAgreement(cases, "merge");
  });

  it(`on ${AGREEMENT_CASES.bytes} cases of Latin-1 bytes, invalid UTF-8, BOMs and CRLF (text to git: no NUL)`, async () => {
    const cases = fc.sample(bytesCaseArb, { numRuns: AGREEMENT_CASES.bytes, seed: 1252 });
    expect(cases.filter((c) => /[\x80-\xff]/.test(c.ours + c.theirs)).length).toBeGreaterThan(cases.length / 2);
    await expectAgreement(cases, "merge");
    await expectAgreement(cases.slice(0, AGREEMENT_CASES.bytes / 2), "diff3");
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
    const giantEdits = fc.array(
      fc.record({
        at: fc.nat(),
        remove: fc.nat({ max: 4 }),
        insert: fc.array(
          fc.integer({ min: 0, max: 39999 }).map((n) => `row ${n}\n`),
          { maxLength: 4 },
        ),
      }),
      { minLength: 1500, maxLength: 1500 },
    );
    const cases = fc.sample(fc.record({ ours: giantEdits, theirs: giantEdits }), { numRuns: 2, seed: 11 }).map(({ ours, theirs }) => {
      const base = Array.from({ length: 40000 }, (_, i) => `row ${i}\n`);
      return { base: base.join(""), ours: applyEdits(base, ours).join(""), theirs: applyEdits(base, theirs).join("") };
    });
    const expected = await gitMergeFile(cases, "merge");
    for (const [i, c] of cases.entries()) expect(mergeText(c.base, c.ours, c.theirs).text === expected[i]!.text).toBe(true);
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
      // Latin-1: a clean merge and a conflict; a BOM changed on one side; invalid UTF-8 and CRLF.
      { base: "caf\xe9\nna\xefve\nfin\n", ours: "caf\xe9 cr\xe8me\nna\xefve\nfin\n", theirs: "caf\xe9\nna\xefve\nfin \xe0 la carte\n" },
      { base: "caf\xe9\nna\xefve\nfin\n", ours: "caf\xe9\nna\xeff\nfin\n", theirs: "caf\xe9\nNA\xcfVE\nfin\n" },
      { base: "a\nb\n", ours: "\xef\xbb\xbfa\nb\n", theirs: "a\nB\n" },
      { base: "\xef\xbb\xbfa\nb\n", ours: "\xef\xbb\xbfX\nb\n", theirs: "\xef\xbb\xbfY\nb\n" },
      { base: "\xc3\x28\r\nok\r\n", ours: "\xc3\x28\r\nOK\r\n", theirs: "\xc3\x29\r\nok\r\n" },
      { base: "\xff\xfe\n1\n2\n", ours: "\xff\xfe\n1\n\x80\n", theirs: "\xff\xfe\n1\n\x81\n" },
    ];
    const expected = await gitMergeFile(cases, "merge");
    for (const [i, c] of cases.entries())
      expect(mergeBytes(bytes(c.base), bytes(c.ours), bytes(c.theirs)).data.toString("latin1")).toBe(expected[i]!.text);
  });
});
