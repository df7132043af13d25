// Test-only settings. Tests are exempt from the process.env rule only through this file.
export function testDatabaseUrl(): string | undefined {
  const value = process.env.TEST_DATABASE_URL?.trim();
  return value ? value : undefined;
}
