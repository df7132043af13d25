/**
 * `npm run db:grant-runtime -- <role>`: as the owner (DATABASE_MIGRATION_URL), applies pending migrations and gives
 * the console's own role the rights in lib/db/runtime-grants.ts (docs/deploy.md). Idempotent; run after each upgrade.
 */
import nextEnv from "@next/env";
import pg from "pg";

import { ConfigError, loadConfig } from "@/lib/config/env.mjs";
import { openDatabase } from "@/lib/db/client";
import { runtimeRoleGrants } from "@/lib/db/runtime-grants";

async function main(): Promise<void> {
  const role = process.argv[2];
  if (!role) throw new Error("Name the console's runtime role: npm run db:grant-runtime -- <role>");
  nextEnv.loadEnvConfig(process.cwd(), false, { info: () => undefined, error: console.error });
  const config = loadConfig({ phase: "build" });
  if (config.database.kind !== "postgres" || !config.database.migrationUrl) {
    throw new Error("db:grant-runtime needs PostgreSQL with DATABASE_MIGRATION_URL (the owner role); PGlite has a single role.");
  }
  await (await openDatabase(config.database)).close();
  const owner = new pg.Client({ connectionString: config.database.migrationUrl });
  await owner.connect();
  try {
    const schema = (await owner.query<{ schema: string }>("select current_schema() as schema")).rows[0]?.schema ?? "public";
    await owner.query("begin");
    for (const statement of runtimeRoleGrants(role, schema)) await owner.query(statement);
    await owner.query("commit");
  } finally {
    await owner.end();
  }
  console.log(`Granted the console's rights to ${role}: it can append to the audit trail only through audit_append().`);
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : `Granting failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
