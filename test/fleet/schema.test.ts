import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { describe, expect, it } from "vitest";
import { fleetReportSchema } from "../../src/fleet/model.js";
import { ROOT } from "../helpers.js";

const FILE = path.join(ROOT, "schema", "fleet-report.schema.json");

/** The published schema, generated from the zod schema merge parses reports with: one definition, two forms. */
function generated(): string {
  const schema = z.toJSONSchema(fleetReportSchema, { target: "draft-2020-12" }) as Record<string, unknown>;
  return (
    JSON.stringify(
      { $id: "https://github.com/paved-dev/paved/blob/main/schema/fleet-report.schema.json", title: "paved fleet report", ...schema },
      null,
      2,
    ) + "\n"
  );
}

describe("schema/fleet-report.schema.json", () => {
  it("is the JSON Schema of the report model (regenerate: PAVED_UPDATE_SCHEMA=1 npx vitest run test/fleet/schema.test.ts)", () => {
    if (process.env.PAVED_UPDATE_SCHEMA === "1") writeFileSync(FILE, generated());
    expect(readFileSync(FILE, "utf8")).toBe(generated());
  });
});
