import { UserError } from "../errors.js";

const REASONS: Record<string, string> = {
  ENOSPC: "no space left on the device",
  EDQUOT: "the disk quota is used up",
  EROFS: "the file system is read-only",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  ENAMETOOLONG: "the name is too long for the file system",
  EMFILE: "too many open files",
};

/**
 * Turn an environmental file-system failure (full disk, read-only mount, permissions) into a UserError with a fix;
 * anything else is returned unchanged (a real bug surfaces as one).
 */
export function fileSystemError(error: unknown, what: string): unknown {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const reason = code ? REASONS[code] : undefined;
  if (!reason) return error;
  return new UserError(`cannot ${what}: ${reason} (${code})`, {
    hint:
      code === "ENOSPC" || code === "EDQUOT"
        ? "free some space, or choose a target on another disk"
        : "choose a target directory you can write to",
  });
}
