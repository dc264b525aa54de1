import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Output } from "../../src/output.js";
import { credentialFreeUrl, redactSecrets, redactUrl, redactUrls } from "../../src/redact.js";
import { escapeControlChars } from "../../src/terminal-text.js";

describe("redactUrls", () => {
  it("replaces user info, query and fragment, keeps an ssh user name and everything else", () => {
    expect(redactUrl("https://x-access-token:ghp_abc@github.com/acme/t.git")).toBe("https://***@github.com/acme/t.git");
    expect(redactUrl("https://github.com/acme/t.git?token=abc#frag")).toBe("https://github.com/acme/t.git?***#***");
    expect(redactUrl("ssh://git:pw@host/acme/t.git")).toBe("ssh://git:***@host/acme/t.git");
    expect(redactUrl("ssh://git@host/acme/t.git")).toBe("ssh://git@host/acme/t.git");
    expect(redactUrls("fatal: unable to access 'https://u:p@h/x.git?t=1/': 403")).toBe(
      "fatal: unable to access 'https://***@h/x.git?***': 403",
    );
    expect(redactUrls("no URL here: a?b=c and git@github.com:acme/t.git")).toBe("no URL here: a?b=c and git@github.com:acme/t.git");
  });

  it("scrubs known secrets outside URLs (git's path form of a file URL)", () => {
    const { secrets } = credentialFreeUrl("file:///r.git?token=abc");
    expect(redactSecrets("fatal: '/r.git?token=abc' does not appear to be a git repository", secrets)).not.toContain("token=abc");
  });

  it("property: a token in any part of a URL never survives, in text or in JSON output", () => {
    const token = fc.stringMatching(/^[A-Za-z0-9_-]{8,24}$/);
    fc.assert(
      fc.property(
        token,
        fc.constantFrom("https", "http", "file", "ssh", "git+https"),
        fc.constantFrom("user", "pass", "query", "fragment"),
        (secret, scheme, where) => {
          if (scheme === "ssh" && where === "user") return; // an ssh user name is an account (git@), kept by design
          const url =
            where === "user"
              ? `${scheme}://${secret}@host/r.git`
              : where === "pass"
                ? `${scheme}://u:${secret}@host/r.git`
                : where === "query"
                  ? `${scheme}://host/r.git?t=${secret}`
                  : `${scheme}://host/r.git#t=${secret}`;
          expect(redactUrls(`error: '${url}' failed (${url})`)).not.toContain(secret);
          expect(credentialFreeUrl(url).url).not.toContain(secret);
          let written = "";
          const stream = {
            write: (s: string) => {
              written += s;
              return true;
            },
          } as unknown as NodeJS.WritableStream;
          new Output({ json: true }, { stdout: stream, stderr: stream }).result({ nested: [{ url }] });
          expect(written).not.toContain(secret);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("escapeControlChars", () => {
  it("escapes C0, C1, DEL and bidi controls; keeps paved's own line breaks when asked", () => {
    expect(escapeControlChars("a\u001b[2K\rb\u0085\u007f\u202e\u2066")).toBe("a\\x1b[2K\\rb\\x85\\x7f\\u202e\\u2066");
    expect(escapeControlChars("one\ntwo")).toBe("one\\ntwo");
    expect(escapeControlChars("one\ntwo", { keepNewlines: true })).toBe("one\ntwo");
    expect(escapeControlChars("plain – text ✓")).toBe("plain – text ✓");
  });
});
