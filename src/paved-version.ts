import { readFileSync } from "node:fs";
import semver from "semver";
import { type CliRenderMeta, cliRenderMeta } from "./config.js";
import { UserError } from "./errors.js";
import { packageRootUrl } from "./package-root.js";

let own: string | undefined;

/** The version of the paved that is running (its package.json). */
export function pavedVersion(): string {
  own ??= (JSON.parse(readFileSync(new URL("package.json", packageRootUrl()), "utf8")) as { version: string }).version;
  return own;
}

/** How to get a paved at `wanted`, in the way the configured `cli` installs it. */
export function upgradeCommandFor(wanted: string, cli: CliRenderMeta): string {
  return cli.cliPin === "devDependency"
    ? `npm install -D --save-exact ${cli.cliPackage}@${wanted}`
    : `npx --yes ${cli.cliPackage}@${wanted} <command>`;
}

/**
 * Refuse a template version whose `minPavedVersion` is above the running paved (Copier's `_min_copier_version`):
 * an older paved would misread fields or checks it does not know. Pre-releases of paved count by semver order.
 */
export function assertPavedVersionFor(
  manifest: { name: string; version: string; minPavedVersion?: string | undefined },
  running: string = pavedVersion(),
  cli: CliRenderMeta = cliRenderMeta(),
): void {
  const wanted = manifest.minPavedVersion;
  if (wanted === undefined || !semver.lt(running, wanted)) return;
  throw new UserError(`template ${manifest.name} ${manifest.version} needs paved >= ${wanted} (this is ${running})`, {
    hint: `upgrade paved: \`${upgradeCommandFor(wanted, cli)}\`${cli.cliPin === "npx" ? `, and set \`cli: ${cli.cliPackage}@${wanted}\` in your paved config so generated repositories use it too` : ""}`,
    code: "paved-too-old",
  });
}
