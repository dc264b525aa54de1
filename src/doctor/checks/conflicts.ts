import { gitPathsSync } from "../../git/run.js";
import { matchGroup } from "../../match-group.js";
import { failed, passed, type Check, type DoctorContext } from "../context.js";
import type { CheckInfo, Finding } from "../model.js";
import { lineAt } from "../repo-files.js";

export const conflictsInfo: CheckInfo = {
  id: "paved/conflicts",
  category: "files",
  title: "no unfinished merge or upgrade",
  severity: "error",
  help: "No file is unmerged in the git index, no tracked text file holds a `<<<<<<<` ... `>>>>>>>` conflict marker pair, and no `.rej` or `.orig` file (tracked or not) sits beside a file the template renders. They are what an unfinished `paved upgrade` (or git merge) leaves.",
};

function gitPaths(dir: string, args: string[]): string[] {
  return gitPathsSync(dir, args) ?? [];
}

/** `git ls-files -u` lists each unmerged path once per stage: "mode id stage\tpath". */
function unmergedPaths(dir: string): string[] {
  return [...new Set(gitPaths(dir, ["ls-files", "-u", "-z"]).map((line) => line.slice(line.indexOf("\t") + 1)))].sort();
}

const OPEN = /^<{7}(?: |$)/m;
const CLOSE = /^>{7}(?: |$)/m;

/** The line of the first `<<<<<<<` that a `>>>>>>>` line follows, or undefined. */
function markerLine(text: string): number | undefined {
  const open = OPEN.exec(text);
  if (!open) return undefined;
  const close = CLOSE.exec(text.slice(open.index));
  return close ? lineAt(text, open.index) : undefined;
}

function leftovers(ctx: DoctorContext): Array<{ path: string; of: string }> {
  const rendered = new Set(ctx.template?.paths ?? ctx.files.tracked);
  const candidates = ctx.files.isGit
    ? [...ctx.files.tracked, ...gitPaths(ctx.dir, ["ls-files", "-z", "--others"])]
    : [...ctx.files.tracked];
  const out: Array<{ path: string; of: string }> = [];
  for (const p of new Set(candidates)) {
    const m = /^(.*)\.(rej|orig)$/.exec(p);
    const of = m ? matchGroup(m, 1) : undefined;
    if (of !== undefined && rendered.has(of)) out.push({ path: p, of });
  }
  return out.sort((a, b) => a.path.localeCompare(b.path));
}

export const conflictsCheck: Check = {
  info: conflictsInfo,
  run(ctx) {
    const findings: Finding[] = [];
    const unmerged = ctx.files.isGit ? unmergedPaths(ctx.dir) : [];
    for (const p of unmerged) {
      const text = ctx.files.text(p);
      const line = (text && markerLine(text)) || 1;
      findings.push(
        failed(conflictsInfo, {
          message: `${p} has an unresolved conflict (unmerged in the git index)`,
          file: p,
          line,
          key: `${p}:unmerged`,
          fix: "resolve the conflict, `git add` the file and commit (after `paved upgrade`: `paved upgrade --continue`, or `--abort` to undo it)",
        }),
      );
    }
    const skip = new Set(unmerged);
    let scanned = 0;
    for (const p of ctx.files.tracked) {
      if (skip.has(p)) continue;
      const text = ctx.files.text(p);
      if (text === undefined) continue;
      scanned++;
      const line = markerLine(text);
      if (line === undefined) continue;
      findings.push(
        failed(conflictsInfo, {
          message: `${p}:${line} holds conflict markers (<<<<<<< ... >>>>>>>) that were committed`,
          file: p,
          line,
          key: `${p}:markers`,
          fix: "keep the right lines, remove the markers and commit the file",
        }),
      );
    }
    for (const l of leftovers(ctx)) {
      findings.push(
        failed(conflictsInfo, {
          message: `${l.path} is left over from a conflicted merge of ${l.of}`,
          file: l.path,
          line: 1,
          key: `${l.path}:leftover`,
          fix: `apply what it holds to ${l.of} by hand, then delete ${l.path}`,
        }),
      );
    }
    return findings.length > 0
      ? findings
      : [
          passed(
            conflictsInfo,
            `no unmerged files, conflict markers or .rej/.orig leftovers in ${scanned} tracked text file${scanned === 1 ? "" : "s"}`,
          ),
        ];
  },
};
