/** `npm run db:migrate`: applies every pending migration to the configured database, then exits. */
import nextEnv from "@next/env";

import { ConfigError, loadConfig } from "@/lib/config/env.mjs";
import { openDatabase } from "@/lib/db/client";

async function main(): Promise<void> {
  nextEnv.loadEnvConfig(process.cwd(), false, { info: () => undefined, error: console.error });
  const config = loadConfig({ phase: "build" });
  const database = await openDatabase(config.database);
  await database.close();
  const where = config.database.kind === "pglite" ? config.database.dataDir : "the PostgreSQL server in DATABASE_URL";
  console.log(`Migrations applied to ${where}.`);
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : `Migration failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
