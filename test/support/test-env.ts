// Test-only settings. Tests read the environment only through this file (see eslint.config.mjs).

/** TEST_DATABASE_URL: a PostgreSQL server for the storage tests' second engine (CI sets it). */
export function testDatabaseUrl(): string | undefined {
  const value = process.env.TEST_DATABASE_URL?.trim();
  return value ? value : undefined;
}

/** The minimum a child process needs to run (PATH, HOME), without any Gatehouse setting of this shell. */
export function baseChildEnv(): Record<string, string | undefined> {
  const { PATH, HOME, TMPDIR } = process.env;
  return { PATH, HOME, TMPDIR };
}

/** Sets variables in this process so that workers started afterwards inherit them (global setup only). */
export function exportToWorkers(variables: Record<string, string>): void {
  Object.assign(process.env, variables);
}

/** The shared test sandbox's origin, set by the global setup; undefined outside Vitest's integration run. */
export function testSandboxOrigin(): string | undefined {
  return process.env.GATEHOUSE_TEST_SANDBOX_ORIGIN;
}

/** The shared test sandbox's CA certificate file (set by the global setup), for child processes that must trust it. */
export function testSandboxCaPath(): string | undefined {
  return process.env.NODE_EXTRA_CA_CERTS;
}

/** This test file's database directory (set per file by worker-setup.ts), for a child process that must share it. */
export function testDataDir(): string | undefined {
  return process.env.GATEHOUSE_DATA_DIR;
}

/**
 * GATEHOUSE_RELIABILITY_LONG=1: the reliability suite's long variants (more property-test runs, more concurrent
 * requests). Off in `npm test`; `npm run test:reliability:long` turns it on.
 */
export function reliabilityLong(): boolean {
  return process.env.GATEHOUSE_RELIABILITY_LONG === "1";
}

/** A child process's whole environment: the minimum to run plus exactly `settings`. */
export function childEnv(settings: Record<string, string | undefined>): NodeJS.ProcessEnv {
  return { ...baseChildEnv(), ...settings } as NodeJS.ProcessEnv;
}
