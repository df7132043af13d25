import "server-only";

import { eq } from "drizzle-orm";

import type { Database, DatabaseTransaction } from "@/lib/db/client";
import { auditChainHead, auditEvents } from "@/lib/db/schema";
import { type ChainedAuditColumns, hashAuditEvent } from "./chain";
import { type AuditEventInput, parseAuditEvent, type ValidAuditEvent } from "./events";

export interface RecordedAuditEvent {
  readonly id: number;
  readonly occurredAt: Date;
  readonly hash: string;
}

const CHAIN_HEAD_ID = 1;

/**
 * Appends one event to the audit trail inside the caller's transaction, so the event and the state change it
 * describes commit or roll back together: if this throws (invalid event, database error), the caller's transaction
 * must not commit.
 *
 * It locks the chain head row until that transaction ends, which serialises every append: record the event as the
 * last statement of a short transaction (never one that waits on an HTTP call). Under REPEATABLE READ or SERIALIZABLE
 * a concurrent append makes this fail with a serialisation error rather than fork the chain.
 */
export async function recordAuditEvent(tx: DatabaseTransaction, event: AuditEventInput): Promise<RecordedAuditEvent> {
  const [recorded] = await recordAuditEvents(tx, [event]);
  if (!recorded) throw new Error("recordAuditEvents returned no event for one input");
  return recorded;
}

// Rows per INSERT: 24 columns each stays far below PostgreSQL's 65,535 bind parameters.
const INSERT_BATCH_ROWS = 500;

/**
 * Appends several events in order, as `recordAuditEvent` does for one, with one lock of the chain head and
 * multi-row inserts (a bulk import records an event per item). All are validated before anything is written.
 */
export async function recordAuditEvents(tx: DatabaseTransaction, events: readonly AuditEventInput[]): Promise<RecordedAuditEvent[]> {
  const valid = events.map((event) => parseAuditEvent(event));
  if (valid.length === 0) return [];
  const [head] = await tx.select().from(auditChainHead).where(eq(auditChainHead.id, CHAIN_HEAD_ID)).for("update");
  if (!head) throw new Error("The audit chain head row is missing; the database migrations have not all run.");

  // Ids come from the head, not a sequence, so they are gapless: a rolled-back append also rolls back the head.
  let lastId = head.lastEventId;
  let lastHash = head.lastHash;
  const rows = valid.map((event) => {
    const columns = toAuditColumns(event, lastId + 1, event.occurredAt ?? new Date());
    const hash = hashAuditEvent(lastHash, columns);
    const row = { ...columns, prevHash: lastHash, hash };
    lastId = columns.id;
    lastHash = hash;
    return row;
  });
  for (let start = 0; start < rows.length; start += INSERT_BATCH_ROWS) {
    await tx.insert(auditEvents).values(rows.slice(start, start + INSERT_BATCH_ROWS));
  }
  await tx.update(auditChainHead).set({ lastEventId: lastId, lastHash }).where(eq(auditChainHead.id, CHAIN_HEAD_ID));
  return rows.map((row) => ({ id: row.id, occurredAt: row.occurredAt, hash: row.hash }));
}

/** Records an event that accompanies no other state change (a refusal, a sign-in) in a transaction of its own. */
export async function recordAuditEventNow(db: Database, event: AuditEventInput): Promise<RecordedAuditEvent> {
  return db.transaction((tx) => recordAuditEvent(tx, event));
}

function toAuditColumns(event: ValidAuditEvent, id: number, occurredAt: Date): ChainedAuditColumns {
  const { actor, target, correlation } = event;
  return {
    id,
    occurredAt,
    actorKind: actor.kind,
    // GUIDs in lower case, the form Entra issues, so filters by id need no case folding.
    actorTenantId: actor.kind === "anonymous" ? null : (actor.tenantId?.toLowerCase() ?? null),
    actorObjectId: actor.kind === "user" ? actor.objectId.toLowerCase() : null,
    actorDisplayName: actor.kind === "user" ? actor.displayName : null,
    actorUpn: actor.kind === "user" ? actor.userPrincipalName : null,
    actorAppId: actor.kind === "system" ? actor.appId.toLowerCase() : null,
    action: event.action,
    targetScope: target.scope ?? null,
    targetPrincipalId: target.principalId ?? null,
    targetPrincipalType: target.principalType ?? null,
    targetRoleDefinitionId: target.roleDefinitionId ?? null,
    targetRoleName: target.roleName ?? null,
    targetRequestId: target.requestId ?? null,
    outcome: event.outcome,
    errorCode: event.errorCode ?? null,
    reason: event.reason ?? null,
    consoleRequestId: correlation?.consoleRequestId ?? null,
    armRequestId: correlation?.armRequestId ?? null,
    graphRequestId: correlation?.graphRequestId ?? null,
    details: event.details,
  };
}
