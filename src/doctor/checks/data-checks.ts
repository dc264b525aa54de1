import { realpathSync } from "node:fs";
import path from "node:path";
import { isDeepStrictEqual } from "node:util";
import { pavedScope } from "../../answers/answers.js";
import { ExpressionError, evaluateCondition } from "../../answers/expression.js";
import { matchGroup } from "../../match-group.js";
import { compileTemplate } from "../../render/handlebars.js";
import type { DataCheck } from "../../templates/manifest.js";
import { failed, hasTemplate, passed, skipped, type Check, type DoctorContext, type TemplatedContext } from "../context.js";
import { SERVICE_ANCHOR, type CheckInfo, type Finding } from "../model.js";
import { lineAt } from "../repo-files.js";
import { isRecord, jsonOf, yamlDocumentsOf, type Parsed } from "../parse.js";
import { lineOfKey } from "../yaml-lines.js";
import { requiredFiles } from "./files.js";
import { cliRenderMeta } from "../../config.js";

/** `spec.template.spec.containers[0].image`, `metadata["app.kubernetes.io/name"]` -> segments. */
export function parsePath(path: string): Array<string | number> {
  const out: Array<string | number> = [];
  const re = /\[(\d+)\]|\[["']([^"']+)["']\]|([^.[\]]+)/g;
  for (let m = re.exec(path); m; m = re.exec(path)) {
    const [, index, quoted] = m;
    // One alternative matched: an index, a quoted key, or a bare key.
    out.push(index !== undefined ? Number(index) : (quoted ?? matchGroup(m, 3)));
  }
  return out;
}

export function valueAt(doc: unknown, path: string): unknown {
  let current: unknown = doc;
  for (const segment of parsePath(path)) {
    if (typeof segment === "number") current = Array.isArray(current) ? current[segment] : undefined;
    else current = isRecord(current) ? current[segment] : undefined;
    if (current === undefined) return undefined;
  }
  return current;
}

function show(value: unknown): string {
  return value === undefined ? "nothing" : JSON.stringify(value);
}

export function infoOf(check: DataCheck): CheckInfo {
  return { id: check.id, category: check.category, title: check.message, severity: check.severity, help: check.fix ?? check.message };
}

/** Answers may be used in a check's file, pattern and expected value: `file: "src/{{name}}.ts"`. */
function interpolate(value: string, ctx: TemplatedContext): string {
  if (!value.includes("{{")) return value;
  const meta = {
    template: ctx.service.template,
    version: ctx.service.version,
    dirName: "",
    path: ctx.template.servicePath ?? "",
    ...cliRenderMeta(),
  };
  return compileTemplate(value)({ ...ctx.template.answers, paved: pavedScope(meta) });
}

function documentsOf(
  check: Extract<DataCheck, { type: "yaml-path" | "json-path" }>,
  file: string,
  ctx: DoctorContext,
): Parsed<Array<{ value: unknown; line: number }>> | undefined {
  if (check.type === "yaml-path") return yamlDocumentsOf(ctx.files, file);
  const parsed = jsonOf(ctx.files, file);
  if (!parsed) return undefined;
  return parsed.ok ? { ok: true, value: [{ value: parsed.value, line: 1 }] } : parsed;
}

function evaluatePathCheck(
  check: Extract<DataCheck, { type: "yaml-path" | "json-path" }>,
  file: string,
  text: string,
  ctx: TemplatedContext,
): { ok: boolean; detail: string; line: number } {
  const docs = documentsOf(check, file, ctx);
  if (docs === undefined) throw new Error(`bug: ${file} was read but cannot be parsed from the repository`);
  if (!docs.ok) return { ok: false, detail: `it does not parse: ${docs.message}`, line: docs.line };
  const path = interpolate(check.path, ctx);
  const expected = typeof check.equals === "string" ? interpolate(check.equals, ctx) : check.equals;
  const pattern = check.matches !== undefined ? new RegExp(interpolate(check.matches, ctx), "u") : undefined;
  const values = docs.value.map((d) => valueAt(d.value, path));
  const satisfied = values.some((value) => {
    if (value === undefined) return false;
    if (check.equals !== undefined) return isDeepStrictEqual(value, expected);
    if (pattern) return pattern.test(typeof value === "string" ? value : JSON.stringify(value));
    return true;
  });
  const found = values.find((v) => v !== undefined);
  const lastKey = parsePath(path)
    .filter((s): s is string => typeof s === "string")
    .pop();
  const line = (lastKey && lineOfKey(text, lastKey, true)) || 1;
  const want = check.equals !== undefined ? `to equal ${show(expected)}` : pattern ? `to match /${pattern.source}/` : "to be set";
  return { ok: satisfied, detail: `${path} is ${show(found)}, expected ${want}`, line };
}

function runDataCheck(check: DataCheck, ctx: TemplatedContext): Finding {
  const info = infoOf(check);
  try {
    if (!evaluateCondition(check.when, ctx.template.answers)) return skipped(info, `not applicable (when: ${String(check.when)})`);
  } catch (error) {
    const detail = error instanceof ExpressionError ? error.message : String(error);
    return failed(info, {
      message: `the template's check has an invalid \`when\`: ${detail}`,
      file: SERVICE_ANCHOR,
      line: 1,
      key: "invalid-when",
      fix: "report this to the template's owners",
    });
  }
  const file = interpolate(check.file, ctx);
  const refusal = refusedRead(check, file, ctx);
  if (refusal)
    return failed(info, { message: `refused: ${refusal.message}`, file: SERVICE_ANCHOR, line: 1, key: refusal.key, fix: refusal.fix });
  const fix = check.fix ?? `see the template's checks for ${check.id}`;
  // `message` is the rule (said on a pass); a failure states the problem.
  const problem = check.failMessage ?? `not met: ${check.message}`;
  const missing = (): Finding =>
    requiredPaths(ctx).has(file)
      ? skipped(info, `skipped: ${file} is missing (paved/required-files reports it)`)
      : failed(info, { message: `${problem} (${file} is missing)`, file: SERVICE_ANCHOR, line: 1, key: `${file}:missing`, fix });
  switch (check.type) {
    case "file-exists":
      return ctx.files.exists(file) ? passed(info, check.message, { file }) : missing();
    case "file-contains":
    case "file-not-contains": {
      const text = ctx.files.text(file);
      if (text === undefined) return check.type === "file-contains" || ctx.files.exists(file) ? missing() : passed(info, check.message);
      const match = new RegExp(interpolate(check.pattern, ctx), "mu").exec(text);
      if (check.type === "file-contains") {
        return match
          ? passed(info, check.message, { file })
          : failed(info, { message: `${problem} (${file} does not match /${check.pattern}/)`, file, line: 1, key: `${file}:absent`, fix });
      }
      if (!match) return passed(info, check.message, { file });
      const line = lineAt(text, match.index);
      return failed(info, { message: `${problem} (${file}:${line} matches /${check.pattern}/)`, file, line, key: `${file}:present`, fix });
    }
    case "yaml-path":
    case "json-path": {
      const text = ctx.files.text(file);
      if (text === undefined) return missing();
      const result = evaluatePathCheck(check, file, text, ctx);
      return result.ok
        ? passed(info, check.message, { file })
        : failed(info, { message: `${problem} (${result.detail})`, file, line: result.line, key: `${file}:${check.path}`, fix });
    }
  }
}

/**
 * Why a check may not look at its file: the path leaves the service, or the check reads file contents and comes
 * from a template inside the service itself (the repository would choose the checks that read, and print,
 * its own files, e.g. a `path: "."` over a file a symlink or `..` reaches).
 */
function refusedRead(check: DataCheck, file: string, ctx: TemplatedContext): { message: string; key: string; fix: string } | undefined {
  const outside = ctx.files.outside(file);
  if (outside !== undefined) {
    return {
      message: `the check reads ${JSON.stringify(file)}, which ${outside}`,
      key: "outside-service",
      fix: "a template's check may only name files inside the service; report this to the template's owners",
    };
  }
  // The built-in templates ship inside paved itself: paved pinned in the service's node_modules runs its own
  // templates from there, and whoever chose that paved already chose every check it runs.
  if (check.type !== "file-exists" && !ctx.template.source.trusted && templateInsideService(ctx)) {
    return {
      message: `the check reads ${file}, but the template (${ctx.template.source.id}) lives inside the service itself`,
      key: "source-inside-service",
      fix: "a repository cannot choose the checks that read its files: record a template source outside it (`paved upgrade --source <dir|git-url>`) or pass --source",
    };
  }
  return undefined;
}

const insideService = new WeakMap<DoctorContext, boolean>();

function templateInsideService(ctx: TemplatedContext): boolean {
  let inside = insideService.get(ctx);
  if (inside === undefined) {
    inside = isInside(realOrSelf(ctx.dir), realOrSelf(ctx.template.version.dir ?? ctx.template.version.source.id));
    insideService.set(ctx, inside);
  }
  return inside;
}

function realOrSelf(p: string): string {
  try {
    return realpathSync.native(p);
  } catch {
    return path.resolve(p);
  }
}

function isInside(root: string, p: string): boolean {
  const rel = path.relative(root, p);
  return rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel));
}

const required = new WeakMap<DoctorContext, Set<string>>();

/** Files paved/required-files already reports when missing: a check about one of them need not say it again. */
function requiredPaths(ctx: TemplatedContext): Set<string> {
  let paths = required.get(ctx);
  if (!paths) {
    paths = new Set(requiredFiles(ctx).files.map((f) => f.path));
    required.set(ctx, paths);
  }
  return paths;
}

/** The template version's own `checks:`, one Check each. */
export function dataChecksOf(checks: readonly DataCheck[]): Check[] {
  return checks.map((check) => ({
    info: infoOf(check),
    run(ctx: DoctorContext) {
      // Data checks come from the loaded template version (see run.ts): there is no run without it.
      if (!hasTemplate(ctx)) throw new Error(`bug: the template's check ${check.id} ran without the template`);
      try {
        return [runDataCheck(check, ctx)];
      } catch (error) {
        const message = error instanceof Error ? error.message.split("\n")[0] : String(error);
        return [
          failed(infoOf(check), {
            message: `the template's check cannot run: ${message}`,
            file: SERVICE_ANCHOR,
            line: 1,
            key: "broken",
            fix: "report this to the template's owners",
          }),
        ];
      }
    },
  }));
}
