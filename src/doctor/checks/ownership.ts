import { SERVICE_FILE } from "../../service-file.js";
import { failed, NEEDS_TEMPLATE, passed, skipped, type Check, type DoctorContext } from "../context.js";
import { SERVICE_ANCHOR, type CheckInfo, type Finding } from "../model.js";
import { isRecord, yamlDocumentsOf } from "../parse.js";
import { lineOfKey } from "../yaml-lines.js";

export const ownershipInfo: CheckInfo = {
  id: "service/ownership",
  category: "ownership",
  title: "CODEOWNERS and catalog-info.yaml name the owner from .paved.yml",
  severity: "error",
  help:
    "The `owner` answer in .paved.yml is the owning team. CODEOWNERS' catch-all rule (`*`) must include it, " +
    "and every catalog-info.yaml entity's spec.owner must be it (group:, user: and namespace/ prefixes allowed).",
};

const CODEOWNERS_PATHS = ["CODEOWNERS", ".github/CODEOWNERS", ".gitlab/CODEOWNERS", "docs/CODEOWNERS"];
const CATALOG_PATHS = ["catalog-info.yaml", "catalog-info.yml"];
const CATCH_ALL = new Set(["*", "/*", "**", "/**", "/"]);

/** Whether an owner reference ("@org/team-x", "group:default/team-x", "team-x") names the owner. */
export function namesOwner(reference: string, owner: string): boolean {
  const ref = reference
    .replace(/^@/, "")
    .replace(/^(group|user):/i, "")
    .toLowerCase();
  const want = owner.replace(/^@/, "").toLowerCase();
  return ref === want || ref.endsWith(`/${want}`) || want.endsWith(`/${ref}`);
}

/** The owners of CODEOWNERS' last catch-all rule (later rules win), with its line. */
export function catchAllOwners(text: string): { owners: string[]; line: number } | undefined {
  let found: { owners: string[]; line: number } | undefined;
  text.split("\n").forEach((raw, i) => {
    const line = raw.replace(/(^|\s)#.*$/, "").trim();
    if (!line) return;
    const [pattern, ...owners] = line.split(/\s+/);
    if (pattern && CATCH_ALL.has(pattern)) found = { owners, line: i + 1 };
  });
  return found;
}

function firstPresent(ctx: DoctorContext, candidates: string[]): string | undefined {
  return candidates.find((p) => ctx.files.exists(p));
}

function checkCodeowners(ctx: DoctorContext, owner: string, file: string): Finding[] {
  const text = ctx.files.text(file) ?? "";
  const rule = catchAllOwners(text);
  const fix = `make the catch-all rule \`* @${owner}\` (or your org's @org/${owner}), or change the owner with \`paved upgrade --set owner=...\``;
  if (!rule)
    return [
      failed(ownershipInfo, { message: `${file} has no catch-all rule (\`* @${owner}\`)`, file, line: 1, key: `${file}:catch-all`, fix }),
    ];
  if (rule.owners.some((o) => namesOwner(o, owner))) return [];
  const named = rule.owners.length ? rule.owners.join(" ") : "nobody";
  return [
    failed(ownershipInfo, {
      message: `${file} gives * to ${named}, but .paved.yml's owner is ${owner}`,
      file,
      line: rule.line,
      key: `${file}:owner`,
      fix,
    }),
  ];
}

function checkCatalog(ctx: DoctorContext, owner: string, file: string): Finding[] {
  const text = ctx.files.text(file) ?? "";
  const parsed = yamlDocumentsOf(ctx.files, file);
  if (parsed === undefined) throw new Error(`bug: ${file} was found present but cannot be read`);
  if (!parsed.ok)
    return [
      failed(ownershipInfo, {
        message: `${file} is not valid YAML: ${parsed.message}`,
        file,
        line: parsed.line,
        key: `${file}:yaml`,
        fix: "fix the YAML syntax",
      }),
    ];
  const findings: Finding[] = [];
  const fix = `set spec.owner to ${owner} (or group:${owner}), or change the owner with \`paved upgrade --set owner=...\``;
  let entities = 0;
  for (const doc of parsed.value) {
    if (!isRecord(doc.value) || typeof doc.value.kind !== "string") continue;
    entities++;
    const spec = isRecord(doc.value.spec) ? doc.value.spec : {};
    const name = isRecord(doc.value.metadata) && typeof doc.value.metadata.name === "string" ? doc.value.metadata.name : doc.value.kind;
    const declared = spec.owner;
    const ownerLine =
      doc.line -
      1 +
      (lineOfKey(
        text
          .split("\n")
          .slice(doc.line - 1)
          .join("\n"),
        "owner",
        true,
      ) ?? 1);
    if (typeof declared !== "string" || declared.trim() === "") {
      if (["Location", "Template", "Group", "User"].includes(doc.value.kind)) continue;
      findings.push(
        failed(ownershipInfo, {
          message: `${file}: ${doc.value.kind} ${name} has no spec.owner`,
          file,
          line: doc.line,
          key: `${file}:${name}:no-owner`,
          fix,
        }),
      );
    } else if (!namesOwner(declared, owner)) {
      findings.push(
        failed(ownershipInfo, {
          message: `${file}: ${doc.value.kind} ${name} is owned by ${declared}, but .paved.yml's owner is ${owner}`,
          file,
          line: ownerLine,
          key: `${file}:${name}:owner`,
          fix,
        }),
      );
    }
  }
  if (entities === 0)
    findings.push(
      failed(ownershipInfo, {
        message: `${file} declares no catalog entity`,
        file,
        line: 1,
        key: `${file}:empty`,
        fix: "keep the template's Component entity",
      }),
    );
  return findings;
}

export const ownershipCheck: Check = {
  info: ownershipInfo,
  run(ctx) {
    if (!ctx.template) return [skipped(ownershipInfo, NEEDS_TEMPLATE)];
    const owner = ctx.service.answers.owner;
    if (typeof owner !== "string" || owner.trim() === "") {
      return ctx.template.version.manifest.questions.some((q) => q.name === "owner")
        ? [
            failed(ownershipInfo, {
              message: "no owner is recorded in .paved.yml",
              file: SERVICE_ANCHOR,
              line: lineOfKey(ctx.files.text(SERVICE_FILE) ?? "", "answers") ?? 1,
              key: "no-owner",
              fix: "run `paved upgrade --set owner=<team>`",
            }),
          ]
        : [skipped(ownershipInfo, "the template asks for no owner")];
    }
    const template = ctx.template;
    const findings: Finding[] = [];
    const compared: string[] = [];
    for (const candidates of [CODEOWNERS_PATHS, CATALOG_PATHS]) {
      const present = firstPresent(ctx, candidates);
      const expected = candidates.find((p) => template.origins.has(p));
      if (!present) {
        if (expected)
          findings.push(
            failed(ownershipInfo, {
              message: `${expected} is missing`,
              file: SERVICE_ANCHOR,
              line: 1,
              key: `${expected}:missing`,
              fix: `restore ${expected} naming ${owner} as the owner`,
            }),
          );
        continue;
      }
      compared.push(present);
      findings.push(...(candidates === CODEOWNERS_PATHS ? checkCodeowners(ctx, owner, present) : checkCatalog(ctx, owner, present)));
    }
    if (findings.length) return findings;
    return [
      passed(
        ownershipInfo,
        compared.length
          ? `${compared.join(" and ")} name ${owner}`
          : `owner ${owner} declared (no CODEOWNERS or catalog-info.yaml to compare)`,
      ),
    ];
  },
};
