import { isUtf8 as isValidUtf8 } from "node:buffer";

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

/** git's mode for an entry: 120000 symlink, 100755 executable, 100644 file. */
export function gitMode(entry: FileEntry): string {
  if (entry.symlink !== undefined) return "120000";
  return isExecutable(entry) ? "100755" : "100644";
}

export function sortedPaths(tree: FileTree): string[] {
  return [...tree.keys()].sort();
}

/** The tree's entries in the order of sortedPaths. */
export function sortedEntries<T>(tree: ReadonlyMap<string, T>): Array<[string, T]> {
  return [...tree].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

export function entriesEqual(a: FileEntry | undefined, b: FileEntry | undefined): boolean {
  if (a === b) return true;
  if (!a || !b) return false;
  if ((a.symlink ?? null) !== (b.symlink ?? null)) return false;
  if (isExecutable(a) !== isExecutable(b)) return false;
  return sameBytes(a.data, b.data);
}

/** The same bytes: often the same buffer (a render reuses an unchanged output's bytes: src/render/render.ts). */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a === b || (a.byteLength === b.byteLength && Buffer.compare(a, b) === 0);
}

/** How many leading bytes git looks at for a NUL (FIRST_FEW_BYTES in git's xdiff-interface.c). */
const BINARY_PROBE_BYTES = 8000;

/**
 * Binary exactly when git says so (`buffer_is_binary`): a NUL byte in the first 8,000 bytes. Any other
 * file is text whatever its encoding (Latin-1, UTF-16 without NULs early on, a BOM): git diffs and merges
 * it line by line, and so does paved, on its bytes.
 */
export function isBinary(data: Uint8Array): boolean {
  return data.subarray(0, BINARY_PROBE_BYTES).includes(0);
}

/**
 * Valid UTF-8: text that can be decoded to a JS string and back unchanged (what Handlebars renders). Node's
 * validator, not a strict TextDecoder: the same answer without building the string (upgrade asks for every file
 * of three versions).
 */
export function isUtf8(data: Uint8Array): boolean {
  return isValidUtf8(data);
}

function bufferOf(data: Uint8Array): Buffer {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/** The file's text decoded as UTF-8 (invalid sequences become U+FFFD): for showing, never for writing back. */
export function entryText(entry: FileEntry): string {
  return bufferOf(entry.data).toString("utf8");
}

/**
 * Bytes as a "binary string": one UTF-16 unit (U+0000-U+00FF) per byte (Node's latin1). Line merges and
 * diffs work on these so that no byte is ever decoded or re-encoded: `fromByteString(byteString(b))`
 * equals `b` for any bytes, and "\n", "\r" and ASCII letters are themselves, as git's xdiff sees them.
 */
export function byteString(data: Uint8Array): string {
  return bufferOf(data).toString("latin1");
}

export function fromByteString(text: string): Buffer {
  return Buffer.from(text, "latin1");
}

/**
 * Byte strings shown to a person: UTF-8 text when every one is valid UTF-8, else every one as Latin-1
 * (one character per byte, what a non-UTF-8 text file most likely is), so different bytes never look equal.
 */
export function displayTexts(byteText: string): [string];
export function displayTexts(oldText: string, newText: string): [string, string];
export function displayTexts(...byteTexts: string[]): string[] {
  const buffers = byteTexts.map(fromByteString);
  return buffers.every(isUtf8) ? buffers.map((b) => b.toString("utf8")) : byteTexts;
}
