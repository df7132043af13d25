/**
 * The audit events the benchmarks fill the trail with: refusals by one bench admin, with 50 distinct detail values, so
 * a free-text search for one of them (`bench-7`) matches 2% of the trail.
 */
import { randomUUID } from "node:crypto";

import { type AuditEventInput, recordAuditEvents } from "@/lib/audit";
import type { Database } from "@/lib/db/client";

const PER_TRANSACTION = 5000;

/** Appends events `from` (inclusive) to `to` (exclusive) through the real append path, hash chain included. */
export async function fillAuditTrail(db: Database, from: number, to: number): Promise<void> {
  const actor = {
    kind: "user" as const,
    tenantId: randomUUID(),
    objectId: randomUUID(),
    displayName: "Bench Admin",
    userPrincipalName: "bench@contosoml.onmicrosoft.com",
  };
  for (let done = from; done < to; done += PER_TRANSACTION) {
    const batch: AuditEventInput[] = Array.from({ length: Math.min(PER_TRANSACTION, to - done) }, (_, index) => ({
      action: "authz.denied",
      outcome: "denied",
      actor,
      target: {},
      correlation: { consoleRequestId: randomUUID() },
      details: { consoleAction: `bench-${(done + index) % 50}`, deniedBecause: "console_role_missing" },
    }));
    await db.transaction((tx) => recordAuditEvents(tx, batch));
  }
}
