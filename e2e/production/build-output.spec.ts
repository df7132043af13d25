/**
 * The production build holds only what the server needs. Its file traces (`.next/server/**\/*.nft.json`, which decide
 * what a traced deployment copies) and the standalone directory the container image is made of contain no tests,
 * sandbox code or sandbox key material; and every package in the standalone server's node_modules is one a
 * production install (`npm ci --omit=dev`) has.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";

import { expect, test } from "@playwright/test";

const ROOT = process.cwd();
const STANDALONE = path.join(ROOT, ".next", "standalone");

/** Project paths a server must never carry: tests, benchmarks, the sandbox and its keys, local state, env files. */
export function forbiddenPath(relative: string): boolean {
  const normalised = relative.split(path.sep).join("/");
  return (
    /^(e2e|test|bench|sandbox|\.data|playwright-report|test-results)(\/|$)/.test(normalised) ||
    /(^|\/)(ca|server|client)(-key)?\.pem$/.test(normalised) ||
    /(^|\/)(signing-keys|tenant|state)\.json$/.test(normalised) ||
    /(^|\/)\.env(\.(?!example$)[\w.-]+)?$/.test(normalised)
  );
}

function filesUnder(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(directory, entry.name);
    return entry.isDirectory() ? filesUnder(full) : [full];
  });
}

/** Every project file a server trace names, relative to the project root (node_modules and build output aside). */
function tracedProjectFiles(): { traces: string[]; files: string[] } {
  const traces = filesUnder(path.join(ROOT, ".next", "server")).filter((file) => file.endsWith(".nft.json"));
  const files = new Set<string>();
  for (const trace of traces) {
    const { files: listed } = JSON.parse(readFileSync(trace, "utf8")) as { files: string[] };
    for (const file of listed) {
      const relative = path.relative(ROOT, path.resolve(path.dirname(trace), file));
      if (!relative.startsWith("node_modules") && !relative.startsWith(".next")) files.add(relative);
    }
  }
  return { traces, files: [...files].sort() };
}

test("the server traces name no tests, sandbox code or key material", () => {
  const { traces, files } = tracedProjectFiles();
  expect(traces.length).toBeGreaterThan(5);
  expect(files).toContain(path.join("lib", "db", "migrations", "meta", "_journal.json"));
  expect(files).toContain(path.join("config", "request-policy.json"));
  expect(files.filter(forbiddenPath)).toEqual([]);
  // Nothing else from the project: the build bundles source code, so only run-time data files are traced.
  expect(files.filter((file) => !file.startsWith(path.join("lib", "db", "migrations")) && file !== path.join("config", "request-policy.json"))).toEqual([]);
});

test("the standalone directory holds the server, its migrations and policy, and nothing forbidden", () => {
  const files = filesUnder(STANDALONE).map((file) => path.relative(STANDALONE, file));
  expect(files).toContain("server.js");
  expect(files).toContain(path.join("lib", "db", "migrations", "0000_job_leases.sql"));
  expect(files).toContain(path.join("config", "request-policy.json"));
  expect(files.filter(forbiddenPath)).toEqual([]);
});

test("the build bakes in no deployment's origin for server actions (the running console checks its own)", () => {
  const required = JSON.parse(readFileSync(path.join(ROOT, ".next", "required-server-files.json"), "utf8")) as {
    config: { experimental: { serverActions?: { allowedOrigins?: string[] } } };
  };
  expect(required.config.experimental.serverActions?.allowedOrigins).toEqual([]);
});

test("the forbidden-path check recognises what it must keep out (the checks above can fail)", () => {
  for (const bad of [
    "e2e/auth.spec.ts",
    "test/support/test-env.ts",
    "bench/run.ts",
    "sandbox/tls.ts",
    ".data/sandbox/ca-key.pem",
    "x/signing-keys.json",
    ".env",
    ".env.local",
  ]) {
    expect(forbiddenPath(bad), bad).toBe(true);
  }
  for (const good of ["lib/db/migrations/0000_job_leases.sql", "config/request-policy.json", "server.js", ".env.example", "node_modules/pg/package.json"]) {
    expect(forbiddenPath(good), good).toBe(false);
  }
});

test("every package the standalone server ships is installed by `npm ci --omit=dev`", () => {
  const lock = JSON.parse(readFileSync(path.join(ROOT, "package-lock.json"), "utf8")) as { packages: Record<string, { dev?: boolean; devOptional?: boolean }> };
  const production = new Set(
    Object.entries(lock.packages)
      .filter(([key, entry]) => key.startsWith("node_modules/") && !entry.dev && !entry.devOptional)
      .map(([key]) => key.slice(key.lastIndexOf("node_modules/") + "node_modules/".length)),
  );
  const modules = path.join(STANDALONE, "node_modules");
  const shipped = readdirSync(modules).flatMap((name) =>
    name.startsWith("@") ? readdirSync(path.join(modules, name)).map((scoped) => `${name}/${scoped}`) : name.startsWith(".") ? [] : [name],
  );
  expect(shipped).toContain("next");
  expect(shipped.filter((name) => !production.has(name))).toEqual([]);
  // And the ones the server loads at run time outside the bundle (serverExternalPackages) are there.
  for (const name of ["pg", "@electric-sql/pglite"]) expect(existsSync(path.join(modules, name, "package.json")), name).toBe(true);
});
