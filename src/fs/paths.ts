import path from "node:path";
import { UserError } from "../errors.js";

/**
 * Why a relative path from a template, an answer or a migration is unsafe, or undefined when it is safe.
 * Safe: relative, POSIX separators, no "." or ".." segments, no NUL, no drive letter, no empty segment.
 */
export function unsafePathReason(relative: string): string | undefined {
  if (relative.length === 0) return "is empty";
  if (relative.includes("\0")) return "contains a NUL byte";
  if (relative.includes("\\")) return "contains a backslash";
  if (relative.startsWith("/")) return "is absolute";
  if (/^[A-Za-z]:/.test(relative)) return "is a Windows drive path";
  const segments = relative.split("/");
  if (segments.some((s) => s === "..")) return 'contains ".."';
  if (segments.some((s) => s === "." || s === "")) return "contains an empty or '.' segment";
  if (segments[0] === ".git") return "writes into .git";
  return undefined;
}

export function assertSafeRelativePath(relative: string, origin: string): void {
  const reason = unsafePathReason(relative);
  if (reason) {
    throw new UserError(`${origin}: the path ${JSON.stringify(relative)} ${reason} and would leave the target`, {
      hint: "template paths and answers used in paths must stay inside the generated repository",
    });
  }
}

/** Whether a symlink at `linkPath` (relative) pointing at `target` stays inside the tree root. */
export function symlinkStaysInside(linkPath: string, target: string): boolean {
  if (path.posix.isAbsolute(target) || /^[A-Za-z]:/.test(target) || target.includes("\0")) return false;
  const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(linkPath), target));
  return resolved !== ".." && !resolved.startsWith("../") && resolved !== "." && !path.posix.isAbsolute(resolved);
}

/** Resolve a safe relative path under a root; throws if the result would escape it. */
export function resolveInside(root: string, relative: string, origin: string): string {
  assertSafeRelativePath(relative, origin);
  const full = path.resolve(root, ...relative.split("/"));
  const rel = path.relative(root, full);
  if (rel.startsWith("..") || path.isAbsolute(rel)) {
    throw new UserError(`${origin}: the path ${JSON.stringify(relative)} would leave the target`);
  }
  return full;
}
