import "server-only";

import { sql } from "drizzle-orm";

import type { Database, DatabaseTransaction } from "@/lib/db/client";
import { type ChainedAuditColumns, hashAuditEvent } from "./chain";
import { type AuditEventInput, parseAuditEvent, type ValidAuditEvent } from "./events";

export interface RecordedAuditEvent {
  readonly id: number;
  readonly occurredAt: Date;
  readonly hash: string;
}

/**
 * Appends one event to the audit trail inside the caller's transaction, so the event and the state change it
 * describes commit or roll back together: if this throws (invalid event, database error), the caller's transaction
 * must not commit.
 *
 * It goes through the database's `audit_lock_head()` and `audit_append()` (migration 0008), the only way the
 * console's own role may write the trail on PostgreSQL (docs/deploy.md). It locks the chain head row until that transaction ends, which serialises every append: record the event as the
 * last statement of a short transaction (never one that waits on an HTTP call). Under REPEATABLE READ or SERIALIZABLE
 * a concurrent append makes this fail with a serialisation error rather than fork the chain.
 */
export async function recordAuditEvent(tx: DatabaseTransaction, event: AuditEventInput): Promise<RecordedAuditEvent> {
  const [recorded] = await recordAuditEvents(tx, [event]);
  if (!recorded) throw new Error("recordAuditEvents returned no event for one input");
  return recorded;
}

// Events per audit_append() call: one JSON parameter each, kept to a few megabytes.
const APPEND_BATCH_ROWS = 500;

/**
 * Appends several events in order, as `recordAuditEvent` does for one, with one lock of the chain head and
 * multi-row inserts (a bulk import records an event per item). All are validated before anything is written.
 */
export async function recordAuditEvents(tx: DatabaseTransaction, events: readonly AuditEventInput[]): Promise<RecordedAuditEvent[]> {
  const valid = events.map((event) => parseAuditEvent(event));
  if (valid.length === 0) return [];
  const head = await lockChainHead(tx);

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
  for (let start = 0; start < rows.length; start += APPEND_BATCH_ROWS) {
    const batch = rows.slice(start, start + APPEND_BATCH_ROWS).map((row) => toAppendJson(row));
    await tx.execute(sql`select audit_append(${JSON.stringify(batch)}::jsonb)`);
  }
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
    actorSessionId: actor.kind === "anonymous" ? null : (actor.session?.id.toLowerCase() ?? null),
    actorClientAddress: actor.kind === "anonymous" ? null : (actor.session?.clientAddress ?? null),
    actorUserAgent: actor.kind === "anonymous" ? null : (actor.session?.userAgent ?? null),
    actorJob: actor.kind === "system" ? (actor.job ?? null) : null,
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

/** Locks the chain head for the caller's transaction (through the owner's function: the console's role may not UPDATE it). */
async function lockChainHead(tx: DatabaseTransaction): Promise<{ lastEventId: number; lastHash: string }> {
  // Both drivers (pg, PGlite) answer a raw query with `{ rows }`; bigint comes back as a string from pg.
  const result = (await tx.execute(sql`select last_event_id, last_hash from audit_lock_head()`)) as {
    rows: { last_event_id: string | number; last_hash: string }[];
  };
  const [head] = result.rows;
  if (!head) throw new Error("The audit chain head row is missing; the database migrations have not all run.");
  return { lastEventId: Number(head.last_event_id), lastHash: head.last_hash };
}

/** An event as audit_append() reads it: the table's column names. */
function toAppendJson(row: ChainedAuditColumns & { prevHash: string; hash: string }): Record<string, unknown> {
  return {
    id: row.id,
    occurred_at: row.occurredAt.toISOString(),
    actor_kind: row.actorKind,
    actor_tenant_id: row.actorTenantId,
    actor_object_id: row.actorObjectId,
    actor_display_name: row.actorDisplayName,
    actor_upn: row.actorUpn,
    actor_app_id: row.actorAppId,
    actor_session_id: row.actorSessionId,
    actor_client_address: row.actorClientAddress,
    actor_user_agent: row.actorUserAgent,
    actor_job: row.actorJob,
    action: row.action,
    target_scope: row.targetScope,
    target_principal_id: row.targetPrincipalId,
    target_principal_type: row.targetPrincipalType,
    target_role_definition_id: row.targetRoleDefinitionId,
    target_role_name: row.targetRoleName,
    target_request_id: row.targetRequestId,
    outcome: row.outcome,
    error_code: row.errorCode,
    reason: row.reason,
    console_request_id: row.consoleRequestId,
    arm_request_id: row.armRequestId,
    graph_request_id: row.graphRequestId,
    details: row.details,
    prev_hash: row.prevHash,
    hash: row.hash,
  };
}
