import picomatch from "picomatch";
import { failed, NEEDS_TEMPLATE, passed, skipped, type Check } from "../context.js";
import { SERVICE_ANCHOR, type CheckInfo, type Finding } from "../model.js";
import { isRecord, yamlOf } from "../parse.js";
import { lineOfKey } from "../yaml-lines.js";

export const ciWorkflowInfo: CheckInfo = {
  id: "service/ci-workflow",
  category: "ci",
  title: "a CI workflow runs the tests and paved doctor",
  severity: "error",
  help:
    "When the template ships a CI workflow (.github/workflows/*.yml or .gitlab-ci.yml), the service must have one, " +
    "and its jobs must run the tests (npm test, vitest, go test, pytest, ...) and `paved doctor`.",
};

const isGithubWorkflow = picomatch(".github/workflows/*.{yml,yaml}", { dot: true });
export function isCiFile(p: string): boolean {
  return isGithubWorkflow(p) || p === ".gitlab-ci.yml";
}

export const RUNS_TESTS =
  /\b(?:npm|pnpm|yarn|bun)\s+(?:run\s+)?test\b|\bnpm\s+t\b|\bnpx\s+vitest\b|\bvitest\s+run\b|\bjest\b|\bgo\s+test\b|\bpytest\b|\bmake\s+test\b|\bcargo\s+test\b|\b(?:mvn|gradle|\.\/gradlew)\b[^\n]*\btest\b|\bnode\s+--test\b/;
export const RUNS_DOCTOR = /\bpaved(?:@[\w.^~-]+)?\s+doctor\b/;

function strings(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  return [];
}

/** The shell scripts a CI file runs: GitHub steps' `run`, GitLab jobs' (before_/after_)script. */
export function ciScripts(file: string, doc: unknown): string[] {
  if (!isRecord(doc)) return [];
  if (file === ".gitlab-ci.yml") {
    return Object.values(doc).flatMap((job) => (isRecord(job) ? [job.before_script, job.script, job.after_script].flatMap(strings) : []));
  }
  const jobs = isRecord(doc.jobs) ? Object.values(doc.jobs) : [];
  return jobs.flatMap((job) => (isRecord(job) && Array.isArray(job.steps) ? job.steps.flatMap((step) => (isRecord(step) ? strings(step.run) : [])) : []));
}

export const ciWorkflowCheck: Check = {
  info: ciWorkflowInfo,
  run(ctx) {
    if (!ctx.template) return [skipped(ciWorkflowInfo, NEEDS_TEMPLATE)];
    const expected = ctx.template.paths.filter(isCiFile);
    // Tracked workflows, plus the template's ones when they exist but are not committed yet.
    const present = [...new Set([...ctx.files.tracked.filter(isCiFile), ...expected])].filter((p) => ctx.files.exists(p)).sort();
    if (present.length === 0) {
      if (expected.length === 0) return [skipped(ciWorkflowInfo, "the template ships no CI workflow")];
      return [
        failed(ciWorkflowInfo, {
          message: `no CI workflow: the template's ${expected.join(", ")} is missing`,
          file: SERVICE_ANCHOR,
          line: 1,
          key: "missing",
          fix: `restore ${expected[0]} (\`paved doctor --fix\` does when the template manages it)`,
        }),
      ];
    }
    const findings: Finding[] = [];
    const scripts: string[] = [];
    for (const file of present) {
      const parsed = yamlOf(ctx.files, file);
      if (parsed === undefined) continue;
      if (!parsed.ok) {
        findings.push(failed(ciWorkflowInfo, { message: `${file} is not valid YAML: ${parsed.message}`, file, line: parsed.line, key: `${file}:yaml`, fix: "fix the YAML syntax" }));
        continue;
      }
      scripts.push(...ciScripts(file, parsed.value));
    }
    const anchor = present.find((p) => expected.includes(p)) ?? present[0]!;
    const anchorLine = lineOfKey(ctx.files.text(anchor) ?? "", anchor === ".gitlab-ci.yml" ? "stages" : "jobs") ?? 1;
    if (!scripts.some((s) => RUNS_TESTS.test(s))) {
      findings.push(
        failed(ciWorkflowInfo, {
          message: `no CI job runs the tests (${present.join(", ")})`,
          file: anchor,
          line: anchorLine,
          key: "tests",
          fix: "add a step that runs the tests, e.g. `run: npm test`",
        }),
      );
    }
    if (!scripts.some((s) => RUNS_DOCTOR.test(s))) {
      findings.push(
        failed(ciWorkflowInfo, {
          message: `no CI job runs \`paved doctor\` (${present.join(", ")})`,
          file: anchor,
          line: anchorLine,
          key: "doctor",
          fix: "add a step that runs `npx paved doctor --format github` (GitHub) or `npx paved doctor --format gitlab --output gl-code-quality-report.json` (GitLab)",
        }),
      );
    }
    return findings.length ? findings : [passed(ciWorkflowInfo, `CI (${present.join(", ")}) runs the tests and paved doctor`, { file: anchor })];
  },
};
