/**
 * Text from a template or a repository (commands, names, descriptions, paths, git's messages) may hold
 * terminal control sequences: `\e[2K\r` erases what came before on the line, a bidi override reorders
 * what follows, so a command list shown before `--trust` could read differently from what runs.
 * Every such character is shown as an escape (`\x1b`, `\u202e`) instead.
 */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

const NAMED: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

function escapeOf(ch: string): string {
  const named = NAMED[ch];
  if (named) return named;
  const code = ch.charCodeAt(0);
  return code < 0x100 ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`;
}

/**
 * Escape C0 and C1 control characters, DEL and bidi controls. `keepNewlines` keeps `\n` for a message
 * paved itself laid out on several lines; a single field (one command, one name) escapes it too, so it
 * cannot fake a line of its own.
 */
export function escapeControlChars(text: string, options: { keepNewlines?: boolean } = {}): string {
  CONTROL.lastIndex = 0;
  if (!CONTROL.test(text)) return text;
  return text.replace(CONTROL, (ch) => (options.keepNewlines && ch === "\n" ? ch : escapeOf(ch)));
}
