import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { git, runCli, tempDir } from "../helpers.js";
import { makeSource } from "../template-fixtures.js";

/** A small deterministic generator, so a failure names a reproducible case. */
function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

const SIGNALS = ["SIGINT", "SIGTERM", "SIGKILL"] as const;
const CASES = 18;

describe("killing paved new at random points", () => {
  // A template with a hook that takes a while, so kills land in render, write, hook and git phases.
  const source = makeSource({
    slow: {
      "1.0.0": {
        manifest: {
          questions: [{ name: "name", type: "input", message: "Name", default: "{{paved.dirName}}" }],
          hooks: { postCreate: [{ run: "sleep 0.4", shell: true }] },
        },
        files: Object.fromEntries(Array.from({ length: 80 }, (_, i) => [`src/file-${i}.ts`, `export const n${i} = "{{name}}";\n`])),
      },
    },
  });

  it(`leaves either the complete service, nothing, or (after SIGKILL) only the staging dir the next run removes — ${CASES} cases`, async () => {
    const random = lcg(Number(process.env.PAVED_KILL_SEED ?? 20261121));
    for (let i = 0; i < CASES; i++) {
      const signal = SIGNALS[i % SIGNALS.length]!;
      const delay = Math.floor(random() * 1400);
      const parent = tempDir("paved-kill-");
      const target = path.join(parent, "svc");
      const child = runCli(["new", "slow", target, "--source", source, "--trust"]);
      await new Promise((r) => setTimeout(r, delay));
      child.kill(signal);
      const result = await child;
      const label = `case ${i}: ${signal} after ${delay} ms (exit ${result.exitCode})`;
      const left = readdirSync(parent);
      const complete = left.includes("svc") && existsSync(path.join(target, ".paved.yml")) && existsSync(path.join(target, ".git"));
      if (left.includes("svc")) {
        expect(complete, label).toBe(true);
        expect((await git(target, ["status", "--porcelain"])).stdout, label).toBe("");
      }
      const others = left.filter((e) => e !== "svc");
      if (signal === "SIGKILL") {
        // The staging dir, the .new- name it is built under (killed while making it), or the .stale- name it is
        // moved to first (killed while removing it): the next run clears all three.
        expect(
          others.every(
            (e) => e === ".paved-staging-svc" || e.startsWith(".paved-staging-svc.stale-") || e.startsWith(".paved-staging-svc.new-"),
          ),
          `${label}: ${others.join(", ")}`,
        ).toBe(true);
        if (!complete) {
          const again = await runCli(["new", "slow", target, "--source", source, "--trust"]);
          expect(again.exitCode, `${label}: rerun ${again.stderr}`).toBe(0);
        } else {
          await runCli(["new", "slow", target, "--source", source, "--trust"]);
        }
        expect(readdirSync(parent), label).toEqual(["svc"]);
      } else {
        expect(others, label).toEqual([]);
        // Before paved installs its handlers (Node still starting) the default action kills it: nothing was written yet.
        if (!complete) expect(result.exitCode === 130 || result.exitCode === 143 || result.signal === signal, label).toBe(true);
      }
    }
  }, 240_000);
});
