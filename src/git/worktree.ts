import { lstatSync, mkdtempSync, readlinkSync, rmSync, writeFileSync, type Stats } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { defined, UserError } from "../errors.js";
import { readFileEntry } from "../fs/read-tree.js";
import { yieldEvery } from "../fs/yield.js";
import { commitIdentityArgs } from "./identity.js";
import { BULK_CHECK_IN, bulkCheckInForUpdateIndex, runGit, runGitSync } from "./run.js";
import { repositoryPathOf } from "../monorepo/root-files.js";
import { gitMode, type FileEntry, type FileTree } from "../tree.js";

/** Run git in `cwd`; stdout as text. A failure is a UserError quoting git; stops with paved on Ctrl-C. */
const git = runGit;

export interface Repository {
  /** The service directory. */
  dir: string;
  /** Its path inside the repository, "" at the top or "sub/dir/" below it (git's --show-prefix). */
  prefix: string;
}

/**
 * The git repository holding `dir`; upgrade needs git to know what the team changed and to record conflicts.
 * `known`: what the repository lock already asked git about `dir` (the same rev-parse; not asked twice).
 */
export async function openRepository(dir: string, known?: { prefix: string }): Promise<Repository> {
  if (known) return { dir, prefix: known.prefix };
  let answer: string[];
  try {
    answer = (await git(dir, ["rev-parse", "--is-inside-work-tree", "--show-prefix"])).split("\n");
  } catch {
    throw new UserError(`${dir} is not inside a git repository`, {
      hint: "paved upgrade needs git: run `git init && git add -A && git commit -m 'Before upgrade'` first",
    });
  }
  if (answer[0]?.trim() !== "true") {
    // HEAD, objects/ and refs/ in the folder itself make git take it for a bare repository.
    throw new UserError(`${dir} is not inside a git work tree (git takes it for a bare repository or a .git directory)`, {
      hint: "run paved in the work tree of the service's repository; move HEAD, objects/ and refs/ out of the service folder",
    });
  }
  return { dir, prefix: (answer[1] ?? "").trim() };
}

const WORKING_TREE_LIST = ["ls-files", "-z", "--cached", "--others", "--exclude-standard"];

/** A listing of the working tree started beside the status check, for the readWorkingTree that follows it. */
const listingStarted = new WeakMap<Repository, Promise<string>>();

/**
 * `git status --porcelain` lines for the service directory and its root files (empty when clean). The working tree's file list
 * (see readWorkingTree, which upgrade calls next on a clean tree) is asked for at the same time: two git
 * processes running at once instead of one after the other.
 */
export async function uncommittedChanges(repo: Repository, rootPaths: readonly string[] = []): Promise<string[]> {
  const listing = git(repo.dir, WORKING_TREE_LIST);
  listing.catch(() => {}); // read (and its failure reported) by readWorkingTree, if it is called
  listingStarted.set(repo, listing);
  // `rootPaths`: the service's root files (named from its folder), merged by the upgrade like its own files.
  const paths = [".", ...rootPaths.map((p) => `:(literal)${p}`)];
  const out = await git(repo.dir, ["status", "--porcelain", "--untracked-files=all", "--", ...paths]);
  return out.split("\n").filter((l) => l.trim() !== "");
}

/**
 * Refuse (exit 2) when git sees uncommitted changes in the service or its `rootPaths` (see uncommittedChanges):
 * `what` is the change a clean tree keeps reviewable on its own ("the upgrade").
 */
export async function assertNoUncommittedChanges(
  repo: Repository,
  shown: string,
  what: string,
  rootPaths: readonly string[] = [],
): Promise<void> {
  const [first, ...more] = await uncommittedChanges(repo, rootPaths);
  if (first === undefined) return;
  const count = more.length + 1;
  throw new UserError(`${shown} has uncommitted changes (${count} path${count === 1 ? "" : "s"}, e.g. ${first.slice(3)})`, {
    hint: `commit or stash them first so ${what} is one reviewable change, or pass --allow-dirty`,
  });
}

/**
 * The working tree as the team sees it: tracked files plus untracked ones git does not ignore, so build
 * output and dependencies never count as "the team's version".
 */
export async function readWorkingTree(repo: Repository): Promise<FileTree> {
  const started = listingStarted.get(repo);
  listingStarted.delete(repo);
  const out = await (started ?? git(repo.dir, WORKING_TREE_LIST));
  const paths = [...new Set(out.split("\0").filter(Boolean))];
  const tree: FileTree = new Map();
  // Synchronous reads, yielding now and then for Ctrl-C: promises through libuv's thread pool left a 600-file
  // upgrade waiting (as readTree found for render; see src/fs/read-tree.ts).
  const pause = yieldEvery(256);
  for (const relative of paths) {
    const full = path.join(repo.dir, ...relative.split("/"));
    let stat: Stats;
    try {
      stat = lstatSync(full);
    } catch {
      continue; // tracked but deleted in the working tree
    }
    if (stat.isSymbolicLink()) {
      tree.set(relative, { data: new Uint8Array(0), mode: 0o777, symlink: readlinkSync(full).split(path.sep).join("/") });
    } else if (stat.isFile()) {
      tree.set(relative, readFileEntry(full));
    }
    await pause();
  }
  return tree;
}

export interface UnmergedFile {
  path: string;
  base?: FileEntry;
  ours?: FileEntry;
  theirs?: FileEntry;
}

export interface IndexUpdate {
  /** Conflicted files: recorded as unmerged (stages 1 base, 2 ours, 3 theirs). */
  unmerged: UnmergedFile[];
  /** Cleanly upgraded files to stage (null: removed), so committing after resolving includes the whole upgrade. */
  staged: Map<string, FileEntry | null>;
}

function blobData(entry: FileEntry): Uint8Array {
  return entry.symlink !== undefined ? Buffer.from(entry.symlink) : entry.data;
}

/**
 * Store each version as a blob (objects only: the index and tree are untouched), with one git process for any
 * number of blobs: the contents go to a private temporary directory and `git hash-object -w --no-filters
 * --stdin-paths` stores them as they are (a `hash-object` per blob was half of a real upgrade's time).
 */
export async function storeBlobs(repo: Repository, update: IndexUpdate): Promise<Map<FileEntry, string>> {
  const entries = [...new Set([...update.unmerged.flatMap((f) => [f.base, f.ours, f.theirs]), ...update.staged.values()])].filter(
    (e): e is FileEntry => Boolean(e),
  );
  const ids = new Map<FileEntry, string>();
  if (entries.length === 0) return ids;
  const dir = mkdtempSync(path.join(tmpdir(), "paved-blobs-"));
  try {
    const files = entries.map((entry, i) => {
      const file = path.join(dir, String(i));
      writeFileSync(file, blobData(entry), { flag: "wx" });
      return file;
    });
    const out = await git(repo.dir, ["hash-object", "-w", "--no-filters", "--stdin-paths"], files.map((f) => `${f}\n`).join(""));
    const hashes = out.split("\n").filter(Boolean);
    for (const [i, entry] of entries.entries()) ids.set(entry, defined(hashes[i], `git hash-object's id of blob ${i}`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return ids;
}

/** The id storeBlobs gave an entry (it stores every entry of the update). */
function blobId(blobs: Map<FileEntry, string>, entry: FileEntry): string {
  return defined(blobs.get(entry), "the blob id of an entry storeBlobs stored");
}

/**
 * Record conflicted files as unmerged in the index (stages 1 base, 2 ours, 3 theirs), as `git merge` does,
 * so `git status`, IDEs and `git mergetool` show them; stage the rest of the upgrade. Synchronous on
 * purpose: it runs inside the atomic apply, where no signal handler can interleave. A failure (a held
 * index.lock, a corrupt index) is a UserError quoting git, thrown so the apply rolls back.
 */
export function updateIndex(repo: Repository, update: IndexUpdate, blobs: Map<FileEntry, string>): void {
  const lines: string[] = [];
  const zero = "0".repeat(40);
  for (const [p, entry] of update.staged) {
    const indexPath = repositoryPathOf(repo.prefix, p);
    lines.push(entry ? `${gitMode(entry)} ${blobId(blobs, entry)}\t${indexPath}` : `0 ${zero}\t${indexPath}`);
  }
  for (const f of update.unmerged) {
    const indexPath = repositoryPathOf(repo.prefix, f.path);
    lines.push(`0 ${zero}\t${indexPath}`);
    [f.base, f.ours, f.theirs].forEach((entry, i) => {
      if (entry) lines.push(`${gitMode(entry)} ${blobId(blobs, entry)} ${i + 1}\t${indexPath}`);
    });
  }
  if (lines.length === 0) return;
  // -z: records end with NUL, so any file name (even one with a newline) is passed through unchanged.
  runGitSync(repo.dir, ["update-index", "-z", "--index-info"], lines.map((l) => `${l}\0`).join(""));
}

/**
 * Stage everything in the service directory and commit it, and only it: in a monorepo, what is staged for
 * another service stays staged and out of this commit (`git commit -- .` commits the given paths only).
 * `rootPaths`: the service's root files the upgrade wrote or deleted (named from its folder, `../../.github/x`),
 * committed with it and nothing else outside its folder.
 */
export async function commitAll(repo: Repository, message: string, rootPaths: readonly string[] = []): Promise<string> {
  await git(repo.dir, [...BULK_CHECK_IN, "add", "--all", "--", "."]);
  const identity = await commitIdentityArgs(repo.dir);
  // Literal pathspecs (a file name is never read as a glob); `commit -- <path>` takes a root file as it is on disk,
  // and a deleted one (still in HEAD) out.
  const paths = [".", ...rootPaths.map((p) => `:(literal)${p}`)];
  await git(repo.dir, [...identity, "commit", "--quiet", "--no-verify", "-m", message, "--", ...paths]);
  return (await git(repo.dir, ["rev-parse", "HEAD"])).trim();
}

/** The commit HEAD points at, or "" in a repository without commits. */
export async function headCommit(repo: Repository): Promise<string> {
  return (await git(repo.dir, ["rev-parse", "--verify", "--quiet", "HEAD"]).catch(() => "")).trim();
}

/** Paths with unmerged index entries (conflicts not yet `git add`ed), relative to the service directory. */
export async function unmergedPaths(repo: Repository): Promise<string[]> {
  const out = await git(repo.dir, ["diff", "--name-only", "--diff-filter=U", "--relative", "-z"]);
  return [...new Set(out.split("\0").filter(Boolean))].sort();
}

/** Set the index entries of `paths` back to HEAD (unmerged stages included); the working tree is left alone. */
export async function resetIndexPaths(repo: Repository, paths: readonly string[]): Promise<void> {
  if (paths.length === 0) return;
  await git(repo.dir, ["reset", "--quiet", "--pathspec-from-file=-", "--pathspec-file-nul", "HEAD"], paths.map((p) => `${p}\0`).join(""));
}

/**
 * Stage these paths as they are in the working tree (deleted ones leave the index; a path neither on disk nor
 * in the index is ignored). One git process for any number of files: hashing each file with its own
 * `git hash-object` made a 600-file upgrade 2.5 times slower. Their blobs go into one pack where this git allows
 * it (BULK_CHECK_IN, git 2.37 and later), not a loose object file each.
 */
export async function stagePaths(repo: Repository, paths: readonly string[]): Promise<void> {
  if (paths.length === 0) return;
  await git(
    repo.dir,
    [...(await bulkCheckInForUpdateIndex()), "update-index", "--add", "--remove", "-z", "--stdin"],
    paths.map((p) => `${p}\0`).join(""),
  );
}

/**
 * Say stagePaths will be called soon: what it needs to know of git (its version, for BULK_CHECK_IN) is asked now
 * and answered while the caller works, not after.
 */
export function stageSoon(): void {
  void bulkCheckInForUpdateIndex();
}
