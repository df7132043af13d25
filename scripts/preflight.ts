/**
 * Runs before `next start`: checks the configuration and applies pending database migrations, so a misconfigured
 * console stops here with one message that lists every problem, before it serves a single request.
 */
import nextEnv from "@next/env";

import { ConfigError, loadConfig } from "@/lib/config/env.mjs";
import { openDatabase } from "@/lib/db/client";

async function main(): Promise<void> {
  // The same .env files Next itself reads, so this check sees exactly what the server will see.
  nextEnv.loadEnvConfig(process.cwd(), false, { info: () => undefined, error: console.error });
  const config = loadConfig({ phase: "runtime" });
  const database = await openDatabase(config.database);
  await database.close();
  console.log(`Gatehouse configuration OK (mode: ${config.mode}, database: ${config.database.kind}); migrations applied.`);
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    console.error(error.message);
  } else {
    // Database drivers do not always throw Error instances; show their message either way, never "[object Object]".
    const message = error instanceof Error ? error.message : typeof error === "object" && error && "message" in error ? String(error.message) : String(error);
    console.error(`Gatehouse cannot start: ${message}`);
  }
  process.exit(1);
});
