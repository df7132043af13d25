/**
 * `npm audit` does not work against this registry, so the advisories that matter are enforced offline: Next.js
 * vendors its own React Server Components runtime, and only upgrading `next` patches the Flight deserializer and
 * the server-action CSRF/bypass fixes (Next.js security advisories for the App Router's Flight protocol).
 */
import { readFileSync } from "node:fs";

import { describe, expect, it } from "vitest";

interface Lockfile {
  packages: Record<string, { version?: string }>;
}

const lock = JSON.parse(readFileSync("package-lock.json", "utf8")) as Lockfile;

function resolved(name: string): string {
  const version = lock.packages[`node_modules/${name}`]?.version;
  if (!version) throw new Error(`${name} is not in package-lock.json`);
  return version;
}

function compare(a: string, b: string): number {
  const parse = (v: string) => v.split("-")[0]!.split(".").map(Number);
  const [x, y] = [parse(a), parse(b)];
  for (let i = 0; i < 3; i++) {
    const difference = (x[i] ?? 0) - (y[i] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}

describe("security version floors", () => {
  it.each([
    ["next", "16.4.5"],
    ["react", "19.3.1"],
    ["react-dom", "19.3.1"],
  ])("%s resolves to at least %s", (name, floor) => {
    expect(compare(resolved(name), floor), `${name}@${resolved(name)} is below ${floor}`).toBeGreaterThanOrEqual(0);
  });

  it("pins exact versions of the framework in package.json", () => {
    const manifest = JSON.parse(readFileSync("package.json", "utf8")) as { dependencies: Record<string, string> };
    for (const name of ["next", "react", "react-dom"]) expect(manifest.dependencies[name]).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it("compares versions numerically", () => {
    expect(compare("16.4.10", "16.4.5")).toBeGreaterThan(0);
    expect(compare("16.4.4", "16.4.5")).toBeLessThan(0);
    expect(compare("16.5.0-canary.1", "16.4.5")).toBeGreaterThan(0);
  });
});
