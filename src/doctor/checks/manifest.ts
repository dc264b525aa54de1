import { SERVICE_FILE } from "../../service-file.js";
import { failed, passed, type Check } from "../context.js";
import { SERVICE_ANCHOR, type CheckInfo } from "../model.js";
import { lineOfKey } from "../yaml-lines.js";

export const manifestInfo: CheckInfo = {
  id: "paved/manifest",
  category: "paved",
  title: ".paved.yml is valid and its template version is known",
  severity: "error",
  help: `${SERVICE_FILE} must parse, and its template and version must exist in its template source (the source it records, or --source).`,
};

/** .paved.yml itself was validated before any check ran (a broken one stops doctor with exit 2). */
export const manifestCheck: Check = {
  info: manifestInfo,
  run(ctx) {
    if (!ctx.template) {
      const problem = ctx.templateProblem ?? { message: "the template version could not be loaded" };
      const text = ctx.files.text(SERVICE_FILE) ?? "";
      return [
        failed(manifestInfo, {
          message: problem.message,
          file: SERVICE_ANCHOR,
          line: lineOfKey(text, "version") ?? 1,
          ...(problem.fix ? { fix: problem.fix } : {}),
        }),
      ];
    }
    const { source } = ctx.template;
    return [passed(manifestInfo, `${ctx.service.template} ${ctx.service.version} from ${source.id}`, { file: SERVICE_ANCHOR })];
  },
};
