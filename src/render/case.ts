/**
 * Words of the last values asked for: templates ask for the same few answers (`{{pascal name}}`) in every file of
 * every version an upgrade renders. Cleared when it grows, so a fleet run over many services stays small.
 */
const wordsOf = new Map<string, readonly string[]>();

/** Split "paymentsAPI v2_service-name" into ["payments", "api", "v2", "service", "name"]. */
export function words(value: string): string[] {
  let known = wordsOf.get(value);
  if (known === undefined) {
    if (wordsOf.size >= 256) wordsOf.clear();
    known = split(value);
    wordsOf.set(value, known);
  }
  return [...known];
}

function split(value: string): string[] {
  return value
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2")
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean)
    .map((w) => w.toLowerCase());
}

export const kebab = (value: string): string => words(value).join("-");
export const snake = (value: string): string => words(value).join("_");
export const pascal = (value: string): string =>
  words(value)
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join("");
export const camel = (value: string): string => {
  const p = pascal(value);
  return p.charAt(0).toLowerCase() + p.slice(1);
};
