import { recordableAnswers, type Answers, type RenderMeta } from "./answers/answers.js";
import { renderTemplate } from "./render/render.js";
import { SERVICE_FILE, serializeServiceFile } from "./service-file.js";
import { recordSource, type TemplateVersion } from "./templates/source.js";
import { textFile, type FileTree } from "./tree.js";

/**
 * A new service's files: the template rendered with the answers, plus the `.paved.yml` that records where it
 * came from (secrets left out). `paved new` and the library API (src/api.ts) both create services with it.
 */
export function renderServiceTree(version: TemplateVersion, answers: Answers, meta: RenderMeta, target: string): FileTree {
  const tree: FileTree = new Map(renderTemplate(version, answers, meta).tree);
  tree.set(
    SERVICE_FILE,
    textFile(
      serializeServiceFile({
        template: meta.template,
        source: recordSource(version.source, target),
        version: meta.version,
        answers: recordableAnswers(version.manifest.questions, answers),
      }),
    ),
  );
  return tree;
}
