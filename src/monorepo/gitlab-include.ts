import jsYaml from "js-yaml";
import picomatch from "picomatch";

let gitlabServicePipeline: ((file: string) => boolean) | undefined;

/** A service's own pipeline file when it sits in a subdirectory: `.gitlab/ci/<name>.yml`, included by the root's. */
export function isGitlabServicePipeline(file: string): boolean {
  // The glob is compiled on first use: `paved new` loads this module, and only a service in a subfolder asks.
  gitlabServicePipeline ??= picomatch(".gitlab/ci/*.{yml,yaml}", { dot: true });
  return gitlabServicePipeline(file);
}

/** The lines a root `.gitlab-ci.yml` needs so GitLab runs every service's `.gitlab/ci/<name>.yml`. */
export const GITLAB_INCLUDE_LINES = ["include:", '  - local: ".gitlab/ci/*.yml"'] as const;

export type GitlabIncludeProblem = "missing" | "invalid" | "not-included";

/**
 * Whether the root pipeline (`rootText`, undefined when there is none) includes `file`: a local include naming it,
 * or a glob matching it (GitLab's `*` stays inside one folder, as picomatch's does). paved never writes the root
 * `.gitlab-ci.yml`: several services share it.
 */
export function gitlabIncludeProblem(rootText: string | undefined, file: string): GitlabIncludeProblem | undefined {
  if (rootText === undefined) return "missing";
  let doc: unknown;
  try {
    doc = jsYaml.load(rootText, { schema: jsYaml.CORE_SCHEMA });
  } catch {
    return "invalid";
  }
  const include = doc !== null && typeof doc === "object" && !Array.isArray(doc) ? (doc as Record<string, unknown>).include : undefined;
  const entries = Array.isArray(include) ? include : include === undefined ? [] : [include];
  for (const entry of entries) {
    const local =
      typeof entry === "string"
        ? entry
        : entry !== null && typeof entry === "object"
          ? (entry as Record<string, unknown>).local
          : undefined;
    if (typeof local !== "string" || /^https?:/.test(local)) continue;
    const pattern = local.replace(/^\/+/, "");
    if (pattern === file || picomatch(pattern, { dot: true })(file)) return undefined;
  }
  return "not-included";
}
