/**
 * A production install (`npm ci --omit=dev && npm run build && npm start`, and the Dockerfile's build stage) has only
 * `dependencies`. This walks the import graph from everything such an install builds or runs — the app, the build's
 * own configuration, the production scripts — and checks that every package it reaches is a dependency.
 */
import { readFileSync } from "node:fs";
import path from "node:path";

import { describe, expect, it } from "vitest";

import { packageName, productionEntries, reachablePackages, runtimeSpecifiers } from "@/test/support/import-graph";

const ROOT = process.cwd();
const packageJson = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  scripts: Record<string, string>;
};

/** The packages Next.js itself requires to build a TypeScript project (it tries to install them when missing). */
function nextTypeScriptRequirements(): string[] {
  const source = readFileSync(path.join(ROOT, "node_modules/next/dist/lib/verify-typescript-setup.js"), "utf8");
  return [...new Set([...source.matchAll(/pkg:\s*'([^']+)'/g)].map((match) => match[1]!))];
}

describe("a production install has every package the build and the server need", () => {
  const { packages, unresolved, visited } = reachablePackages(productionEntries());

  it("walks the whole import graph", () => {
    expect(unresolved).toEqual([]);
    expect(visited).toContain("lib/azure/tokens.ts");
    expect(visited).toContain("scripts/preflight.ts");
    expect(packages.get("@azure/identity")).toBeDefined();
    expect(packages.get("@tailwindcss/postcss")).toBe("postcss.config.mjs");
    expect(packages.get("tailwindcss")).toBe("app/globals.css");
  });

  it("every imported package is a dependency, not a devDependency", () => {
    const missing = [...packages].filter(([name]) => !(name in packageJson.dependencies)).map(([name, file]) => `${name} (imported by ${file})`);
    expect(missing).toEqual([]);
  });

  it("the packages Next.js needs to build TypeScript are dependencies", () => {
    const required = nextTypeScriptRequirements();
    expect(required).toEqual(expect.arrayContaining(["typescript", "@types/react", "@types/node"]));
    expect(required.filter((name) => !(name in packageJson.dependencies))).toEqual([]);
  });

  it("the production scripts run with dependencies only", () => {
    for (const script of ["start", "build", "db:migrate", "audit:verify", "azure:register"]) {
      const command = packageJson.scripts[script];
      expect(command, script).toBeDefined();
      const tools = [...command!.matchAll(/(?:^|&&\s*)(\w[\w-]*)/g)].map((match) => match[1]!);
      for (const tool of tools) {
        if (tool === "node") continue;
        expect(Object.keys(packageJson.dependencies), `${script} runs ${tool}`).toContain(tool === "next" ? "next" : tool);
      }
    }
  });

  it("would notice a devDependency imported by server code (the check can fail)", () => {
    const specifiers = runtimeSpecifiers(
      'import { describe } from "vitest";\nimport type { Page } from "@playwright/test";\nconst x = await import("fast-check");',
      "lib/x.ts",
    );
    const names = specifiers.map(packageName);
    expect(names).toEqual(["vitest", "fast-check"]);
    expect(names.filter((name) => !(name in packageJson.dependencies))).toEqual(["vitest", "fast-check"]);
  });
});
