import { writeFileSync } from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatReport } from "../../src/doctor/format/index.js";
import { formatCsv } from "../../src/fleet/format/csv.js";
import { formatHtml } from "../../src/fleet/format/html.js";
import { formatHuman } from "../../src/fleet/format/human.js";
import { formatMarkdown } from "../../src/fleet/format/markdown.js";
import { mergeReports, readMergeInput } from "../../src/fleet/merge.js";
import type { FleetOptions } from "../../src/fleet/model.js";
import { sampleReport } from "../doctor/sample-report.js";
import { tempDir } from "../helpers.js";
import { acceptedOrRefused } from "./outcomes.js";

// `paved fleet merge` reads files other jobs wrote: shards of `paved fleet report --format json` and each
// repository's `paved doctor --format json`. Whatever they hold, a merge is made and printed in every format,
// or refused with exit 2 naming the file; never a crash. The inputs are real reports with random parts
// replaced, removed or nulled, so the parse gets past the first field and the roll-ups and formats see odd
// values that the schema lets through.

const RUNS = 400;
const FALLBACK: FleetOptions = {
  asOf: "2026-12-01",
  deployTag: "v*",
  deployBranch: null,
  stickinessDays: 30,
  waiverWarningDays: 14,
  shard: null,
};

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

interface Mutation {
  /** Indexes that pick a child at each level (modulo the number of children), down to the node to change. */
  path: number[];
  /** `same-kind`: a value of the kind already there (a string for a string), which the schema more often lets through. */
  op: "replace" | "same-kind" | "delete" | "null";
  value: Json;
  pick: number;
}

const ODD_STRINGS = ["", "1.0.0", "0.0.0-rc.1", "2026-02-30", "2026-12-01", "../../etc", "<script>", "a\nb", "*", "é"];
const ODD_NUMBERS = [-1, 0, 1, 0.5, 1.5, 1e308, 2 ** 53, 365];

const mutation: fc.Arbitrary<Mutation> = fc.record({
  path: fc.array(fc.nat(), { minLength: 1, maxLength: 6 }),
  op: fc.constantFrom("replace" as const, "same-kind" as const, "same-kind" as const, "delete" as const, "null" as const),
  value: fc.oneof(fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>, fc.constantFrom<Json>(...ODD_STRINGS, ...ODD_NUMBERS, [], {})),
  pick: fc.nat(),
});

/** A value of the same kind as `old`: another string, number or boolean, or an array one element shorter. */
function sameKind(old: Json, pick: number): Json {
  if (typeof old === "string") return ODD_STRINGS[pick % ODD_STRINGS.length] ?? "";
  if (typeof old === "number") return ODD_NUMBERS[pick % ODD_NUMBERS.length] ?? 0;
  if (typeof old === "boolean") return !old;
  if (Array.isArray(old)) return old.slice(1);
  return old;
}

/**
 * The value with one node changed: `mutation.path` walks down objects and arrays, the last step is changed.
 * `under`: the walk starts at that key of the root (a fleet report's `services`, where most of its data is).
 */
function mutate(value: Json, m: Mutation, under?: string): Json {
  const root = structuredClone(value);
  let node: Json = under !== undefined && root !== null && typeof root === "object" && !Array.isArray(root) ? (root[under] ?? root) : root;
  for (const [depth, pick] of m.path.entries()) {
    if (node === null || typeof node !== "object") return root;
    const keys: Array<string | number> = Array.isArray(node) ? node.map((_, i) => i) : Object.keys(node);
    if (keys.length === 0) return root;
    const key = keys[pick % keys.length] as string | number;
    const container = node as Record<string | number, Json>;
    if (depth === m.path.length - 1 || container[key] === null || typeof container[key] !== "object") {
      if (m.op === "delete") {
        if (Array.isArray(container)) container.splice(key as number, 1);
        else delete container[key];
      } else container[key] = m.op === "null" ? null : m.op === "same-kind" ? sameKind(container[key] as Json, m.pick) : m.value;
      return root;
    }
    node = container[key] as Json;
  }
  return root;
}

/**
 * Accepted (a merged report every format can print) or refused with a UserError; anything else is a crash.
 * Returns whether it was accepted.
 */
function mergeOrRefuse(dir: string, files: string[]): boolean {
  return acceptedOrRefused(() => {
    const inputs = files.map((f) => readMergeInput(f, dir));
    const report = mergeReports(inputs, FALLBACK, "0.1.0", dir, () => {});
    for (const format of [formatHuman, formatMarkdown, formatCsv, formatHtml, (r: unknown) => JSON.stringify(r)]) {
      expect(typeof format(report)).toBe("string");
    }
  });
}

describe("fuzzing `paved fleet merge`: any report is merged and printed, or refused with exit 2", () => {
  const dir = tempDir("paved-fuzz-merge-");
  const doctorSeed = JSON.parse(formatReport(sampleReport({ dir: path.join(dir, "svc-a") }), "json")) as Json;
  writeFileSync(path.join(dir, "doctor-seed.json"), JSON.stringify(doctorSeed));
  // The fleet seed: three services, one current, one behind, one whose source has no latest version known.
  const more = [
    sampleReport({ dir: path.join(dir, "svc-b"), version: "1.1.0", latest: "1.1.0" }),
    sampleReport({ dir: path.join(dir, "svc-c"), template: "worker", latest: undefined }),
  ].map((report, i) => {
    writeFileSync(path.join(dir, `more-${i}.json`), formatReport(report, "json"));
    return readMergeInput(`more-${i}.json`, dir);
  });
  const merged = mergeReports([readMergeInput("doctor-seed.json", dir), ...more], FALLBACK, "0.1.0", dir, () => {});
  // And the rows a fleet report has for a repository without .paved.yml and for one it could not read.
  const blank = { name: null, owner: null, template: null, source: null, version: null, releases: {}, lag: null, doctor: null };
  const others = [
    { ...blank, id: "plain", status: "not-paved" as const, reason: null, waivers: [], drift: null, history: null },
    { ...blank, id: "broken", status: "unreadable" as const, reason: ".paved.yml: not YAML", waivers: [], drift: null, history: null },
  ];
  const fleetSeed = JSON.parse(JSON.stringify({ ...merged, services: [...merged.services, ...others] })) as Json;

  it("the seeds themselves merge and print", () => {
    writeFileSync(path.join(dir, "fleet-seed.json"), JSON.stringify(fleetSeed));
    expect(mergeOrRefuse(dir, ["fleet-seed.json"])).toBe(true);
    expect(mergeOrRefuse(dir, ["doctor-seed.json"])).toBe(true);
    expect((fleetSeed as { services: unknown[] }).services).toHaveLength(5);
  });

  it(`doctor reports with random changes, alone and beside an intact one (${RUNS} cases)`, () => {
    let n = 0;
    let accepted = 0;
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (mutations) => {
        const file = `doctor-${n++}.json`;
        writeFileSync(path.join(dir, file), JSON.stringify(mutations.reduce<Json>((doc, m) => mutate(doc, m), doctorSeed)));
        if (mergeOrRefuse(dir, [file])) accepted++;
        mergeOrRefuse(dir, [file, "doctor-seed.json"]);
      }),
      { numRuns: RUNS },
    );
    // The cases mean something only if a good share got past the parse into the roll-ups and formats.
    console.log(`doctor: ${accepted} of ${n} accepted`);
    expect(accepted).toBeGreaterThan(n / 10);
  });

  it(`fleet reports with random changes, alone and beside an intact one (${RUNS} cases)`, () => {
    let n = 0;
    let accepted = 0;
    fc.assert(
      fc.property(fc.array(fc.tuple(mutation, fc.boolean()), { minLength: 1, maxLength: 3 }), (mutations) => {
        const file = `fleet-${n++}.json`;
        const changed = mutations.reduce<Json>((doc, [m, inRows]) => mutate(doc, m, inRows ? "services" : undefined), fleetSeed);
        writeFileSync(path.join(dir, file), JSON.stringify(changed));
        if (mergeOrRefuse(dir, [file])) accepted++;
        mergeOrRefuse(dir, [file, "fleet-seed.json"]);
      }),
      { numRuns: RUNS },
    );
    // The cases mean something only if a good share got past the parse into the roll-ups and formats.
    console.log(`fleet: ${accepted} of ${n} accepted`);
    expect(accepted).toBeGreaterThan(n / 10);
  });
});
