import { lstatSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import path from "node:path";

/**
 * Every entry under root without following symlinks: a link is recorded as its target, a file as mode and bytes.
 * `skip` leaves out entries (relative POSIX paths) whose changes are someone else's, e.g. the service itself.
 */
export function snapshotWorld(root: string, skip: (relative: string) => boolean = () => false): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string, prefix: string) => {
    for (const name of readdirSync(dir).sort()) {
      const rel = prefix ? `${prefix}/${name}` : name;
      if (skip(rel)) continue;
      const full = path.join(dir, name);
      const stat = lstatSync(full);
      if (stat.isSymbolicLink()) out[rel] = `link:${readlinkSync(full)}`;
      else if (stat.isDirectory()) {
        out[`${rel}/`] = "dir";
        walk(full, rel);
      } else out[rel] = `${(stat.mode & 0o777).toString(8)}:${readFileSync(full).toString("base64")}`;
    }
  };
  walk(root, "");
  return out;
}
