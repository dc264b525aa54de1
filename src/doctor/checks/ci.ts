import path from "node:path";
import picomatch from "picomatch";
import { UserError } from "../../errors.js";
import { workTreeTopSync } from "../../git/existing-repo.js";
import { GITLAB_INCLUDE_LINES, gitlabIncludeProblem, isGitlabServicePipeline } from "../../monorepo/gitlab-include.js";
import { placeRenderedFiles, repoRelativePath } from "../../monorepo/placement.js";
import { renderTemplate } from "../../render/render.js";
import { failed, NEEDS_TEMPLATE, passed, skipped, type Check, type DoctorContext, type TemplateContext } from "../context.js";
import { SERVICE_ANCHOR, type CheckInfo, type Finding } from "../model.js";
import { isRecord, yamlOf } from "../parse.js";
import { RepoFiles } from "../repo-files.js";
import { lineOfKey } from "../yaml-lines.js";
import { cliRenderMeta } from "../../config.js";

export const ciWorkflowInfo: CheckInfo = {
  id: "service/ci-workflow",
  category: "ci",
  title: "a CI workflow runs the tests and paved doctor",
  severity: "error",
  help:
    "When the template ships a CI workflow (.github/workflows/*.yml or .gitlab-ci.yml), the service must have one, " +
    "and its jobs must run the tests (npm test, vitest, go test, pytest, ...) and `paved doctor`. For a service in a " +
    "subdirectory of a repository it checks the workflow that runs: the one at the repository root the template places " +
    "there (.github/workflows/<name>-ci.yml; .gitlab/ci/<name>.yml, included by the root .gitlab-ci.yml), never one " +
    "under the service's folder, which GitHub and GitLab ignore.",
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
  if (file === ".gitlab-ci.yml" || isGitlabServicePipeline(file)) {
    return Object.values(doc).flatMap((job) => (isRecord(job) ? [job.before_script, job.script, job.after_script].flatMap(strings) : []));
  }
  const jobs = isRecord(doc.jobs) ? Object.values(doc.jobs) : [];
  return jobs.flatMap((job) =>
    isRecord(job) && Array.isArray(job.steps) ? job.steps.flatMap((step) => (isRecord(step) ? strings(step.run) : [])) : [],
  );
}

export const ciWorkflowCheck: Check = {
  info: ciWorkflowInfo,
  run(ctx) {
    if (!ctx.template) return [skipped(ciWorkflowInfo, NEEDS_TEMPLATE)];
    const top = workTreeTopSync(ctx.dir);
    const at = top === undefined ? "" : repoRelativePath(top, ctx.dir);
    if (top !== undefined && at !== "") return subdirectoryFindings(ctx, ctx.template, top, at);
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
    return runsTestsAndDoctor(ctx.files, present, expected);
  },
};

/** Whether the CI files `present` (in `files`) run the tests and `paved doctor`; `expected` picks the file findings point at. */
function runsTestsAndDoctor(
  files: RepoFiles,
  present: readonly string[],
  expected: readonly string[],
  shownAs = (p: string) => p,
  anchored?: string,
): Finding[] {
  const findings: Finding[] = [];
  const scripts: string[] = [];
  for (const file of present) {
    const parsed = yamlOf(files, file);
    if (parsed === undefined) continue;
    if (!parsed.ok) {
      findings.push(
        failed(ciWorkflowInfo, {
          message: `${shownAs(file)} is not valid YAML: ${parsed.message}`,
          file: anchored ?? file,
          line: anchored ? 1 : parsed.line,
          key: `${file}:yaml`,
          fix: "fix the YAML syntax",
        }),
      );
      continue;
    }
    scripts.push(...ciScripts(file, parsed.value));
  }
  const found = present.find((p) => expected.includes(p)) ?? present[0] ?? SERVICE_ANCHOR;
  const anchor = anchored ?? found;
  const anchorLine = anchored ? 1 : (lineOfKey(files.text(anchor) ?? "", anchor === ".gitlab-ci.yml" ? "stages" : "jobs") ?? 1);
  const shown = present.map(shownAs).join(", ");
  if (!scripts.some((s) => RUNS_TESTS.test(s))) {
    findings.push(
      failed(ciWorkflowInfo, {
        message: `no CI job runs the tests (${shown})`,
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
        message: `no CI job runs \`paved doctor\` (${shown})`,
        file: anchor,
        line: anchorLine,
        key: "doctor",
        fix: "add a step that runs `npx paved doctor --format github` (GitHub) or `npx paved doctor --format gitlab --output gl-code-quality-report.json` (GitLab)",
      }),
    );
  }
  return findings.length ? findings : [passed(ciWorkflowInfo, `CI (${shown}) runs the tests and paved doctor`, { file: anchor })];
}

/**
 * A service at `at` (a subdirectory of the repository at `top`): GitHub runs only `.github/workflows/` at the root
 * and GitLab only the root `.gitlab-ci.yml` (and what it includes). So CI files under the service's folder fail, and
 * the root files the template places for this service (its manifest's rootFiles, rendered with paved.path) must
 * exist, run the tests and doctor, and, for GitLab, be included by the root pipeline. Findings about root files are
 * anchored at .paved.yml and name the root path in words: their location is outside the service's folder.
 */
function subdirectoryFindings(ctx: DoctorContext, template: TemplateContext, top: string, at: string): Finding[] {
  let rootCi: string[];
  try {
    const meta = {
      template: ctx.service.template,
      version: ctx.service.version,
      dirName: path.basename(ctx.dir),
      path: at,
      ...cliRenderMeta(),
    };
    const rendered = renderTemplate(template.version, template.answers, meta, template.unknown);
    rootCi = [...placeRenderedFiles(rendered.tree, template.version.manifest.rootFiles, at).root.keys()]
      .filter((p) => isCiFile(p) || isGitlabServicePipeline(p))
      .sort();
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    return [skipped(ciWorkflowInfo, `skipped: the template cannot be rendered for ${at}: ${error.message}`)];
  }
  const findings: Finding[] = [];
  const ignored = [...new Set([...ctx.files.tracked.filter(isCiFile), ...template.paths.filter(isCiFile)])]
    .filter((p) => ctx.files.exists(p))
    .sort();
  for (const file of ignored) {
    const runs =
      file === ".gitlab-ci.yml"
        ? "GitLab reads only the repository root's .gitlab-ci.yml"
        : "GitHub runs workflows only from the repository root's .github/workflows/";
    findings.push(
      failed(ciWorkflowInfo, {
        message: `${at}/${file} never runs: ${runs}`,
        file,
        line: 1,
        key: `ignored:${file}`,
        fix: rootCi.length
          ? `move its jobs to ${rootCi.join(", ")} at the repository root (the template places it there with ${file === ".gitlab-ci.yml" ? "rules: changes on" : "paths filters and working-directory:"} ${at}), then delete ${at}/${file}`
          : `move it to the repository root (${file === ".gitlab-ci.yml" ? ".gitlab-ci.yml, or .gitlab/ci/<name>.yml included by it" : ".github/workflows/<name>-ci.yml"}) with paths filters on ${at}/** and ${at} as the working directory; the service template 2.2.0 does so (\`paved upgrade\`)`,
      }),
    );
  }
  if (rootCi.length === 0) {
    if (ignored.length === 0) findings.push(skipped(ciWorkflowInfo, "the template places no CI workflow at the repository root"));
    return findings;
  }
  const root = new RepoFiles(top);
  const present = rootCi.filter((p) => root.exists(p));
  const missing = rootCi.filter((p) => !present.includes(p));
  for (const file of missing) {
    findings.push(
      failed(ciWorkflowInfo, {
        message: `no CI runs for ${at}: the template's ${file} is missing at the repository root`,
        file: SERVICE_ANCHOR,
        line: 1,
        key: `missing:${file}`,
        fix: `restore ${file} at the repository root from a fresh render (\`paved diff\` shows it)`,
      }),
    );
  }
  const included = present.find((p) => isGitlabServicePipeline(p));
  if (included) {
    const problem = gitlabIncludeProblem(root.exists(".gitlab-ci.yml") ? (root.text(".gitlab-ci.yml") ?? "") : undefined, included);
    if (problem) {
      const state = {
        missing: "there is no root .gitlab-ci.yml",
        invalid: "the root .gitlab-ci.yml is not valid YAML",
        "not-included": "the root .gitlab-ci.yml does not include it",
      }[problem];
      findings.push(
        failed(ciWorkflowInfo, {
          message: `${included} never runs: ${state}`,
          file: SERVICE_ANCHOR,
          line: 1,
          key: "gitlab-include",
          fix: `add to the repository root's .gitlab-ci.yml: ${GITLAB_INCLUDE_LINES.map((l) => l.trim()).join(" ")}`,
        }),
      );
    }
  }
  if (present.length > 0)
    findings.push(...runsTestsAndDoctor(root, present, present, (p) => `${p} at the repository root`, SERVICE_ANCHOR));
  return findings.some((f) => f.status === "fail") ? findings.filter((f) => f.status === "fail") : findings;
}
