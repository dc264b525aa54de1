import path from "node:path";
import { resolveSafeChildPath } from "@backstage/backend-plugin-api";
import { InputError } from "@backstage/errors";
import { createTemplateAction } from "@backstage/plugin-scaffolder-node";

/** The action's id, as a Template's steps name it (`action: paved:new`). */
export const PAVED_NEW_ACTION_ID = "paved:new";

/** What the action needs from paved's library API (package.json "exports" of paved); a test may pass another. */
export type PavedApi = Pick<typeof import("paved"), "createService" | "UserError">;

export interface PavedNewActionOptions {
  /** The template source when a step names none: "builtin" (default), a directory or a git URL. */
  defaultSource?: string;
  /**
   * Sources whose template commands (the lockfile command) may run in the backend. The built-in templates are
   * always trusted; a step cannot widen this, only app-config (`paved.trustedSources`) can.
   */
  trustedSources?: readonly string[];
  /** Loads paved; by default `import("paved")` (an ES module, so loaded on first use, also from a CommonJS backend). */
  loadPaved?: () => Promise<PavedApi>;
}

/**
 * `paved:new`: render a paved template into the task workspace (or `targetPath` inside it) with paved's
 * library API, no shell. It writes files and `.paved.yml` only; the Template's next steps publish
 * (`publish:github`) and register (`catalog:register`) them. A wrong answer fails the step with paved's
 * one-line message and its fix, naming the parameter.
 */
export function createPavedNewAction(options: PavedNewActionOptions = {}) {
  const loadPaved = options.loadPaved ?? (() => import("paved"));
  return createTemplateAction({
    id: PAVED_NEW_ACTION_ID,
    description: "Creates a service from a paved golden-path template in the workspace (files and .paved.yml; no git, no installs)",
    supportsDryRun: true,
    examples: [
      {
        description: "Render the built-in service template with the form's answers",
        example: [
          "steps:",
          "  - id: paved",
          "    action: paved:new",
          "    input:",
          "      template: service",
          "      values:",
          "        name: ${{ parameters.name }}",
          "        owner: ${{ parameters.owner }}",
        ].join("\n"),
      },
    ],
    schema: {
      input: {
        template: (z) => z.string().min(1).describe("The paved template, e.g. service"),
        version: (z) => z.string().min(1).optional().describe("Template version (default: the newest release)"),
        source: (z) =>
          z
            .string()
            .min(1)
            .optional()
            .describe('Template source: "builtin", a directory or a git URL (default: the module\'s, else builtin)'),
        values: (z) =>
          z
            .record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(z.union([z.string(), z.number()]))]))
            .optional()
            .describe("Answers to the template's questions by name; the others take their defaults"),
        targetPath: (z) =>
          z.string().min(1).optional().describe("Where in the workspace to create the service (default: the workspace itself)"),
        lockfile: (z) =>
          z
            .boolean()
            .optional()
            .describe(
              "Create the template's lockfile (package-lock.json; asks the registry, installs nothing) so the generated CI's npm ci works (default: true)",
            ),
      },
      output: {
        template: (z) => z.string().describe("The template used"),
        version: (z) => z.string().describe("The template version used"),
        files: (z) => z.array(z.string()).describe("The files created, sorted, .paved.yml included"),
      },
    },
    async handler(ctx) {
      const paved = await loadPaved();
      const { template, version, source = options.defaultSource, values = {}, targetPath, lockfile = true } = ctx.input;
      // A form field left empty arrives as "", null or undefined (or not at all): the question takes the template's default.
      const answers = Object.fromEntries(
        Object.entries(values).filter(([, value]) => value !== "" && value !== null && value !== undefined),
      );
      const targetDir = targetPath === undefined ? ctx.workspacePath : resolveSafeChildPath(ctx.workspacePath, targetPath);
      // {{paved.dirName}} (the default service name) means the folder the service is created in; a workspace's own
      // name means nothing to the person filling in the form, so it is empty there and `name` must be answered.
      const dirName = targetPath === undefined ? "" : path.basename(targetDir);
      let result: Awaited<ReturnType<PavedApi["createService"]>>;
      try {
        result = await paved.createService({
          template,
          ...(version !== undefined ? { version } : {}),
          ...(source !== undefined ? { source } : {}),
          answers,
          targetDir,
          dirName,
          dryRun: ctx.isDryRun ?? false,
          lockfile,
          trust: source !== undefined && (options.trustedSources ?? []).includes(source),
          warn: (message) => ctx.logger.warn(message),
        });
      } catch (error) {
        if (error instanceof paved.UserError) {
          const about = error.fields.variable ? ` (values.${error.fields.variable})` : "";
          // An answer's hint names the CLI's --set; here the fix is the form field (or the step's values).
          const answer = error.code === "invalid-answer" || error.code === "missing-answer";
          const fix =
            answer && error.fields.variable
              ? `correct the ${error.fields.variable} field (values.${error.fields.variable} in the step's input)`
              : error.hint;
          throw new InputError(`paved:new${about}: ${error.message}${fix ? `; fix: ${fix}` : ""}`);
        }
        throw error;
      }
      ctx.logger.info(
        `paved: ${result.dryRun ? "would create" : "created"} ${result.files.length} files from ${result.template} ${result.version} (source ${result.source})`,
      );
      if (result.lockfile && result.lockfile.missing.length > 0) {
        ctx.logger.warn(
          `paved: ${result.lockfile.missing.join(", ")} not created (${result.lockfile.error ?? "the lockfile command left it missing"}); the service's CI needs it`,
        );
      }
      if (result.skippedHooks.length > 0)
        ctx.logger.info(
          `paved: the template's postCreate commands are not run here (run them in a clone): ${result.skippedHooks.join("; ")}`,
        );
      ctx.output("template", result.template);
      ctx.output("version", result.version);
      ctx.output("files", result.files);
    },
  });
}
