import "server-only";

import { createHash } from "node:crypto";
import { open, readFile } from "node:fs/promises";

import { and, asc, desc, eq, gt, gte, lte, sql } from "drizzle-orm";

import type { Database } from "@/lib/db/client";
import { auditArchives, auditChainHead, auditEvents } from "@/lib/db/schema";
import type { AuditActor } from "./events";
import { type ChainedAuditColumns, GENESIS_HASH, hashAuditEvent } from "./chain";
import { recordAuditEvent } from "./record";

/**
 * The audit trail's retention path. The table refuses DELETE, so it would only ever grow; instead, the database owner
 * moves the oldest events into a file and out of the table (`npm run audit:archive`):
 *
 *  1. only events already anchored outside the database (shipped to the sink and covered by a signed checkpoint,
 *     when a sink is configured) and never the newest event (the head stays a row);
 *  2. the file is written first (one JSON line per event, every hashed column, with its hashes), its chain checked
 *     while writing and once more read back from disk, and its SHA-256 taken;
 *  3. then, in one transaction, `audit_archive_through()` deletes the range and records it in `audit_archives`
 *     (the chain in the database now starts from its last hash), and an `audit.archived` event names the range and
 *     the file's SHA-256.
 *
 * `audit_archive_through()` runs with its caller's rights, and only the owner may delete from the table, so the
 * console's own role cannot archive (or remove) anything.
 */

export interface AuditArchiveRange {
  readonly firstEventId: number;
  readonly lastEventId: number;
  readonly eventCount: number;
}

export type AuditArchivePlan = { readonly ok: true; readonly range: AuditArchiveRange } | { readonly ok: false; readonly reason: string };

/** The newest archive: where the chain in the database starts (undefined: it starts at the genesis). */
export async function latestAuditArchive(db: Database): Promise<typeof auditArchives.$inferSelect | undefined> {
  const [archive] = await db.select().from(auditArchives).orderBy(desc(auditArchives.lastEventId)).limit(1);
  return archive;
}

/**
 * Which events an archive of what happened before `before` takes: the longest run from the first event still in the
 * database in which every event happened before `before` (a job may record an event with an earlier time than one
 * before it, so "every event up to the last one before the date" could take newer ones), never the newest event, and
 * with `anchoredThrough` (the last event both shipped and covered by a signed checkpoint) never past it.
 */
export async function planAuditArchive(db: Database, input: { readonly before: Date; readonly anchoredThrough?: number }): Promise<AuditArchivePlan> {
  const [head] = await db.select().from(auditChainHead).where(eq(auditChainHead.id, 1));
  if (!head) throw new Error("The audit chain head row is missing; the database migrations have not all run.");
  const [first] = await db.select({ id: auditEvents.id }).from(auditEvents).orderBy(asc(auditEvents.id)).limit(1);
  const [firstNotBefore] = await db
    .select({ id: auditEvents.id })
    .from(auditEvents)
    .where(gte(auditEvents.occurredAt, input.before))
    .orderBy(asc(auditEvents.id))
    .limit(1);
  const lastBefore = firstNotBefore ? firstNotBefore.id - 1 : head.lastEventId;
  if (!first || lastBefore < first.id) return { ok: false, reason: `No event in the database happened before ${input.before.toISOString()}.` };
  let through = Math.min(lastBefore, head.lastEventId - 1);
  if (through < first.id) return { ok: false, reason: "Only the newest event happened before that time, and it stays in the database (the chain head)." };
  if (input.anchoredThrough !== undefined && input.anchoredThrough < through) {
    if (input.anchoredThrough < first.id) {
      return {
        ok: false,
        reason: `No event before ${input.before.toISOString()} is anchored outside the database yet (shipped and covered by a signed checkpoint); let the audit-shipping job run first.`,
      };
    }
    through = input.anchoredThrough;
  }
  return { ok: true, range: { firstEventId: first.id, lastEventId: through, eventCount: through - first.id + 1 } };
}

/** The first line of an archive file. */
interface ArchiveHeader {
  readonly kind: "gatehouse.audit-archive";
  readonly version: 1;
  readonly firstEventId: number;
  readonly lastEventId: number;
  /** The prev_hash of the first event: the chain in the file continues from it. */
  readonly prevHash: string;
}

/** An event as the file holds it: every column its hash covers, with `occurredAt` as ISO text, and its two hashes. */
function eventLine(row: typeof auditEvents.$inferSelect): string {
  const { searchVector: _derived, ...columns } = row;
  return `${JSON.stringify({ ...columns, occurredAt: row.occurredAt.toISOString() })}\n`;
}

/**
 * Writes the range to a new file at `path` (never over an existing one), checking the chain on the way, and returns
 * the file's SHA-256 and the hash of its last event. Memory stays bounded by one batch.
 */
export async function writeAuditArchiveFile(
  db: Database,
  range: AuditArchiveRange,
  path: string,
  options: { readonly batchSize?: number } = {},
): Promise<{ readonly sha256: string; readonly lastHash: string }> {
  const batchSize = options.batchSize ?? 1000;
  const file = await open(path, "wx", 0o600);
  const digest = createHash("sha256");
  const write = async (text: string) => {
    digest.update(text);
    await file.write(text);
  };
  try {
    const [firstRow] = await db.select({ prevHash: auditEvents.prevHash }).from(auditEvents).where(eq(auditEvents.id, range.firstEventId));
    if (!firstRow) throw new Error(`Event ${range.firstEventId} is not in the database.`);
    const header: ArchiveHeader = {
      kind: "gatehouse.audit-archive",
      version: 1,
      firstEventId: range.firstEventId,
      lastEventId: range.lastEventId,
      prevHash: firstRow.prevHash,
    };
    await write(`${JSON.stringify(header)}\n`);
    let previousId = range.firstEventId - 1;
    let previousHash = firstRow.prevHash;
    for (;;) {
      const batch = await db
        .select()
        .from(auditEvents)
        .where(and(gt(auditEvents.id, previousId), lte(auditEvents.id, range.lastEventId)))
        .orderBy(asc(auditEvents.id))
        .limit(batchSize);
      for (const row of batch) {
        if (row.id !== previousId + 1 || row.prevHash !== previousHash || hashAuditEvent(row.prevHash, row) !== row.hash) {
          throw new Error(`The audit chain is broken at event ${row.id}: run npm run audit:verify; nothing was archived.`);
        }
        await write(eventLine(row));
        previousId = row.id;
        previousHash = row.hash;
      }
      if (batch.length < batchSize) break;
    }
    if (previousId !== range.lastEventId) throw new Error(`Events ${previousId + 1} to ${range.lastEventId} are missing; nothing was archived.`);
    await file.sync();
    return { sha256: digest.digest("hex"), lastHash: previousHash };
  } finally {
    await file.close();
  }
}

export type AuditArchiveFileCheck =
  | {
      readonly ok: true;
      readonly firstEventId: number;
      readonly lastEventId: number;
      readonly prevHash: string;
      readonly lastHash: string;
      readonly sha256: string;
    }
  | { readonly ok: false; readonly problem: string };

/** Reads an archive file back and checks its own chain: every event's hash, each link, and no gap. */
export async function checkAuditArchiveFile(path: string): Promise<AuditArchiveFileCheck> {
  const bytes = await readFile(path);
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  const lines = bytes
    .toString("utf8")
    .split("\n")
    .filter((line) => line.length > 0);
  let header: ArchiveHeader;
  try {
    header = JSON.parse(lines[0] ?? "") as ArchiveHeader;
  } catch {
    return { ok: false, problem: "The file does not start with an archive header." };
  }
  if (header.kind !== "gatehouse.audit-archive" || header.version !== 1) return { ok: false, problem: "The file is not a Gatehouse audit archive." };
  let previousId = header.firstEventId - 1;
  let previousHash = header.prevHash;
  for (const line of lines.slice(1)) {
    const parsed = JSON.parse(line) as ChainedAuditColumns & { occurredAt: string; prevHash: string; hash: string };
    const row = { ...parsed, occurredAt: new Date(parsed.occurredAt) };
    if (row.id !== previousId + 1) return { ok: false, problem: `Event ${previousId + 1} is missing from the file.` };
    if (row.prevHash !== previousHash) return { ok: false, problem: `Event ${row.id} does not link to the event before it.` };
    if (hashAuditEvent(row.prevHash, row) !== row.hash) return { ok: false, problem: `Event ${row.id}'s fields do not give its hash: it was edited.` };
    previousId = row.id;
    previousHash = row.hash;
  }
  if (previousId !== header.lastEventId) return { ok: false, problem: `The file ends at event ${previousId}, not ${header.lastEventId} as its header says.` };
  return { ok: true, firstEventId: header.firstEventId, lastEventId: header.lastEventId, prevHash: header.prevHash, lastHash: previousHash, sha256 };
}

/**
 * Deletes the range (the owner's `audit_archive_through()`), records it in `audit_archives` and appends an
 * `audit.archived` event, in one transaction. The file must already hold the range (`writeAuditArchiveFile`).
 */
export async function archiveAuditEvents(
  db: Database,
  input: { readonly range: AuditArchiveRange; readonly fileSha256: string; readonly lastHash: string; readonly actor: AuditActor },
): Promise<{ readonly archived: number }> {
  return db.transaction(async (tx) => {
    const result = (await tx.execute(
      sql`select audit_archive_through(${input.range.lastEventId}::bigint, ${input.fileSha256}::text) as archived, session_user::text as archived_by`,
    )) as { rows: { archived: string | number; archived_by: string }[] };
    const row = result.rows[0];
    const archived = Number(row?.archived ?? 0);
    if (archived !== input.range.eventCount) throw new Error(`Expected to archive ${input.range.eventCount} events, not ${archived}.`);
    await recordAuditEvent(tx, {
      action: "audit.archived",
      outcome: "succeeded",
      actor: input.actor,
      target: {},
      details: {
        firstEventId: input.range.firstEventId,
        lastEventId: input.range.lastEventId,
        eventCount: archived,
        lastHash: input.lastHash,
        fileSha256: input.fileSha256,
        archivedBy: String(row?.archived_by ?? "unknown").slice(0, 128),
      },
    });
    return { archived };
  });
}

/** Where the chain in the database starts: after the newest archive, or at the genesis. */
export async function chainStart(db: Database): Promise<{ readonly afterEventId: number; readonly prevHash: string }> {
  const archive = await latestAuditArchive(db);
  return archive ? { afterEventId: archive.lastEventId, prevHash: archive.lastHash } : { afterEventId: 0, prevHash: GENESIS_HASH };
}
