/** `npm run audit:verify`: walks the audit hash chain and names the first broken link; exits 1 if there is one. */
import nextEnv from "@next/env";

import { verifyAuditChain } from "@/lib/audit/verify";
import { ConfigError, loadConfig } from "@/lib/config/env.mjs";
import { openDatabase } from "@/lib/db/client";

async function main(): Promise<number> {
  nextEnv.loadEnvConfig(process.cwd(), false, { info: () => undefined, error: console.error });
  const config = loadConfig({ phase: "build" });
  const database = await openDatabase(config.database);
  try {
    const result = await verifyAuditChain(database.db);
    if (result.ok) {
      console.log(`Audit chain intact: ${result.checkedEvents} events, last event ${result.lastEventId}.`);
      return 0;
    }
    const { eventId, problem, detail } = result.brokenAt;
    console.error(`Audit chain BROKEN at event ${eventId} (${problem}): ${detail}. ${result.checkedEvents} events before it verified.`);
    return 1;
  } finally {
    await database.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof ConfigError ? error.message : `Audit verification failed to run: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(2);
  },
);
