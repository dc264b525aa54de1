import { redactReport } from "../redact.js";
import type { DoctorReport, Finding } from "../model.js";
import { exitCodeOfReport, location, outcomeOf, problems, summaryText, SYMBOLS } from "./common.js";

/** Workflow command data: %, CR and LF must be escaped. */
export function escapeData(text: string): string {
  return text.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}

/** Workflow command properties additionally escape ":" and ",". */
export function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, "%3A").replace(/,/g, "%2C");
}

const COMMAND = { error: "error", warning: "warning", info: "notice" } as const;

function annotation(f: Finding): string {
  const props = [
    ...(f.file ? [`file=${escapeProperty(f.file)}`] : []),
    ...(f.line ? [`line=${f.line}`] : []),
    `title=${escapeProperty(`paved doctor: ${f.check}`)}`,
  ];
  const body = f.fix ? `${f.message}\nfix: ${f.fix}` : f.message;
  return `::${COMMAND[f.severity]} ${props.join(",")}::${escapeData(body)}`;
}

/**
 * One annotation per failing, unwaived finding (file= from the repository root), then a plain summary line; with
 * several reports (`paved doctor --all`) each service's annotations and its summary line naming its path.
 */
export function formatGithub(reports: DoctorReport | readonly DoctorReport[]): string {
  const all: readonly DoctorReport[] = Array.isArray(reports) ? reports : [reports];
  const lines = all.flatMap((report) => [
    ...problems(report)
      .filter((f) => !f.waived)
      .map(annotation),
    `paved doctor: ${all.length > 1 ? `${report.path || "."}: ` : ""}${report.template} ${report.version}: ${summaryText(report)}`,
  ]);
  return lines.join("\n") + "\n";
}

function cell(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/\|/g, "\\|").replace(/\r?\n/g, "<br>");
}

function code(text: string): string {
  return text.includes("`") ? cell(text) : `\`${cell(text)}\``;
}

/** The markdown appended to $GITHUB_STEP_SUMMARY: a verdict and a table of every finding. */
export function githubStepSummary(unredacted: DoctorReport): string {
  const report = redactReport(unredacted);
  const verdict = exitCodeOfReport(report) === 0 ? "✓ passed" : "✗ failed";
  const rows = report.findings.map((f) => {
    const outcome = outcomeOf(f);
    const where = f.status === "fail" ? location(f) : undefined;
    const message = f.waived ? `${f.message} (waived until ${f.waived.until}: ${f.waived.reason})` : f.message;
    const fix = f.status === "fail" && !f.waived && f.fix ? `<br>fix: ${cell(f.fix)}` : "";
    return `| ${SYMBOLS[outcome]} ${outcome} | ${code(f.check)} | ${cell(message)}${fix} | ${where ? code(where) : ""} |`;
  });
  return [
    `### paved doctor: ${cell(report.template)} ${cell(report.version)} ${verdict}`,
    "",
    `${cell(summaryText(report))}`,
    "",
    "| | Check | Result | Where |",
    "| --- | --- | --- | --- |",
    ...rows,
    "",
  ].join("\n");
}
