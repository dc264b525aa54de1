import { createHash } from "node:crypto";
import { matchGroup } from "../../match-group.js";
import { failed, passed, type Check } from "../context.js";
import type { CheckInfo, Finding } from "../model.js";
import { lineFinder } from "../repo-files.js";

export const secretsInfo: CheckInfo = {
  id: "paved/secrets",
  category: "security",
  title: "no secrets are committed",
  severity: "error",
  help:
    "Tracked files (git ls-files; binaries and files over 1 MiB are skipped) are scanned for cloud keys, VCS and chat tokens, " +
    'private key blocks, JWTs and high-entropy `password = "..."` assignments. A line containing `paved:allow-secret` is ignored.',
};

export interface SecretMatch {
  detector: string;
  title: string;
  /** Offset of the match in the text. */
  index: number;
  /** 1-based line of `index`. */
  line: number;
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

function regexDetector(
  id: string,
  title: string,
  pattern: RegExp,
  group = 0,
  accept: (secret: string, match: RegExpExecArray) => boolean = () => true,
): Detector {
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
  if (!header || !payload || signature === undefined || signature.length < 16) return false;
  // Most look-alikes fail here, without the cost of a JSON.parse that throws.
  if (!/"alg"/.test(Buffer.from(header, "base64url").toString("utf8"))) return false;
  const h = decodeBase64UrlJson(header);
  const p = decodeBase64UrlJson(payload);
  return (
    typeof h === "object" &&
    h !== null &&
    typeof (h as { alg?: unknown }).alg === "string" &&
    typeof p === "object" &&
    p !== null &&
    signature.length >= 16
  );
}

/** Keys that name a secret's id, location or kind rather than hold it: `private_key_id`, `tokenUrl`, `passwordEnv`. */
const NOT_A_SECRET_KEY = /(?:id|name|url|uri|file|path|type|length|size|env|field|ref|header|prefix|hash|policy|format)$/i;
/** Values that read as identifiers (`access_token`, `DB_PASSWORD`), not as secrets. */
const IDENTIFIER = /^(?:[a-z]+(?:[_.-][a-z]+)*|[A-Z]+(?:[_.-][A-Z0-9]+)*)$/;

/*
 * Linear time: every detector below is either a regex without overlapping quantifiers (each quantified class
 * is followed by a character it cannot match, so a failed attempt gives nothing back twice) or a hand-written
 * scanner that looks at each character a bounded number of times. A committed file is input from anyone, and a
 * backtracking pattern made a 320 KB file of `token` take 40 s. test/doctor/secrets-linear.test.ts and
 * bench/secrets.mjs hold every detector to it.
 */

function charTable(chars: string): Uint8Array {
  const table = new Uint8Array(128);
  for (const range of chars.match(/.-.|./gsu) ?? []) {
    const [from, to] = range.length === 3 ? [range.charCodeAt(0), range.charCodeAt(2)] : [range.charCodeAt(0), range.charCodeAt(0)];
    for (let c = from; c <= to; c++) table[c] = 1;
  }
  return table;
}

const KEY_CHARS = charTable("A-Za-z0-9_.-");
const VALUE_CHARS = charTable("A-Za-z0-9+/=_.!@%^&*~-");
const BASE64_CHARS = charTable("A-Za-z0-9+/=");
const HEADER_NAME_CHARS = charTable("A-Za-z-");
const SPACE = /\s/;

const inTable = (table: Uint8Array, text: string, i: number) => {
  const c = text.charCodeAt(i);
  return c < 128 && table[c] === 1;
};
/** `\s` as regexes mean it; the ASCII ones without building a string. */
const isSpace = (text: string, i: number) => {
  const c = text.charCodeAt(i);
  if (c === 32 || (c >= 9 && c <= 13)) return true;
  return c > 127 && SPACE.test(text.charAt(i));
};
/** Where a run of `table` characters starting at `i` ends. */
function runEnd(table: Uint8Array, text: string, i: number): number {
  while (i < text.length && inTable(table, text, i)) i++;
  return i;
}
function spacesEnd(text: string, i: number): number {
  while (isSpace(text, i)) i++;
  return i;
}

interface Assignment {
  index: number;
  whole: string;
  quoted?: string;
  bare?: string;
}

/** A value after `=`/`:`: `"..."`/`'...'` on one line, or 12+ token characters followed by a space, `,`, `;` or the end. */
function assignedValue(text: string, i: number): { end: number; quoted?: string; bare?: string } | undefined {
  const open = text[i];
  if (open === '"' || open === "'") {
    let r = i + 1;
    while (r < text.length && !"\"'\r\n".includes(text.charAt(r))) r++;
    if (text[r] === open) return { end: r + 1, quoted: text.slice(i + 1, r) };
    return undefined;
  }
  const end = runEnd(VALUE_CHARS, text, i);
  if (end - i >= 12 && (end === text.length || isSpace(text, end) || text[end] === "," || text[end] === ";"))
    return { end, bare: text.slice(i, end) };
  return undefined;
}

/** A secret's name inside a key (`api[_-]?key` and friends); literals only, so the search cannot backtrack. */
const SECRET_KEY_WORD = /password|passwd|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|auth[_-]?key|private[_-]?key/gi;

/**
 * `password = "..."`, `API_TOKEN=...`, `secret: '...'`: a whole key (a run of `[A-Za-z0-9_.-]` holding a secret's
 * name), an optional closing quote, a separator (`:=`, `=>`, `=`, `:`, tried in that order) and a value.
 * Each key run is found from a name in it and looked at once; the search resumes after it.
 */
export function findAssignments(text: string): Assignment[] {
  const out: Assignment[] = [];
  const word = new RegExp(SECRET_KEY_WORD.source, "gi");
  let done = 0;
  for (let w = word.exec(text); w; w = word.exec(text)) {
    let start = w.index;
    while (start > done && inTable(KEY_CHARS, text, start - 1)) start--;
    const keyEnd = runEnd(KEY_CHARS, text, w.index + w[0].length);
    done = keyEnd;
    let p = keyEnd;
    if (text[p] === '"' || text[p] === "'") p++;
    p = spacesEnd(text, p);
    for (const separator of [":=", "=>", "=", ":"]) {
      if (!text.startsWith(separator, p)) continue;
      const value = assignedValue(text, spacesEnd(text, p + separator.length));
      if (!value) continue;
      out.push({
        index: start,
        whole: text.slice(start, value.end),
        ...(value.quoted !== undefined ? { quoted: value.quoted } : {}),
        ...(value.bare !== undefined ? { bare: value.bare } : {}),
      });
      done = value.end;
      break;
    }
    word.lastIndex = done;
  }
  return out;
}

const genericPassword: Detector = {
  id: "generic-password",
  title: "password or token assignment",
  find(text) {
    const out: Array<{ index: number; secret: string }> = [];
    for (const { index, whole, quoted, bare } of findAssignments(text)) {
      const value = quoted ?? bare ?? "";
      const key = whole.replace(/[^A-Za-z0-9_.-].*$/s, "");
      if (isPlaceholder(whole) || NOT_A_SECRET_KEY.test(key) || IDENTIFIER.test(value)) continue;
      if (isPlaceholder(value) || /\s/.test(value) || /^https?:\/\//.test(value)) continue;
      if (characterClasses(value) < 2) continue;
      const strong = quoted !== undefined ? value.length >= 8 && shannonEntropy(value) >= 3 : shannonEntropy(value) >= 3.5;
      if (strong) out.push({ index, secret: whole });
    }
    return out;
  },
};

const KEY_BLOCK_HEADER = /-----BEGIN ((?:[A-Z0-9]+ )*)PRIVATE KEY(?: BLOCK)?-----/g;

/** `\s`, `\r` or `\n` written out (a key inside a JSON or YAML string): the separators of a key block's lines. */
function keySeparatorEnd(text: string, i: number, escapedReturn: boolean): number {
  for (;;) {
    if (isSpace(text, i)) i++;
    else if (text.startsWith("\\n", i) || (escapedReturn && text.startsWith("\\r", i))) i += 2;
    else return i;
  }
}

/**
 * The body of a key block from `i` (after its header line): optional `Name: value` header lines, then 40+ base64
 * characters. A header's value may end at any separator on its line (a real newline ends the line; a written-out
 * `\n` does not), so every separator end on a header's line is a place the base64 may start; they are visited
 * left to right once. The search stops at the next `-----BEGIN`, so blocks never rescan each other.
 * Returns where the base64 ends, or -1.
 */
function keyBlockBodyEnd(text: string, i: number, limit: number): number {
  let onHeaderLine = false;
  for (;;) {
    const base64 = runEnd(BASE64_CHARS, text, i);
    if (base64 - i >= 40) return base64;
    const name = runEnd(HEADER_NAME_CHARS, text, i);
    if (name > i && text.startsWith(": ", name)) {
      onHeaderLine = true;
      i = name + 2;
    }
    if (!onHeaderLine) return -1;
    while (i < limit && !isSpace(text, i) && !text.startsWith("\\n", i)) i++;
    if (i >= limit) return -1;
    const next = keySeparatorEnd(text, i, false);
    for (; i < next; i++) if (text.charCodeAt(i) === 10) onHeaderLine = false;
  }
}

const privateKey: Detector = {
  id: "private-key",
  title: "private key",
  find(text) {
    const out: Array<{ index: number; secret: string }> = [];
    const header = new RegExp(KEY_BLOCK_HEADER.source, "g");
    for (let h = header.exec(text); h; h = header.exec(text)) {
      const headerEnd = h.index + h[0].length;
      const body = keySeparatorEnd(text, headerEnd, true);
      const next = text.indexOf("-----BEGIN", headerEnd);
      const end = body === headerEnd ? -1 : keyBlockBodyEnd(text, body, next === -1 ? text.length : next);
      if (end === -1) {
        header.lastIndex = h.index + 1; // a header may start inside this one's closing dashes
        continue;
      }
      const secret = text.slice(h.index, end);
      if (!isPlaceholder(secret)) out.push({ index: h.index, secret });
      header.lastIndex = end;
    }
    return out;
  },
};

/** A GCP key file: `"private_key": "-----BEGIN..."` within 4,000 characters after `"type": "service_account"`. */
const gcpServiceAccount: Detector = {
  id: "gcp-service-account",
  title: "GCP service account key",
  find(text) {
    const keys: Array<{ index: number; end: number; secret: string; secretIndex: number }> = [];
    const key = /"private_key"\s*:\s*"(-----BEGIN[^"]{40,})"/g;
    for (let m = key.exec(text); m; m = key.exec(text)) {
      const secret = matchGroup(m, 1);
      keys.push({ index: m.index, end: m.index + m[0].length, secret, secretIndex: m.index + m[0].indexOf(secret) });
    }
    const out: Array<{ index: number; secret: string }> = [];
    if (keys.length === 0) return out;
    const header = /"type"\s*:\s*"service_account"/g;
    let k = 0;
    for (let h = header.exec(text); h; h = header.exec(text)) {
      const headerEnd = h.index + h[0].length;
      let found = keys[k];
      while (found && found.index < headerEnd) found = keys[++k];
      if (!found || found.index > headerEnd + 4000) continue;
      if (!isPlaceholder(found.secret)) out.push({ index: found.secretIndex, secret: found.secret });
      header.lastIndex = found.end;
    }
    return out;
  },
};

/** The curated detectors, most specific first: a line reported by one is not reported again. */
export const DETECTORS: readonly Detector[] = [
  gcpServiceAccount,
  privateKey,
  regexDetector("aws-access-key-id", "AWS access key id", /(?<![A-Za-z0-9])((?:AKIA|ASIA)[A-Z2-7]{16})(?![A-Za-z0-9])/, 1),
  regexDetector(
    "aws-secret-access-key",
    "AWS secret access key",
    /(?:aws)?_?secret_?access_?key["']?\s*(?:=|:|=>)\s*["']?([A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])/i,
    1,
    (s) => shannonEntropy(s) >= 4,
  ),
  regexDetector(
    "github-token",
    "GitHub token",
    /(?<![A-Za-z0-9_])(gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{60,255})(?![A-Za-z0-9_])/,
    1,
  ),
  regexDetector("gitlab-token", "GitLab personal access token", /(?<![A-Za-z0-9_])(glpat-[A-Za-z0-9_-]{20,})(?![A-Za-z0-9_-])/, 1),
  regexDetector("slack-token", "Slack token", /(?<![A-Za-z0-9])(xox[baprs]-[0-9A-Za-z]{8,}(?:-[0-9A-Za-z]{4,}){1,4})(?![A-Za-z0-9-])/, 1),
  regexDetector(
    "slack-webhook",
    "Slack webhook URL",
    /https:\/\/hooks\.slack\.com\/(?:services|workflows|triggers)\/T[A-Z0-9]{6,}\/[A-Z0-9]{6,}\/[A-Za-z0-9]{20,}/,
  ),
  regexDetector("stripe-key", "Stripe live key", /(?<![A-Za-z0-9_])((?:sk|rk)_live_[A-Za-z0-9]{20,})(?![A-Za-z0-9])/, 1),
  regexDetector("jwt", "JSON Web Token", /(?<![A-Za-z0-9_-])(eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*)/, 1, isJwt),
  genericPassword,
];

/** Cheap test that lets files with nothing secret-shaped skip the detectors. */
const PREFILTER = /akia|asia|gh[pousr]_|github_pat_|glpat-|xox[baprs]-|hooks\.slack|_live_|-----begin|eyj|pass|pwd|secret|token|key/i;

export const ALLOW_MARKER = "paved:allow-secret";

/**
 * Every secret in a text, at most one per line. With `allowMarker` (the default, for the secrets check) a line
 * holding `paved:allow-secret` is left out; redaction passes false and hides those too.
 */
export function findSecrets(text: string, options: { allowMarker?: boolean } = {}): SecretMatch[] {
  if (!PREFILTER.test(text)) return [];
  const honourMarker = options.allowMarker ?? true;
  const out: SecretMatch[] = [];
  const decided = new Map<number, boolean>();
  let lineOf: ((index: number) => number) | undefined;
  for (const detector of DETECTORS) {
    for (const hit of detector.find(text)) {
      lineOf ??= lineFinder(text);
      const line = lineOf(hit.index);
      if (decided.has(line)) continue;
      let allowed = false;
      if (honourMarker) {
        const lineStart = text.lastIndexOf("\n", hit.index) + 1;
        const lineEnd = text.indexOf("\n", hit.index);
        allowed = text.slice(lineStart, lineEnd === -1 ? undefined : lineEnd).includes(ALLOW_MARKER);
      }
      decided.set(line, allowed);
      if (!allowed) out.push({ detector: detector.id, title: detector.title, index: hit.index, line, secret: hit.secret });
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
    const password = matchGroup(generic, 1);
    return `${password.slice(0, 2)}… (${password.length} characters)`;
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
        const line = match.line;
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
