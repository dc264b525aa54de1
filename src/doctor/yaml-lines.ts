/** 1-based line of the first top-level (or any-level, when `indented`) `key:` in YAML text. */
export function lineOfKey(text: string, key: string, indented = false): number | undefined {
  const escaped = key.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const re = new RegExp(`^${indented ? "[ \\t-]*" : ""}["']?${escaped}["']?\\s*:`, "m");
  const match = re.exec(text);
  if (!match) return undefined;
  return text.slice(0, match.index).split("\n").length;
}

/** 1-based line of the first line containing `needle`, if any. */
export function lineContaining(text: string, needle: string): number | undefined {
  const index = text.indexOf(needle);
  return index === -1 ? undefined : text.slice(0, index).split("\n").length;
}
