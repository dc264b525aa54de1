import { describe, expect, it } from "vitest";
import { evaluate, evaluateCondition, ExpressionError, parseExpression, referencedNames } from "../../src/answers/expression.js";

const scope = { database: "postgres", tier: 2, ci: "github", features: ["queue", "cache"], enabled: true, empty: "" };

describe("when expressions", () => {
  it.each([
    ['database == "postgres"', true],
    ["database != 'postgres'", false],
    ["tier < 3 && ci == 'github'", true],
    ["tier >= 3 || enabled", true],
    ["!enabled", false],
    ["not enabled or tier == 2", true],
    ['"queue" in features', true],
    ['"kafka" in features', false],
    ["ci in ['github', 'gitlab']", true],
    ["(tier == 1 || tier == 2) and database == 'postgres'", true],
    ["empty", false],
    ["tier == '2'", true],
    ["true", true],
    ["null == empty", false],
  ])("%s -> %s", (source, expected) => {
    expect(evaluateCondition(source, scope)).toBe(expected);
  });

  it("lists the names it reads, for lint", () => {
    expect([...referencedNames(parseExpression("a == 1 && (b in [c, 'x'] || !d)"))].sort()).toEqual(["a", "b", "c", "d"]);
  });

  it("refuses unknown names at evaluation", () => {
    expect(() => evaluate(parseExpression("nope == 1"), scope)).toThrow(/unknown name "nope"/);
  });

  it.each(["", "a ==", "(a", "a b", "'open", "a === b", "a & b", "a constructor b", "a toString b", "a __proto__ b"])(
    "rejects malformed %j",
    (source) => {
      expect(() => parseExpression(source)).toThrow(ExpressionError);
    },
  );

  it("takes booleans as they are", () => {
    expect(evaluateCondition(false, {})).toBe(false);
    expect(evaluateCondition(undefined, {})).toBe(true);
  });

  it("a condition asked again (parsed once) answers for the scope it is given; one that does not parse fails every time", () => {
    const when = 'database == "postgres" && tier < 3';
    expect([1, 5, 2].map((tier) => evaluateCondition(when, { database: "postgres", tier }))).toEqual([true, false, true]);
    expect(evaluateCondition(when, { database: "none", tier: 1 })).toBe(false);
    for (let i = 0; i < 2; i++) expect(() => evaluateCondition("tier <", { tier: 1 })).toThrow(ExpressionError);
  });
});
