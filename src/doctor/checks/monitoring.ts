import { matchGroup } from "../../match-group.js";
import { compileTemplate } from "../../render/handlebars.js";
import { failed, hasTemplate, NEEDS_TEMPLATE, passed, skipped, type Check, type TemplatedContext } from "../context.js";
import { SERVICE_ANCHOR, type CheckInfo, type Finding } from "../model.js";
import { isRecord, jsonOf, yamlOf } from "../parse.js";
import { lineContaining } from "../yaml-lines.js";
import { cliRenderMeta } from "../../config.js";

export const alertRulesInfo: CheckInfo = {
  id: "service/alert-rules",
  category: "monitoring",
  title: "alert rules are present, valid and carry the required alerts",
  severity: "error",
  help:
    "Every Prometheus rule file the template ships (groups[].rules[], plain or as a PrometheusRule) must exist, parse, " +
    "have an `expr` and an `alert` or `record` name on every rule, and still define every alert the template defines.",
};

export const dashboardInfo: CheckInfo = {
  id: "service/dashboard",
  category: "monitoring",
  title: "the dashboard is present and valid",
  severity: "error",
  help: "Every Grafana dashboard the template ships (a JSON object with `panels`) must exist, parse as JSON, and have a title and at least one panel.",
};

/** The rule groups of a Prometheus rule file or a PrometheusRule resource; undefined when it is neither. */
export function ruleGroups(doc: unknown): unknown[] | undefined {
  if (!isRecord(doc)) return undefined;
  if (Array.isArray(doc.groups)) return doc.groups;
  if (doc.kind === "PrometheusRule" && isRecord(doc.spec) && Array.isArray(doc.spec.groups)) return doc.spec.groups;
  return undefined;
}

export interface RuleProblem {
  message: string;
  /** Text to find the line by. */
  near?: string;
}

const DURATION = /^(?:\d+(?:ms|s|m|h|d|w|y))+$/;

/** Structural problems in rule groups, and the alert names they define. */
export function inspectRules(groups: unknown[]): { alerts: string[]; problems: RuleProblem[] } {
  const alerts: string[] = [];
  const problems: RuleProblem[] = [];
  groups.forEach((group, g) => {
    if (!isRecord(group) || typeof group.name !== "string" || !Array.isArray(group.rules)) {
      problems.push({ message: `groups[${g}] needs a name and a list of rules` });
      return;
    }
    group.rules.forEach((rule, r) => {
      const where = `group ${group.name}, rule ${r + 1}`;
      if (!isRecord(rule)) {
        problems.push({ message: `${where} is not a mapping`, near: group.name as string });
        return;
      }
      const name = typeof rule.alert === "string" ? rule.alert : typeof rule.record === "string" ? rule.record : undefined;
      if (!name) problems.push({ message: `${where} has neither an alert nor a record name`, near: group.name as string });
      if (typeof rule.expr !== "string" && typeof rule.expr !== "number")
        problems.push({ message: `${name ?? where} has no expr`, ...(name ? { near: name } : {}) });
      if (rule.for !== undefined && !(typeof rule.for === "string" && DURATION.test(rule.for))) {
        problems.push({
          message: `${name ?? where} has an invalid \`for\` duration ${JSON.stringify(rule.for)}`,
          ...(name ? { near: name } : {}),
        });
      }
      if (typeof rule.alert === "string") alerts.push(rule.alert);
    });
  });
  return { alerts, problems };
}

const ALERT_NAME = /^[ \t]*(?:-[ \t]+)?alert:[ \t]*["']?([^"'#\r\n]*?)["']?[ \t]*(?:#.*)?$/gm;

/**
 * The template's rule files (YAML with rule `groups`) and the alerts each defines. Read from the template's
 * source, rendering only the alert names: the rule files themselves are large Handlebars templates, and
 * compiling them is most of what a doctor run would otherwise spend.
 */
export function templateRuleFiles(ctx: TemplatedContext): Array<{ path: string; alerts: string[] }> {
  const template = ctx.template;
  const scope = {
    ...template.answers,
    paved: { template: ctx.service.template, version: ctx.service.version, dirName: "", ...cliRenderMeta() },
  };
  const out: Array<{ path: string; alerts: string[] }> = [];
  for (const p of template.paths) {
    if (!/\.ya?ml$/.test(p)) continue;
    const source = template.sourceText(p);
    if (!source || !/^(?:groups|spec):/m.test(source) || !/^[ \t]*(?:-[ \t]+)?(?:alert|record):/m.test(source)) continue;
    const alerts = [...source.matchAll(ALERT_NAME)]
      .map((m) => {
        const name = matchGroup(m, 1);
        return (name.includes("{{") ? compileTemplate(name)(scope) : name).trim();
      })
      .filter(Boolean);
    out.push({ path: p, alerts });
  }
  return out;
}

export const alertRulesCheck: Check = {
  info: alertRulesInfo,
  run(ctx) {
    if (!hasTemplate(ctx)) return [skipped(alertRulesInfo, NEEDS_TEMPLATE)];
    const expected = templateRuleFiles(ctx);
    if (expected.length === 0) return [skipped(alertRulesInfo, "the template ships no alert rules")];
    const findings: Finding[] = [];
    let alertCount = 0;
    for (const { path: file, alerts: required } of expected) {
      const text = ctx.files.text(file);
      const parsed = yamlOf(ctx.files, file);
      if (text === undefined || parsed === undefined) {
        findings.push(
          failed(alertRulesInfo, {
            message: `${file} is missing`,
            file: SERVICE_ANCHOR,
            line: 1,
            key: `${file}:missing`,
            fix: `restore ${file} from the template (\`paved diff\` shows it)`,
          }),
        );
        continue;
      }
      if (!parsed.ok) {
        findings.push(
          failed(alertRulesInfo, {
            message: `${file} is not valid YAML: ${parsed.message}`,
            file,
            line: parsed.line,
            key: `${file}:yaml`,
            fix: "fix the YAML syntax",
          }),
        );
        continue;
      }
      const groups = ruleGroups(parsed.value);
      if (!groups) {
        findings.push(
          failed(alertRulesInfo, {
            message: `${file} has no rule groups (expected \`groups:\` with rules)`,
            file,
            line: 1,
            key: `${file}:groups`,
            fix: "keep the Prometheus rule file format: groups: [{name, rules: [{alert, expr, for, labels, annotations}]}]",
          }),
        );
        continue;
      }
      const { alerts, problems } = inspectRules(groups);
      alertCount += alerts.length;
      for (const problem of problems) {
        findings.push(
          failed(alertRulesInfo, {
            message: `${file}: ${problem.message}`,
            file,
            line: (problem.near && lineContaining(text, problem.near)) || 1,
            key: `${file}:${problem.message}`,
            fix: "every rule needs `expr` and an `alert` (or `record`) name; `for` is a duration like 5m",
          }),
        );
      }
      const missing = required.filter((a) => !alerts.includes(a));
      if (missing.length) {
        findings.push(
          failed(alertRulesInfo, {
            message: `${file} lacks the required alert${missing.length === 1 ? "" : "s"} ${missing.join(", ")}`,
            file,
            line: 1,
            key: `${file}:missing-alerts:${missing.join(",")}`,
            fix: "restore the template's alerts (tune their thresholds rather than deleting them), or waive service/alert-rules in .paved.yml with a reason",
          }),
        );
      }
    }
    return findings.length
      ? findings
      : [passed(alertRulesInfo, `${alertCount} alerts in ${expected.map((e) => e.path).join(", ")}, all required ones present`)];
  },
};

function dashboardPanels(doc: unknown): { title?: unknown; panels: unknown[] } | undefined {
  if (!isRecord(doc)) return undefined;
  if (Array.isArray(doc.panels)) return { title: doc.title, panels: doc.panels };
  if (isRecord(doc.dashboard) && Array.isArray(doc.dashboard.panels)) return { title: doc.dashboard.title, panels: doc.dashboard.panels };
  return undefined;
}

export const dashboardCheck: Check = {
  info: dashboardInfo,
  run(ctx) {
    if (!ctx.template) return [skipped(dashboardInfo, NEEDS_TEMPLATE)];
    const template = ctx.template;
    // A dashboard is a JSON object with panels; the template's source says so without rendering it.
    const expected = template.paths.filter((p) => p.endsWith(".json") && /"panels"\s*:/.test(template.sourceText(p) ?? ""));
    if (expected.length === 0) return [skipped(dashboardInfo, "the template ships no dashboard")];
    const findings: Finding[] = [];
    for (const file of expected.sort()) {
      const parsed = jsonOf(ctx.files, file);
      if (parsed === undefined) {
        findings.push(
          failed(dashboardInfo, {
            message: `${file} is missing`,
            file: SERVICE_ANCHOR,
            line: 1,
            key: `${file}:missing`,
            fix: `restore ${file} from the template`,
          }),
        );
        continue;
      }
      if (!parsed.ok) {
        findings.push(
          failed(dashboardInfo, {
            message: `${file} is not valid JSON: ${parsed.message}`,
            file,
            line: parsed.line,
            key: `${file}:json`,
            fix: "fix the JSON syntax (export the dashboard from Grafana again)",
          }),
        );
        continue;
      }
      const dashboard = dashboardPanels(parsed.value);
      if (!dashboard || dashboard.panels.length === 0) {
        findings.push(
          failed(dashboardInfo, {
            message: `${file} has no panels`,
            file,
            line: 1,
            key: `${file}:panels`,
            fix: "keep the template's panels",
          }),
        );
      } else if (typeof dashboard.title !== "string" || dashboard.title.trim() === "") {
        findings.push(
          failed(dashboardInfo, {
            message: `${file} has no title`,
            file,
            line: 1,
            key: `${file}:title`,
            fix: "give the dashboard a title",
          }),
        );
      }
    }
    return findings.length ? findings : [passed(dashboardInfo, `${expected.join(", ")} present and valid`)];
  },
};
