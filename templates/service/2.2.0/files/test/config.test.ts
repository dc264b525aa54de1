import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../src/config.js";

{{#if (eq database "postgres")}}
const required = { DATABASE_URL: "postgres://app:secret@localhost:5432/{{name}}" };
{{else}}
const required = {};
{{/if}}

describe("loadConfig", () => {
  it("uses the defaults when nothing is set", () => {
    const config = loadConfig({ ...required });
    expect(config).toMatchObject({ port: {{port}}, host: "0.0.0.0", logLevel: "{{logLevel}}" });
  });

  it("honours PORT and treats an empty variable as unset", () => {
    expect(loadConfig({ ...required, PORT: "9000" }).port).toBe(9000);
    expect(loadConfig({ ...required, PORT: "" }).port).toBe({{port}});
  });

  it("names every bad variable and what it got", () => {
    let caught: unknown;
    try {
      loadConfig({ ...required, PORT: "eighty", LOG_LEVEL: "loud" });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const message = (caught as ConfigError).message;
    expect(message).toContain('PORT must be a number (got "eighty")');
    expect(message).toMatch(/LOG_LEVEL .*\(got "loud"\)/);
  });
{{#if (eq database "postgres")}}

  it("requires a postgres DATABASE_URL", () => {
    expect(() => loadConfig({})).toThrow(/DATABASE_URL is required/);
    expect(() => loadConfig({ DATABASE_URL: "mysql://x" })).toThrow(/DATABASE_URL must be a postgres:\/\/ connection URL/);
  });
{{/if}}
});
