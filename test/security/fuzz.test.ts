import { writeFileSync } from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { stringify } from "yaml";
import { describe, expect, it } from "vitest";
import { resolveAnswers, type ProvidedAnswer } from "../../src/answers/answers.js";
import { readAnswersFile } from "../../src/answers/provided.js";
import { resolveInside, unsafePathReason } from "../../src/fs/paths.js";
import { renderTemplate } from "../../src/render/render.js";
import { parseServiceFileText } from "../../src/service-file.js";
import { manifestSchema } from "../../src/templates/manifest.js";
import { DirectorySource, builtinTemplatesDir } from "../../src/templates/source.js";
import { parseWith } from "../../src/validation.js";
import { parseConfigText } from "../../src/yaml-file.js";
import { builtinCliRenderMeta, effectiveConfig, readConfigFile, withConfiguredDefaults } from "../../src/config.js";
import { tempDir, writeFiles } from "../helpers.js";
import { acceptedOrRefused, acceptedOrRefusedAsync } from "./outcomes.js";

const RUNS = 2000;

/** YAML-ish text: random pieces of YAML syntax glued together. */
const yamlish = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        "name: ",
        "version: ",
        "questions:\n",
        "  - ",
        "{",
        "}",
        "[",
        "]",
        ": ",
        "\n",
        "&a ",
        "*a ",
        "!!str ",
        "? ",
        "|\n",
        "'",
        '"',
        "#",
        "---\n",
        "\t",
      ),
      fc.string({ maxLength: 8 }),
    ),
    { maxLength: 40 },
  )
  .map((parts) => parts.join(""));

const manifestLike = fc.record(
  {
    name: fc.oneof(fc.constant("svc"), fc.string()),
    version: fc.oneof(fc.constant("1.0.0"), fc.string()),
    description: fc.oneof(fc.constant("d"), fc.string(), fc.integer()),
    questions: fc.array(
      fc.record(
        {
          name: fc.oneof(fc.constant("a"), fc.string()),
          type: fc.constantFrom("input", "select", "number", "confirm", "multiselect", "bogus"),
          message: fc.string(),
          default: fc.jsonValue({ maxDepth: 2 }),
          choices: fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 3 }),
          when: fc.oneof(fc.string(), fc.boolean()),
          pattern: fc.string(),
        },
        { requiredKeys: ["name", "type"] },
      ),
      { maxLength: 4 },
    ),
    files: fc.dictionary(fc.constantFrom("when", "copy", "managed", "required", "bogus"), fc.jsonValue({ maxDepth: 2 })),
    hooks: fc.jsonValue({ maxDepth: 2 }),
    migrations: fc.jsonValue({ maxDepth: 2 }),
    checks: fc.jsonValue({ maxDepth: 2 }),
  },
  { requiredKeys: [] },
);

describe("fuzzing the edges: every input is accepted or refused with exit 2, never a crash", () => {
  it(`template.yaml text (${RUNS} cases)`, () => {
    fc.assert(
      fc.property(fc.oneof(yamlish, fc.string({ maxLength: 200 })), (text) => {
        acceptedOrRefused(() =>
          parseWith(manifestSchema, parseConfigText(text, "template.yaml", "fix it"), { file: "template.yaml", fix: "fix it" }),
        );
      }),
      { numRuns: RUNS },
    );
  });

  it(`template.yaml structures (${RUNS} cases)`, () => {
    fc.assert(
      fc.property(manifestLike, (value) => {
        acceptedOrRefused(() =>
          parseWith(manifestSchema, parseConfigText(stringify(value), "template.yaml", "fix"), { file: "template.yaml", fix: "fix" }),
        );
      }),
      { numRuns: RUNS },
    );
  });

  it(`.paved.yml (${RUNS} cases)`, () => {
    const serviceLike = fc.record(
      {
        template: fc.oneof(fc.constant("service"), fc.jsonValue({ maxDepth: 2 })),
        source: fc.oneof(fc.constant("builtin"), fc.jsonValue({ maxDepth: 2 })),
        version: fc.oneof(fc.constant("1.0.0"), fc.string()),
        answers: fc.oneof(fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 2 })), fc.jsonValue({ maxDepth: 2 })),
        waivers: fc.jsonValue({ maxDepth: 2 }),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(
        fc.oneof(
          yamlish,
          serviceLike.map((v) => stringify(v)),
        ),
        (text) => {
          acceptedOrRefused(() => parseServiceFileText(text, ".paved.yml"));
        },
      ),
      { numRuns: RUNS },
    );
  });

  it(`answers against the built-in service questions (${RUNS / 2} cases)`, async () => {
    const source = new DirectorySource(builtinTemplatesDir(), "builtin", true);
    const versions = await source.listVersions("service");
    const version = await source.loadVersion("service", versions[0]!);
    const names = version.manifest.questions.map((q) => q.name);
    const provided = fc.dictionary(
      fc.oneof(fc.constantFrom(...names), fc.string({ minLength: 1, maxLength: 6 })),
      fc.oneof(fc.string(), fc.jsonValue({ maxDepth: 2 })),
      { maxKeys: 6 },
    );
    await fc.assert(
      fc.asyncProperty(provided, async (answers) => {
        const map = new Map<string, ProvidedAnswer>(Object.entries(answers).map(([k, v]) => [k, { value: v, origin: "answers file" }]));
        await acceptedOrRefusedAsync(async () => {
          const { answers: resolved } = await resolveAnswers({
            questions: version.manifest.questions,
            provided: map,
            meta: { template: "service", version: version.manifest.version, dirName: "svc", ...builtinCliRenderMeta() },
            manifestFile: "template.yaml",
          });
          // Whatever is accepted must render without crashing and every path must stay inside.
          const { tree } = renderTemplate(version, resolved, {
            template: "service",
            version: version.manifest.version,
            dirName: "svc",
            ...builtinCliRenderMeta(),
          });
          for (const p of tree.keys()) expect(unsafePathReason(p)).toBeUndefined();
        });
      }),
      { numRuns: RUNS / 2 },
    );
  });

  it(`.pavedrc.yml, a user config and the PAVED_CONFIG file (${RUNS / 4} cases)`, () => {
    const answerLike = fc.oneof(fc.string({ maxLength: 6 }), fc.integer(), fc.boolean(), fc.jsonValue({ maxDepth: 2 }));
    // Mostly valid values, so the schema reads on past them; now and then an odd one of the right shape, or anything.
    const mostly = <T, U>(valid: fc.Arbitrary<T>, odd: fc.Arbitrary<U>) =>
      fc.oneof({ arbitrary: valid, weight: 8 }, { arbitrary: odd, weight: 1 }, { arbitrary: fc.jsonValue({ maxDepth: 2 }), weight: 1 });
    const plainAnswer = fc.oneof(fc.constantFrom("team-a", "8080", ""), fc.integer({ min: 0, max: 9999 }), fc.boolean());
    const configLike = fc.record(
      {
        source: mostly(
          fc.constantFrom("builtin", "./templates", "https://git.example.com/t.git"),
          fc.constantFrom("", "https://user:tok@git.example.com/t.git", "git@host:"),
        ),
        verify: mostly(fc.boolean(), fc.constantFrom("yes", 1)),
        defaults: mostly(
          fc.dictionary(
            fc.constantFrom("service", "worker"),
            fc.dictionary(fc.constantFrom("owner", "port", "name"), plainAnswer, { maxKeys: 3 }),
            { maxKeys: 2 },
          ),
          fc.dictionary(fc.constantFrom("Service", "", "a b"), fc.dictionary(fc.constantFrom("1x", ""), answerLike), { maxKeys: 2 }),
        ),
        cli: mostly(
          fc.oneof(
            fc.constantFrom("@acme/paved@1.4.2", "paved@0.1.0", "file:./paved.tgz"),
            fc.record({ package: fc.constant("@acme/paved@1.4.2"), pin: fc.constantFrom("npx", "devDependency") }),
          ),
          fc.oneof(
            fc.constantFrom("paved@latest", "paved", "@acme/paved@1.4.2 && rm -rf /"),
            fc.record({ package: fc.string(), pin: fc.constantFrom("npx", "x") }),
          ),
        ),
        trust: mostly(
          fc.array(fc.constantFrom("./t", "https://git.example.com/t.git"), { maxLength: 3 }),
          fc.array(fc.string({ maxLength: 4 }), { maxLength: 2 }),
        ),
      },
      { requiredKeys: [] },
    );
    // An unknown key now and then.
    const configWithExtra = fc.oneof(
      { arbitrary: configLike, weight: 8 },
      { arbitrary: fc.tuple(configLike, fc.jsonValue({ maxDepth: 1 })).map(([c, bogus]) => ({ ...c, bogus })), weight: 1 },
    );
    const text = fc.oneof({ arbitrary: yamlish, weight: 1 }, { arbitrary: configWithExtra.map((v) => stringify(v)), weight: 4 });
    const base = tempDir("paved-fuzz-config-");
    let n = 0;
    let accepted = 0;
    fc.assert(
      fc.property(text, text, (project, org) => {
        // A fresh place each time: paved reads the config files of a place once.
        const dir = path.join(base, String(n++));
        const orgFile = path.join(dir, "org.yml");
        writeFiles(dir, { "repo/.pavedrc.yml": project, "org.yml": org });
        if (acceptedOrRefused(() => readConfigFile(path.join(dir, "repo", ".pavedrc.yml")))) accepted++;
        acceptedOrRefused(() => {
          const config = effectiveConfig(path.join(dir, "repo"), { PAVED_CONFIG: orgFile, XDG_CONFIG_HOME: path.join(dir, "xdg") });
          withConfiguredDefaults("service", [{ name: "owner", default: "team-a" }], config);
        });
      }),
      { numRuns: RUNS / 4 },
    );
    // Meaningful only if a good share was read, not refused at the first field.
    expect(accepted).toBeGreaterThan(n / 10);
  });

  it(`--answers-file (${RUNS / 4} cases)`, async () => {
    const answersLike = fc.oneof(
      fc.dictionary(
        fc.oneof(fc.constantFrom("owner", "port", "__proto__", "constructor"), fc.string({ maxLength: 5 })),
        fc.jsonValue({ maxDepth: 2 }),
      ),
      fc.jsonValue({ maxDepth: 2 }),
    );
    const base = tempDir("paved-fuzz-answers-");
    let n = 0;
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          yamlish,
          answersLike.map((v) => stringify(v)),
          answersLike.map((v) => JSON.stringify(v)),
        ),
        async (text) => {
          const file = path.join(base, `answers-${n++}.yml`);
          writeFileSync(file, text);
          if (await acceptedOrRefusedAsync(() => readAnswersFile(file))) accepted++;
        },
      ),
      { numRuns: RUNS / 4 },
    );
    expect(accepted).toBeGreaterThan(n / 10);
  });

  it(`path resolution (${RUNS * 5} cases): accepted paths stay inside the root`, () => {
    const segment = fc.oneof(
      fc.constantFrom("..", ".", "", "a", "b.txt", ".git", "C:", "c:x", "\\", "..\\..", "\0", "/"),
      fc.string({ maxLength: 5 }),
    );
    const pathLike = fc.array(segment, { minLength: 1, maxLength: 6 }).map((parts) => parts.join("/"));
    const root = path.resolve("/srv/target");
    fc.assert(
      fc.property(fc.oneof(pathLike, fc.string()), (relative) => {
        acceptedOrRefused(() => {
          const full = resolveInside(root, relative, "fuzz");
          expect(full.startsWith(root + path.sep)).toBe(true);
          expect(path.relative(root, full).split(path.sep)).not.toContain("..");
        });
      }),
      { numRuns: RUNS * 5 },
    );
  });
});
