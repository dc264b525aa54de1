import { readFileSync } from "node:fs";
import path from "node:path";
import { validateWorkflow } from "@action-validator/core";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { ROOT } from "../helpers.js";

const docs = readFileSync(path.join(ROOT, "docs", "fleet.md"), "utf8");
const yamlBlocks = [...docs.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);

describe("docs/fleet.md", () => {
  it("its GitHub Actions workflows validate against the workflow schema and run paved fleet", () => {
    // The report workflows (the upgrade workflow is checked below).
    const workflows = yamlBlocks.filter((b) => /^name: /m.test(b) && /^jobs:/m.test(b) && b.includes("paved fleet merge"));
    expect(workflows).toHaveLength(2);
    for (const workflow of workflows) {
      const state = validateWorkflow(workflow);
      expect(state.errors, JSON.stringify(state.errors, null, 2)).toEqual([]);
      expect(workflow).toContain("paved fleet merge");
    }
    const [sharded] = workflows as [string];
    const parsed = parse(sharded) as { jobs: { shard: { strategy: { matrix: { shard: number[] } } }; merge: { needs: string } } };
    const shards = parsed.jobs.shard.strategy.matrix.shard;
    expect(sharded).toContain(`--shard \${{ matrix.shard }}/${shards.length}`);
    expect(parsed.jobs.merge.needs).toBe("shard");
  });

  it("its GitLab CI jobs parse, shard with parallel and merge the shards' artifacts", () => {
    const gitlab = parse(yamlBlocks.find((b) => b.startsWith("fleet-shard:"))!) as Record<
      string,
      { parallel?: number; script: string[]; needs?: string[]; artifacts: { paths: string[] } }
    >;
    expect(gitlab["fleet-shard"]!.parallel).toBe(4);
    expect(gitlab["fleet-shard"]!.script.join("\n")).toContain("--shard $CI_NODE_INDEX/$CI_NODE_TOTAL");
    expect(gitlab["fleet-report"]!.needs).toEqual(["fleet-shard"]);
    expect(gitlab["fleet-report"]!.script.join("\n")).toContain("paved fleet merge shard-*.json");
  });

  it("its scheduled upgrade workflow and GitLab job validate and run paved fleet upgrade sharded, pushing and opening PRs", () => {
    const workflow = yamlBlocks.find((b) => /^name: fleet-upgrade$/m.test(b))!;
    const state = validateWorkflow(workflow);
    expect(state.errors, JSON.stringify(state.errors, null, 2)).toEqual([]);
    const parsed = parse(workflow) as { on: { schedule: unknown[] }; jobs: { upgrade: { strategy: { matrix: { shard: number[] } } } } };
    expect(parsed.on.schedule).toHaveLength(1);
    const shards = parsed.jobs.upgrade.strategy.matrix.shard;
    expect(workflow).toContain(
      `paved fleet upgrade --repos-file repos.txt --shard \${{ matrix.shard }}/${shards.length} --push --open-pr github`,
    );
    const gitlab = parse(yamlBlocks.find((b) => b.startsWith("fleet-upgrade:"))!) as Record<string, { parallel: number; script: string[] }>;
    expect(gitlab["fleet-upgrade"]!.parallel).toBe(4);
    expect(gitlab["fleet-upgrade"]!.script.join("\n")).toContain(
      "paved fleet upgrade --repos-file repos.txt --shard $CI_NODE_INDEX/$CI_NODE_TOTAL --push --open-pr gitlab",
    );
  });
});
