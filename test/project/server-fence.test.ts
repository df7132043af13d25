/**
 * Server code lives under lib/ and is fenced with `import "server-only"`, which makes the build fail if a client
 * component ever imports it (and with it a token, a secret or the database). Universal code goes in lib/shared/.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";

import { describe, expect, it } from "vitest";

const ROOT = process.cwd();
const UNIVERSAL = [path.join("lib", "shared")];
/** Server modules that cannot carry the fence, each with the reason. */
const EXEMPT: Record<string, string> = {
  [path.join("lib", "db", "schema.ts")]: "drizzle-kit loads it outside Next.js, where `server-only` throws; it holds only table shapes",
};
/** Feature table definitions (lib/<feature>/schema.ts) are read by drizzle-kit too, for the same reason. */
const isTableSchema = (file: string) => /^lib[\\/][^\\/]+[\\/]schema\.ts$/.test(file);

function sourceFiles(directory: string): string[] {
  return readdirSync(path.join(ROOT, directory), { withFileTypes: true }).flatMap((entry) => {
    const relative = path.join(directory, entry.name);
    if (entry.isDirectory()) return sourceFiles(relative);
    return /\.tsx?$/.test(entry.name) && !/\.test\.tsx?$/.test(entry.name) ? [relative] : [];
  });
}

/** The first statement that is not a comment or blank line. */
function firstStatement(source: string): string | undefined {
  const withoutComments = source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
  return withoutComments
    .split("\n")
    .find((line) => line.trim() !== "")
    ?.trim();
}

describe("server-only fence", () => {
  const serverModules = sourceFiles("lib").filter(
    (file) => !UNIVERSAL.some((dir) => file.startsWith(dir + path.sep)) && !(file in EXEMPT) && !isTableSchema(file),
  );

  it("finds the server modules it guards", () => {
    expect(serverModules).toContain(path.join("lib", "db", "client.ts"));
  });

  it.each(serverModules)('%s starts with import "server-only"', (file) => {
    expect(firstStatement(readFileSync(path.join(ROOT, file), "utf8"))).toBe('import "server-only";');
  });

  it("keeps universal modules free of server imports", () => {
    for (const file of sourceFiles(path.join("lib", "shared"))) {
      const source = readFileSync(path.join(ROOT, file), "utf8");
      expect(source, file).not.toMatch(/from "@\/lib\/(?!shared\/)/);
      expect(source, file).not.toContain("server-only");
    }
  });
});
