import type { DoctorReport } from "../model.js";
import { redactReport } from "../redact.js";
import { formatGithub } from "./github.js";
import { formatGitlab } from "./gitlab.js";
import { formatHuman, type Palette } from "./human.js";
import { formatJson } from "./json.js";
import { formatJunit } from "./junit.js";
import { formatSarif } from "./sarif.js";

export const FORMATS = ["human", "json", "sarif", "junit", "github", "gitlab"] as const;
export type Format = (typeof FORMATS)[number];

/** Every format prints the report through redactReport: no committed secret is shown in full. */
export function formatReport(unredacted: DoctorReport, format: Format, human: { palette?: Palette; onlyProblems?: boolean } = {}): string {
  const report = redactReport(unredacted);
  switch (format) {
    case "human":
      return formatHuman(report, human.palette, { onlyProblems: human.onlyProblems ?? false });
    case "json":
      return formatJson(report);
    case "sarif":
      return formatSarif(report);
    case "junit":
      return formatJunit(report);
    case "github":
      return formatGithub(report);
    case "gitlab":
      return formatGitlab(report);
  }
}
