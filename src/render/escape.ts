/**
 * Embedding an answer in a file safely. Each function returns a complete literal,
 * quotes included, that the target format parses back to exactly the value given.
 */

/** YAML: a double-quoted scalar (JSON's string syntax is a subset of it) with YAML's non-printables escaped. */
export function toYamlScalar(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (typeof value === "number" || typeof value === "boolean") return JSON.stringify(value);
  if (Array.isArray(value)) return "[" + value.map(toYamlScalar).join(", ") + "]";
  if (typeof value === "object") {
    return (
      "{" +
      Object.entries(value)
        .map(([k, v]) => `${toYamlScalar(k)}: ${toYamlScalar(v)}`)
        .join(", ") +
      "}"
    );
  }
  return escapeNonPrintable(JSON.stringify(String(value)));
}

// YAML 1.2 c-printable excludes DEL, C1 controls (but NEL), surrogates and U+FFFE/U+FFFF.
// eslint-disable-next-line no-control-regex
const YAML_NON_PRINTABLE = /[\u007f-\u0084\u0086-\u009f\ud800-\udfff\ufffe\uffff]/gu;

function escapeNonPrintable(quoted: string): string {
  // Pairs of surrogates are valid code points and are matched as one char with the u flag only when paired.
  return quoted.replace(YAML_NON_PRINTABLE, (ch) => "\\u" + ch.charCodeAt(0).toString(16).padStart(4, "0"));
}

/** JSON: the value as a JSON literal. */
export function toJsonLiteral(value: unknown): string {
  return JSON.stringify(value ?? null);
}

/** POSIX shell: one single-quoted word. */
export function toShellWord(value: unknown): string {
  const text = value === null || value === undefined ? "" : String(value);
  return "'" + text.replace(/'/g, "'\\''") + "'";
}
