/**
 * Security test plan row 27: Next.js copies every `NEXT_PUBLIC_*` variable a module names into the browser's bundles.
 * Gatehouse sends the browser its few settings (client ids, authority) from the server at request time
 * (lib/auth/browser-settings.ts), so the allow-list of public variables is empty: a secret put in a `NEXT_PUBLIC_`
 * variable by mistake can never reach a bundle, because nothing reads one.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";

import { describe, expect, it } from "vitest";

const ROOT = process.cwd();
/** Variables the browser may see, with the reason. Empty on purpose. */
const ALLOWED_PUBLIC_VARIABLES: Record<string, string> = {};
const SKIPPED = new Set(["node_modules", ".next", ".git", ".data", "playwright-report", "test-results", "coverage"]);

function files(directory: string): string[] {
  return readdirSync(path.join(ROOT, directory), { withFileTypes: true }).flatMap((entry) => {
    if (SKIPPED.has(entry.name)) return [];
    const relative = path.join(directory, entry.name);
    if (entry.isDirectory()) return files(relative);
    return /\.(?:ts|tsx|mjs|cjs|js|json)$/.test(entry.name) || /^\.env/.test(entry.name) ? [relative] : [];
  });
}

const publicVariables = (source: string) => [...source.matchAll(/\bNEXT_PUBLIC_[A-Z0-9_]+/g)].map((match) => match[0]);

describe("public environment variables (row 27)", () => {
  it("no source, config or env file names a NEXT_PUBLIC_ variable outside the (empty) allow-list", () => {
    const self = path.join("test", "project", "public-env.test.ts");
    const found = files(".")
      .filter((file) => file !== self)
      .flatMap((file) => publicVariables(readFileSync(path.join(ROOT, file), "utf8")).map((name) => `${file}: ${name}`))
      .filter((entry) => !(entry.split(": ")[1]! in ALLOWED_PUBLIC_VARIABLES));
    expect(found).toEqual([]);
  });

  it("finds a public variable where one is named (the check above can fail)", () => {
    expect(publicVariables("const id = process.env.NEXT_PUBLIC_CLIENT_SECRET;")).toEqual(["NEXT_PUBLIC_CLIENT_SECRET"]);
  });
});
