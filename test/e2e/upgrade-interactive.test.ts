import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { runInTerminal } from "../helpers.js";
import { BASE_QUESTIONS, makeSource, newService } from "../upgrade/fixtures.js";

describe("paved upgrade on a terminal", () => {
  it("asks only the questions that are new in the target version", async () => {
    const source = makeSource({
      "1.0.0": { files: { "owner.txt": "{{owner}}\n" } },
      "1.1.0": {
        manifest: { questions: [...BASE_QUESTIONS, { name: "region", type: "input", message: "Region to deploy to", required: true }] },
        files: { "owner.txt": "{{owner}}\n", "region.txt": "{{region}}\n" },
      },
    });
    const dir = await newService(source, "1.0.0", ["--set", "owner=team-tty"]);
    const result = await runInTerminal(["upgrade", dir], [["Region to deploy to", "eu-west\r"]]);
    expect(result.exitCode, String(result.stdout)).toBe(0);
    expect(String(result.stdout)).not.toContain("Owner");
    expect(readFileSync(path.join(dir, "region.txt"), "utf8")).toBe("eu-west\n");
    expect(parse(readFileSync(path.join(dir, ".paved.yml"), "utf8")).answers).toMatchObject({ owner: "team-tty", region: "eu-west" });
  });
});
