import { stringify } from "yaml";
import { textFile, type FileTree } from "../tree.js";

export const STARTER_VERSION = "0.1.0";

/** Where editors find the manifest's JSON Schema (published in the package). */
export function schemaUrl(pavedVersion: string): string {
  return `https://unpkg.com/paved@${pavedVersion}/schema/template.schema.json`;
}

/**
 * A small template an author can edit: two questions, a conditional folder, a managed file, examples
 * for `paved template lint/test`, and a test command. It passes `paved template lint` as generated.
 */
export function starterTemplate(name: string, pavedVersion: string, today: string): FileTree {
  const manifest = {
    name,
    version: STARTER_VERSION,
    description: `The ${name} golden path`,
    released: today,
    changelog: `${STARTER_VERSION}: first version.\n`,
    questions: [
      {
        name: "name",
        type: "input",
        message: "Repository name",
        default: "{{paved.dirName}}",
        required: true,
        pattern: "^[a-z][a-z0-9-]{2,39}$",
        patternHint: "must be 3-40 lowercase letters, digits and dashes, starting with a letter, e.g. payments-api",
      },
      {
        name: "owner",
        type: "input",
        message: "Owning team, e.g. team-payments",
        required: true,
        pattern: "^[a-z0-9][a-z0-9-]*$",
        patternHint: "must be lowercase letters, digits and dashes, e.g. team-payments",
      },
      { name: "docs", type: "confirm", message: "Add a docs/ folder?", default: true },
    ],
    files: {
      when: { "docs/**": "docs" },
      managed: ["CODEOWNERS"],
    },
    examples: [
      { name: "minimal", answers: { name: "example-app", owner: "team-example", docs: false } },
      { name: "with-docs", answers: { name: "example-app", owner: "team-example", docs: true } },
    ],
    test: [{ run: "test -f README.md && test -f CODEOWNERS", shell: true, name: "files exist" }],
  };
  const header = `# yaml-language-server: $schema=${schemaUrl(pavedVersion)}\n# Reference: docs/authoring.md in the paved package. Check with \`paved template lint .\`\n`;
  const tree: FileTree = new Map();
  tree.set("template.yaml", textFile(header + stringify(manifest, { lineWidth: 0 })));
  tree.set(
    "files/README.md",
    textFile("# {{name}}\n\nOwned by {{owner}}. Created from the {{paved.template}} template, version {{paved.version}}.\n"),
  );
  tree.set("files/CODEOWNERS", textFile("* @{{owner}}\n"));
  tree.set("files/docs/index.md", textFile("# {{name}}\n\nStart the documentation of {{name}} here.\n"));
  tree.set(
    "CHANGELOG.md",
    textFile(
      `# ${name}\n\nRelease a version by raising \`version\` in template.yaml, then \`git tag v<version>\` and push the tag.\n\n## ${STARTER_VERSION}\n\n- First version.\n`,
    ),
  );
  return tree;
}
