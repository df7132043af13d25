/**
 * Fills the bench console's database with audit events before the console starts (PGlite takes one process at a
 * time). Events go through the real append path, hash chain included, 5,000 per transaction. Prints the time taken.
 */
import { randomUUID } from "node:crypto";
import { parseArgs } from "node:util";

import { type AuditEventInput, recordAuditEvents } from "@/lib/audit";
import { getConfig } from "@/lib/config";
import { openDatabase } from "@/lib/db/client";

const { values } = parseArgs({ options: { events: { type: "string", default: "1000000" } } });
const TOTAL = Number(values.events);
const PER_TRANSACTION = 5000;

async function main(): Promise<void> {
  const handle = await openDatabase(getConfig().database);
  const actor = {
    kind: "user" as const,
    tenantId: randomUUID(),
    objectId: randomUUID(),
    displayName: "Bench Admin",
    userPrincipalName: "bench@contosoml.onmicrosoft.com",
  };
  const start = performance.now();
  try {
    for (let done = 0; done < TOTAL; done += PER_TRANSACTION) {
      const batch: AuditEventInput[] = Array.from({ length: Math.min(PER_TRANSACTION, TOTAL - done) }, (_, index) => ({
        action: "authz.denied",
        outcome: "denied",
        actor,
        target: {},
        correlation: { consoleRequestId: randomUUID() },
        // 50 distinct values: a free-text search for one of them matches 2% of the trail.
        details: { consoleAction: `bench-${(done + index) % 50}`, deniedBecause: "console_role_missing" },
      }));
      await handle.db.transaction((tx) => recordAuditEvents(tx, batch));
    }
  } finally {
    await handle.close();
  }
  console.log(JSON.stringify({ events: TOTAL, ms: Math.round(performance.now() - start) }));
}

main().catch((error: unknown) => {
  console.error(`seeding audit events failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exit(1);
});
