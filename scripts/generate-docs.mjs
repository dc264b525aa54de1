// Writes schema/template.schema.json, schema/pavedrc.schema.json (from src/config.ts) and the manifest reference in docs/authoring.md from the zod
// schema in src/templates/manifest.ts (via the build in dist/). Run with `npm run docs`.
import { readFileSync, writeFileSync } from "node:fs";

const root = new URL("../", import.meta.url);
const { templateJsonSchema, withManifestReference } = await import(new URL("dist/authoring/schema.js", root).href);

const schemaFile = new URL("schema/template.schema.json", root);
writeFileSync(schemaFile, JSON.stringify(templateJsonSchema(), null, 2) + "\n");

const { configJsonSchema } = await import(new URL("dist/commands/config.js", root).href);
writeFileSync(new URL("schema/pavedrc.schema.json", root), JSON.stringify(configJsonSchema(), null, 2) + "\n");

const docFile = new URL("docs/authoring.md", root);
writeFileSync(docFile, withManifestReference(readFileSync(docFile, "utf8")));
console.log("wrote schema/template.schema.json, schema/pavedrc.schema.json and docs/authoring.md");
