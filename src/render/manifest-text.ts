import { UserError } from "../errors.js";
import { toShellWord } from "./escape.js";
import { compileTemplate, handlebars } from "./handlebars.js";
import { renderError } from "./render.js";

/**
 * A string from template.yaml (a next step, a word of a hook command) rendered with the answers.
 * `where` names it in errors (`.../template.yaml: nextSteps[0]`), which are UserErrors like a file's.
 */
export function renderManifestText(source: string, context: unknown, where: string): string {
  try {
    return compileTemplate(source)(context);
  } catch (error) {
    throw renderError(where, error, source);
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
export function renderShellCommand(source: string, context: unknown, where: string): string {
  let body: Statement[];
  try {
    body = (handlebars().parse(source) as unknown as { body: Statement[] }).body;
  } catch (error) {
    throw renderError(where, error);
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
        `${where}: a shell command may hold {{answers}} but not blocks such as {{#if}}: their text would reach the shell unquoted`,
        {
          hint: "use a plain (non-shell) command, or one command per case",
        },
      );
    }
  }
  return out;
}
