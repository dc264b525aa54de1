import { setFlagsFromString } from "node:v8";

let enabled = false;

/**
 * A regular expression from a template, compiled for V8's linear-time engine (the `l` flag): matching takes time
 * proportional to the text whatever the pattern, so a template cannot stall paved with a pattern that backtracks
 * exponentially (`(a+)+$`). The engine is switched on once per process; it only adds the `l` flag and changes no
 * other expression. Patterns it cannot run in linear time (backreferences, lookaround) are refused: the error's
 * message says so.
 */
export function linearRegExp(pattern: string, flags = ""): RegExp {
  if (!enabled) {
    setFlagsFromString("--enable-experimental-regexp-engine");
    enabled = true;
  }
  return new RegExp(pattern, `l${flags}`);
}
