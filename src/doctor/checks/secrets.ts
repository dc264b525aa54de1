import { createHash } from "node:crypto";
import { failed, passed, type Check } from "../context.js";
import type { CheckInfo, Finding } from "../model.js";
import { lineAt } from "../repo-files.js";

export const secretsInfo: CheckInfo = {
  id: "paved/secrets",
  category: "security",
  title: "no secrets are committed",
  severity: "error",
  help:
    "Tracked files (git ls-files; binaries and files over 1 MiB are skipped) are scanned for cloud keys, VCS and chat tokens, " +
    "private key blocks, JWTs and high-entropy `password = \"...\"` assignments. A line containing `paved:allow-secret` is ignored.",
};

export interface SecretMatch {
  detector: string;
  title: string;
  /** Offset of the match in the text. */
  index: number;
  secret: string;
}

interface Detector {
  id: string;
  title: string;
  find(text: string): Array<{ index: number; secret: string }>;
}

/** Shannon entropy in bits per character. */
export function shannonEntropy(value: string): number {
  if (!value) return 0;
  const counts = new Map<string, number>();
  for (const ch of value) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let entropy = 0;
  const length = [...value].length;
  for (const n of counts.values()) {
    const p = n / length;
    entropy -= p * Math.log2(p);
  }
  return entropy;
}

const PLACEHOLDER_WORDS = /example|changeme|change[_-]me|placeholder|your[_-]?|dummy|fake|sample|redacted|replace|insert|todo|xxxx|\*\*\*/i;

/** Values nobody commits by accident: references, templates, obvious fillers. */
export function isPlaceholder(value: string): boolean {
  if (PLACEHOLDER_WORDS.test(value)) return true;
  if (/^<.*>$/.test(value) || /\$\{|\{\{|%\(|\$\(|^\$[A-Za-z_]|process\.env|os\.environ|getenv|env\(/i.test(value)) return true;
  if (/^(.)\1*$/.test(value)) return true;
  return false;
}

function characterClasses(value: string): number {
  return [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((re) => re.test(value)).length;
}

function regexDetector(id: string, title: string, pattern: RegExp, group = 0, accept: (secret: string, match: RegExpExecArray) => boolean = () => true): Detector {
  // Compiled once; `find` is never re-entered, so one global regex and its lastIndex can be reused.
  const re = new RegExp(pattern.source, pattern.flags.includes("g") ? pattern.flags : pattern.flags + "g");
  return {
    id,
    title,
    find(text) {
      const out: Array<{ index: number; secret: string }> = [];
      re.lastIndex = 0;
      for (let m = re.exec(text); m; m = re.exec(text)) {
        const secret = m[group] ?? m[0];
        if (!isPlaceholder(secret) && accept(secret, m)) out.push({ index: m.index + (group ? m[0].indexOf(secret) : 0), secret });
        if (m[0].length === 0) re.lastIndex++;
      }
      return out;
    },
  };
}

function decodeBase64UrlJson(part: string): unknown {
  try {
    return JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
  } catch {
    return undefined;
  }
}

function isJwt(token: string): boolean {
  const [header, payload, signature] = token.split(".");
  if (!header || !payload || signature === undefined) return false;
  const h = decodeBase64UrlJson(header);
  const p = decodeBase64UrlJson(payload);
  return typeof h === "object" && h !== null && typeof (h as { alg?: unknown }).alg === "string" && typeof p === "object" && p !== null && signature.length >= 16;
}

const ASSIGNMENT_KEY = "[A-Za-z0-9_.-]*?(?:password|passwd|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|auth[_-]?key|private[_-]?key)[A-Za-z0-9_.-]*";

/** Keys that name a secret's id, location or kind rather than hold it: `private_key_id`, `tokenUrl`, `passwordEnv`. */
const NOT_A_SECRET_KEY = /(?:id|name|url|uri|file|path|type|length|size|env|field|ref|header|prefix|hash|policy|format)$/i;
/** Values that read as identifiers (`access_token`, `DB_PASSWORD`), not as secrets. */
const IDENTIFIER = /^(?:[a-z]+(?:[_.-][a-z]+)*|[A-Z]+(?:[_.-][A-Z0-9]+)*)$/;

/** The curated detectors, most specific first: a line reported by one is not reported again. */
export const DETECTORS: readonly Detector[] = [
  regexDetector("gcp-service-account", "GCP service account key", /"type"\s*:\s*"service_account"[\s\S]{0,4000}?"private_key"\s*:\s*"(-----BEGIN[^"]{40,})"/, 1),
  regexDetector("private-key", "private key", /-----BEGIN ((?:[A-Z0-9]+ )*)PRIVATE KEY(?: BLOCK)?-----(?:\s|\\r|\\n)+(?:[A-Za-z-]+: [^\n]*(?:\s|\\n)+)*[A-Za-z0-9+/=]{40,}/),
  regexDetector("aws-access-key-id", "AWS access key id", /(?<![A-Za-z0-9])((?:AKIA|ASIA)[A-Z2-7]{16})(?![A-Za-z0-9])/, 1),
  regexDetector(
    "aws-secret-access-key",
    "AWS secret access key",
    /(?:aws)?_?secret_?access_?key["']?\s*(?:=|:|=>)\s*["']?([A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])/i,
    1,
    (s) => shannonEntropy(s) >= 4,
  ),
  regexDetector("github-token", "GitHub token", /(?<![A-Za-z0-9_])(gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{60,255})(?![A-Za-z0-9_])/, 1),
  regexDetector("gitlab-token", "GitLab personal access token", /(?<![A-Za-z0-9_])(glpat-[A-Za-z0-9_-]{20,})(?![A-Za-z0-9_-])/, 1),
  regexDetector("slack-token", "Slack token", /(?<![A-Za-z0-9])(xox[baprs]-[0-9A-Za-z]{8,}(?:-[0-9A-Za-z]{4,}){1,4})(?![A-Za-z0-9-])/, 1),
  regexDetector("slack-webhook", "Slack webhook URL", /https:\/\/hooks\.slack\.com\/(?:services|workflows|triggers)\/T[A-Z0-9]{6,}\/[A-Z0-9]{6,}\/[A-Za-z0-9]{20,}/),
  regexDetector("stripe-key", "Stripe live key", /(?<![A-Za-z0-9_])((?:sk|rk)_live_[A-Za-z0-9]{20,})(?![A-Za-z0-9])/, 1),
  regexDetector("jwt", "JSON Web Token", /(?<![A-Za-z0-9_-])(eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*)/, 1, isJwt),
  regexDetector(
    "generic-password",
    "password or token assignment",
    new RegExp(`(?<![A-Za-z0-9_])${ASSIGNMENT_KEY}["']?\\s*(?::=|=>|=|:)\\s*(?:(["'])([^"'\\r\\n]*)\\1|([A-Za-z0-9+/=_\\-.!@%^&*~]{12,})(?=\\s|$|[,;]))`, "gim"),
    0,
    (whole, m) => {
      const quoted = m[2];
      const value = quoted ?? m[3] ?? "";
      const key = /^[A-Za-z0-9_.-]*/.exec(whole)![0];
      if (NOT_A_SECRET_KEY.test(key) || IDENTIFIER.test(value)) return false;
      if (isPlaceholder(value) || /\s/.test(value) || /^https?:\/\//.test(value)) return false;
      if (characterClasses(value) < 2) return false;
      return quoted !== undefined ? value.length >= 8 && shannonEntropy(value) >= 3 : shannonEntropy(value) >= 3.5;
    },
  ),
];

/** Cheap test that lets files with nothing secret-shaped skip the detectors. */
const PREFILTER = /akia|asia|gh[pousr]_|github_pat_|glpat-|xox[baprs]-|hooks\.slack|_live_|-----begin|eyj|pass|pwd|secret|token|key/i;

export const ALLOW_MARKER = "paved:allow-secret";

/** Every secret in a text, at most one per line. */
export function findSecrets(text: string): SecretMatch[] {
  if (!PREFILTER.test(text)) return [];
  const out: SecretMatch[] = [];
  const lines = new Set<number>();
  for (const detector of DETECTORS) {
    for (const hit of detector.find(text)) {
      const line = lineAt(text, hit.index);
      if (lines.has(line)) continue;
      const lineStart = text.lastIndexOf("\n", hit.index) + 1;
      const lineEnd = text.indexOf("\n", hit.index);
      if (text.slice(lineStart, lineEnd === -1 ? undefined : lineEnd).includes(ALLOW_MARKER)) continue;
      lines.add(line);
      out.push({ detector: detector.id, title: detector.title, index: hit.index, secret: hit.secret });
    }
  }
  return out.sort((a, b) => a.index - b.index);
}

/** Enough to recognise the secret (a token's prefix), not enough to use it. */
export function redact(secret: string): string {
  if (secret.startsWith("-----BEGIN")) return secret.split(/-----|\\n|\n/).find((s) => s.includes("PRIVATE KEY")) ?? "private key";
  const generic = /^[^=:]*[=:]\s*["']?(.*?)["']?$/.exec(secret);
  if (generic && /password|secret|token|key|pwd/i.test(secret.slice(0, secret.search(/[=:]/)))) {
    // A password has no telling prefix: two characters are enough to find it.
    return `${generic[1]!.slice(0, 2)}… (${generic[1]!.length} characters)`;
  }
  return `${secret.slice(0, 4)}… (${secret.length} characters)`;
}

export const secretsCheck: Check = {
  info: secretsInfo,
  run(ctx) {
    const findings: Finding[] = [];
    let scanned = 0;
    let skippedFiles = 0;
    for (const file of ctx.files.tracked) {
      const text = ctx.files.text(file);
      if (text === undefined) {
        skippedFiles++;
        continue;
      }
      scanned++;
      for (const match of findSecrets(text)) {
        const line = lineAt(text, match.index);
        findings.push(
          failed(secretsInfo, {
            message: `${match.title} committed: ${redact(match.secret)}`,
            file,
            line,
            key: `${match.detector}:${createHash("sha256").update(match.secret).digest("hex").slice(0, 16)}`,
            fix: `remove it and rotate it now (it is in git history: treat it as leaked); load it from the environment or a secret manager. A test fixture can carry \`${ALLOW_MARKER}\` on its line`,
          }),
        );
      }
    }
    if (findings.length) return findings;
    const note = skippedFiles ? ` (${skippedFiles} skipped: binary, symlink or over 1 MiB)` : "";
    const what = ctx.files.isGit ? "tracked files" : "files (not a git repository: scanned every file)";
    return [passed(secretsInfo, `no secrets in ${scanned} ${what}${note}`)];
  },
};
