import "server-only";

import type { KeyObject } from "node:crypto";

import { and, asc, eq, gt, lte } from "drizzle-orm";

import type { Database } from "@/lib/db/client";
import { auditChainHead, auditEvents } from "@/lib/db/schema";
import { chainStart } from "./archive";
import { hashAuditEvent } from "./chain";
import { isCheckpointSignatureValid } from "./checkpoint";
import type { AnchorRecord } from "./sink";

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
  /**
   * Awaited between batches with the time the last one took (reading and checking it). The default only yields to the
   * event loop; a walk in the background passes a pause, so the requests it shares the database with are not slowed.
   */
  readonly betweenBatches?: (batchMs: number) => Promise<void>;
}

/**
 * Walks the audit chain from the first event in id order and reports the first broken link. It checks the events up
 * to the chain head as read at the start, so appends running meanwhile neither break nor lengthen the walk.
 */
export async function verifyAuditChain(db: Database, options: VerifyAuditChainOptions = {}): Promise<AuditChainVerification> {
  const batchSize = options.batchSize ?? 1000;
  const [head] = await db.select().from(auditChainHead).where(eq(auditChainHead.id, 1));
  if (!head) throw new Error("The audit chain head row is missing; the database migrations have not all run.");

  // Events moved out by `npm run audit:archive` are checked in their file; the chain here starts after them.
  const start = await chainStart(db);
  let previousId = start.afterEventId;
  let previousHash = start.prevHash;
  let checkedEvents = 0;
  const broken = (eventId: number, problem: AuditChainProblem, detail: string): AuditChainVerification => ({
    ok: false,
    checkedEvents,
    brokenAt: { eventId, problem, detail },
  });

  const between = options.betweenBatches ?? yieldToEventLoop;
  for (;;) {
    const batchStarted = performance.now();
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
        const before = previousId === 0 ? "(genesis)" : previousId === start.afterEventId ? `${previousId} (the last archived event)` : previousId;
        return broken(row.id, "prev_hash_mismatch", `prev_hash does not match the hash of event ${before}`);
      }
      if (hashAuditEvent(row.prevHash, row) !== row.hash) {
        return broken(row.id, "hash_mismatch", "the stored hash does not match the event's fields");
      }
      previousId = row.id;
      previousHash = row.hash;
      checkedEvents += 1;
    }
    if (batch.length < batchSize) break;
    await between(performance.now() - batchStarted);
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

/** What the external anchor (the sink's shipped events and signed checkpoints) shows the database hides. */
export type AuditAnchorProblem =
  /** The database ends before events the sink holds: rows were cut off the end. */
  | "truncated"
  /** The chain head names an event before the last signed checkpoint: it was moved back. */
  | "head_moved"
  /** An event's hash differs from its shipped copy or a signed checkpoint: it was rewritten and the chain re-hashed. */
  | "rechained"
  /** The sink holds two different hashes for one event: it was rewritten after shipping and shipped again. */
  | "sink_conflict"
  /** A checkpoint's signature does not verify with the public key: it was not made by the console's key. */
  | "checkpoint_invalid";

export interface AuditAnchorFinding {
  readonly problem: AuditAnchorProblem;
  readonly eventId: number;
  readonly detail: string;
}

export interface AuditAnchorVerification {
  readonly ok: boolean;
  /** The walk of the chain inside the database (links, hashes, head). */
  readonly chain: AuditChainVerification;
  readonly findings: readonly AuditAnchorFinding[];
  readonly shippedEvents: number;
  readonly validCheckpoints: number;
  /** The last signed checkpoint that verified, if any. */
  readonly lastCheckpoint?: { readonly sequence: number; readonly time: string };
  /** Events in the database after the last shipped one or checkpoint: not yet anchored, so not yet protected. */
  readonly unanchoredEvents: number;
}

/**
 * Verifies the database's chain, then compares it with what was shipped to the external sink: every shipped event's
 * hash, and the signed checkpoints (sequence, head hash, time) checked with the public key. Someone holding the
 * database alone can re-hash the whole chain and move its head, so the walk inside the database passes; the shipped
 * copies and the checkpoints, which they cannot rewrite or sign, do not match.
 */
export async function verifyAuditChainAgainstAnchors(
  db: Database,
  anchors: readonly AnchorRecord[],
  publicKey: KeyObject,
  options: VerifyAuditChainOptions = {},
): Promise<AuditAnchorVerification> {
  const batchSize = options.batchSize ?? 1000;
  const chain = await verifyAuditChain(db, options);
  const findings: AuditAnchorFinding[] = [];
  const [head] = await db.select().from(auditChainHead).where(eq(auditChainHead.id, 1));
  if (!head) throw new Error("The audit chain head row is missing; the database migrations have not all run.");

  // The first copy the sink received of each event is the one that counts; a different later copy is a finding.
  const shipped = new Map<number, { hash: string; time: string }>();
  for (const record of anchors) {
    if (record.RecordType !== "event") continue;
    const first = shipped.get(record.Sequence);
    if (!first) shipped.set(record.Sequence, { hash: record.Hash, time: record.TimeGenerated });
    else if (first.hash !== record.Hash && !findings.some((finding) => finding.problem === "sink_conflict")) {
      findings.push({
        problem: "sink_conflict",
        eventId: record.Sequence,
        detail: `the sink received event ${record.Sequence} twice with different hashes: it was rewritten after it was first shipped`,
      });
    }
  }
  const checkpoints = new Map<number, { hash: string; time: string }>();
  let lastCheckpoint: { sequence: number; hash: string; time: string } | undefined;
  for (const record of anchors) {
    if (record.RecordType !== "checkpoint") continue;
    const checkpoint = {
      sequence: record.Sequence,
      headHash: record.Hash,
      time: record.CheckpointTime ?? "",
      signature: record.Signature ?? "",
      keyId: record.KeyId ?? "",
    };
    if (!isCheckpointSignatureValid(checkpoint, publicKey)) {
      findings.push({
        problem: "checkpoint_invalid",
        eventId: record.Sequence,
        detail: `the checkpoint for event ${record.Sequence} (${checkpoint.time || "no time"}) is not signed by the configured key`,
      });
      continue;
    }
    if (!checkpoints.has(checkpoint.sequence)) checkpoints.set(checkpoint.sequence, { hash: checkpoint.headHash, time: checkpoint.time });
    if (!lastCheckpoint || checkpoint.sequence > lastCheckpoint.sequence) {
      lastCheckpoint = { sequence: checkpoint.sequence, hash: checkpoint.headHash, time: checkpoint.time };
    }
  }

  // The archived range is gone from the table; where it ends, its recorded hash must match what the sink holds.
  const start = await chainStart(db);
  if (start.afterEventId > 0) {
    const copy = checkpoints.get(start.afterEventId) ?? shipped.get(start.afterEventId);
    if (copy && copy.hash !== start.prevHash) {
      findings.push({
        problem: "rechained",
        eventId: start.afterEventId,
        detail: `the archive ending at event ${start.afterEventId} records a hash that differs from the sink's copy (${copy.time}): the chain was rewritten before it was archived`,
      });
    }
  }

  // Every row, not only those up to the head: a head moved back over rows still present is its own finding.
  let previousId = 0;
  let lastRowId = 0;
  const between = options.betweenBatches ?? yieldToEventLoop;
  for (;;) {
    const batchStarted = performance.now();
    const batch = await db
      .select({ id: auditEvents.id, hash: auditEvents.hash })
      .from(auditEvents)
      .where(gt(auditEvents.id, previousId))
      .orderBy(asc(auditEvents.id))
      .limit(batchSize);
    for (const row of batch) {
      if (!findings.some((finding) => finding.problem === "rechained")) {
        const copy = shipped.get(row.id);
        const signed = checkpoints.get(row.id);
        if (signed && signed.hash !== row.hash) {
          findings.push({
            problem: "rechained",
            eventId: row.id,
            detail: `event ${row.id}'s hash differs from the checkpoint signed at ${signed.time}: the chain was rewritten up to or before it and re-hashed`,
          });
        } else if (copy && copy.hash !== row.hash) {
          findings.push({
            problem: "rechained",
            eventId: row.id,
            detail: `event ${row.id}'s hash differs from the copy shipped to the sink at ${copy.time}: it, or an event before it, was rewritten and the chain re-hashed`,
          });
        }
      }
      previousId = row.id;
      lastRowId = row.id;
    }
    if (batch.length < batchSize) break;
    await between(performance.now() - batchStarted);
  }

  let lastShipped = 0;
  for (const id of shipped.keys()) if (id > lastShipped) lastShipped = id;
  const anchoredThrough = Math.max(lastShipped, lastCheckpoint?.sequence ?? 0);
  if (lastRowId < anchoredThrough) {
    const evidence =
      lastCheckpoint && lastCheckpoint.sequence > lastRowId
        ? `a checkpoint signed at ${lastCheckpoint.time} names event ${lastCheckpoint.sequence}`
        : `the sink holds events up to ${lastShipped}`;
    findings.push({
      problem: "truncated",
      eventId: lastRowId + 1,
      detail: `the database ends at event ${lastRowId}, but ${evidence}: ${lastRowId + 1 === anchoredThrough ? `event ${anchoredThrough} was` : `events ${lastRowId + 1} to ${anchoredThrough} were`} removed`,
    });
  }
  if (lastCheckpoint && head.lastEventId < lastCheckpoint.sequence) {
    findings.push({
      problem: "head_moved",
      eventId: head.lastEventId,
      detail: `the chain head names event ${head.lastEventId}, but a checkpoint signed at ${lastCheckpoint.time} names event ${lastCheckpoint.sequence}: the head was moved back`,
    });
  }

  return {
    ok: chain.ok && findings.length === 0,
    chain,
    findings,
    shippedEvents: shipped.size,
    validCheckpoints: checkpoints.size,
    ...(lastCheckpoint ? { lastCheckpoint: { sequence: lastCheckpoint.sequence, time: lastCheckpoint.time } } : {}),
    unanchoredEvents: Math.max(0, lastRowId - anchoredThrough),
  };
}

/**
 * Lets timers and requests run between a walk's batches. PGlite answers inside this process without waiting on real
 * I/O, so without this a walk of a large trail is one unbroken chain of promises that holds every page view, route
 * and timer of the console until it ends.
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
