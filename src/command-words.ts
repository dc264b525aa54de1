/** A command the manifest cannot mean: an unbalanced quote or `{{`. Raised where the manifest is parsed. */
export class CommandSyntaxError extends Error {}

/**
 * Split "npm install --no-audit 'a b' {{kebab name}}" into words, honouring quotes; no shell expansion.
 * A `{{...}}` stays inside its word, so an answer rendered into it later is one argument, whatever it holds.
 */
export function splitCommand(command: string): string[] {
  const words: string[] = [];
  let current = "";
  let quote: '"' | "'" | null = null;
  let inWord = false;
  for (let i = 0; i < command.length; i++) {
    const ch = command.charAt(i);
    if (ch === "{" && command[i + 1] === "{") {
      const close = command.indexOf("}}", i + 2);
      if (close < 0) throw new CommandSyntaxError("unterminated {{");
      current += command.slice(i, close + 2);
      i = close + 1;
      inWord = true;
      continue;
    }
    if (quote) {
      if (ch === quote) quote = null;
      else if (ch === "\\" && quote === '"' && i + 1 < command.length) current += command[++i];
      else current += ch;
      continue;
    }
    if (ch === '"' || ch === "'") {
      quote = ch;
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(current);
      current = "";
      inWord = false;
    } else {
      if (ch === "\\" && i + 1 < command.length) current += command[++i];
      else current += ch;
      inWord = true;
    }
  }
  if (quote) throw new CommandSyntaxError(`unterminated ${quote} quote`);
  if (inWord) words.push(current);
  return words;
}
