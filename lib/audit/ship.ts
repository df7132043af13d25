import "server-only";

import { and, asc, eq, gt, lte, sql } from "drizzle-orm";

import type { Database } from "@/lib/db/client";
import { auditChainHead, auditEvents, auditShipping } from "@/lib/db/schema";
import { describeError } from "@/lib/log";
import type { CheckpointSigner } from "./checkpoint";
import { type AuditSink, checkpointRecord, eventRecord, type ShippedAuditRecord } from "./sink";

export interface ShipAuditTrailOptions {
  /** A signed checkpoint once this many events were shipped since the last one… */
  readonly checkpointEveryEvents: number;
  /** …or once this long has passed since the last one and any event was shipped since. */
  readonly checkpointIntervalMs: number;
  /** Events read (and sent) per round. */
  readonly batchEvents?: number;
  /** Rounds per run, so one run stays bounded; the next run goes on. */
  readonly maxRounds?: number;
}

export interface ShipAuditTrailResult {
  readonly shipped: number;
  readonly checkpoints: number;
  readonly shippedThrough: number;
}

const SHIPPING_ROW = 1;

/**
 * Ships the audit events the sink has not had yet, in id order, then a signed checkpoint when one is due. The cursor
 * moves only after the sink accepted a batch, so a failure (or a crash between the upload and the cursor update)
 * sends that batch again next run: at least once, never out of order. No transaction is held across the upload.
 * Runs as a scheduled job (`auditShippingJob`), whose lease keeps it to one instance at a time.
 */
export async function shipAuditTrail(
  db: Database,
  sink: AuditSink,
  signer: CheckpointSigner,
  options: ShipAuditTrailOptions,
  now: () => Date = () => new Date(),
): Promise<ShipAuditTrailResult> {
  const batchEvents = options.batchEvents ?? 1000;
  const maxRounds = options.maxRounds ?? 50;
  let shipped = 0;
  let checkpoints = 0;
  const [initial] = await db.select().from(auditShipping).where(eq(auditShipping.id, SHIPPING_ROW));
  if (!initial) throw new Error("The audit_shipping row is missing; the database migrations have not all run.");
  const [head] = await db.select().from(auditChainHead).where(eq(auditChainHead.id, 1));
  if (!head) throw new Error("The audit chain head row is missing; the database migrations have not all run.");
  let cursor: typeof auditShipping.$inferSelect = initial;

  try {
    for (let round = 0; round < maxRounds; round++) {
      const rows = await db
        .select()
        .from(auditEvents)
        .where(and(gt(auditEvents.id, cursor.shippedThrough), lte(auditEvents.id, head.lastEventId)))
        .orderBy(asc(auditEvents.id))
        .limit(batchEvents);
      const records: ShippedAuditRecord[] = rows.map(({ searchVector: _derived, ...row }) => eventRecord(row));
      const last = rows.at(-1);
      const since: number = (last?.id ?? cursor.shippedThrough) - cursor.checkpointThrough;
      const checkpointDue: boolean =
        last !== undefined &&
        (since >= options.checkpointEveryEvents || !cursor.checkpointAt || now().getTime() - cursor.checkpointAt.getTime() >= options.checkpointIntervalMs);
      // The checkpoint travels after the events it covers, in the same ordered upload.
      const checkpoint = checkpointDue && last ? signer.sign({ sequence: last.id, headHash: last.hash, time: now().toISOString() }) : undefined;
      if (checkpoint) records.push(checkpointRecord(checkpoint));
      if (records.length === 0) break;

      await sink.upload(records);

      const [moved] = await db
        .update(auditShipping)
        .set({
          shippedThrough: last?.id ?? cursor.shippedThrough,
          ...(checkpoint ? { checkpointThrough: checkpoint.sequence, checkpointAt: new Date(checkpoint.time) } : {}),
          failures: 0,
          lastError: null,
          updatedAt: now(),
        })
        // Only from where this run started: a second shipper (a lease taken over) must not move the cursor back.
        .where(and(eq(auditShipping.id, SHIPPING_ROW), eq(auditShipping.shippedThrough, cursor.shippedThrough)))
        .returning();
      if (!moved) break;
      cursor = moved;
      shipped += rows.length;
      if (checkpoint) checkpoints += 1;
      if (rows.length < batchEvents) break;
    }
  } catch (error) {
    await db
      .update(auditShipping)
      .set({ failures: sql`${auditShipping.failures} + 1`, lastError: describeError(error).slice(0, 2000), updatedAt: now() })
      .where(eq(auditShipping.id, SHIPPING_ROW));
    throw error;
  }
  return { shipped, checkpoints, shippedThrough: cursor.shippedThrough };
}
