import "server-only";

import { and, asc, eq, gt, lte } from "drizzle-orm";

import type { Database } from "@/lib/db/client";
import { auditChainHead, auditEvents } from "@/lib/db/schema";
import { GENESIS_HASH, hashAuditEvent } from "./chain";

export type AuditChainProblem =
  /** The row's fields no longer give its stored hash: the row was edited. */
  | "hash_mismatch"
  /** The row's prev_hash is not the previous row's hash: a row before it was edited (hash and all) or replaced. */
  | "prev_hash_mismatch"
  /** Ids are gapless, so a missing id means rows were removed before this one. */
  | "missing_events"
  /** The chain head does not point at the last row: rows were removed from, or added past, the end. */
  | "head_mismatch";

export type AuditChainVerification =
  | { readonly ok: true; readonly checkedEvents: number; readonly lastEventId: number }
  | {
      readonly ok: false;
      readonly checkedEvents: number;
      readonly brokenAt: { readonly eventId: number; readonly problem: AuditChainProblem; readonly detail: string };
    };

export interface VerifyAuditChainOptions {
  /** Rows read per query; memory stays bounded by one batch. */
  readonly batchSize?: number;
}

/**
 * Walks the audit chain from the first event in id order and reports the first broken link. It checks the events up
 * to the chain head as read at the start, so appends running meanwhile neither break nor lengthen the walk.
 */
export async function verifyAuditChain(db: Database, options: VerifyAuditChainOptions = {}): Promise<AuditChainVerification> {
  const batchSize = options.batchSize ?? 1000;
  const [head] = await db.select().from(auditChainHead).where(eq(auditChainHead.id, 1));
  if (!head) throw new Error("The audit chain head row is missing; the database migrations have not all run.");

  let previousId = 0;
  let previousHash = GENESIS_HASH;
  let checkedEvents = 0;
  const broken = (eventId: number, problem: AuditChainProblem, detail: string): AuditChainVerification => ({
    ok: false,
    checkedEvents,
    brokenAt: { eventId, problem, detail },
  });

  for (;;) {
    const batch = await db
      .select()
      .from(auditEvents)
      .where(and(gt(auditEvents.id, previousId), lte(auditEvents.id, head.lastEventId)))
      .orderBy(asc(auditEvents.id))
      .limit(batchSize);
    for (const row of batch) {
      if (row.id !== previousId + 1) {
        return broken(row.id, "missing_events", `events ${previousId + 1} to ${row.id - 1} are missing`);
      }
      if (row.prevHash !== previousHash) {
        return broken(row.id, "prev_hash_mismatch", `prev_hash does not match the hash of event ${previousId || "(genesis)"}`);
      }
      if (hashAuditEvent(row.prevHash, row) !== row.hash) {
        return broken(row.id, "hash_mismatch", "the stored hash does not match the event's fields");
      }
      previousId = row.id;
      previousHash = row.hash;
      checkedEvents += 1;
    }
    if (batch.length < batchSize) break;
  }

  if (previousId !== head.lastEventId || previousHash !== head.lastHash) {
    // Rows cut off the end: name the first missing one; a replaced last row: name it.
    return broken(
      previousId === head.lastEventId ? previousId : previousId + 1,
      "head_mismatch",
      `the chain head names event ${head.lastEventId}, but the chain ends at event ${previousId}`,
    );
  }
  return { ok: true, checkedEvents, lastEventId: previousId };
}
