import { execa } from "execa";
import { credentialFreeUrl } from "../redact.js";
import { runGit } from "./git.js";
import { pullRequestBody, type FleetUpgradeRow } from "./upgrade.js";

/** The hosting CLIs paved drives; each is only ever called with an argument vector, never a shell. */
const CLI = { github: "gh", gitlab: "glab" } as const;

/** The compare / new merge request page for a branch, from the clone's origin URL (credentials left out). */
export async function compareUrl(dir: string, defaultBranch: string, branch: string, host: "github" | "gitlab"): Promise<string> {
  const origin = await runGit(dir, ["remote", "get-url", "origin"]);
  const raw = origin.ok ? credentialFreeUrl(origin.stdout.trim()).url : "";
  const web = raw
    .replace(/^git@([^:]+):/, "https://$1/")
    .replace(/^ssh:\/\/(?:[^@/]+@)?([^/:]+)(?::\d+)?\//, "https://$1/")
    .replace(/\.git$/, "");
  return host === "github"
    ? `${web}/compare/${encodeURIComponent(defaultBranch)}...${encodeURIComponent(branch)}?expand=1`
    : `${web}/-/merge_requests/new?merge_request%5Bsource_branch%5D=${encodeURIComponent(branch)}&merge_request%5Btarget_branch%5D=${encodeURIComponent(defaultBranch)}`;
}

/**
 * Opens (or updates, when one is open for the branch) the pull/merge request through `gh` or `glab`. Without
 * the CLI on PATH, or in a dry run (nothing pushed, so nothing to open it from), the compare URL is returned.
 */
export async function openPullRequest(
  row: FleetUpgradeRow & { branch: string },
  dir: string,
  defaultBranch: string,
  host: "github" | "gitlab",
  pushed: boolean,
): Promise<string> {
  const { branch } = row;
  const url = await compareUrl(dir, defaultBranch, branch, host);
  if (!pushed) return url;
  const title = `Upgrade ${row.template} to ${row.to}`;
  const body = pullRequestBody(row);
  const draft = row.status === "conflicts" || row.status === "verify-failed";
  const cli = CLI[host];
  const run = async (args: string[], input?: string) => {
    const result = await execa(cli, args, { cwd: dir, reject: false, ...(input !== undefined ? { input } : { stdin: "ignore" as const }) });
    return result;
  };
  const probe =
    host === "github"
      ? await run(["pr", "view", branch, "--json", "url", "--jq", ".url"])
      : await run(["mr", "view", branch, "--output", "json"]);
  if ((probe as { code?: string }).code === "ENOENT") return url;
  const existing = probe.exitCode === 0 ? String(probe.stdout).trim() : "";
  if (host === "github") {
    const result = existing
      ? await run(["pr", "edit", branch, "--title", title, "--body-file", "-", "--add-label", "paved"], body)
      : await run(
          [
            "pr",
            "create",
            "--head",
            branch,
            "--base",
            defaultBranch,
            "--title",
            title,
            "--body-file",
            "-",
            "--label",
            "paved",
            ...(draft ? ["--draft"] : []),
          ],
          body,
        );
    if (result.exitCode !== 0) throw new Error(`gh: ${String(result.stderr).trim().split("\n")[0] ?? "failed"}`);
    return existing || String(result.stdout).trim() || url;
  }
  const result = existing
    ? await run(["mr", "update", branch, "--title", title, "--description", body, "--label", "paved"])
    : await run([
        "mr",
        "create",
        "--source-branch",
        branch,
        "--target-branch",
        defaultBranch,
        "--title",
        title,
        "--description",
        body,
        "--label",
        "paved",
        "--yes",
        ...(draft ? ["--draft"] : []),
      ]);
  if (result.exitCode !== 0) throw new Error(`glab: ${String(result.stderr).trim().split("\n")[0] ?? "failed"}`);
  return existing ? url : String(result.stdout).trim() || url;
}
