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

function nsPerByte(text: string, runs = 3): number {
  let best = Infinity;
  for (let r = 0; r < runs; r++) {
    const started = performance.now();
    findSecrets(text);
    best = Math.min(best, performance.now() - started);
  }
  return (best * 1e6) / text.length;
}

const ORDINARY = 'export function load(path, options = {}) {\n  const config = JSON.parse(read(path)); // keys, tokens\n  return { ...config, retries: options.retries ?? 3, tokenUrl: config.tokenUrl };\n}\n';

/** What the detectors key on: names, separators, quotes, key-block and JWT pieces, in any order. */
const piece = fc.oneof(
  fc.constantFrom("token", "password", "secret", "api_key", "apikey", "Access-Key", "pwd", "_", ".", "-", "=", ":", ":=", "=>", " ", "\t", "\n", '"', "'", ",", ";"),
  fc.constantFrom("-----BEGIN ", "PRIVATE KEY", "-----", "\\n", "a: ", '"type":"service_account"', '"private_key":"', "eyJ", "eyJhbGciOiJIUzI1", ".", "ghp_", "xoxb-", "AKIA", "glpat-"),
  fc.stringMatching(/^[A-Za-z0-9+/=]{1,12}$/),
);
const unit = fc.array(piece, { minLength: 1, maxLength: 12 }).map((parts) => parts.join(""));

describe("the secrets scan is linear", () => {
  it("time per byte on adversarial input does not grow with its size, nor stray far from ordinary code", () => {
    findSecrets(fill(ORDINARY, LARGE)); // warm up the JIT before measuring anything
    const ordinary = nsPerByte(fill(ORDINARY, LARGE));
    fc.assert(
      fc.property(unit, (u) => {
        const small = nsPerByte(fill(u, SMALL), 5);
        const large = nsPerByte(fill(u, LARGE));
        // Generous bounds: noise on a shared machine must not fail it; quadratic growth (x16 here) always does.
        expect(large / small, `growth for ${JSON.stringify(u)}`).toBeLessThan(6);
        expect(large / ordinary, `vs ordinary code for ${JSON.stringify(u)}`).toBeLessThan(60);
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
    findSecrets(fill(u, SMALL));
    expect(nsPerByte(fill(u, LARGE)) / nsPerByte(fill(u, SMALL), 5)).toBeLessThan(6);
  });
});
