import { mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { afterEach, describe, expect, it } from "vitest";

import { changedFiles, SERVER_MALLOC_ENVIRONMENT, standaloneFiles, withServerMallocDefaults } from "./standalone";

describe("the standalone directory's snapshot (the production run's proof that the server writes nothing there)", () => {
  const roots: string[] = [];
  afterEach(() => roots.splice(0).forEach((root) => rmSync(root, { recursive: true, force: true })));

  it("finds files added, changed and removed, and nothing when nothing changed", () => {
    const root = mkdtempSync(path.join(tmpdir(), "gatehouse-standalone-"));
    roots.push(root);
    mkdirSync(path.join(root, ".next", "server"), { recursive: true });
    writeFileSync(path.join(root, "server.js"), "x");
    writeFileSync(path.join(root, ".next", "server", "page.js"), "y");
    writeFileSync(path.join(root, "gone.txt"), "z");
    symlinkSync("server.js", path.join(root, "link.js"));
    const before = standaloneFiles(root);
    expect(Object.keys(before).sort()).toEqual([".next/server/page.js", "gone.txt", "link.js", "server.js"]);
    expect(changedFiles(before, standaloneFiles(root))).toEqual([]);

    mkdirSync(path.join(root, ".next", "cache"));
    writeFileSync(path.join(root, ".next", "cache", "fetch.json"), "{}");
    utimesSync(path.join(root, ".next", "server", "page.js"), new Date(), new Date(Date.now() + 5_000));
    rmSync(path.join(root, "gone.txt"));
    expect(changedFiles(before, standaloneFiles(root))).toEqual(["added .next/cache/fetch.json", "changed .next/server/page.js", "removed gone.txt"]);
  });
});

describe("the server's allocator settings", () => {
  it("are added to a server's environment, and a value the operator set there wins", () => {
    expect(withServerMallocDefaults({ NODE_ENV: "production", PORT: "3000" })).toEqual({ ...SERVER_MALLOC_ENVIRONMENT, NODE_ENV: "production", PORT: "3000" });
    expect(withServerMallocDefaults({ NODE_ENV: "production", MALLOC_MMAP_THRESHOLD_: "131072" }).MALLOC_MMAP_THRESHOLD_).toBe("131072");
  });
});
