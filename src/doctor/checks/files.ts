import picomatch from "picomatch";
import { byteString, displayTexts, entriesEqual, isBinary, isExecutable, type FileEntry } from "../../tree.js";
import { failed, hasTemplate, NEEDS_TEMPLATE, passed, renderedEntry, skipped, type Check, type TemplatedContext } from "../context.js";
import { diffExcerpt } from "../diff-excerpt.js";
import { SERVICE_ANCHOR, type CheckInfo, type Finding } from "../model.js";

export const requiredFilesInfo: CheckInfo = {
  id: "paved/required-files",
  category: "files",
  title: "the files the template requires are present",
  severity: "error",
  help: "Every managed file, and every file matching the template's `files.required`, must exist. Files the template renders can be restored with `paved doctor --fix`.",
};

export const managedDriftInfo: CheckInfo = {
  id: "paved/managed-drift",
  category: "files",
  title: "managed files match the template",
  severity: "error",
  help: "Files listed in the template's `files.managed` are owned by the platform: they must equal a fresh render of the recorded version with the recorded answers. `paved doctor --fix` restores them; `paved upgrade` keeps them current.",
};

const FIX_RESTORE = "run `paved doctor --fix` to restore it from the template";

/** A required pattern is literal when it has no glob characters. */
function isGlob(pattern: string): boolean {
  return /[*?[\]{}()!]/.test(pattern);
}

export interface RequiredFile {
  path: string;
  /** The template renders this file, so --fix can restore it. */
  rendered: boolean;
}

/**
 * What must exist: every rendered managed file; for each `files.required` pattern, every rendered file it
 * matches, or (when the template has no file it could match at all) at least one file in the service.
 * A pattern whose files a `when` rule left out of this render requires nothing.
 */
export function requiredFiles(ctx: TemplatedContext): { files: RequiredFile[]; patterns: string[] } {
  const template = ctx.template;
  const rendered = template.paths;
  const files = new Map<string, RequiredFile>();
  for (const p of template.managed) files.set(p, { path: p, rendered: true });
  const patterns: string[] = [];
  for (const pattern of template.version.manifest.files.required) {
    const match = picomatch(pattern, { dot: true });
    const hits = rendered.filter((p) => match(p));
    if (hits.length > 0) {
      for (const p of hits) files.set(p, { path: p, rendered: true });
    } else if (![...template.version.files.keys()].some((p) => match(p))) {
      patterns.push(pattern);
    }
  }
  return { files: [...files.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)), patterns };
}

export const requiredFilesCheck: Check = {
  info: requiredFilesInfo,
  run(ctx) {
    if (!hasTemplate(ctx)) return [skipped(requiredFilesInfo, NEEDS_TEMPLATE)];
    const { files, patterns } = requiredFiles(ctx);
    const findings: Finding[] = [];
    for (const file of files) {
      if (ctx.files.exists(file.path)) continue;
      findings.push(
        failed(requiredFilesInfo, {
          message: `${file.path} is missing`,
          file: SERVICE_ANCHOR,
          line: 1,
          key: file.path,
          fix: file.rendered ? FIX_RESTORE : `add ${file.path}`,
          fixable: file.rendered,
        }),
      );
    }
    for (const pattern of patterns) {
      const matches = picomatch(pattern, { dot: true });
      const present = isGlob(pattern) ? ctx.files.tracked.some((p) => matches(p)) : ctx.files.exists(pattern);
      if (present) continue;
      findings.push(
        failed(requiredFilesInfo, {
          message: isGlob(pattern) ? `no file matches ${pattern}` : `${pattern} is missing`,
          file: SERVICE_ANCHOR,
          line: 1,
          key: pattern,
          fix: `add ${isGlob(pattern) ? `a file matching ${pattern}` : pattern} (the template requires it but does not provide it)`,
        }),
      );
    }
    const total = files.length + patterns.length;
    return findings.length ? findings : [passed(requiredFilesInfo, `${total} required file${total === 1 ? "" : "s"} present`)];
  },
};

function describeDrift(expected: FileEntry, actual: FileEntry): { message: string; line?: number; diff?: string } {
  if ((expected.symlink ?? null) !== (actual.symlink ?? null)) {
    return {
      message: expected.symlink !== undefined ? `should be a symlink to ${expected.symlink}` : "should be a regular file, not a symlink",
    };
  }
  if (isBinary(expected.data) || isBinary(actual.data)) return { message: "differs from the template (binary content)" };
  // Text as git decides it; compared as shown (UTF-8, else Latin-1), so different bytes never look equal.
  const [expectedText, actualText] = displayTexts(byteString(expected.data), byteString(actual.data));
  const excerpt = diffExcerpt(expectedText, actualText);
  if (!excerpt) {
    return {
      message: isExecutable(expected)
        ? "should be executable (chmod +x), as in the template"
        : "should not be executable, as in the template",
    };
  }
  return { message: `differs from the template from line ${excerpt.line}`, line: excerpt.line, diff: excerpt.text };
}

export const managedDriftCheck: Check = {
  info: managedDriftInfo,
  run(ctx) {
    if (!ctx.template) return [skipped(managedDriftInfo, NEEDS_TEMPLATE)];
    const template = ctx.template;
    const managed = [...template.managed].sort();
    if (managed.length === 0) return [skipped(managedDriftInfo, "the template manages no files")];
    const findings: Finding[] = [];
    let compared = 0;
    for (const p of managed) {
      const actual = ctx.files.read(p);
      if (!actual) continue; // paved/required-files reports it
      compared++;
      const expected = renderedEntry(template, p);
      if (entriesEqual(expected, actual)) continue;
      const drift = describeDrift(expected, actual);
      findings.push(
        failed(managedDriftInfo, {
          message: `${p} ${drift.message}`,
          file: p,
          line: drift.line ?? 1,
          key: p,
          fix: `${FIX_RESTORE} (managed files are owned by the platform; propose changes to the template instead), or see \`paved diff\``,
          fixable: true,
          ...(drift.diff ? { diff: drift.diff } : {}),
        }),
      );
    }
    return findings.length
      ? findings
      : [passed(managedDriftInfo, `${compared} managed file${compared === 1 ? "" : "s"} match the template`)];
  },
};
