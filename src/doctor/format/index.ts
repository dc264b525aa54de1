import type { DoctorReport } from "../model.js";
import { formatGithub } from "./github.js";
import { formatGitlab } from "./gitlab.js";
import { formatHuman, type Palette } from "./human.js";
import { formatJson } from "./json.js";
import { formatJunit } from "./junit.js";
import { formatSarif } from "./sarif.js";

export const FORMATS = ["human", "json", "sarif", "junit", "github", "gitlab"] as const;
export type Format = (typeof FORMATS)[number];

export function formatReport(report: DoctorReport, format: Format, human: { palette?: Palette; onlyProblems?: boolean } = {}): string {
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
