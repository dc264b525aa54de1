/**
 * The in-memory file tree: the currency between render, merge, check and apply.
 * Keys are POSIX relative paths ("src/index.ts"); never absolute, never containing "..".
 */
export interface FileEntry {
  data: Uint8Array;
  /** Permission bits, e.g. 0o644 or 0o755. */
  mode: number;
  /** Set for a symbolic link: the link target (relative), and `data` is empty. */
  symlink?: string;
}

export type FileTree = Map<string, FileEntry>;

export const DEFAULT_FILE_MODE = 0o644;
export const EXECUTABLE_FILE_MODE = 0o755;

export function textFile(content: string, mode = DEFAULT_FILE_MODE): FileEntry {
  return { data: Buffer.from(content, "utf8"), mode };
}

export function isExecutable(entry: FileEntry): boolean {
  return (entry.mode & 0o111) !== 0;
}

export function sortedPaths(tree: FileTree): string[] {
  return [...tree.keys()].sort();
}

export function entriesEqual(a: FileEntry | undefined, b: FileEntry | undefined): boolean {
  if (!a || !b) return a === b;
  if ((a.symlink ?? null) !== (b.symlink ?? null)) return false;
  if (isExecutable(a) !== isExecutable(b)) return false;
  return Buffer.compare(Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength), Buffer.from(b.data.buffer, b.data.byteOffset, b.data.byteLength)) === 0;
}

/** A file is binary when it has a NUL byte in its first 8 KiB or is not valid UTF-8. */
export function isBinary(data: Uint8Array): boolean {
  const head = data.subarray(0, 8192);
  if (head.includes(0)) return true;
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(data);
    return false;
  } catch {
    return true;
  }
}

export function entryText(entry: FileEntry): string {
  return Buffer.from(entry.data.buffer, entry.data.byteOffset, entry.data.byteLength).toString("utf8");
}
