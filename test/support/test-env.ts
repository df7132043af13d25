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

/** The control token of the sandbox `testSandboxOrigin()` names (set with it); control writes need it. */
export function testSandboxControlToken(): string | undefined {
  return process.env.GATEHOUSE_TEST_SANDBOX_CONTROL_TOKEN;
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

export interface E2eTarget {
  readonly consolePort: number;
  readonly tenantPort: number;
  /** The launcher's data directory (database, sandbox material, logs). */
  readonly dataDir: string;
}

function portSetting(name: string, fallback: number): number {
  const value = process.env[name]?.trim();
  if (!value) return fallback;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`${name}=${value} is not a TCP port`);
  return port;
}

/**
 * Where an end-to-end run's console and sandbox tenant listen. E2E_CONSOLE_PORT / E2E_TENANT_PORT / E2E_DATA_DIR
 * (defaults 3100, 8543, .data/e2e) let two runs share a machine; the production configuration sets them for its own
 * run (see playwright.production.config.ts).
 */
export function e2eTarget(): E2eTarget {
  return {
    consolePort: portSetting("E2E_CONSOLE_PORT", 3100),
    tenantPort: portSetting("E2E_TENANT_PORT", 8543),
    dataDir: process.env.E2E_DATA_DIR?.trim() || ".data/e2e",
  };
}

/**
 * The production run's ports: E2E_PRODUCTION_CONSOLE_PORT / E2E_PRODUCTION_TENANT_PORT (defaults 3110, 8553), its
 * data directory .data/e2e-production.
 */
export function e2eProductionTarget(): E2eTarget {
  return {
    consolePort: portSetting("E2E_PRODUCTION_CONSOLE_PORT", 3110),
    tenantPort: portSetting("E2E_PRODUCTION_TENANT_PORT", 8553),
    dataDir: ".data/e2e-production",
  };
}

/**
 * Rate limits far above what a test run does (dozens of personas signing in from one loopback address, property
 * tests calling an action hundreds of times as one admin). Tests of the limits themselves set their own.
 */
export const GENEROUS_RATE_LIMITS = Object.freeze({
  GATEHOUSE_RATE_LIMIT_SIGN_IN_PER_MINUTE: "100000",
  GATEHOUSE_RATE_LIMIT_ANONYMOUS_PER_MINUTE: "100000",
  GATEHOUSE_RATE_LIMIT_ACTIONS_PER_MINUTE: "100000",
  GATEHOUSE_RATE_LIMIT_EXPENSIVE_PER_MINUTE: "100000",
});

/** Sets console settings in this test file's process before the console reads its configuration (first getConfig()). */
export function setConsoleSettings(settings: Record<string, string>): void {
  Object.assign(process.env, settings);
}

/**
 * Runs `action` with the process's local time zone set to `zone` (an IANA name), then puts the previous one back.
 * Node re-reads `TZ` when it is assigned, so local-time `Date` methods follow at once.
 */
export function inTimeZone(zone: string, action: () => void): void {
  const previous = process.env.TZ;
  process.env.TZ = zone;
  try {
    action();
  } finally {
    if (previous === undefined) delete process.env.TZ;
    else process.env.TZ = previous;
  }
}
