import { UserError } from "../errors.js";
import { toShellWord } from "./escape.js";
import { compileTemplate, handlebars } from "./handlebars.js";
import { renderError } from "./render.js";

/** Where a string of template.yaml is: the file as shown to the user, and its field (`nextSteps[0]`). */
export interface ManifestField {
  file: string;
  field: string;
}

/**
 * A render error of a manifest string, located by data: `fields.file` is template.yaml and the field leads the
 * reason (`nextSteps[0]: ...`; with the line within the string, `nextSteps[0]:2: ...`, not a line of the file).
 */
function fieldRenderError(where: ManifestField, error: unknown, source?: string): UserError {
  const located = renderError(where.field, error, source);
  const { line, file: _field, ...about } = located.fields;
  return new UserError(`${where.field}${line === undefined ? "" : `:${line}`}: ${located.reason}`, {
    hint: located.hint,
    code: located.code,
    exitCode: located.exitCode,
    fields: { ...about, file: where.file },
  });
}

/**
 * A string from template.yaml (a next step, a word of a hook command) rendered with the answers.
 * `where` names it in errors, which are UserErrors like a file's.
 */
export function renderManifestText(source: string, context: unknown, where: ManifestField): string {
  try {
    return compileTemplate(source)(context);
  } catch (error) {
    throw fieldRenderError(where, error, source);
  }
}

interface Position {
  line: number;
  column: number;
}
interface Statement {
  type: string;
  value?: string;
  path?: { original?: unknown };
  loc: { start: Position; end: Position };
}

/**
 * A `shell: true` command with each `{{...}}` replaced by its value as one shell-quoted word, so an answer
 * can never add shell syntax (`{{shell x}}` is already quoted and kept as it is). Blocks (`{{#if}}`) are
 * refused: their text would reach the shell unquoted.
 */
export function renderShellCommand(source: string, context: unknown, where: ManifestField): string {
  let body: Statement[];
  try {
    body = (handlebars().parse(source) as unknown as { body: Statement[] }).body;
  } catch (error) {
    throw fieldRenderError(where, error);
  }
  const lineStarts = [0];
  for (let i = 0; i < source.length; i++) if (source[i] === "\n") lineStarts.push(i + 1);
  const offset = (p: Position) => {
    const lineStart = lineStarts[p.line - 1];
    if (lineStart === undefined) throw new Error(`bug: Handlebars placed a node on line ${p.line} of ${lineStarts.length}`);
    return lineStart + p.column;
  };
  let out = "";
  for (const statement of body) {
    if (statement.type === "ContentStatement") out += statement.value ?? "";
    else if (statement.type === "CommentStatement") continue;
    else if (statement.type === "MustacheStatement") {
      const value = renderManifestText(source.slice(offset(statement.loc.start), offset(statement.loc.end)), context, where);
      out += statement.path?.original === "shell" ? value : toShellWord(value);
    } else {
      throw new UserError(
        `${where.field}: a shell command may hold {{answers}} but not blocks such as {{#if}}: their text would reach the shell unquoted`,
        {
          hint: "use a plain (non-shell) command, or one command per case",
          code: "template-syntax",
          fields: { file: where.file },
        },
      );
    }
  }
  return out;
}
