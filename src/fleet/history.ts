import semver from "semver";
import { addDays } from "../as-of.js";
import { findVersionLag } from "../doctor/checks/version-lag.js";
import { defined } from "../errors.js";
import { parseServiceFileText, SERVICE_FILE } from "../service-file.js";
import { runGit } from "./git.js";
import type { History } from "./model.js";
import { daysBetween, utcDay } from "./stats.js";

export interface HistoryOptions {
  asOf: string;
  deployTag: string;
  deployBranch: string | null;
  stickinessDays: number;
  graceDays: number;
  /** Release date of every release of the service's template (null when unknown). */
  releases: Record<string, string | null>;
}

interface Recorded {
  date: string;
  version: string;
}

/** Each commit that changed .paved.yml (following renames), oldest first, with the version it recorded. */
async function recordedVersions(dir: string): Promise<Recorded[] | undefined> {
  const log = await runGit(dir, ["log", "--follow", "--format=%x1e%H%x1f%cI", "--name-only", "--", SERVICE_FILE]);
  if (!log.ok) return undefined;
  const commits = log.stdout
    .split("\x1e")
    .filter((r) => r.trim())
    .map((record) => {
      const [head = "", ...names] = record.split("\n");
      const [sha = "", iso = ""] = head.split("\x1f");
      return { sha, date: utcDay(iso), path: names.find((n) => n.trim()) ?? SERVICE_FILE };
    })
    .reverse();
  if (commits.length === 0) return [];
  // One cat-file for every version of the file; a commit that deleted it reads as missing and is skipped.
  const batch = await runGit(dir, ["cat-file", "--batch"], commits.map((c) => `${c.sha}:${c.path}`).join("\n") + "\n");
  if (!batch.ok) return undefined;
  const texts = parseBatch(batch.stdout, commits.length);
  const out: Recorded[] = [];
  commits.forEach((commit, i) => {
    const text = texts[i];
    if (text === undefined) return;
    try {
      out.push({ date: commit.date, version: parseServiceFileText(text, SERVICE_FILE).version });
    } catch {
      // A broken .paved.yml in the past records no version; the history goes on from the next good one.
    }
  });
  return out;
}

/** `git cat-file --batch` output: `<oid> blob <size>\n<content>\n` or `<name> missing\n` per input line. */
function parseBatch(output: string, count: number): (string | undefined)[] {
  const buffer = Buffer.from(output, "utf8");
  const texts: (string | undefined)[] = [];
  let at = 0;
  for (let i = 0; i < count && at < buffer.length; i++) {
    const eol = buffer.indexOf(10, at);
    const header = buffer.subarray(at, eol).toString("utf8");
    at = eol + 1;
    const match = /^[0-9a-f]+ blob (\d+)$/.exec(header);
    if (!match) {
      texts.push(undefined);
      continue;
    }
    const size = Number(match[1]);
    texts.push(buffer.subarray(at, at + size).toString("utf8"));
    at += size + 1;
  }
  return texts;
}

/** The first deploy: the oldest tag matching the pattern, or the first commit only the deploy branch has. */
async function firstDeploy(dir: string, options: HistoryOptions, created: string): Promise<{ date: string; ref: string } | undefined> {
  const candidates: { date: string; ref: string }[] = [];
  const tags = await runGit(dir, [
    "for-each-ref",
    "--sort=creatordate",
    "--format=%(refname:short)%1f%(creatordate:iso-strict)",
    `refs/tags/${options.deployTag}`,
  ]);
  if (tags.ok) {
    for (const line of tags.stdout.split("\n").filter(Boolean)) {
      const [ref = "", iso = ""] = line.split("\x1f");
      candidates.push({ ref, date: utcDay(iso) });
    }
  }
  if (options.deployBranch) {
    const branch = options.deployBranch;
    const own = await runGit(dir, ["log", "--format=%cI", branch, "--not", "HEAD", "--"]);
    const all = own.ok && own.stdout.trim() ? own : await runGit(dir, ["log", "--format=%cI", branch, "--"]);
    const oldest = all.ok ? all.stdout.split("\n").filter(Boolean).pop() : undefined;
    if (oldest) candidates.push({ ref: branch, date: utcDay(oldest) });
  }
  return candidates
    .filter((c) => c.date >= created && c.date <= options.asOf)
    .sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0))[0];
}

/** Whether the version held on `day` was still supported then: not lagging past the grace period of what was released by that day. */
function supportedOn(day: string, version: string, options: HistoryOptions): boolean {
  const known = Object.keys(options.releases).filter((v) => (options.releases[v] ?? day) <= day);
  const lag = findVersionLag({
    current: version,
    versions: known,
    releasedOf: (v) => options.releases[v] ?? undefined,
    asOf: day,
    graceDays: options.graceDays,
  });
  return !lag.behind || lag.withinGrace;
}

/** Adoption over time from git alone: creation, upgrades, first deploy, stickiness. Undefined outside git. */
export async function readHistory(dir: string, options: HistoryOptions): Promise<History | undefined> {
  const recorded = (await recordedVersions(dir))?.filter((r) => r.date <= options.asOf);
  if (recorded === undefined) return undefined;
  const first = recorded[0];
  if (!first)
    return {
      created: null,
      createdVersion: null,
      upgrades: [],
      firstDeploy: null,
      firstDeployRef: null,
      daysToFirstDeploy: null,
      sticky: null,
    };
  const upgrades: History["upgrades"] = [];
  let previous = first;
  for (const next of recorded.slice(1)) {
    const from = previous.version;
    const to = next.version;
    if (semver.valid(from) && semver.valid(to) && from !== to) upgrades.push({ date: next.date, from, to });
    previous = next;
  }
  const deploy = await firstDeploy(dir, options, first.date);
  const stickyDay = addDays(first.date, options.stickinessDays);
  let sticky: boolean | null = null;
  if (stickyDay <= options.asOf) {
    // stickinessDays is never negative, so the first recorded version, at least, is on or before stickyDay.
    const held = defined(
      [...recorded].reverse().find((r) => r.date <= stickyDay),
      "the version held on the stickiness day",
    );
    sticky = supportedOn(stickyDay, held.version, options);
  }
  return {
    created: first.date,
    createdVersion: first.version,
    upgrades,
    firstDeploy: deploy?.date ?? null,
    firstDeployRef: deploy?.ref ?? null,
    daysToFirstDeploy: deploy ? daysBetween(first.date, deploy.date) : null,
    sticky,
  };
}
