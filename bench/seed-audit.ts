/**
 * Fills the bench console's database with audit events before the console starts (PGlite takes one process at a
 * time). Events go through the real append path, hash chain included, 5,000 per transaction. Prints the time taken.
 */
import { parseArgs } from "node:util";

import { getConfig } from "@/lib/config";
import { openDatabase } from "@/lib/db/client";
import { fillAuditTrail } from "./audit-trail";

const { values } = parseArgs({ options: { events: { type: "string", default: "1000000" } } });
const TOTAL = Number(values.events);

async function main(): Promise<void> {
  const handle = await openDatabase(getConfig().database);
  const start = performance.now();
  try {
    await fillAuditTrail(handle.db, 0, TOTAL);
  } finally {
    await handle.close();
  }
  console.log(JSON.stringify({ events: TOTAL, ms: Math.round(performance.now() - start) }));
}

main().catch((error: unknown) => {
  console.error(`seeding audit events failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exit(1);
});
