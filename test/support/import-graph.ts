/**
 * The import graph of what a production install builds or runs: the app, the build's own configuration and the
 * production scripts. Used by the dependency check and the Docker build-context check.
 */
import { builtinModules } from "node:module";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";

const ROOT = process.cwd();

/** Files the production build compiles or loads, and the scripts an operator runs from a production install. */
export const ENTRY_DIRECTORIES = ["app", "components", "lib"];
export const ENTRY_FILES = [
  "instrumentation.ts",
  "proxy.ts",
  "next.config.mjs",
  "postcss.config.mjs",
  "tailwind.config.ts",
  "app/globals.css",
  "scripts/preflight.ts",
  "scripts/start.ts",
  "scripts/db-migrate.ts",
  "scripts/audit-verify.ts",
  "scripts/azure-register.ts",
];

const BUILTINS = new Set([...builtinModules, ...builtinModules.map((name) => `node:${name}`)]);
const SOURCE = /\.(ts|tsx|mts|mjs|js|css)$/;
const TEST_FILE = /\.(test|property\.test)\.tsx?$/;

export function filesUnder(directory: string): string[] {
  return readdirSync(path.join(ROOT, directory), { withFileTypes: true }).flatMap((entry) => {
    const relative = path.join(directory, entry.name);
    if (entry.isDirectory()) return filesUnder(relative);
    return SOURCE.test(entry.name) && !TEST_FILE.test(entry.name) ? [relative] : [];
  });
}

/** Module specifiers a file loads at run time (type-only imports and exports are erased by the compiler). */
export function runtimeSpecifiers(source: string, file: string): string[] {
  if (file.endsWith(".css")) {
    return [...source.matchAll(/@(?:import|plugin)\s+["']([^"']+)["']/g)].map((match) => match[1]!).filter((specifier) => !specifier.startsWith("."));
  }
  const code = source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`])\/\/.*$/gm, "$1");
  const specifiers: string[] = [];
  for (const match of code.matchAll(/\b(import|export)\s+(type\s+)?([^;]*?)\s+from\s+["']([^"']+)["']/g)) {
    if (match[2]) continue; // import type … / export type …
    specifiers.push(match[4]!);
  }
  for (const match of code.matchAll(/\bimport\s+["']([^"']+)["']/g)) specifiers.push(match[1]!);
  for (const match of code.matchAll(/\b(?:import|require)\(\s*["']([^"']+)["']\s*\)/g)) specifiers.push(match[1]!);
  if (path.basename(file).startsWith("postcss.config")) {
    // PostCSS loads its plugins by the package names that key `plugins`.
    for (const match of code.matchAll(/["'](@?[\w./-]+)["']\s*:/g)) specifiers.push(match[1]!);
  }
  return specifiers;
}

export function packageName(specifier: string): string {
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0]!;
}

export function resolveLocal(fromFile: string, specifier: string): string | undefined {
  const base = specifier.startsWith("@/") ? path.join(ROOT, specifier.slice(2)) : path.resolve(path.dirname(path.join(ROOT, fromFile)), specifier);
  const candidates = [
    base,
    ...[".ts", ".tsx", ".mjs", ".js", ".css"].map((extension) => `${base}${extension}`),
    ...["index.ts", "index.tsx", "index.mjs"].map((index) => path.join(base, index)),
  ];
  // `.js` specifiers in TypeScript name their `.ts` source.
  if (/\.js$/.test(base)) candidates.push(base.replace(/\.js$/, ".ts"), base.replace(/\.js$/, ".tsx"));
  const found = candidates.find((candidate) => existsSync(candidate) && statSync(candidate).isFile());
  return found ? path.relative(ROOT, found) : undefined;
}

/** Every package reached from the entry points, with one file that imports it. */
export function reachablePackages(entries: string[]): { packages: Map<string, string>; unresolved: string[]; visited: Set<string> } {
  const packages = new Map<string, string>();
  const unresolved: string[] = [];
  const visited = new Set<string>();
  const queue = [...entries];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (visited.has(file)) continue;
    visited.add(file);
    for (const specifier of runtimeSpecifiers(readFileSync(path.join(ROOT, file), "utf8"), file)) {
      if (BUILTINS.has(specifier)) continue;
      if (specifier.startsWith(".") || specifier.startsWith("@/")) {
        const target = resolveLocal(file, specifier);
        if (target) queue.push(target);
        else unresolved.push(`${file}: ${specifier}`);
        continue;
      }
      const name = packageName(specifier);
      if (!packages.has(name)) packages.set(name, file);
    }
  }
  return { packages, unresolved, visited };
}

/** The entry points that exist in this checkout. */
export function productionEntries(): string[] {
  return [...ENTRY_DIRECTORIES.flatMap(filesUnder), ...ENTRY_FILES.filter((file) => existsSync(path.join(ROOT, file)))];
}
