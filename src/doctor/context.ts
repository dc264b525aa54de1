import type { Answers } from "../answers/answers.js";
import type { ServiceFile } from "../service-file.js";
import type { TemplateSource, TemplateVersion } from "../templates/source.js";
import type { FileEntry } from "../tree.js";
import type { CheckInfo, Finding } from "./model.js";
import type { RepoFiles } from "./repo-files.js";

/** The service's template version, rendered with its recorded answers: what "should be there". */
export interface TemplateContext {
  source: TemplateSource;
  /** Versions in the source, oldest first. */
  versions: string[];
  version: TemplateVersion;
  answers: Answers;
  /** Secret answers `.paved.yml` does not record: files that read them are not rendered (nor restored). */
  unknown: ReadonlySet<string>;
  /** The service's folder relative to its git repository's root ({{paved.path}}): "" at the root. */
  servicePath?: string;
  /** Every path a fresh render of the recorded version produces, sorted. */
  paths: readonly string[];
  /** Rendered paths the platform owns (`files.managed`). */
  managed: ReadonlySet<string>;
  /** Rendered path -> its path under the template's files/. */
  origins: ReadonlyMap<string, string>;
  /**
   * A rendered file. Managed files (drift compares them) are rendered up front; anything else renders the
   * whole version on first use (only --fix needs that). Rule files and dashboards are read as source text.
   */
  entry(path: string): FileEntry | undefined;
  /** The template's source text for a rendered path (before rendering), for cheap content sniffing. */
  sourceText(path: string): string | undefined;
}

/** Everything a check may look at; built once per run and shared by every check. */
export interface DoctorContext {
  dir: string;
  files: RepoFiles;
  service: ServiceFile;
  /** Absent when the template version could not be loaded or rendered (paved/manifest says why). */
  template?: TemplateContext;
  /** Why `template` is absent: shown by paved/manifest, at `at` when the cause is a file in the repository. */
  templateProblem?: { message: string; fix?: string; answers?: true; at?: ProblemLocation };
  /** The day dates are judged as of (YYYY-MM-DD): `--as-of`, else today (UTC), chosen by the command. */
  asOf: string;
  graceDays: number;
}

/** A repository-relative file (POSIX) and, where known, its line or the answer (`.paved.yml` `answers.<variable>`). */
export interface ProblemLocation {
  file: string;
  line?: number;
  variable?: string;
}

/** A context whose template loaded: what checks that compare with the template work on. */
export type TemplatedContext = DoctorContext & { template: TemplateContext };

export function hasTemplate(ctx: DoctorContext): ctx is TemplatedContext {
  return ctx.template !== undefined;
}

/** A path the template renders (one of its `paths`), which `entry` always has: a missing one is a bug. */
export function renderedEntry(template: TemplateContext, p: string): FileEntry {
  const entry = template.entry(p);
  if (entry === undefined) throw new Error(`bug: the template renders ${p} but has no entry for it`);
  return entry;
}

export interface Check {
  info: CheckInfo;
  run(ctx: DoctorContext): Finding[] | Promise<Finding[]>;
}

type FindingFields = Omit<Finding, "check" | "category" | "severity" | "status"> & { severity?: Finding["severity"] };

export function passed(info: CheckInfo, message: string, fields: Partial<FindingFields> = {}): Finding {
  return { check: info.id, category: info.category, severity: info.severity, status: "pass", ...fields, message };
}

export function failed(info: CheckInfo, fields: FindingFields): Finding {
  return { check: info.id, category: info.category, status: "fail", ...fields, severity: fields.severity ?? info.severity };
}

export function skipped(info: CheckInfo, message: string): Finding {
  return { check: info.id, category: info.category, severity: info.severity, status: "skip", message };
}

/** A check that needs the rendered template is skipped without it. */
export const NEEDS_TEMPLATE = "skipped: the template version could not be loaded (see paved/manifest)";
