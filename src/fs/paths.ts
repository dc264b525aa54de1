import { lstatSync, readdirSync, rmdirSync, statSync, unlinkSync, type Stats } from "node:fs";
import path from "node:path";
import { UserError } from "../errors.js";

// Characters HFS+ ignores in names (git's is_hfs_dotgit strips the same ones), so ".g\u200cit" is ".git" there.
const IGNORED_BY_HFS = /[\u200c-\u200f\u202a-\u202e\u206a-\u206f\ufeff]/g;

/**
 * Whether a file system could treat this one path segment as `.git`: any letter case (macOS, Windows), trailing
 * dots and spaces (Windows drops them), an NTFS stream suffix (`.git::$INDEX_ALLOCATION`), the 8.3 short name
 * `GIT~1`, and HFS+'s ignorable characters. The same rule git applies to the paths it checks out.
 */
export function isDotGitName(segment: string): boolean {
  // Each such name holds a "g" or "G" (no other character lower-cases to "g"): most segments stop here.
  if (!segment.includes("g") && !segment.includes("G")) return false;
  const name = segment.replace(IGNORED_BY_HFS, "").toLowerCase();
  const base = name.replace(/:.*$/, "").replace(/[. ]+$/, "");
  return base === ".git" || base === "git~1";
}

/**
 * Why a relative path from a template, an answer or a migration is unsafe, or undefined when it is safe.
 * Safe: relative, POSIX separators, no "." or ".." segments, no NUL, no drive letter, no empty segment, and no
 * segment any file system would take for `.git` (paved never writes into a repository's own metadata).
 */
export function unsafePathReason(relative: string): string | undefined {
  if (knownSafe.has(relative)) return undefined;
  const reason = reasonOf(relative);
  if (reason === undefined) {
    if (knownSafe.size >= 100_000) knownSafe.clear();
    knownSafe.add(relative);
  }
  return reason;
}

/**
 * Paths already found safe (the answer is a function of the path alone): a `paved new` asks about each path when
 * it renders it and again when it writes it, and an upgrade about the same paths in every version.
 */
const knownSafe = new Set<string>();

function reasonOf(relative: string): string | undefined {
  if (relative.length === 0) return "is empty";
  if (relative.includes("\0")) return "contains a NUL byte";
  if (relative.includes("\\")) return "contains a backslash";
  if (relative.startsWith("/")) return "is absolute";
  if (/^[A-Za-z]:/.test(relative)) return "is a Windows drive path";
  const segments = relative.split("/");
  if (segments.some((s) => s === "..")) return 'contains ".."';
  if (segments.some((s) => s === "." || s === "")) return "contains an empty or '.' segment";
  if (segments.some(isDotGitName)) return "writes into .git";
  return undefined;
}

export function assertSafeRelativePath(relative: string, origin: string): void {
  const reason = unsafePathReason(relative);
  if (reason) {
    throw new UserError(`the path ${JSON.stringify(relative)} ${reason} and would leave the target`, {
      code: "unsafe-path",
      fields: { file: origin },
      hint: "template paths and answers used in paths must stay inside the generated repository",
    });
  }
}

/** Links followed before giving up, as the Linux kernel does (MAXSYMLINKS). */
export const MAX_SYMLINK_HOPS = 40;

export type SymlinkProblem = "leaves" | "dot-git" | "loop";

/**
 * Why the symlink at `linkPath` in `tree` is unsafe, or undefined. It is resolved against the tree itself, hop by
 * hop, as the OS would once the tree is on disk: a segment naming another link in the tree continues from that
 * link's target, and ".." after it climbs from where the link led, not from its name. Unsafe: resolving leaves
 * the tree (or names its root), passes through a `.git` in any spelling, or takes more than MAX_SYMLINK_HOPS links.
 */
export function symlinkProblem(tree: ReadonlyMap<string, { symlink?: string }>, linkPath: string): SymlinkProblem | undefined {
  const first = tree.get(linkPath)?.symlink;
  if (first === undefined) return undefined;
  const resolved: string[] = [];
  let pending = [...linkPath.split("/").slice(0, -1), ...first.split("/")];
  if (escapesByItself(first)) return "leaves";
  let hops = 1;
  for (let segment = pending.shift(); segment !== undefined; segment = pending.shift()) {
    if (segment === "" || segment === ".") continue;
    if (isDotGitName(segment)) return "dot-git";
    if (segment === "..") {
      if (resolved.length === 0) return "leaves";
      resolved.pop();
      continue;
    }
    resolved.push(segment);
    const next = tree.get(resolved.join("/"))?.symlink;
    if (next === undefined) continue;
    if (++hops > MAX_SYMLINK_HOPS) return "loop";
    if (escapesByItself(next)) return "leaves";
    resolved.pop();
    pending = [...next.split("/"), ...pending];
  }
  return resolved.length === 0 ? "leaves" : undefined;
}

/** A link target that leaves whatever tree holds it: absolute, a drive path, a NUL or a backslash (Windows reads it as a separator). */
function escapesByItself(target: string): boolean {
  return target === "" || path.posix.isAbsolute(target) || /^[A-Za-z]:/.test(target) || target.includes("\0") || target.includes("\\");
}

/** The words for a symlink problem: `<file>: symlink to "<target>" <words>`; `tree` says what is left. */
export function describeSymlinkProblem(problem: SymlinkProblem, tree: "template" | "target"): string {
  if (problem === "dot-git") return "points into .git";
  if (problem === "loop") return `is a chain of more than ${MAX_SYMLINK_HOPS} links`;
  return `leaves the ${tree}`;
}

/** Resolve a safe relative path under a root; throws if the result would escape it. */
export function resolveInside(root: string, relative: string, origin: string): string {
  assertSafeRelativePath(relative, origin);
  // A safe path (no "..", "." or empty segment, not absolute, no drive, no backslash) joined to the root stays
  // below it, so it is joined as text: path.resolve and path.relative, normalizing both again, were most of the
  // time `paved new` spent choosing where to write.
  const base = resolvedRoot(root);
  return `${base.endsWith(path.sep) ? base : base + path.sep}${path.sep === "/" ? relative : relative.split("/").join(path.sep)}`;
}

let lastRoot: { given: string; resolved: string } | undefined;

/** `path.resolve(root)`, remembered for the absolute root asked for last (a whole tree is written below one root). */
function resolvedRoot(root: string): string {
  if (!path.isAbsolute(root)) return path.resolve(root); // follows the working directory
  if (lastRoot?.given !== root) lastRoot = { given: root, resolved: path.resolve(root) };
  return lastRoot.resolved;
}

/** Remove the directories a delete left empty, from `dir` up to (not including) `root`. */
export function pruneEmptyParents(dir: string, root: string): void {
  for (let d = dir; d.length > root.length; d = path.dirname(d)) {
    try {
      if (readdirSync(d).length > 0) return;
      rmdirSync(d);
    } catch {
      return;
    }
  }
}

/** Whether `dir` is a directory (following symlinks); false when nothing, or nothing readable, is there. */
export function isDirectory(dir: string): boolean {
  try {
    return statSync(dir).isDirectory();
  } catch {
    return false;
  }
}

/** What is at `full` (a symlink itself, not its target), or null when nothing can be seen there. */
export function lstatOrNull(full: string): Stats | null {
  try {
    return lstatSync(full);
  } catch {
    return null;
  }
}

/** Remove a file paved made (a temp file, a lock, a journal), when it is still there; a removal that fails is left be. */
export function unlinkQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // already gone
  }
}
