/**
 * Credentials in URLs: the one place that knows which parts of a URL may carry a secret, so that nothing
 * paved prints or records (messages, JSON, `.paved.yml`, the git cache's config) shows them.
 * A URL may carry a secret in its user info (`https://TOKEN@host`, `https://user:TOKEN@host`), its query
 * (`?token=...`, `?private_token=...`) and its fragment (`#access_token=...`). An ssh user name (`git@`)
 * names an account, not a secret, and is kept.
 */

/** The parts of `scheme://userinfo@host/path?query#fragment`, each as written (query without `?`, ...). */
interface UrlParts {
  /** `scheme://` as written. */
  prefix: string;
  /** The scheme, lower-cased. */
  scheme: string;
  userinfo: string | undefined;
  hostAndPath: string;
  query: string | undefined;
  fragment: string | undefined;
}

const SCHEME = /^([a-z][a-z0-9+.-]*):\/\//i;

/** A URL inside free text (an error message, git's stderr): it ends at white space or a quote. */
const URL_IN_TEXT = /\b[a-z][a-z0-9+.-]*:\/\/[^\s'"`<>\\]+/gi;

const MARK = "***";

function splitUrl(url: string): UrlParts | undefined {
  const prefix = SCHEME.exec(url)?.[0];
  if (prefix === undefined) return undefined;
  let rest = url.slice(prefix.length);
  let fragment: string | undefined;
  const hash = rest.indexOf("#");
  if (hash >= 0) {
    fragment = rest.slice(hash + 1);
    rest = rest.slice(0, hash);
  }
  let query: string | undefined;
  const question = rest.indexOf("?");
  if (question >= 0) {
    query = rest.slice(question + 1);
    rest = rest.slice(0, question);
  }
  const slash = rest.indexOf("/");
  const authority = slash >= 0 ? rest.slice(0, slash) : rest;
  const at = authority.lastIndexOf("@");
  const userinfo = at >= 0 ? authority.slice(0, at) : undefined;
  // The scheme is what SCHEME's group matched: the prefix without its "://".
  return {
    prefix,
    scheme: prefix.slice(0, -"://".length).toLowerCase(),
    userinfo,
    hostAndPath: at >= 0 ? rest.slice(at + 1) : rest,
    query,
    fragment,
  };
}

/** ssh's user name is an account (`git@`), kept; every other scheme's user info is a credential. */
function keptUser(parts: UrlParts): string | undefined {
  if (parts.userinfo === undefined || !/^(ssh|git\+ssh|ssh\+git)$/.test(parts.scheme)) return undefined;
  const colon = parts.userinfo.indexOf(":");
  return colon >= 0 ? parts.userinfo.slice(0, colon) : parts.userinfo;
}

function hasSecret(parts: UrlParts): boolean {
  return (parts.userinfo !== undefined && keptUser(parts) !== parts.userinfo) || parts.query !== undefined || parts.fragment !== undefined;
}

export interface CredentialFreeUrl {
  /** The URL without any part that may carry a secret: fit to record, to show and to store in git's config. */
  url: string;
  /** True when something was removed. */
  stripped: boolean;
  /** The removed texts (user info, query, fragment), to scrub from text that quotes them in another form. */
  secrets: string[];
}

/** The URL without its credentials, query and fragment (an ssh user name stays). Non-URLs come back as they are. */
export function credentialFreeUrl(url: string): CredentialFreeUrl {
  const parts = splitUrl(url);
  if (!parts || !hasSecret(parts)) return { url, stripped: false, secrets: [] };
  const user = keptUser(parts);
  const clean = `${parts.prefix}${user !== undefined ? `${user}@` : ""}${parts.hostAndPath}`;
  const secrets = [parts.userinfo !== user ? parts.userinfo : undefined, parts.query, parts.fragment].filter(
    (s): s is string => s !== undefined && s !== "",
  );
  return { url: clean, stripped: true, secrets };
}

/** One URL as it may be shown: each part that may carry a secret replaced by `***`. */
export function redactUrl(url: string): string {
  const parts = splitUrl(url);
  if (!parts || !hasSecret(parts)) return url;
  const user = keptUser(parts);
  const userinfo = parts.userinfo === undefined ? "" : user !== undefined ? `${user}:${MARK}@` : `${MARK}@`;
  return (
    parts.prefix +
    userinfo +
    parts.hostAndPath +
    (parts.query !== undefined ? `?${MARK}` : "") +
    (parts.fragment !== undefined ? `#${MARK}` : "")
  );
}

/** Every URL in a text (a message, git's stderr, a JSON string) with its secret parts replaced by `***`. */
export function redactUrls(text: string): string {
  if (!text.includes("://")) return text;
  return text.replace(URL_IN_TEXT, redactUrl);
}

/**
 * Scrub known secrets wherever they appear, also outside a URL: git turns `file:///r?token=S` into the
 * path `/r?token=S` in its messages, which no URL pattern finds.
 */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (secret.length > 0) out = out.split(secret).join(MARK);
  return redactUrls(out);
}
