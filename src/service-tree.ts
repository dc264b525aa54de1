import { recordableAnswers, type Answers, type RenderMeta } from "./answers/answers.js";
import { placeRenderedFiles } from "./monorepo/placement.js";
import { renderTemplate } from "./render/render.js";
import { SERVICE_FILE, serializeServiceFile } from "./service-file.js";
import { recordSource, type TemplateVersion } from "./templates/source.js";
import { sortedPaths, textFile, type FileTree } from "./tree.js";

export interface ServiceTree {
  /** The files of the service's own folder, `.paved.yml` included. */
  tree: FileTree;
  /** Files the template places at the repository root (its `rootFiles`), by path from the root; empty at a root. */
  root: FileTree;
  /** The root files' paths, sorted, as `.paved.yml` records them. */
  rootFiles: string[];
}

/**
 * A new service's files: the template rendered with the answers, split into the service's folder and the
 * files it places at the repository root when it lives in a subdirectory (`repoPath`, "" at a root), plus the
 * `.paved.yml` that records where it came from (secrets left out). `paved new` and the library API (src/api.ts)
 * both create services with it.
 */
export function renderServiceTree(
  version: TemplateVersion,
  answers: Answers,
  meta: RenderMeta,
  target: string,
  repoPath = "",
): ServiceTree {
  const rendered = renderTemplate(version, answers, meta);
  const placed = placeRenderedFiles(rendered.tree, version.manifest.rootFiles, repoPath);
  const rootFiles = sortedPaths(placed.root);
  const tree: FileTree = new Map(placed.service);
  tree.set(
    SERVICE_FILE,
    textFile(
      serializeServiceFile({
        template: meta.template,
        source: recordSource(version.source, target),
        version: meta.version,
        answers: recordableAnswers(version.manifest.questions, answers),
        ...(rootFiles.length > 0 ? { rootFiles } : {}),
      }),
    ),
  );
  return { tree, root: placed.root, rootFiles };
}
