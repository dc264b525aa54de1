import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { findSecrets, isPlaceholder, redact, shannonEntropy } from "../../src/doctor/checks/secrets.js";

// Samples are assembled from pieces so this file never holds a literal token a scanner would flag.
const j = (...parts: string[]) => parts.join("");
const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

const REAL: Record<string, string> = {
  "aws-access-key-id": `aws_access_key_id = ${j("AKIA", "Q3EGWNZ7", "RT4XK2LM")}`,
  "aws-access-key-id (session)": `"${j("ASIA", "Y7KD2MNB", "Q4ZX6PLR")}"`,
  "aws-secret-access-key": `aws_secret_access_key = ${j("k8Jd2LmQ9", "pXz4Rt7Vb1Nc", "6Hy3Wq5Ea0Sf", "Gu2Io8x")}`,
  "github-token (classic)": `token: ${j("ghp_", "R4nd0mL00k1ngT0k3n", "Abcdefghij1234567890")}`,
  "github-token (fine-grained)": `GH=${j("github_pat_", "11ABCDEFG0123456789abc", "_", "aZ9bY8cX7dW6eV5fU4gT3hS2iR1jQ0kP9lO8mN7nM6oL5pK4qJ3rI2sH1tG0uF9vE8")}`,
  "gitlab-token": `GITLAB_TOKEN=${j("glpat-", "x9Kd2LmQ7pRt", "4VbNc6Hy")}`,
  "slack-token": `const slack = "${j("xoxb-", "123456789012", "-", "1234567890123", "-", "AbCdEfGhIjKlMnOpQrStUvWx")}"`,
  "slack-webhook": `url: ${j("https://hooks.slack.com/services/", "T01ABCDEF", "/", "B02GHIJKL", "/", "a1B2c3D4e5F6g7H8i9J0k1L2")}`,
  "stripe-key": `STRIPE=${j("sk_", "live_", "51Hq8dLmQ9pXz4Rt7Vb1Nc6Hy")}`,
  "private-key": j(
    "-----BEGIN ",
    "RSA PRIVATE KEY-----\n",
    "MIIEowIBAAKCAQEA1x2y3z4A5B6C7D8E9F0G1H2I3J4K5L6M7N8O9P0Q1R2S3T4U\n",
    "-----END RSA PRIVATE KEY-----\n",
  ),
  "private-key (openssh)": j(
    "-----BEGIN ",
    "OPENSSH PRIVATE KEY-----\n",
    "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n",
    "-----END OPENSSH PRIVATE KEY-----\n",
  ),
  "gcp-service-account": JSON.stringify(
    {
      type: "service_account",
      project_id: "acme-prod",
      private_key_id: "0123456789abcdef",
      private_key: j(
        "-----BEGIN ",
        "PRIVATE KEY-----\n",
        "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7",
        "\n-----END PRIVATE KEY-----\n",
      ),
      client_email: "deploy@acme-prod.iam.gserviceaccount.com",
    },
    null,
    2,
  ),
  jwt: `Authorization: Bearer ${b64url({ alg: "HS256", typ: "JWT" })}.${b64url({ sub: "1234567890", name: "Ada", iat: 1716239022 })}.${j("SflKxwRJSMeKKF2QT4f", "wpMeJf36POk6yJV_adQssw5c")}`,
  "generic-password (quoted)": `DB_PASSWORD = "${j("Tr0ub4dor", "&3xQ!")}"`,
  "generic-password (yaml)": `  password: "${j("s3cR3t-", "Pa55w0rd-9xQ")}"`,
  "generic-password (env)": `API_TOKEN=${j("q8ZkP2", "mW9xLr4", "TvB7nC1s")}`,
};

const LOOK_ALIKES: Record<string, string> = {
  "short AKIA": "key = AKIAEXAMPLE",
  "AWS documentation example": `aws_access_key_id = ${j("AKIA", "IOSFODNN7", "EXAMPLE")}`,
  "AKIA inside a longer word": `id = X${j("AKIA", "Q3EGWNZ7", "RT4XK2LM")}Y`,
  "placeholder github token": "GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
  "GitHub Actions expression": "token: ${{ secrets.GITHUB_TOKEN }}",
  "JWT-shaped non-JWT": `value = ${Buffer.from("not json at all").toString("base64url")}.${b64url({ sub: 1 })}.c2lnbmF0dXJlc2lnbmF0dXJl`,
  "JWT header without alg": `t = ${b64url({ typ: "JWT", kid: "abc" })}.${b64url({ sub: "x" })}.${j("SflKxwRJSMeKKF2QT4f", "wpMeJf36POk6yJV")}`,
  "empty password": 'password = ""',
  "env reference": "password: ${DB_PASSWORD}",
  "template reference": 'password: "{{ .Values.db.password }}"',
  changeme: 'password = "changeme"',
  "angle placeholder": 'api_key: "<your-api-key>"',
  "all x": 'secret = "xxxxxxxxxxxxxxxx"',
  "example value": 'client_secret: "example-client-secret-1"',
  "identifier value": 'tokenType: "access_token"',
  "env var name": "passwordEnv: DB_PASSWORD_FROM_SECRET_STORE",
  "code reference": "const token = process.env.API_TOKEN;",
  sentence: 'secret: "Use the vault to fetch this at runtime"',
  "private key header in docs": "Paste the key (it starts with -----BEGIN PRIVATE KEY-----) into the vault.",
  "stripe test key": `STRIPE=${j("sk_", "test_", "51Hq8dLmQ9pXz4Rt7Vb1Nc6Hy")}`,
  "slack placeholder": "SLACK_TOKEN=xoxb-your-token-here",
  "allowed fixture": `const fixture = "${j("ghp_", "R4nd0mL00k1ngT0k3n", "Abcdefghij1234567890")}"; // paved:allow-secret`,
  "lockfile integrity": '"integrity": "sha512-8u8y3sCbv0ELVmN5Xz1mUqHkLq3bP2nL5cV7wZ8tQ5yR2aS1dF4gH6jK9lM0nB3vC5xZ7qW2eR4tY6uI8oP0aA=="',
};

describe("secret detectors", () => {
  for (const [name, sample] of Object.entries(REAL)) {
    it(`finds ${name}`, () => {
      const found = findSecrets(`line one\n${sample}\nlast line\n`);
      expect(found, name).toHaveLength(1);
      expect(found[0]!.detector).toBe(name.split(" ")[0]);
    });
  }

  for (const [name, sample] of Object.entries(LOOK_ALIKES)) {
    it(`ignores a look-alike: ${name}`, () => {
      expect(findSecrets(`${sample}\n`)).toEqual([]);
    });
  }

  it("reports one finding per line even when several detectors match it", () => {
    const key = j("AKIA", "Q3EGWNZ7", "RT4XK2LM");
    expect(findSecrets(`aws_secret_token = "${key}"\n`)).toHaveLength(1);
  });

  it("never prints a secret in full", () => {
    const token = j("ghp_", "R4nd0mL00k1ngT0k3n", "Abcdefghij1234567890");
    expect(redact(token)).toBe("ghp_… (42 characters)");
    expect(redact(`DB_PASSWORD = "${j("Tr0ub4dor", "&3xQ!")}"`)).toBe("Tr… (14 characters)");
  });

  it("measures entropy and placeholders", () => {
    expect(shannonEntropy("aaaa")).toBe(0);
    expect(shannonEntropy("abcd")).toBe(2);
    expect(isPlaceholder("${SECRET}")).toBe(true);
    expect(isPlaceholder("<token>")).toBe(true);
    expect(isPlaceholder("q8ZkP2mW9xLr4TvB")).toBe(false);
  });
});

describe("secret detectors (properties)", () => {
  const token = fc.stringMatching(/^[A-Za-z0-9]{36}$/).map((body) => j("ghp_", body));

  it("find a token wherever it sits in a line, and never print it", () => {
    fc.assert(
      // Tokens count only at a word boundary (as in GitHub's own scanning): "aghp_..." is not one.
      fc.property(
        token,
        fc.stringMatching(/^(?:[ a-z=:"'(]{0,19}[ =:"'(])?$/),
        fc.stringMatching(/^[ ;,)"']{0,5}$/),
        (secret, before, after) => {
          const found = findSecrets(`x\n${before}${secret}${after}\n`);
          expect(found.map((f) => f.secret)).toEqual([secret]);
          expect(redact(secret)).not.toContain(secret.slice(4));
        },
      ),
      { numRuns: 200 },
    );
  });

  it("stay silent on a line marked paved:allow-secret", () => {
    fc.assert(
      fc.property(token, (secret) => findSecrets(`const fixture = "${secret}"; // paved:allow-secret\n`).length === 0),
      { numRuns: 100 },
    );
  });
});
