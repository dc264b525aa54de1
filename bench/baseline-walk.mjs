// The baseline of the issue: a plain Node script that walks a template's files/ tree and renders every
// file with Handlebars (the same answers, the same helpers for the benchmark template), copying the
// files the manifest marks `copy`. No validation, no staging, no safety checks: the floor to beat.
// Usage: node bench/baseline-walk.mjs <files-dir> <out-dir> <answers-json> <template> <version>
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import Handlebars from "handlebars";

const [filesDir, outDir, answersJson, template, version] = process.argv.slice(2);
const answers = JSON.parse(answersJson);
const context = { ...answers, paved: { template, version, dirName: path.basename(outDir) } };
const COPY = /(^|\/)(\.github|charts)\//;
const CONDITIONAL = /(^|\/)db\//;

const words = (s) =>
  String(s)
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean);
const hb = Handlebars.create();
hb.registerHelper({
  json: (v) => JSON.stringify(v ?? null),
  yaml: (v) => JSON.stringify(v ?? null),
  kebab: (v) =>
    words(v)
      .map((w) => w.toLowerCase())
      .join("-"),
  snake: (v) =>
    words(v)
      .map((w) => w.toLowerCase())
      .join("_"),
  pascal: (v) =>
    words(v)
      .map((w) => w[0].toUpperCase() + w.slice(1).toLowerCase())
      .join(""),
  eq: (a, b) => a === b,
  pick: (index, ...rest) => {
    const values = rest.slice(0, -1);
    return values[Math.min(Math.max(Number(index) - 1, 0), values.length - 1)];
  },
});
const render = (text) => hb.compile(text, { noEscape: true })(context);

function walk(dir, prefix) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      walk(full, relative);
      continue;
    }
    if (CONDITIONAL.test(relative) && answers.database !== "postgres") continue;
    const target = path.join(outDir, relative.includes("{{") ? render(relative) : relative);
    const data = readFileSync(full);
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, COPY.test(relative) ? data : render(data.toString("utf8")), { mode: statSync(full).mode & 0o777 });
  }
}

walk(filesDir, "");
