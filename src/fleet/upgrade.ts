import { Writable } from "node:stream";
import { availableParallelism } from "node:os";
import { ProblemFound, UserError } from "../errors.js";
import { repositoryState } from "../fs/lock.js";
import { Output } from "../output.js";
import { clearInProgress } from "../upgrade/in-progress.js";
import { formatReleaseNotes, upgradeCommitMessage, type ReleaseNote } from "../upgrade/release-notes.js";
import { commitAll, openRepository } from "../git/worktree.js";
import { cloneOrFetch } from "./clone.js";
import { GIT_ENV, gitComplaint, runGit } from "./git.js";
import { mapLimited } from "./pool.js";
import { selectTargets, type Target, type TargetSelection } from "./targets.js";

/** The trailer on every commit paved makes on an upgrade branch: a commit without it is a person's. */
export const UPGRADE_TRAILER = "Paved-Upgrade";

export const UPGRADE_STATUSES = ["up-to-date", "upgraded", "pushed", "conflicts", "verify-failed", "skipped", "failed"] as const;
export type UpgradeStatus = (typeof UPGRADE_STATUSES)[number];

export interface FleetUpgradeRow {
  id: string;
  status: UpgradeStatus;
  /** Why a row is skipped or failed; what is left for a person otherwise. */
  reason: string | null;
  template: string | null;
  from: string | null;
  to: string | null;
  branch: string | null;
  commit: string | null;
  /** The remote's upgrade branch holds this commit (pushed by this run or an earlier one); `wouldPush`: a dry run (no --push) would push it. */
  pushed: boolean;
  wouldPush: boolean;
  conflicts: string[];
  verify: { ok: boolean; failure: string | null } | null;
  releaseNotes: ReleaseNote[];
  /** The pull/merge request, or the compare URL to open one. */
  pullRequest: string | null;
}

export interface FleetUpgradeOptions extends TargetSelection {
  to?: string;
  branchPrefix: string;
  inPlace: boolean;
  push: boolean;
  verify: boolean;
  trust: boolean;
  concurrency?: number;
  openPr?: "github" | "gitlab";
}

export async function runFleetUpgrade(options: FleetUpgradeOptions, onRow?: (row: FleetUpgradeRow) => void): Promise<FleetUpgradeRow[]> {
  const targets = selectTargets(options);
  return mapLimited(targets, options.concurrency ?? availableParallelism(), async (target) => {
    const row = await upgradeTarget(target, options).catch((error: unknown) => failedRow(target.id, error));
    onRow?.(row);
    return row;
  });
}

function emptyRow(id: string): FleetUpgradeRow {
  return {
    id,
    status: "failed",
    reason: null,
    template: null,
    from: null,
    to: null,
    branch: null,
    commit: null,
    pushed: false,
    wouldPush: false,
    conflicts: [],
    verify: null,
    releaseNotes: [],
    pullRequest: null,
  };
}

function failedRow(id: string, error: unknown): FleetUpgradeRow {
  const message = error instanceof UserError ? error.message : error instanceof Error ? error.message : String(error);
  return { ...emptyRow(id), status: "failed", reason: message.split("\n")[0] ?? message };
}

/** Every git call of a fleet upgrade, in one place: throws with git's complaint. */
async function git(dir: string, args: string[]): Promise<string> {
  const result = await runGit(dir, args, undefined, GIT_ENV);
  if (!result.ok) throw new Error(`git ${args[0]}: ${gitComplaint(result)}`);
  return result.stdout.trim();
}

async function tryGit(dir: string, args: string[]): Promise<string | undefined> {
  const result = await runGit(dir, args, undefined, GIT_ENV);
  return result.ok ? result.stdout.trim() : undefined;
}

/** What `paved upgrade --json` says (the fields the fleet uses). */
interface UpgradeResult {
  ok: boolean;
  upToDate?: boolean;
  from: string;
  to: string;
  source?: string;
  conflicts?: { path: string }[];
  kept?: { path: string; accepted: boolean }[];
  releaseNotes?: ReleaseNote[];
  verify?: { ok: boolean; failure?: { command: string; why: string } | null } | null;
  answerChanges?: { name: string; from: unknown; to: unknown }[];
}

/** Runs the same engine as `paved upgrade`, in-process, and returns its JSON result. */
async function upgradeInProcess(
  dir: string,
  options: FleetUpgradeOptions,
): Promise<{ result: UpgradeResult; problem: ProblemFound | null }> {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(Buffer.from(chunk));
      callback();
    },
  });
  const out = new Output(
    { json: true, quiet: true, color: false },
    { stdout: sink, stderr: new Writable({ write: (_c, _e, cb) => cb() }) },
  );
  const { upgradeCommand } = await import("../commands/upgrade.js");
  let problem: ProblemFound | null = null;
  try {
    await upgradeCommand(
      dir,
      {
        yes: true,
        json: true,
        quiet: true,
        commit: false,
        ...(options.to ? { to: options.to } : {}),
        verify: options.verify,
        trust: options.trust,
      },
      { out },
    );
  } catch (error) {
    if (!(error instanceof ProblemFound)) throw error;
    problem = error;
  }
  const text = Buffer.concat(chunks).toString("utf8");
  return { result: JSON.parse(text) as UpgradeResult, problem };
}

async function templateOf(dir: string): Promise<string> {
  const { readServiceFile } = await import("../service-file.js");
  return (await readServiceFile(dir)).template;
}

async function upgradeTarget(target: Target, options: FleetUpgradeOptions): Promise<FleetUpgradeRow> {
  const row = emptyRow(target.id);
  if (target.kind === "missing") return { ...row, status: "skipped", reason: target.reason };
  let dir: string;
  if (target.kind === "local" && options.inPlace) {
    dir = target.dir;
    if ((await tryGit(dir, ["status", "--porcelain"])) !== "")
      return { ...row, status: "skipped", reason: "--in-place: the working copy has uncommitted changes" };
  } else {
    const cloned = await cloneOrFetch(target.kind === "git" ? target.url : target.dir);
    if (!cloned.ok) return { ...row, status: "failed", reason: cloned.reason };
    dir = cloned.dir;
  }
  // The default branch's tip, as the remote has it: every upgrade branch starts there.
  const remoteHead = await tryGit(dir, ["symbolic-ref", "--short", "refs/remotes/origin/HEAD"]);
  const defaultRef = remoteHead ?? "HEAD";
  const defaultBranch = remoteHead ? remoteHead.replace(/^origin\//, "") : await git(dir, ["rev-parse", "--abbrev-ref", "HEAD"]);
  const base = await git(dir, ["rev-parse", `${defaultRef}^{commit}`]);
  const startBranch = await tryGit(dir, ["symbolic-ref", "--short", "HEAD"]);
  if (!options.inPlace || target.kind !== "local") {
    await git(dir, ["checkout", "--quiet", "--force", "--detach", base]);
    await git(dir, ["clean", "--quiet", "-fdx"]);
  } else {
    await git(dir, ["checkout", "--quiet", "--detach", base]);
  }
  const state = await repositoryState(dir);
  if (state) clearInProgress(state);
  try {
    return await upgradeAt(dir, base, defaultBranch, options, row);
  } finally {
    if (options.inPlace && target.kind === "local") {
      // The developer's copy goes back to the branch it was on; the upgrade branch stays in it.
      await tryGit(dir, ["checkout", "--quiet", "--force", startBranch ?? base]);
      if (state) clearInProgress(state);
    }
  }
}

async function upgradeAt(
  dir: string,
  base: string,
  defaultBranch: string,
  options: FleetUpgradeOptions,
  row: FleetUpgradeRow,
): Promise<FleetUpgradeRow> {
  const template = await templateOf(dir);
  const { result, problem } = await upgradeInProcess(dir, options);
  const facts = { template, from: result.from, to: result.to, releaseNotes: result.releaseNotes ?? [] };
  if (result.upToDate) return { ...row, ...facts, status: "up-to-date" };
  const conflicts = [
    ...(result.conflicts ?? []).map((c) => c.path),
    ...(result.kept ?? []).filter((k) => !k.accepted).map((k) => `${k.path} (kept: move what you need out of it)`),
  ];
  const verify = result.verify
    ? { ok: result.verify.ok, failure: result.verify.failure ? `\`${result.verify.failure.command}\` ${result.verify.failure.why}` : null }
    : null;
  if (problem && conflicts.length === 0 && !(verify && !verify.ok)) throw problem;
  const branch = `${options.branchPrefix}${template}-${result.to}`;
  if (branch === defaultBranch)
    throw new UserError(`the upgrade branch ${branch} is the default branch`, { hint: "pass another --branch-prefix" });
  const status: UpgradeStatus = conflicts.length > 0 ? "conflicts" : verify && !verify.ok ? "verify-failed" : "upgraded";
  const message = `${upgradeCommitMessage({ template, from: result.from, to: result.to, sourceId: result.source ?? template, notes: facts.releaseNotes, ...(result.answerChanges ? { answerChanges: result.answerChanges } : {}) })}\n${UPGRADE_TRAILER}: ${template} ${result.to}\n`;
  // Conflicts are committed with their markers: the branch is where a person resolves them.
  const made = await commitAll(await openRepository(dir), message);
  const state = await repositoryState(dir);
  if (state) clearInProgress(state);
  const done: FleetUpgradeRow = { ...row, ...facts, status, branch, commit: made, conflicts, verify };
  const leftAlone = (commit: string): FleetUpgradeRow => ({
    ...done,
    status: "skipped",
    reason: "updated by a person, left alone",
    commit,
    pushed: false,
    wouldPush: false,
  });
  // In a developer's checkout (--in-place) the local branch may hold a person's commits too: never moved over them.
  const localBranch = options.inPlace
    ? await tryGit(dir, ["rev-parse", "--verify", "--quiet", `refs/heads/${branch}^{commit}`])
    : undefined;
  if (localBranch && (await commitsSince(dir, base, localBranch)).byPerson > 0) return leftAlone(localBranch);
  await git(dir, ["branch", "--force", branch, made]);

  const remoteBranch = await tryGit(dir, ["rev-parse", "--verify", "--quiet", `refs/remotes/origin/${branch}^{commit}`]);
  if (remoteBranch) {
    const theirs = await commitsSince(dir, base, remoteBranch);
    if (theirs.byPerson > 0) return leftAlone(remoteBranch);
    const sameBase = (await git(dir, ["rev-parse", `${remoteBranch}^`])) === base;
    const sameTree = (await git(dir, ["rev-parse", `${remoteBranch}^{tree}`])) === (await git(dir, ["rev-parse", `${made}^{tree}`]));
    if (sameBase && sameTree && theirs.all === 1) {
      // Nothing new: the remote branch already is this upgrade. Keep its commit; push nothing.
      await git(dir, ["branch", "--force", branch, remoteBranch]);
      return withPr(
        {
          ...done,
          commit: remoteBranch,
          status: options.push && status === "upgraded" ? "pushed" : status,
          pushed: true,
          wouldPush: false,
        },
        dir,
        defaultBranch,
        options,
      );
    }
  }
  if (!options.push) return withPr({ ...done, wouldPush: true }, dir, defaultBranch, options);
  // Replaces only what paved pushed there (the lease), never the default branch.
  const lease = `--force-with-lease=refs/heads/${branch}:${remoteBranch ?? ""}`;
  const pushed = await runGit(dir, ["push", "--quiet", "--no-verify", lease, "origin", `${made}:refs/heads/${branch}`], undefined, GIT_ENV);
  if (!pushed.ok) return { ...done, status: "failed", reason: `cannot push ${branch}: ${gitComplaint(pushed)}` };
  await git(dir, ["update-ref", `refs/remotes/origin/${branch}`, made]);
  return withPr({ ...done, status: status === "upgraded" ? "pushed" : status, pushed: true }, dir, defaultBranch, options);
}

/** Commits on `ref` that `base` does not have, and how many of them lack paved's trailer (a person's). */
async function commitsSince(dir: string, base: string, ref: string): Promise<{ all: number; byPerson: number }> {
  const messages = (await git(dir, ["log", "--format=%B%x01", `${base}..${ref}`]))
    .split("\x01")
    .map((c) => c.trim())
    .filter(Boolean);
  const trailer = new RegExp(`^${UPGRADE_TRAILER}: `, "m");
  return { all: messages.length, byPerson: messages.filter((m) => !trailer.test(m)).length };
}

async function withPr(row: FleetUpgradeRow, dir: string, defaultBranch: string, options: FleetUpgradeOptions): Promise<FleetUpgradeRow> {
  const { branch } = row;
  if (!options.openPr || !branch) return row;
  const { openPullRequest } = await import("./pull-request.js");
  try {
    return { ...row, pullRequest: await openPullRequest({ ...row, branch }, dir, defaultBranch, options.openPr, options.push) };
  } catch (error) {
    // The branch is pushed either way; the row keeps what happened and why the PR is missing.
    return { ...row, status: "failed", reason: `the pull request: ${(error as Error).message}` };
  }
}

/** The PR/MR body: the changelog and manual actions of every crossed version, the verify result, the conflicts. */
export function pullRequestBody(row: FleetUpgradeRow): string {
  const lines = [`Upgrades ${row.template} from ${row.from} to ${row.to} (made by \`paved fleet upgrade\`).`, ""];
  const notes = formatReleaseNotes(row.template ?? "", row.releaseNotes, (t) => `### ${t}`);
  lines.push("## Release notes", "", ...(notes.length > 0 ? notes : ["(none)"]), "");
  lines.push(
    "## Verify",
    "",
    row.verify === null ? "not run (pass --verify)" : row.verify.ok ? "passed" : `failed: ${row.verify.failure ?? "see the CI log"}`,
    "",
  );
  if (row.conflicts.length > 0) {
    lines.push(
      "## Conflicts (needs a person)",
      "",
      "These files are committed with conflict markers; resolve them on this branch:",
      "",
      ...row.conflicts.map((c) => `- [ ] ${c}`),
      "",
    );
  }
  return lines.join("\n");
}

export function failingRows(rows: readonly FleetUpgradeRow[]): FleetUpgradeRow[] {
  return rows.filter((r) => r.status !== "up-to-date" && r.status !== "upgraded" && r.status !== "pushed");
}
