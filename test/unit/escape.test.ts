import { execFileSync } from "node:child_process";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { camel, kebab, pascal, snake } from "../../src/render/case.js";
import { toJsonLiteral, toShellWord, toYamlScalar } from "../../src/render/escape.js";

const hostile = [
  `He said "hi": it's #1 {{ not a var }}`,
  "line one\nline two\n  indented: yes\n- item",
  "ünïcødé — 日本語 🚀",
  "$(rm -rf /) `whoami` ; | & > < * ? ~ !",
  "trailing backslash \\",
  "tab\tand\rcarriage",
  "\u0085 nel \u007f del \u2028 ls",
  "null",
  "yes",
  "0o17",
  "- [a, b]",
  "",
];

describe("escaping helpers", () => {
  it.each(hostile)("yaml round-trips %j", (value) => {
    expect(parse(`key: ${toYamlScalar(value)}\n`)).toEqual({ key: value });
    expect(parse(`list:\n  - ${toYamlScalar(value)}\n`)).toEqual({ list: [value] });
  });

  it("yaml keeps numbers and booleans typed", () => {
    expect(parse(`a: ${toYamlScalar(8080)}\nb: ${toYamlScalar(true)}\nc: ${toYamlScalar(["x", 1])}`)).toEqual({
      a: 8080,
      b: true,
      c: ["x", 1],
    });
  });

  it.each(hostile)("json round-trips %j", (value) => {
    expect(JSON.parse(`{"k": ${toJsonLiteral(value)}}`)).toEqual({ k: value });
  });

  it.each(hostile.filter((v) => !v.includes("\0")))("shell round-trips %j", (value) => {
    const out = execFileSync("sh", ["-c", `printf '%s' ${toShellWord(value)}`]).toString("utf8");
    expect(out).toBe(value);
  });
});

describe("case helpers", () => {
  it.each([
    ["payments-api", "payments-api", "paymentsApi", "PaymentsApi", "payments_api"],
    ["PaymentsAPI v2", "payments-api-v2", "paymentsApiV2", "PaymentsApiV2", "payments_api_v2"],
    ["  user_service  ", "user-service", "userService", "UserService", "user_service"],
  ])("%j", (input, k, c, p, s) => {
    expect([kebab(input), camel(input), pascal(input), snake(input)]).toEqual([k, c, p, s]);
  });
});
