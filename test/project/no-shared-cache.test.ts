/**
 * Security test plan row 24 (cache isolation), the static half: everything Gatehouse renders depends on who asks, so
 * nothing may be kept in a cache Next.js shares across requests and people. `"use cache"`, `unstable_cache`,
 * `cacheLife`/`cacheTag`, fetch's `force-cache` and `next.revalidate` each store a result keyed without the caller;
 * one of them in a data-access function would serve one admin's view of access to another. (With nothing cached there
 * is nothing to invalidate either: after a change the component refreshes the page, and the lint rules keep
 * `revalidatePath` out.) The dynamic half — signed-in pages are never stored, two people never see each other's data —
 * is in the e2e security specs.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";

import { describe, expect, it } from "vitest";

const ROOT = process.cwd();
const SOURCE_DIRECTORIES = ["app", "lib", "components"];
const SOURCE_FILES = ["proxy.ts", "next.config.ts", "next.config.mjs"];

/** A cache shared across requests, spelled as each API spells it. */
const SHARED_CACHE = [
  { name: '"use cache" directive', pattern: /^\s*["']use cache(?::\s*[\w-]+)?["'];?\s*$/m },
  { name: "unstable_cache", pattern: /\bunstable_cache\b/ },
  { name: "cacheLife / cacheTag", pattern: /\b(?:unstable_)?cache(?:Life|Tag)\s*\(/ },
  { name: "fetch with force-cache", pattern: /cache\s*:\s*["']force-cache["']/ },
  { name: "fetch with next.revalidate", pattern: /next\s*:\s*\{[^}]*\brevalidate\s*:/ },
  { name: "cacheComponents / useCache switched on", pattern: /\b(?:cacheComponents|useCache)\s*:\s*true\b/ },
];

function sourceFiles(directory: string): string[] {
  return readdirSync(path.join(ROOT, directory), { withFileTypes: true }).flatMap((entry) => {
    const relative = path.join(directory, entry.name);
    if (entry.isDirectory()) return sourceFiles(relative);
    return /\.(?:ts|tsx|mjs|js)$/.test(entry.name) && !/\.test\.tsx?$/.test(entry.name) ? [relative] : [];
  });
}

function offences(source: string): string[] {
  return SHARED_CACHE.filter(({ pattern }) => pattern.test(source)).map(({ name }) => name);
}

describe("no cache shared across people (row 24)", () => {
  it("no page, action, data-access function or component stores results in a shared Next.js cache", () => {
    const files = [...SOURCE_DIRECTORIES.flatMap(sourceFiles), ...SOURCE_FILES.filter((file) => readdirSync(ROOT).includes(file))];
    expect(files.length).toBeGreaterThan(100);
    const found = files.flatMap((file) => offences(readFileSync(path.join(ROOT, file), "utf8")).map((name) => `${file}: ${name}`));
    expect(found).toEqual([]);
  });

  it("recognises each way of asking for a shared cache (the check above can fail)", () => {
    expect(offences(`"use cache";\nexport async function f() {}`)).toEqual(['"use cache" directive']);
    expect(offences(`async function f() {\n  'use cache: remote'\n}`)).toEqual(['"use cache" directive']);
    expect(offences(`import { unstable_cache } from "next/cache";`)).toEqual(["unstable_cache"]);
    expect(offences(`cacheLife("hours"); cacheTag("x");`)).toEqual(["cacheLife / cacheTag"]);
    expect(offences(`await fetch(url, { cache: "force-cache" })`)).toEqual(["fetch with force-cache"]);
    expect(offences(`await fetch(url, { next: { revalidate: 60 } })`)).toEqual(["fetch with next.revalidate"]);
    expect(offences(`const config = { cacheComponents: true };`)).toEqual(["cacheComponents / useCache switched on"]);
    expect(offences(`revalidatePath("/mappings"); // "use cache" only in a comment mid-line`)).toEqual([]);
  });
});
