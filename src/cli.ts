import { readFileSync } from "node:fs";
import { Command, CommanderError, Option } from "commander";
import { ExitCode, Interrupted, locationOf, ProblemFound, REPORT_URL, UserError } from "./errors.js";
import { interruptAndCleanup, interruptedBy, runInterruptCleanup } from "./fs/cleanup.js";
import { Output, safeMessage } from "./output.js";

const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string };

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** A repeatable flag that also takes comma-separated values (`--fail-on lag,doctor`). */
function collectList(value: string, previous: string[] = []): string[] {
  return [
    ...previous,
    ...value
      .split(",")
      .map((v) => v.trim())
      .filter(Boolean),
  ];
}

function addCommonOptions(command: Command): Command {
  return command
    .option("--json", "print one machine-readable JSON object on stdout")
    .option("-q, --quiet", "print only results and errors")
    .option("--no-color", "no colours (NO_COLOR and FORCE_COLOR are honoured too)");
}

function addAnswerOptions(command: Command): Command {
  return command
    .option("--set <key=value>", "answer a question (repeatable)", collect, [])
    .option("--answers-file <file>", "answers from a YAML or JSON file")
    .option("-y, --yes", "accept defaults and never prompt");
}

function addSourceOption(command: Command): Command {
  return command.option(
    "--source <dir|git-url>",
    "where templates come from: a git URL or repository, or a <name>/<version>/ directory (default: PAVED_SOURCE, then source: in .pavedrc.yml or ~/.config/paved/config.yml, else built-in)",
  );
}

/** For commands on an existing service: its `.paved.yml` names the source, --source overrides it. */
function addServiceSourceOption(command: Command, recordsIt: boolean): Command {
  const effect = recordsIt ? " (and record it there)" : "";
  return command.option(
    "--source <dir|git-url>",
    `use this template source instead of the one .paved.yml records${effect}: a git URL or repository, or a <name>/<version>/ directory`,
  );
}

function outputFor(options: { json?: boolean; quiet?: boolean; color?: boolean }): Output {
  return new Output({ json: options.json ?? false, quiet: options.quiet ?? false, color: options.color ?? true });
}

function examples(...lines: string[]): string {
  return `\nExamples:\n${lines.map((l) => `  $ ${l}`).join("\n")}\n`;
}

export function buildProgram(): Command {
  const program = new Command("paved")
    .description("The golden path as a product: create, upgrade and check services from versioned templates.")
    .version(pkg.version, "-V, --version", "print paved's version")
    .enablePositionalOptions()
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(safeMessage(text)) })
    .addHelpText(
      "after",
      examples("paved new service payments-api --set owner=team-payments", "paved templates list", "paved doctor --format github"),
    );

  const create = program
    .command("new")
    .description("create a repository from a golden-path template")
    .argument("<template>", "template name, e.g. service")
    .argument(
      "[dir]",
      "target directory (default: the `name` answer); must not exist or be empty; inside a git repository: the service is added to it",
    )
    .option("--version <version>", "template version (default: latest release)")
    .option("--dry-run", "list the files that would be created; write nothing")
    .option("--no-git", "do not run git init or commit")
    .option("--commit", "inside an existing git repository: commit the new files on the current branch (default: leave them staged)")
    .option("--no-install", "skip dependency installs (postCreate hooks marked install)")
    .option(
      "--lockfile",
      "with --no-install: still create the template's lockfile (package-lock.json; asks the registry, installs nothing)",
    )
    .option("--remote <url>", "add this origin and push the first commit")
    .option("--trust", "run hooks from a template source other than the built-in one")
    .option("--prerelease", "offer pre-release versions (e.g. 2.0.0-rc.1) as the latest and for --version");
  addAnswerOptions(create);
  addSourceOption(create);
  addCommonOptions(create)
    .addHelpText(
      "after",
      examples(
        "paved new service payments-api --set owner=team-payments",
        "paved new service billing --yes --set owner=team-billing --set database=postgres --no-install",
        "paved new service api --answers-file answers.yml --dry-run",
        "paved new service packages/payments-api --set owner=team-payments --commit   # inside a monorepo",
      ),
    )
    .action(async (template: string, dir: string | undefined, options: Record<string, unknown>) => {
      const out = outputFor(options);
      const { newCommand } = await import("./commands/new.js");
      const { canPrompt, terminalPrompter } = await import("./prompts.js");
      await newCommand(template, dir, options, { out, ...(canPrompt(options.yes as boolean) ? { prompter: terminalPrompter() } : {}) });
    });

  const templates = program.command("templates").description("list templates, their versions, questions and changelog");
  addCommonOptions(
    addSourceOption(
      templates
        .command("list", { isDefault: true })
        .description("list templates and their latest versions")
        .option("--prerelease", "include pre-release versions"),
    ),
  )
    .addHelpText("after", examples("paved templates list", "paved templates list --source ./platform-templates --json"))
    .action(async (options: Record<string, unknown>) => {
      const { listTemplates } = await import("./commands/templates.js");
      await listTemplates(options, outputFor(options));
    });
  addCommonOptions(
    addSourceOption(
      templates
        .command("show")
        .description("show a template's questions and changelog")
        .argument("<name>", "template name")
        .addOption(new Option("--version <version>", "show this version's questions (default: latest)"))
        .option("--prerelease", "include pre-release versions"),
    ),
  )
    .addHelpText("after", examples("paved templates show service", "paved templates show service --version 1.0.0 --json"))
    .action(async (name: string, options: Record<string, unknown>) => {
      const { showTemplate } = await import("./commands/templates.js");
      await showTemplate(name, options, outputFor(options));
    });
  templates.addHelpText("after", examples("paved templates", "paved templates show service"));

  const upgrade = program
    .command("upgrade")
    .description("move a service to the latest (or --to) version of its template, keeping the team's changes")
    .argument(
      "[dir]",
      "the service, or the nearest one above (default: the current directory); with no .paved.yml at or above it, every service below it",
    )
    .option("--to <version>", "target version (default: the latest release; with --set alone, the recorded version)")
    .option("--latest", "with --set: also move to the latest release (without --set it is the default)")
    .option("--dry-run", "print the release notes and the plan of every step (file, action, why); change nothing")
    .option("--allow-dirty", "upgrade even with uncommitted changes")
    .addOption(
      new Option("--conflict <style>", "conflicts as inline markers (+ unmerged in the git index) or .rej files")
        .choices(["inline", "rej"])
        .default("inline"),
    )
    .option("--commit", "commit the result (when there are no conflicts)")
    .option("--check", "only report whether a newer version exists (exit 1 if so)")
    .option("--trust", "run migration commands and hooks from a template source other than the built-in one")
    .option("--verify", "run the template's test commands after the merge; exit 1 when one fails (or `verify: true` in .pavedrc.yml)")
    .option("--no-verify", "do not verify, even when the config asks for it")
    .option("--commit-on-failure", "with --commit: commit even when --verify fails or kept files need a person")
    .option("--accept-kept", "files the template deleted but you edited are kept without failing the upgrade")
    .option("--no-lockfile", "do not refresh the template's lockfile (package-lock.json) after the merge")
    .option("--continue", "after resolving a stopped upgrade: commit it with the release notes and go on to the target version")
    .option("--abort", "undo a stopped upgrade: the tree, index and .paved.yml as at the commit it started from")
    .option("--all", "every service in the repository (or under [dir]), one after another (the default at a root with no .paved.yml)");
  addAnswerOptions(upgrade);
  addServiceSourceOption(upgrade, true);
  addCommonOptions(upgrade)
    .addHelpText(
      "after",
      examples(
        "paved upgrade",
        "paved upgrade --dry-run --to 2.0.0",
        "paved upgrade ./payments-api --set database=postgres --commit",
        "paved upgrade --check --json",
        "paved upgrade --verify --commit",
        "paved upgrade --continue",
        "paved upgrade --abort",
        "paved upgrade --all --commit",
      ),
    )
    .action(async (dir: string | undefined, options: Record<string, unknown>) => {
      const out = outputFor(options);
      const { upgradeCommand } = await import("./commands/upgrade.js");
      const { canPrompt, terminalPrompter } = await import("./prompts.js");
      await upgradeCommand(dir, options, { out, ...(canPrompt(options.yes as boolean) ? { prompter: terminalPrompter() } : {}) });
    });

  const diff = program
    .command("diff")
    .description("show how a service differs from a fresh render of its recorded template version")
    .argument(
      "[dir]",
      "the service, or the nearest one above (default: the current directory); with no .paved.yml at or above it, every service below it",
    )
    .option("--stat", "a summary per file instead of the full diff")
    .option("--exit-code", "exit 1 when there is drift")
    .option("--all", "every service in the repository (or under [dir]) (the default at a root with no .paved.yml)");
  addServiceSourceOption(diff, false);
  addCommonOptions(diff)
    .addHelpText("after", examples("paved diff", "paved diff ./payments-api --stat", "paved diff --exit-code --quiet"))
    .action(async (dir: string | undefined, options: Record<string, unknown>) => {
      const { diffCommand } = await import("./commands/diff.js");
      await diffCommand(dir, options, { out: outputFor(options) });
    });

  const adopt = program
    .command("adopt")
    .description("put an existing repository on a template: infer its answers, pick the closest version, write .paved.yml")
    .argument("<template>", "template name, e.g. service")
    .argument("[dir]", "the repository (default: the current directory)")
    .option("--version <version>", "adopt this version (default: the version whose render is closest to the repository)")
    .option("--dry-run", "show the inferred answers, the scores and the drift; write nothing")
    .option("--apply", "also create the template's files the repository lacks (never overwrites a file)")
    .option("--allow-dirty", "adopt even with uncommitted changes")
    .option("--force", "adopt a repository that already has .paved.yml (it is replaced)")
    .option("--prerelease", "consider pre-release versions too");
  addAnswerOptions(adopt);
  addSourceOption(adopt);
  addCommonOptions(adopt)
    .addHelpText(
      "after",
      examples(
        "paved adopt service",
        "paved adopt service ../payments-api --dry-run",
        "paved adopt service --version 1.1.0 --set owner=team-payments --yes",
        "paved adopt service --apply --json",
      ),
    )
    .action(async (template: string, dir: string | undefined, options: Record<string, unknown>) => {
      const out = outputFor(options);
      const { adoptCommand } = await import("./commands/adopt.js");
      const { canPrompt, terminalPrompter } = await import("./prompts.js");
      await adoptCommand(template, dir, options, { out, ...(canPrompt(options.yes as boolean) ? { prompter: terminalPrompter() } : {}) });
    });

  const doctor = program
    .command("doctor")
    .description("check a service against its golden path (built for CI; never prompts)")
    .argument(
      "[dir]",
      "the service, or the nearest one above (default: the current directory); with no .paved.yml at or above it, every service below it",
    )
    .addOption(new Option("--format <format>", "report format").choices(["human", "json", "sarif", "junit", "github", "gitlab"]))
    .option("--output <file>", "write the report to a file (a human summary still goes to stdout)")
    .option("--strict", "warnings fail too (exit 1)")
    .option("--fix", "restore missing and drifted files the template owns, then check")
    .option("--all", "every service in the repository (or under [dir]), in one report (the default at a root with no .paved.yml)")
    .option(
      "--grace-days <days>",
      "days after a release before lagging behind it counts (default: .paved.yml doctor.gracePeriodDays, else 30)",
    )
    .option("--as-of <YYYY-MM-DD>", "judge version lag and waiver expiry as of this day (default: today, UTC); recorded in json and sarif");
  addCommonOptions(addServiceSourceOption(doctor, false))
    .addHelpText(
      "after",
      examples(
        "paved doctor",
        "paved doctor services/payments-api --strict",
        "paved doctor --format github",
        "paved doctor --format sarif --output paved.sarif",
        "paved doctor --format gitlab --output gl-code-quality-report.json",
        "paved doctor --fix",
        "paved doctor --all --format sarif --output paved.sarif",
      ) +
        "\nExit codes: 0 no errors (warnings allowed), 1 errors (or warnings with --strict), 2 doctor cannot run (not a paved service, broken .paved.yml).\n",
    )
    .action(async (dir: string | undefined, options: Record<string, unknown>) => {
      const { doctorCommand } = await import("./commands/doctor.js");
      await doctorCommand(dir, options, { out: outputFor(options) });
    });

  const fleet = program
    .command("fleet")
    .description("adoption across many repositories: versions, lag, doctor, drift and history, sharded through CI")
    .addHelpText(
      "after",
      examples("paved fleet report ~/src --format html --output fleet.html", "paved fleet merge shard-*.json --format markdown"),
    );
  const fleetOutputOptions = (command: Command) =>
    addCommonOptions(
      command
        .addOption(new Option("--format <format>", "report format").choices(["human", "json", "html", "csv", "markdown"]))
        .option("--output <file>", "write the report to a file (a human summary still goes to stdout)")
        .option(
          "--fail-on <policy>",
          "exit 1 when the fleet breaks a policy: lag (past the grace period), doctor (a service fails), drift (repeatable, or comma-separated)",
          collectList,
          [],
        )
        .option("--as-of <YYYY-MM-DD>", "compute every date-dependent number for this day (default: today, UTC)"),
    );
  fleetOutputOptions(
    fleet
      .command("report")
      .description("report on every service: template versions, lag, doctor results, drift, adoption history")
      .argument("[targets...]", "local checkouts, directories to search for checkouts, or git URLs (default: the current directory)")
      .option("--repos-file <file>", "more targets, one a line (`#` comments)")
      .option("--max-depth <n>", "how deep to search a directory for checkouts (default: any depth)")
      .option("--shard <I/N>", "process only the I-th of N stable parts of the targets (merge the parts with `paved fleet merge`)")
      .option("--deploy-tag <pattern>", "the first tag matching this pattern is the first deploy", "v*")
      .option(
        "--deploy-branch <branch>",
        "or: the first commit on this branch that the checked-out branch does not have is the first deploy",
      )
      .option("--stickiness-days <days>", "a service is sticky when it is on a supported version this many days after creation", "90")
      .option("--jobs <n>", "repositories evaluated at once (default: the number of cores)")
      .option(
        "--no-cache",
        "evaluate every repository again (by default a repository whose HEAD, refs, changes and template versions are unchanged reuses its row from PAVED_CACHE)",
      ),
  )
    .addHelpText(
      "after",
      examples(
        "paved fleet report ~/src/services",
        "paved fleet report --repos-file repos.txt --format html --output fleet.html",
        "paved fleet report https://github.com/acme/payments-api.git --format json",
        "paved fleet report ~/src --shard 2/4 --format json --output shard-2.json",
        "paved fleet report ~/src --fail-on lag --quiet",
      ) + "\nExit codes: 0 report made, 1 a --fail-on policy is broken, 2 bad input (flags, repos file).\n",
    )
    .action(async (targets: string[], options: Record<string, unknown>) => {
      const { fleetReportCommand } = await import("./commands/fleet.js");
      await fleetReportCommand(targets, options, { out: outputFor(options) });
    });
  addCommonOptions(
    fleet
      .command("upgrade")
      .description("an upgrade branch (and pull request) for every service whose template has a newer release")
      .argument("[targets...]", "local checkouts, directories to search for checkouts, or git URLs (default: the current directory)")
      .addOption(new Option("--format <format>", "report format").choices(["human", "json", "markdown"]))
      .option("--repos-file <file>", "more targets, one a line (`#` comments)")
      .option("--max-depth <n>", "how deep to search a directory for checkouts (default: any depth)")
      .option("--shard <I/N>", "process only the I-th of N stable parts of the targets")
      .option("--to <version>", "upgrade to this version instead of the latest release")
      .option("--branch-prefix <prefix>", "upgrade branches are <prefix><template>-<version>", "paved/")
      .option("--in-place", "for a local path target, work in that checkout instead of a clone in the cache")
      .option("--push", "push the upgrade branches (without it: a dry run reporting what it would push)")
      .option("--verify", "run the template's test commands after each upgrade")
      .option("--trust", "run the template's migrations and hooks even from an untrusted source")
      .option("--concurrency <n>", "repositories upgraded at once (default: the number of cores)")
      .addOption(
        new Option("--open-pr <host>", "open or update a pull/merge request per branch through gh or glab").choices(["github", "gitlab"]),
      ),
  )
    .addHelpText(
      "after",
      examples(
        "paved fleet upgrade --repos-file repos.txt",
        "paved fleet upgrade --repos-file repos.txt --push --open-pr github --shard 1/4",
      ) +
        "\nExit codes: 0 every target up to date or upgraded, 1 a target needs a person (conflicts, verify failed, skipped, failed), 2 bad input.\n",
    )
    .action(async (targets: string[], options: Record<string, unknown>) => {
      const { fleetUpgradeCommand } = await import("./commands/fleet.js");
      await fleetUpgradeCommand(targets, options, { out: outputFor(options) });
    });
  fleetOutputOptions(
    fleet
      .command("merge")
      .description("combine shard reports, or per-repository `paved doctor --format json` reports, into one fleet report")
      .argument("<reports...>", "JSON files from `paved fleet report --format json` or `paved doctor --format json`"),
  )
    .addHelpText(
      "after",
      examples(
        "paved fleet merge shard-*.json --format html --output fleet.html",
        "paved fleet merge doctor-reports/*.json --format markdown >> $GITHUB_STEP_SUMMARY",
      ),
    )
    .action(async (files: string[], options: Record<string, unknown>) => {
      const { fleetMergeCommand } = await import("./commands/fleet.js");
      await fleetMergeCommand(files, options, { out: outputFor(options) });
    });

  addCommonOptions(
    program
      .command("config")
      .description("show the configuration in effect (config files, defaults, cli, trust) and where each value came from")
      .argument("[dir]", "where to look from, as a command run there would (default: the current directory)"),
  )
    .addHelpText("after", examples("paved config", "paved config --json", "paved config services/payments-api"))
    .action(async (dir: string | undefined, options: Record<string, unknown>) => {
      const { configCommand } = await import("./commands/config.js");
      await configCommand(dir, options, outputFor(options));
    });

  const authoring = program
    .command("template")
    .description("tools for template authors: lint, test and start a template")
    .addHelpText("after", examples("paved template new ./worker", "paved template lint ./worker", "paved template test ./worker --keep"));
  addCommonOptions(
    authoring
      .command("lint")
      .description("check a template: manifest, strict rendering of defaults and examples, when expressions, globs, paths, version")
      .argument("<dir>", "the template directory (holds template.yaml and files/)"),
  )
    .addHelpText(
      "after",
      examples("paved template lint .", "paved template lint templates/service/1.1.0 --json") +
        "\nExit codes: 0 clean, 1 findings, 2 unusable (no template.yaml).\n",
    )
    .action(async (dir: string, options: Record<string, unknown>) => {
      const { templateLintCommand } = await import("./commands/template.js");
      await templateLintCommand(dir, options, outputFor(options));
    });
  addCommonOptions(
    authoring
      .command("test")
      .description("render each example into a temp dir, run the template's test commands there, then paved doctor")
      .argument("<dir>", "the template directory (holds template.yaml and files/)")
      .option("--example <name>", "test only this example")
      .option("--no-install", "skip test commands marked install: true")
      .option("--no-doctor", "do not run paved doctor on the generated examples")
      .option("--keep", "keep the generated examples and print where they are")
      .option("--coverage", "also report the {{#if}}/{{#unless}}/{{else}} branches, files.when outcomes and choices no example exercises")
      .option("--min-coverage <percent>", "exit 1 when branch coverage is below this percentage (implies --coverage)"),
  )
    .addHelpText(
      "after",
      examples(
        "paved template test .",
        "paved template test templates/service/1.0.0 --example postgres --keep",
        "paved template test . --no-install --min-coverage 80",
      ),
    )
    .action(async (dir: string, options: Record<string, unknown>) => {
      const { templateTestCommand } = await import("./commands/template.js");
      await templateTestCommand(dir, options, outputFor(options));
    });
  addCommonOptions(
    addAnswerOptions(
      authoring
        .command("preview")
        .description("render a template version with answers (defaults for the rest) into --out, or list its files with sizes")
        .argument("<dir>", "the template directory (holds template.yaml and files/)")
        .option("--out <dir>", "write the rendered files here (must not exist or be empty)"),
    ),
  )
    .addHelpText(
      "after",
      examples(
        "paved template preview . --set owner=team-a",
        "paved template preview templates/service/2.0.0 --answers-file answers.yml --out /tmp/preview",
      ),
    )
    .action(async (dir: string, options: Record<string, unknown>) => {
      const { templatePreviewCommand } = await import("./commands/template.js");
      await templatePreviewCommand(dir, options, outputFor(options));
    });
  addCommonOptions(
    addAnswerOptions(
      authoring
        .command("diff")
        .description(
          "the unified diff a service with these answers that never edited its files receives from paved upgrade, per file, managed files marked",
        )
        .argument("<dir>", "a template's folder of versions (<name>/ holding <version>/template.yaml) or a template git repository")
        .requiredOption("--from <version>", "the version the service is on")
        .option("--to <version>", "the version it upgrades to (default: the newest release)"),
    ),
  )
    .addHelpText(
      "after",
      examples(
        "paved template diff templates/service --from 1.1.0 --to 2.0.0 --set owner=team-a",
        "paved template diff . --from 1.0.0 --json",
      ),
    )
    .action(async (dir: string, options: Record<string, unknown>) => {
      const { templateDiffCommand } = await import("./commands/template.js");
      await templateDiffCommand(dir, options, outputFor(options));
    });
  addCommonOptions(
    authoring
      .command("release")
      .description(
        "start a new version in a directory of versions: copy the latest, set version and released, empty changelog, actions and migrations, lock the released versions",
      )
      .argument("<dir>", "the directory that holds one folder per version, e.g. templates/service")
      .argument("<version>", "the new version, above the latest, e.g. 2.1.0")
      .option("--date <YYYY-MM-DD>", "the released date (default: today, UTC)"),
  )
    .addHelpText(
      "after",
      examples(
        "paved template release templates/service 2.1.0",
        "paved template release platform-templates/worker 1.1.0 --date 2026-12-01",
      ) + "\nExit codes: 0 created, 2 refused (bad version, not above the latest, exists, a locked version changed).\n",
    )
    .action(async (dir: string, version: string, options: Record<string, unknown>) => {
      const { templateReleaseCommand } = await import("./commands/template.js");
      await templateReleaseCommand(dir, version, options, outputFor(options));
    });
  addCommonOptions(
    authoring
      .command("impact")
      .description(
        "plan the upgrade to a version for every service on the template, in memory: clean, conflicts, migrations, kept files, and fleet totals",
      )
      .argument("<dir>", "a template's folder of versions (<name>/ holding <version>/template.yaml) or a template git repository")
      .argument(
        "[targets...]",
        "local checkouts, directories to search for checkouts, or git URLs, as for `paved fleet report` (default: the current directory)",
      )
      .option("--to <version>", "the version to plan the upgrade to (default: the newest release)")
      .addOption(new Option("--format <format>", "report format").choices(["human", "json", "markdown"]))
      .option("--fail-on-conflicts", "exit 1 when any service would stop with conflicts")
      .option("--repos-file <file>", "more targets, one a line (`#` comments)")
      .option("--max-depth <n>", "how deep to search a directory for checkouts (default: any depth)")
      .option("--shard <I/N>", "process only the I-th of N stable parts of the targets")
      .option("--jobs <n>", "services planned at once (default: 8)"),
  )
    .addHelpText(
      "after",
      examples(
        "paved template impact templates/service --to 2.0.0 ~/src",
        "paved template impact . --to 1.3.0 --repos-file repos.txt --format markdown > impact.md",
        "paved template impact . --to 1.3.0 ~/src --fail-on-conflicts --quiet",
      ) + "\nExit codes: 0 report made, 1 --fail-on-conflicts and a service would conflict, 2 bad input.\n",
    )
    .action(async (dir: string, targets: string[], options: Record<string, unknown>) => {
      const { templateImpactCommand } = await import("./commands/template.js");
      await templateImpactCommand(dir, targets, options, outputFor(options));
    });
  const exporting = authoring.command("export").description("write a template version in another tool's format");
  addCommonOptions(
    addSourceOption(
      exporting
        .command("backstage")
        .description(
          "a Backstage software template (kind: Template) whose form asks the template's questions and whose steps run paved:new, publish:github and catalog:register",
        )
        .argument("<template>", "template name, e.g. service")
        .option("--version <version>", "template version (default: latest release)")
        .option("--prerelease", "consider pre-release versions")
        .option("--output <file>", "write the YAML here instead of stdout")
        .option("--owner <entity-ref>", "the Template's spec.owner, e.g. group:platform")
        .option("--type <type>", "the Template's spec.type: what it creates (default: service)"),
    ),
  )
    .addHelpText(
      "after",
      examples(
        "paved template export backstage service > template.yaml",
        "paved template export backstage worker --source https://git.example.com/platform/templates.git --output catalog/worker-template.yaml",
      ) + "\nThe paved:new action comes from integrations/backstage (see docs/backstage.md).\n",
    )
    .action(async (template: string, options: Record<string, unknown>) => {
      const { templateExportBackstageCommand } = await import("./commands/template.js");
      await templateExportBackstageCommand(template, options, outputFor(options));
    });
  addCommonOptions(
    authoring
      .command("new")
      .description("create a starter template to edit")
      .argument("<dir>", "where to create it; must not exist or be empty")
      .option("--name <name>", "template name (default: the directory's name)"),
  )
    .addHelpText("after", examples("paved template new platform-templates/worker", "paved template new ./golden-path --name service"))
    .action(async (dir: string, options: Record<string, unknown>) => {
      const { templateNewCommand } = await import("./commands/template.js");
      await templateNewCommand(dir, options, outputFor(options));
    });

  return program;
}

function installSignalHandlers(): void {
  for (const [signal, code] of [
    ["SIGINT", 130],
    ["SIGTERM", 143],
  ] as const) {
    process.on(signal, () => {
      if (interruptedBy()) return;
      void interruptAndCleanup(signal).finally(() => {
        process.stderr.write(`\npaved: interrupted by ${signal}; nothing was left behind\n`);
        process.exit(code);
      });
    });
  }
}

/**
 * `paved diff | head`: the reader went away. Output nobody reads is dropped and the command finishes
 * normally (a write must not stop an upgrade half-way), with the exit code it would have had.
 */
function dropOutputToClosedPipes(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "EPIPE" || error.code === "ERR_STREAM_DESTROYED") return;
      throw error;
    });
  }
}

export async function main(argv: string[]): Promise<number> {
  const wantsJson = argv.includes("--json");
  const noColor = argv.includes("--no-color");
  const errorOut = () => new Output({ json: wantsJson, color: !noColor });
  installSignalHandlers();
  dropOutputToClosedPipes();
  try {
    await buildProgram().parseAsync(argv);
    return ExitCode.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === "commander.helpDisplayed" || error.code === "commander.version" || error.code === "commander.help")
        return ExitCode.ok;
      if (wantsJson) errorOut().error(error.message.replace(/^error: /, ""), "run with --help for usage", { code: "option" });
      return ExitCode.usage;
    }
    if (error instanceof UserError) {
      // The one line is built from the fields (where) and the reason (what), as `--json` readers get them.
      errorOut().error(locationOf(error.fields) + error.reason, error.hint, { code: error.code, fields: error.fields });
      return error.exitCode;
    }
    if (error instanceof ProblemFound) return error.exitCode;
    if (error instanceof Interrupted) {
      runInterruptCleanup();
      return error.signal === "SIGTERM" ? 143 : 130;
    }
    runInterruptCleanup();
    const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
    errorOut().error(
      `paved hit a bug: ${error instanceof Error ? error.message : String(error)}\n${detail}`,
      `please report it at ${REPORT_URL} with the command you ran and the output above`,
    );
    return ExitCode.internal;
  }
}

// Not a top-level await: dist/cli.cjs is CommonJS (see scripts/build.mjs). main() never rejects.
void main(process.argv).then((code) => {
  process.exitCode = code;
});
