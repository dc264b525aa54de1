import { entryText } from "../../tree.js";
import { failed, NEEDS_TEMPLATE, passed, skipped, type Check, type DoctorContext } from "../context.js";
import { SERVICE_ANCHOR, type CheckInfo, type Finding } from "../model.js";
import { isRecord, parseJson, parseYaml } from "../parse.js";
import { lineContaining } from "../yaml-lines.js";

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
      if (typeof rule.expr !== "string" && typeof rule.expr !== "number") problems.push({ message: `${name ?? where} has no expr`, ...(name ? { near: name } : {}) });
      if (rule.for !== undefined && !(typeof rule.for === "string" && DURATION.test(rule.for))) {
        problems.push({ message: `${name ?? where} has an invalid \`for\` duration ${JSON.stringify(rule.for)}`, ...(name ? { near: name } : {}) });
      }
      if (typeof rule.alert === "string") alerts.push(rule.alert);
    });
  });
  return { alerts, problems };
}

/** Rendered files that are Prometheus rule files, with the alerts each defines. */
function templateRuleFiles(ctx: DoctorContext): Array<{ path: string; alerts: string[] }> {
  const out: Array<{ path: string; alerts: string[] }> = [];
  const template = ctx.template!;
  for (const p of template.paths) {
    if (!/\.ya?ml$/.test(p) || !template.sourceText(p)?.includes("groups")) continue;
    const entry = template.entry(p);
    if (!entry || entry.symlink !== undefined) continue;
    const text = entryText(entry);
    const parsed = parseYaml(text);
    const groups = parsed.ok ? ruleGroups(parsed.value) : undefined;
    if (groups) out.push({ path: p, alerts: inspectRules(groups).alerts });
  }
  return out.sort((a, b) => (a.path < b.path ? -1 : 1));
}

export const alertRulesCheck: Check = {
  info: alertRulesInfo,
  run(ctx) {
    if (!ctx.template) return [skipped(alertRulesInfo, NEEDS_TEMPLATE)];
    const expected = templateRuleFiles(ctx);
    if (expected.length === 0) return [skipped(alertRulesInfo, "the template ships no alert rules")];
    const findings: Finding[] = [];
    let alertCount = 0;
    for (const { path: file, alerts: required } of expected) {
      const text = ctx.files.text(file);
      if (text === undefined) {
        findings.push(
          failed(alertRulesInfo, { message: `${file} is missing`, file: SERVICE_ANCHOR, line: 1, key: `${file}:missing`, fix: `restore ${file} from the template (\`paved diff\` shows it)` }),
        );
        continue;
      }
      const parsed = parseYaml(text);
      if (!parsed.ok) {
        findings.push(failed(alertRulesInfo, { message: `${file} is not valid YAML: ${parsed.message}`, file, line: parsed.line, key: `${file}:yaml`, fix: "fix the YAML syntax" }));
        continue;
      }
      const groups = ruleGroups(parsed.value);
      if (!groups) {
        findings.push(
          failed(alertRulesInfo, { message: `${file} has no rule groups (expected \`groups:\` with rules)`, file, line: 1, key: `${file}:groups`, fix: "keep the Prometheus rule file format: groups: [{name, rules: [{alert, expr, for, labels, annotations}]}]" }),
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
    return findings.length ? findings : [passed(alertRulesInfo, `${alertCount} alerts in ${expected.map((e) => e.path).join(", ")}, all required ones present`)];
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
    const expected: string[] = [];
    const template = ctx.template;
    for (const p of template.paths) {
      if (!p.endsWith(".json") || !template.sourceText(p)?.includes("panels")) continue;
      const entry = template.entry(p);
      if (!entry || entry.symlink !== undefined) continue;
      const text = entryText(entry);
      const parsed = parseJson(text);
      if (parsed.ok && dashboardPanels(parsed.value)) expected.push(p);
    }
    if (expected.length === 0) return [skipped(dashboardInfo, "the template ships no dashboard")];
    const findings: Finding[] = [];
    for (const file of expected.sort()) {
      const text = ctx.files.text(file);
      if (text === undefined) {
        findings.push(failed(dashboardInfo, { message: `${file} is missing`, file: SERVICE_ANCHOR, line: 1, key: `${file}:missing`, fix: `restore ${file} from the template` }));
        continue;
      }
      const parsed = parseJson(text);
      if (!parsed.ok) {
        findings.push(failed(dashboardInfo, { message: `${file} is not valid JSON: ${parsed.message}`, file, line: parsed.line, key: `${file}:json`, fix: "fix the JSON syntax (export the dashboard from Grafana again)" }));
        continue;
      }
      const dashboard = dashboardPanels(parsed.value);
      if (!dashboard || dashboard.panels.length === 0) {
        findings.push(failed(dashboardInfo, { message: `${file} has no panels`, file, line: 1, key: `${file}:panels`, fix: "keep the template's panels" }));
      } else if (typeof dashboard.title !== "string" || dashboard.title.trim() === "") {
        findings.push(failed(dashboardInfo, { message: `${file} has no title`, file, line: 1, key: `${file}:title`, fix: "give the dashboard a title" }));
      }
    }
    return findings.length ? findings : [passed(dashboardInfo, `${expected.join(", ")} present and valid`)];
  },
};
