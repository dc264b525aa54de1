import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { csvCell } from "../../src/fleet/format/csv.js";
import { escapeHtml } from "../../src/fleet/format/html.js";
import { mdCell } from "../../src/fleet/format/markdown.js";
import { daysBetween, distribution } from "../../src/fleet/stats.js";
import { discoverTargets, inShard, readReposFile } from "../../src/fleet/targets.js";
import { tempDir, writeFiles } from "../helpers.js";

describe("target discovery", () => {
  it("finds checkouts at any depth (or --max-depth), never inside one, a dot directory, node_modules or a symlink", () => {
    const root = tempDir("paved-discover-");
    writeFiles(root, {
      "a/.git/HEAD": "ref: refs/heads/main\n",
      "a/nested/.git/HEAD": "x", // inside a checkout: not a separate target
      "group/b/.paved.yml": "template: service\n",
      "group/deep/er/c/.git/HEAD": "x",
      ".hidden/d/.git/HEAD": "x",
      "node_modules/e/.git/HEAD": "x",
      "empty/README.md": "",
    });
    mkdirSync(path.join(root, "links"));
    symlinkSync(path.join(root, "a"), path.join(root, "links", "a"));
    const ids = (maxDepth: number) => discoverTargets([root], { cwd: root, maxDepth }).map((t) => `${t.kind}:${t.id}`);
    expect(ids(Infinity)).toEqual(["local:a", "local:group/b", "local:group/deep/er/c"]);
    expect(ids(2)).toEqual(["local:a", "local:group/b"]);
    expect(
      discoverTargets([path.join(root, "empty"), path.join(root, "nope"), "https://user:tok@example.com/x.git?t=1"], {
        cwd: root,
        maxDepth: Infinity,
      }),
    ).toEqual([
      { kind: "missing", id: "empty", reason: "not a git repository, and no checkouts under it" },
      { kind: "missing", id: "nope", reason: "no such directory" },
      { kind: "git", id: "https://example.com/x.git", url: "https://user:tok@example.com/x.git?t=1" },
    ]);
    // The same checkout named twice (directly and through a search) is one target.
    expect(discoverTargets([path.join(root, "a"), root], { cwd: root, maxDepth: 1 }).map((t) => t.id)).toEqual(["a"]);
  });

  it("reads a repos file: # comments, blank lines, paths relative to the file", () => {
    const dir = tempDir("paved-repos-");
    writeFileSync(
      path.join(dir, "repos.txt"),
      "# all of them\n\n./svc-a   # team a\nsub/svc-b\ngit@example.com:org/c.git\nhttps://example.com/d.git#main # a comment after a fragment stays\n",
    );
    expect(readReposFile("repos.txt", dir)).toEqual([
      path.join(dir, "svc-a"),
      path.join(dir, "sub/svc-b"),
      "git@example.com:org/c.git",
      "https://example.com/d.git#main",
    ]);
  });
});

describe("shards", () => {
  it("put every target in exactly one shard, the same one every time", () => {
    const ids = Array.from({ length: 300 }, (_, i) => `services/svc-${i}`);
    for (const count of [1, 2, 3, 7]) {
      const parts = Array.from({ length: count }, (_, i) => ids.filter((id) => inShard(id, { index: i + 1, count })));
      expect(parts.flat().sort()).toEqual([...ids].sort());
      if (count > 1) for (const part of parts) expect(part.length).toBeGreaterThan(300 / count / 2);
    }
    expect(ids.filter((id) => inShard(id, { index: 2, count: 3 }))).toEqual(ids.filter((id) => inShard(id, { index: 2, count: 3 })));
  });
});

describe("statistics", () => {
  it("median (mean of the middle two) and p90 (nearest rank)", () => {
    expect(distribution([])).toEqual({ count: 0, median: null, p90: null });
    expect(distribution([7])).toEqual({ count: 1, median: 7, p90: 7 });
    expect(distribution([1, 5, 7])).toEqual({ count: 3, median: 5, p90: 7 });
    expect(distribution([4, 1, 3, 2])).toEqual({ count: 4, median: 2.5, p90: 4 });
    expect(distribution(Array.from({ length: 10 }, (_, i) => i + 1))).toEqual({ count: 10, median: 5.5, p90: 9 });
    expect(daysBetween("2026-10-06", "2026-12-01")).toBe(56);
    expect(daysBetween("2026-03-28", "2026-03-30")).toBe(2);
  });
});

describe("escaping in every format", () => {
  it("html, markdown and csv cells cannot break out", () => {
    expect(escapeHtml(`<img src=x onerror="a('b')">&\``)).toBe("&#60;img src=x onerror=&#34;a(&#39;b&#39;)&#34;&#62;&#38;&#96;");
    expect(mdCell("a|b [x](http://e) <b>*c*</b>\nnext")).toBe("a\\|b \\[x\\](http://e) \\<b\\>\\*c\\*\\</b\\> next");
    expect(csvCell('=HYPERLINK("http://e")')).toBe(`"'=HYPERLINK(""http://e"")"`);
    expect(csvCell("-1+2")).toBe("'-1+2");
    expect(csvCell(-1)).toBe("-1");
    expect(csvCell("a,b")).toBe('"a,b"');
    expect(csvCell(null)).toBe("");
  });
});
