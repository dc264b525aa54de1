import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { findSecrets } from "../../src/doctor/checks/secrets.js";

/**
 * Every detector runs in linear time (SECURITY.md): a committed file is anyone's input, and one backtracking
 * pattern made 320 KB of `token` take 40 s. Time is compared as ratios measured in this test, never as
 * absolute numbers: the scan's time per byte on a large adversarial input against the same input at 1/16 the
 * size (linear stays near 1, quadratic is near 16), and against ordinary code.
 */
const SMALL = 16 * 1024;
const LARGE = 16 * SMALL;

const fill = (unit: string, size: number) => unit.repeat(Math.ceil(size / unit.length)).slice(0, size);

/** Best of `runs` of scanning `text` `times` times, per byte scanned: small inputs are scanned repeatedly so both
 * sides of a ratio do the same amount of work (a sub-millisecond timing is mostly noise). */
function nsPerByte(text: string, times = 1, runs = 3): number {
  let best = Infinity;
  for (let r = 0; r < runs; r++) {
    const started = performance.now();
    for (let t = 0; t < times; t++) findSecrets(text);
    best = Math.min(best, performance.now() - started);
  }
  return (best * 1e6) / (text.length * times);
}

/**
 * Time per byte at LARGE over time per byte at SMALL: about 1 when linear, about LARGE / SMALL when quadratic.
 * Both are measured in alternation, five rounds, best of each, so a burst of load on a shared machine hits both.
 */
function growth(u: string): number {
  const small = fill(u, SMALL);
  const large = fill(u, LARGE);
  findSecrets(small);
  let bestLarge = Infinity;
  let bestSmall = Infinity;
  for (let round = 0; round < 5; round++) {
    bestLarge = Math.min(bestLarge, nsPerByte(large, 1, 1));
    bestSmall = Math.min(bestSmall, nsPerByte(small, LARGE / SMALL, 1));
  }
  return bestLarge / bestSmall;
}

const ORDINARY =
  "export function load(path, options = {}) {\n  const config = JSON.parse(read(path)); // keys, tokens\n  return { ...config, retries: options.retries ?? 3, tokenUrl: config.tokenUrl };\n}\n";

/** What the detectors key on: names, separators, quotes, key-block and JWT pieces, in any order. */
const piece = fc.oneof(
  fc.constantFrom(
    "token",
    "password",
    "secret",
    "api_key",
    "apikey",
    "Access-Key",
    "pwd",
    "_",
    ".",
    "-",
    "=",
    ":",
    ":=",
    "=>",
    " ",
    "\t",
    "\n",
    '"',
    "'",
    ",",
    ";",
  ),
  fc.constantFrom(
    "-----BEGIN ",
    "PRIVATE KEY",
    "-----",
    "\\n",
    "a: ",
    '"type":"service_account"',
    '"private_key":"',
    "eyJ",
    "eyJhbGciOiJIUzI1",
    ".",
    "ghp_",
    "xoxb-",
    "AKIA",
    "glpat-",
  ),
  fc.stringMatching(/^[A-Za-z0-9+/=]{1,12}$/),
);
const unit = fc.array(piece, { minLength: 1, maxLength: 12 }).map((parts) => parts.join(""));

describe("the secrets scan is linear", () => {
  it("time per byte on adversarial input does not grow with its size, nor stray far from ordinary code", () => {
    findSecrets(fill(ORDINARY, LARGE)); // warm up the JIT before measuring anything
    const ordinary = nsPerByte(fill(ORDINARY, LARGE));
    fc.assert(
      fc.property(unit, (u) => {
        // Generous bounds: noise on a shared machine must not fail it; quadratic growth (x16 here) always does.
        expect(growth(u), `growth for ${JSON.stringify(u)}`).toBeLessThan(6);
        expect(nsPerByte(fill(u, LARGE)) / ordinary, `vs ordinary code for ${JSON.stringify(u)}`).toBeLessThan(60);
      }),
      { numRuns: 25, seed: Number(process.env.PAVED_FUZZ_SEED ?? 11) },
    );
  });

  it.each([
    ["repeated keyword", "token"],
    ["keyword and separator", "token="],
    ["unclosed quote", 'password: "abc'],
    ["header lines in a key block", "-----BEGIN PRIVATE KEY-----\\na: a: "],
  ])("stays linear on %s", (_name, u) => {
    expect(growth(u)).toBeLessThan(6);
  });
});
