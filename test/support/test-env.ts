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
