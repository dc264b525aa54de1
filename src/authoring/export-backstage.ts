import { stringify } from "yaml";
import { parseExpression, type Expr } from "../answers/expression.js";
import type { Manifest, Question } from "../templates/manifest.js";

/**
 * A paved template version as a Backstage software template (`kind: Template`, scaffolder.backstage.io/v1beta3):
 * the questions become the form (JSON Schema draft-07 fields as react-jsonschema-form renders them), and the
 * steps run `paved:new` (integrations/backstage), then Backstage's own `publish:github` and `catalog:register`.
 */

type JsonSchema = Record<string, unknown>;

export interface BackstageExportInput {
  manifest: Manifest;
  /** What the `paved:new` step names as its source; left out for the built-in templates (the module's default). */
  source?: string;
  /** The Template's `spec.owner` (an entity ref such as group:platform). */
  owner?: string;
  /** The Template's `spec.type`, the kind of thing it creates (default: service). */
  type?: string;
}

/** `when` as JSON Schema: the question it depends on and the value (or values not) that show the field. */
interface FormCondition {
  on: string;
  equals: string | number | boolean;
  negated: boolean;
}

const PUBLISH_STEP = "publish";
/** A template's `repository` question (the service template's) is answered from the RepoUrlPicker's value. */
const REPOSITORY_QUESTION = "repository";
const repoUrlPart = (part: string) => `\${{ parameters.repoUrl | parseRepoUrl | pick('${part}') }}`;
const REPOSITORY_FROM_REPO_URL = `https://${repoUrlPart("host")}/${repoUrlPart("owner")}/${repoUrlPart("repo")}`;
const REGISTER_STEP = "register";

export function backstageTemplateEntity({ manifest, source, owner, type = "service" }: BackstageExportInput): Record<string, unknown> {
  const byName = new Map(manifest.questions.map((q) => [q.name, q]));
  const properties: Record<string, JsonSchema> = {};
  const required: string[] = [];
  // One if/then per condition, in question order, so fields that share a condition appear together.
  const conditional = new Map<string, { condition: FormCondition; properties: Record<string, JsonSchema>; required: string[] }>();
  // The repository URL is where publish:github puts the service: taken from the Repository page, not asked twice.
  const fromRepoUrl = (q: Question) => q.name === REPOSITORY_QUESTION && q.type === "input" && q.when === undefined;
  const asked = manifest.questions.filter((q) => q.when !== false);

  for (const q of asked) {
    if (fromRepoUrl(q)) continue;
    const condition = typeof q.when === "string" ? formCondition(q.when, byName) : undefined;
    const field = formField(q);
    if (typeof q.when === "string" && condition === undefined) {
      // Not expressible in the form: the field is always shown, and paved ignores the answer when `when` is false.
      field.description = appendSentence(field.description, `Used only when ${q.when}.`);
    }
    const isRequired = q.required === true;
    if (condition === undefined) {
      properties[q.name] = field;
      if (isRequired) required.push(q.name);
      continue;
    }
    const key = JSON.stringify(condition);
    const group = conditional.get(key) ?? { condition, properties: {}, required: [] };
    group.properties[q.name] = field;
    if (isRequired) group.required.push(q.name);
    conditional.set(key, group);
  }

  const page: JsonSchema = { title: `${manifest.name} ${manifest.version}`, type: "object", required, properties };
  if (conditional.size > 0) {
    page.allOf = [...conditional.values()].map(({ condition, properties: shown, required: shownRequired }) => ({
      if: {
        properties: { [condition.on]: condition.negated ? { not: { const: condition.equals } } : { const: condition.equals } },
        required: [condition.on],
      },
      // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then keyword, written as data, never awaited
      then: { properties: shown, ...(shownRequired.length > 0 ? { required: shownRequired } : {}) },
    }));
  }

  const values = Object.fromEntries(
    asked.map((q) => [
      q.name,
      fromRepoUrl(q) ? REPOSITORY_FROM_REPO_URL : q.secret ? `\${{ secrets.${q.name} }}` : `\${{ parameters.${q.name} }}`,
    ]),
  );
  const nameQuestion = byName.has("name") ? "parameters.name" : undefined;
  return {
    apiVersion: "scaffolder.backstage.io/v1beta3",
    kind: "Template",
    metadata: {
      name: manifest.name,
      title: `${manifest.name} (paved ${manifest.version})`,
      ...(manifest.description ? { description: manifest.description } : {}),
      tags: ["paved"],
      annotations: { "paved.dev/template": manifest.name, "paved.dev/template-version": manifest.version },
    },
    spec: {
      ...(owner !== undefined ? { owner } : {}),
      type,
      parameters: [
        page,
        {
          title: "Repository",
          type: "object",
          required: ["repoUrl"],
          properties: {
            repoUrl: {
              title: "Repository location",
              type: "string",
              "ui:field": "RepoUrlPicker",
              "ui:options": { allowedHosts: ["github.com"] },
            },
          },
        },
      ],
      steps: [
        {
          id: "paved",
          name: `Render ${manifest.name} ${manifest.version} with paved`,
          action: "paved:new",
          input: { template: manifest.name, version: manifest.version, ...(source !== undefined ? { source } : {}), values },
        },
        {
          id: PUBLISH_STEP,
          name: "Publish to GitHub",
          action: "publish:github",
          input: {
            repoUrl: "${{ parameters.repoUrl }}",
            ...(byName.has("description") ? { description: "${{ parameters.description }}" } : {}),
            defaultBranch: "main",
            repoVisibility: "private",
            gitCommitMessage: `Create ${nameQuestion ? `\${{ ${nameQuestion} }}` : "the service"} from ${manifest.name} ${manifest.version}`,
          },
        },
        {
          id: REGISTER_STEP,
          name: "Register in the catalog",
          action: "catalog:register",
          input: { repoContentsUrl: `\${{ steps['${PUBLISH_STEP}'].output.repoContentsUrl }}`, catalogInfoPath: "/catalog-info.yaml" },
        },
      ],
      output: {
        links: [
          { title: "Repository", url: `\${{ steps['${PUBLISH_STEP}'].output.remoteUrl }}` },
          { title: "Open in catalog", icon: "catalog", entityRef: `\${{ steps['${REGISTER_STEP}'].output.entityRef }}` },
        ],
      },
    },
  };
}

/** The entity as the YAML file a Backstage catalog location reads (`${{ }}` expressions kept as plain text). */
export function backstageTemplateYaml(entity: Record<string, unknown>): string {
  return stringify(entity, { lineWidth: 0 });
}

function choiceValue(c: NonNullable<Question["choices"]>[number]): string | number {
  return typeof c === "object" ? c.value : c;
}

function choiceName(c: NonNullable<Question["choices"]>[number]): string {
  return typeof c === "object" ? (c.name ?? String(c.value)) : String(c);
}

/** "string" or "number" when every choice is one; no type otherwise (JSON Schema then checks only the enum). */
function choicesType(values: ReadonlyArray<string | number>): JsonSchema {
  if (values.every((v) => typeof v === "string")) return { type: "string" };
  if (values.every((v) => typeof v === "number")) return { type: "number" };
  return {};
}

function isTemplated(value: unknown): boolean {
  return typeof value === "string" && value.includes("{{");
}

function appendSentence(text: unknown, sentence: string): string {
  return typeof text === "string" && text !== "" ? `${text} ${sentence}` : sentence;
}

/** One question as a form field; a default that is a template over other answers becomes a note (paved fills it in). */
function formField(q: Question): JsonSchema {
  const field: JsonSchema = { title: q.message };
  if (q.help) field.description = q.help;
  const values = (q.choices ?? []).map(choiceValue);
  switch (q.type) {
    case "input":
      field.type = "string";
      if (q.pattern !== undefined) field.pattern = q.pattern;
      if (q.required) field.minLength = 1;
      break;
    case "number":
      field.type = "number";
      if (q.min !== undefined) field.minimum = q.min;
      if (q.max !== undefined) field.maximum = q.max;
      break;
    case "confirm":
      field.type = "boolean";
      break;
    case "select":
      Object.assign(field, choicesType(values), { enum: values, enumNames: (q.choices ?? []).map(choiceName) });
      break;
    case "multiselect":
      Object.assign(field, {
        type: "array",
        items: { ...choicesType(values), enum: values, enumNames: (q.choices ?? []).map(choiceName) },
        uniqueItems: true,
        "ui:widget": "checkboxes",
        ...(q.required ? { minItems: 1 } : {}),
      });
      break;
  }
  if (q.default !== undefined && !isTemplated(q.default)) field.default = q.default;
  // {{paved.dirName}} is the target folder's name, which a Backstage workspace does not have: no default there.
  else if (isTemplated(q.default) && !String(q.default).includes("paved."))
    field["ui:help"] = `Leave empty for the template's default, ${JSON.stringify(q.default)}.`;
  if (q.patternHint) field["ui:help"] = appendSentence(field["ui:help"], `Format: ${q.patternHint}.`);
  if (q.secret) {
    // The Secret field keeps the value out of the task's parameters; the step reads it as ${{ secrets.<name> }}.
    // (Backstage replaced `ui:widget: password`, which left the value in the parameters, by this field.)
    field["ui:field"] = "Secret";
  }
  return field;
}

/**
 * A `when` the form can express: `x == v`, `x != v`, `x` or `!x` where x is a select or confirm question asked
 * without a condition of its own, and v one of its values. Anything else (&&, ||, in, comparisons) stays a note.
 */
function formCondition(when: string, byName: ReadonlyMap<string, Question>): FormCondition | undefined {
  let expr: Expr;
  try {
    expr = parseExpression(when);
  } catch {
    return undefined;
  }
  let negated = false;
  if (expr.kind === "not") {
    negated = true;
    expr = expr.operand;
  }
  if (expr.kind === "name") return confirmCondition(byName.get(expr.name), !negated);
  if (expr.kind !== "binary" || (expr.op !== "==" && expr.op !== "!=")) return undefined;
  const [name, literal] = expr.left.kind === "name" ? [expr.left, expr.right] : [expr.right, expr.left];
  if (name.kind !== "name" || literal.kind !== "literal") return undefined;
  const target = byName.get(name.name);
  if (!target || target.when !== undefined) return undefined;
  const isNot = (expr.op === "!=") !== negated;
  if (target.type === "confirm" && typeof literal.value === "boolean") return { on: target.name, equals: literal.value, negated: isNot };
  if (target.type !== "select") return undefined;
  // paved's == compares a number and its text as equal; the form compares the choice's own value.
  const match = (target.choices ?? []).map(choiceValue).find((v) => String(v) === String(literal.value));
  return match === undefined ? undefined : { on: target.name, equals: match, negated: isNot };
}

function confirmCondition(target: Question | undefined, value: boolean): FormCondition | undefined {
  if (!target || target.type !== "confirm" || target.when !== undefined) return undefined;
  return { on: target.name, equals: value, negated: false };
}
