import path from "node:path";
import { repositoryPlace } from "../applications.js";
import { placeRenderedFiles } from "../monorepo/placement.js";
import { readRootFile } from "../monorepo/root-files.js";
import { cliRenderMeta } from "../config.js";
import { recordedProvided, resolveAnswers } from "../answers/answers.js";
import { UserError } from "../errors.js";
import { readTree } from "../fs/read-tree.js";
import { renderTemplate } from "../render/render.js";
import { readServiceFile, SERVICE_FILE, type ServiceFile } from "../service-file.js";
import { type TemplateSource, versionFile } from "../templates/source.js";
import { byteString, entriesEqual, gitMode, isBinary, sortedEntries, type FileEntry, type FileTree } from "../tree.js";
import { openServiceSource } from "./service-source.js";
import { countChanges, unifiedHunks } from "../diff/unified-diff.js";
import { openRepository, readWorkingTree } from "../git/worktree.js";

export interface DriftedFile {
  path: string;
  status: "modified" | "deleted" | "mode";
  binary: boolean;
  added: number;
  removed: number;
  /** The unified diff (template render -> working tree), git style, as a byte string (`fromByteString` gives git's bytes). */
  patch: string;
}

/** A UTF-8 string (paths, headers) as a byte string. */
function utf8Bytes(text: string): string {
  return byteString(Buffer.from(text, "utf8"));
}

/** The content git diffs, as a byte string: any text (no NUL early on) is diffed line by line whatever its encoding. */
function bytesOf(entry: FileEntry | undefined): string {
  if (!entry) return "";
  return entry.symlink !== undefined ? utf8Bytes(entry.symlink) : byteString(entry.data);
}

/** How the team's tree differs from a fresh render: files the template renders that were changed or deleted. */
export function findDrift(rendered: FileTree, ours: FileTree): DriftedFile[] {
  const drift: DriftedFile[] = [];
  for (const [p, theirs] of sortedEntries(rendered)) {
    if (p === SERVICE_FILE) continue;
    const mine = ours.get(p);
    if (entriesEqual(theirs, mine)) continue;
    const header = [`diff --git a/${p} b/${p}`];
    if (!mine) header.push(`deleted file mode ${gitMode(theirs)}`);
    else if (gitMode(theirs) !== gitMode(mine)) header.push(`old mode ${gitMode(theirs)}`, `new mode ${gitMode(mine)}`);
    const binary =
      (theirs.symlink === undefined && isBinary(theirs.data)) || (mine !== undefined && mine.symlink === undefined && isBinary(mine.data));
    const before = bytesOf(theirs);
    const after = bytesOf(mine);
    let body = "";
    let counts = { added: 0, removed: 0 };
    if (binary) {
      if (!mine || !entriesEqual({ ...theirs, mode: 0o644 }, { ...mine, mode: 0o644 }))
        body = utf8Bytes(`Binary files a/${p} and ${mine ? `b/${p}` : "/dev/null"} differ\n`);
    } else if (before !== after) {
      counts = countChanges(before, after);
      body = `${utf8Bytes(`--- a/${p}\n+++ ${mine ? `b/${p}` : "/dev/null"}\n`)}${unifiedHunks(before, after)}`;
    }
    const status = !mine ? "deleted" : before === after && !binary ? "mode" : "modified";
    drift.push({ path: p, status, binary, ...counts, patch: `${utf8Bytes(`${header.join("\n")}\n`)}${body}` });
  }
  return drift;
}

export interface ServiceDrift {
  service: ServiceFile;
  source: TemplateSource;
  /** Files a fresh render produces (without .paved.yml). */
  rendered: number;
  drift: DriftedFile[];
}

/** The team's files: in a git repository only what git would commit; elsewhere everything but .git and node_modules. */
export async function workingTreeOf(target: string): Promise<FileTree> {
  return openRepository(target).then(
    (repo) => readWorkingTree(repo),
    () => readTree(target, { ignoreDirs: new Set([".git", "node_modules"]) }),
  );
}

/** A service's drift from a fresh render of its recorded version with its recorded answers (`paved diff`, `paved fleet`). */
export async function serviceDrift(target: string, sourceFlag: string | undefined): Promise<ServiceDrift> {
  const service = await readServiceFile(target);
  const { source, versions } = await openServiceSource(target, sourceFlag, service.source, service.template, service.version);
  if (!versions.includes(service.version)) {
    throw new UserError(`${SERVICE_FILE} records ${service.template} ${service.version}, which ${source.id} does not have`, {
      hint: `pass --source <dir> pointing at templates that include ${service.version}`,
    });
  }
  const version = await source.loadVersion(service.template, service.version);
  const place = await repositoryPlace(target);
  const servicePath = place?.prefix ?? "";
  // As `paved new` rendered it: {{paved.path}} is the service's folder from the repository root.
  const meta = {
    template: service.template,
    version: service.version,
    dirName: path.basename(target),
    ...cliRenderMeta(),
    path: servicePath,
    root: servicePath ? path.posix.relative(servicePath, "") : ".",
  };
  // Resolved as upgrade resolves its base: recorded answers validated first, secrets unknown (their files skipped).
  const provided = recordedProvided(version.manifest.questions, service.answers);
  const manifestFile = versionFile(version, "template.yaml");
  const { answers, unknown } = await resolveAnswers({
    questions: version.manifest.questions,
    provided,
    meta,
    manifestFile,
    fromRecord: true,
  });
  const placed = placeRenderedFiles(renderTemplate(version, answers, meta, unknown).tree, version.manifest.rootFiles, servicePath);
  // Files the template places at the repository root (rootFiles) are compared there, named from the service's folder.
  const fromService = (file: string) => path.posix.relative(servicePath, file);
  const rendered: FileTree = new Map([...placed.service, ...[...placed.root].map(([p, e]) => [fromService(p), e] as const)]);
  const ours = await workingTreeOf(target);
  if (place) for (const p of placed.root.keys()) await readRootFile(place.root, p).then((e) => e && ours.set(fromService(p), e));
  return { service, source, rendered: [...rendered.keys()].filter((p) => p !== SERVICE_FILE).length, drift: findDrift(rendered, ours) };
}
