import { describe, expect, it } from "vitest";
import { recordableAnswers, resolveAnswers, type AnswerValue, type Prompter, type RenderMeta } from "../../src/answers/answers.js";
import { parseSetFlags } from "../../src/answers/provided.js";
import { UserError } from "../../src/errors.js";
import { questionSchema, type Question } from "../../src/templates/manifest.js";
import { builtinCliRenderMeta } from "../../src/config.js";

const meta: RenderMeta = { template: "service", version: "1.0.0", dirName: "payments-api", ...builtinCliRenderMeta() };

const questions: Question[] = [
  {
    name: "name",
    type: "input",
    message: "Name",
    default: "{{paved.dirName}}",
    required: true,
    pattern: "^[a-z][-a-z0-9]{2,39}$",
    patternHint: "lowercase letters, digits and dashes, 3-40 characters",
  },
  { name: "owner", type: "input", message: "Owner", required: true },
  { name: "port", type: "number", message: "Port", default: 8080, min: 1024, max: 65535 },
  { name: "ci", type: "select", message: "CI", choices: ["github", "gitlab"], default: "github" },
  { name: "database", type: "select", message: "DB", choices: ["none", "postgres"], default: "none" },
  { name: "dbName", type: "input", message: "DB name", default: "{{snake name}}_db", when: 'database == "postgres"' },
  { name: "extras", type: "multiselect", message: "Extras", choices: ["queue", "cache"], default: [] },
  { name: "public", type: "confirm", message: "Public?", default: false },
  { name: "token", type: "input", message: "Token", secret: true },
].map((q) => questionSchema.parse(q));

function resolve(sets: string[], prompter?: Prompter) {
  return resolveAnswers({
    questions,
    provided: parseSetFlags(sets),
    meta,
    manifestFile: "template.yaml",
    ...(prompter ? { prompter } : {}),
  });
}

async function refusal(sets: string[]): Promise<UserError> {
  try {
    await resolve(sets);
  } catch (error) {
    expect(error).toBeInstanceOf(UserError);
    return error as UserError;
  }
  throw new Error("expected a refusal");
}

describe("resolveAnswers", () => {
  it("fills defaults, including ones that use earlier answers and the folder name", async () => {
    const { answers } = await resolve(["owner=team-a", "database=postgres"]);
    expect(answers).toEqual({
      name: "payments-api",
      owner: "team-a",
      port: 8080,
      ci: "github",
      database: "postgres",
      dbName: "payments_api_db",
      extras: [],
      public: false,
      token: "",
    });
  });

  it("answers null to a question whose `when` is false", async () => {
    const { answers, active } = await resolve(["owner=team-a"]);
    expect(answers.dbName).toBeNull();
    expect(active.has("dbName")).toBe(false);
  });

  it("coerces --set text to the question's type", async () => {
    const { answers } = await resolve(["owner=o", "port=9090", "public=yes", "extras=queue,cache"]);
    expect(answers.port).toBe(9090);
    expect(answers.public).toBe(true);
    expect(answers.extras).toEqual(["queue", "cache"]);
  });

  it("without a terminal, names the flag for a missing required answer", async () => {
    const error = await refusal([]);
    expect(error.message).toMatch(/missing answer for "owner"/);
    expect(error.hint).toBe("pass --set owner=...");
    expect(error.exitCode).toBe(2);
  });

  it.each([
    [["owner=o", "name=Bad_Name"], /`--set name=Bad_Name`: lowercase letters/, /--set name=/],
    [["owner=o", "port=http"], /`--set port=http`: must be a number/, /--set port=1024/],
    [["owner=o", "port=80"], /must be at least 1024/, /--set port=/],
    [["owner=o", "ci=jenkins"], /must be one of: github, gitlab/, /--set ci=github/],
    [["owner=o", "extras=queue,kafka"], /"kafka" is not one of: queue, cache/, /--set extras=queue/],
    [["owner=o", "public=maybe"], /must be true or false/, /--set public=true/],
    [["owner="], /`--set owner=`: is required/, /--set owner=/],
    [["owner=o", "colour=red"], /--set "colour": the template has no such question/, /questions are: name, owner/],
  ])("refuses %j", async (sets, message, hint) => {
    const error = await refusal(sets);
    expect(error.message).toMatch(message);
    expect(error.hint).toMatch(hint);
  });

  it("asks the prompter only for what was not given, with the default offered", async () => {
    const asked: Array<[string, AnswerValue | undefined]> = [];
    const prompter: Prompter = {
      async ask(q, fallback, validate) {
        asked.push([q.name, fallback]);
        const answer = q.name === "owner" ? "team-prompted" : (fallback ?? "");
        expect(validate(answer as AnswerValue)).toBe(true);
        return answer as AnswerValue;
      },
    };
    const { answers } = await resolve(["port=9000"], prompter);
    expect(answers.owner).toBe("team-prompted");
    expect(asked.map(([n]) => n)).toEqual(["name", "owner", "ci", "database", "extras", "public", "token"]);
    expect(asked[0]![1]).toBe("payments-api");
  });

  it("leaves secrets out of what is recorded", async () => {
    const { answers } = await resolve(["owner=o", "token=s3cr3t"]);
    expect(answers.token).toBe("s3cr3t");
    expect(recordableAnswers(questions, answers)).not.toHaveProperty("token");
  });

  it("keeps = inside --set values", () => {
    expect(parseSetFlags(["description=a=b"]).get("description")?.value).toBe("a=b");
    expect(() => parseSetFlags(["=x"])).toThrow(/expected key=value/);
    expect(() => parseSetFlags(["novalue"])).toThrow(/expected key=value/);
  });
});
