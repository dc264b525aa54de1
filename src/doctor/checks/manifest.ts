import { SERVICE_FILE } from "../../service-file.js";
import { failed, passed, type Check, type DoctorContext, type ProblemLocation } from "../context.js";
import { SERVICE_ANCHOR, type CheckInfo } from "../model.js";
import { lineOfKey } from "../yaml-lines.js";

export const manifestInfo: CheckInfo = {
  id: "paved/manifest",
  category: "paved",
  title: ".paved.yml is valid and its template version is known",
  severity: "error",
  help: `${SERVICE_FILE} must parse, and its template and version must exist in its template source (the source it records, or --source).`,
};

/**
 * Where the finding points: the file and line the error named when it is in the repository (a refused answer:
 * its line under `answers:`), else `version:` in .paved.yml.
 */
function anchorOf(ctx: DoctorContext, at: ProblemLocation | undefined): { file: string; line: number } {
  const serviceText = () => ctx.files.text(SERVICE_FILE) ?? "";
  if (at?.line !== undefined) return { file: at.file, line: at.line };
  if (at?.file === SERVICE_FILE && at.variable !== undefined) {
    const text = serviceText();
    const answers = lineOfKey(text, "answers");
    const below = answers === undefined ? undefined : lineOfKey(text.split("\n").slice(answers).join("\n"), at.variable, true);
    if (answers !== undefined && below !== undefined) return { file: SERVICE_FILE, line: answers + below };
  }
  if (at !== undefined && at.file !== SERVICE_FILE) return { file: at.file, line: 1 };
  return { file: SERVICE_ANCHOR, line: lineOfKey(serviceText(), "version") ?? 1 };
}

/** .paved.yml itself was validated before any check ran (a broken one stops doctor with exit 2). */
export const manifestCheck: Check = {
  info: manifestInfo,
  run(ctx) {
    if (!ctx.template) {
      const problem = ctx.templateProblem ?? { message: "the template version could not be loaded" };
      return [
        failed(manifestInfo, { message: problem.message, ...anchorOf(ctx, problem.at), ...(problem.fix ? { fix: problem.fix } : {}) }),
      ];
    }
    const { source } = ctx.template;
    return [passed(manifestInfo, `${ctx.service.template} ${ctx.service.version} from ${source.id}`, { file: SERVICE_ANCHOR })];
  },
};
