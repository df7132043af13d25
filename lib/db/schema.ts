/**
 * The database schema. Migrations under `lib/db/migrations` are generated from it with `npm run db:generate`
 * and checked in; they must run on PostgreSQL 15 (CI, Azure) and PGlite (PostgreSQL 18) alike.
 */
import { sql } from "drizzle-orm";
import { bigint, check, customType, index, integer, jsonb, pgTable, serial, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";

/**
 * One row per scheduled job (drift check, credential refresh, access expiry). An instance runs a job only after
 * winning the row for that interval, so several console instances sharing a database run each job once.
 */
export const jobLeases = pgTable("job_leases", {
  jobName: text("job_name").primaryKey(),
  holder: text("holder").notNull(),
  lastStartedAt: timestamp("last_started_at", { withTimezone: true, mode: "date" }).notNull(),
  lastFinishedAt: timestamp("last_finished_at", { withTimezone: true, mode: "date" }),
  leaseExpiresAt: timestamp("lease_expires_at", { withTimezone: true, mode: "date" }).notNull(),
});

/** A PostgreSQL `tsvector`; drizzle has no built-in type for it. Read back as its text form, never needed in code. */
const tsvector = customType<{ data: string }>({ dataType: () => "tsvector" });

/**
 * The audit trail: one row per change, refusal or sign-in, never updated or deleted (triggers refuse UPDATE, DELETE
 * and TRUNCATE; see migration 0002). `id` is the chain order: rows are appended one at a time under the lock on
 * `audit_chain_head`, and each row's `hash` covers its fields and the previous row's hash. Written only through
 * `lib/audit`, which validates `action`, `details` and the rest per action.
 */
export const auditEvents = pgTable(
  "audit_events",
  {
    id: bigint("id", { mode: "number" }).primaryKey(),
    // Millisecond precision so the value round-trips through a JS Date exactly (the hash and the cursor rely on it).
    occurredAt: timestamp("occurred_at", { withTimezone: true, mode: "date", precision: 3 }).notNull(),
    /** `user` (a signed-in person) or `system` (the console's own identity, for unattended jobs). */
    actorKind: text("actor_kind").notNull(),
    actorTenantId: text("actor_tenant_id"),
    actorObjectId: text("actor_object_id"),
    actorDisplayName: text("actor_display_name"),
    actorUpn: text("actor_upn"),
    /** The console's application (client) id when `actor_kind` is `system`. */
    actorAppId: text("actor_app_id"),
    // Where it came from (migration 0011; null on older rows). A person's: the console session it ran in (the
    // console_sessions row id, never the cookie or its hash) and the client address and user agent that session
    // recorded at sign-in. Unattended work's: the job that ran.
    actorSessionId: text("actor_session_id"),
    actorClientAddress: text("actor_client_address"),
    actorUserAgent: text("actor_user_agent"),
    actorJob: text("actor_job"),
    action: text("action").notNull(),
    targetScope: text("target_scope"),
    targetPrincipalId: text("target_principal_id"),
    targetPrincipalType: text("target_principal_type"),
    targetRoleDefinitionId: text("target_role_definition_id"),
    targetRoleName: text("target_role_name"),
    targetRequestId: text("target_request_id"),
    /** `succeeded`, `failed` (with `error_code`) or `denied`. */
    outcome: text("outcome").notNull(),
    errorCode: text("error_code"),
    reason: text("reason"),
    consoleRequestId: text("console_request_id"),
    armRequestId: text("arm_request_id"),
    graphRequestId: text("graph_request_id"),
    details: jsonb("details").notNull(),
    prevHash: text("prev_hash").notNull(),
    hash: text("hash").notNull(),
    // Free-text search without pg_trgm (absent from PGlite): words of the names, ids, reason and detail strings. Scopes
    // are split at `/` so a workspace or resource-group name is a word of its own.
    searchVector: tsvector("search_vector")
      .notNull()
      .generatedAlwaysAs(
        sql`to_tsvector('simple'::regconfig, coalesce(action, '') || ' ' || coalesce(actor_display_name, '') || ' ' || coalesce(actor_upn, '') || ' ' || coalesce(actor_object_id, '') || ' ' || coalesce(replace(target_scope, '/', ' '), '') || ' ' || coalesce(target_principal_id, '') || ' ' || coalesce(target_role_name, '') || ' ' || coalesce(replace(target_role_definition_id, '/', ' '), '') || ' ' || coalesce(target_request_id, '') || ' ' || coalesce(error_code, '') || ' ' || coalesce(reason, '') || ' ' || coalesce(console_request_id, '') || ' ' || coalesce(arm_request_id, '') || ' ' || coalesce(graph_request_id, '')) || jsonb_to_tsvector('simple'::regconfig, details, '["string"]'::jsonb)`,
      ),
  },
  (table) => [
    // Every listing is newest first by (occurred_at, id); each filter has an index that keeps that order (read backwards).
    index("audit_events_occurred_at_idx").on(table.occurredAt, table.id),
    index("audit_events_actor_idx").on(table.actorObjectId, table.occurredAt, table.id),
    index("audit_events_scope_idx").on(sql`lower(${table.targetScope})`, table.occurredAt, table.id),
    index("audit_events_principal_idx").on(table.targetPrincipalId, table.occurredAt, table.id),
    index("audit_events_action_idx").on(table.action, table.occurredAt, table.id),
    index("audit_events_outcome_idx").on(table.outcome, table.occurredAt, table.id),
    index("audit_events_request_idx").on(table.targetRequestId),
    index("audit_events_actor_upn_idx").on(sql`lower(${table.actorUpn}) text_pattern_ops`),
    index("audit_events_actor_name_idx").on(sql`lower(${table.actorDisplayName}) text_pattern_ops`),
    index("audit_events_search_idx").using("gin", table.searchVector),
  ],
);

/**
 * The end of the audit chain: one row (id 1) holding the last event's id and hash. Every append locks it
 * (`SELECT … FOR UPDATE`) in the writer's transaction, so appends are serialised and the chain never forks; the
 * verifier also checks it against the last row, which catches rows cut off the end.
 */
export const auditChainHead = pgTable(
  "audit_chain_head",
  {
    id: integer("id").primaryKey(),
    lastEventId: bigint("last_event_id", { mode: "number" }).notNull(),
    lastHash: text("last_hash").notNull(),
  },
  (table) => [check("audit_chain_head_single_row", sql`${table.id} = 1`)],
);

/**
 * Ranges of the audit trail moved out of the database (`npm run audit:archive`): the events `first_event_id` to
 * `last_event_id` were written to a file whose SHA-256 is `file_sha256`, then deleted by the database owner through
 * `audit_archive_through()` (migration 0012). `last_hash` is the hash of the last archived event, where the chain in
 * the database now starts. Append-only like the trail itself.
 */
export const auditArchives = pgTable("audit_archives", {
  id: serial("id").primaryKey(),
  firstEventId: bigint("first_event_id", { mode: "number" }).notNull(),
  lastEventId: bigint("last_event_id", { mode: "number" }).notNull(),
  lastHash: text("last_hash").notNull(),
  eventCount: bigint("event_count", { mode: "number" }).notNull(),
  fileSha256: text("file_sha256").notNull(),
  archivedAt: timestamp("archived_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  /** The database role that ran the archive (the owner). */
  archivedBy: text("archived_by").notNull(),
});

/**
 * How far the audit trail has been shipped to the external sink (Azure Monitor), and when the last signed checkpoint
 * was made. Ids are gapless, so one cursor is the outbox: events after `shipped_through` go next, in id order, and the
 * cursor moves only after the sink accepted them (at least once; the verifier tolerates a repeat).
 */
export const auditShipping = pgTable(
  "audit_shipping",
  {
    id: integer("id").primaryKey(),
    shippedThrough: bigint("shipped_through", { mode: "number" }).notNull().default(0),
    checkpointThrough: bigint("checkpoint_through", { mode: "number" }).notNull().default(0),
    checkpointAt: timestamp("checkpoint_at", { withTimezone: true, mode: "date" }),
    failures: integer("failures").notNull().default(0),
    lastError: text("last_error"),
    updatedAt: timestamp("updated_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (table) => [check("audit_shipping_single_row", sql`${table.id} = 1`)],
);

/**
 * A grant or revoke Gatehouse is about to ask ARM for, recorded before the call (with its `*_requested` audit event)
 * and resolved after it (`succeeded`/`failed` with its outcome event). A crash in between leaves a `pending` row that
 * the reconciler resolves against ARM, so no change to Azure ever goes unrecorded.
 */
export const azureChangeIntents = pgTable(
  "azure_change_intents",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    /** `grant` or `revoke`. */
    kind: text("kind").notNull(),
    scope: text("scope").notNull(),
    principalId: text("principal_id").notNull(),
    principalType: text("principal_type").notNull(),
    roleDefinitionId: text("role_definition_id").notNull(),
    roleName: text("role_name"),
    /** The deterministic role-assignment name (a UUID derived from scope, principal and role), so retries are idempotent. */
    assignmentName: text("assignment_name").notNull(),
    /** Who asked: the audit actor (validated by lib/audit), repeated on the outcome event. */
    requestedBy: jsonb("requested_by").notNull(),
    /** The access request this change carries out, if any. */
    requestId: text("request_id"),
    consoleRequestId: text("console_request_id"),
    /** `pending`, `succeeded` or `failed`. */
    state: text("state").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date", precision: 3 }).notNull(),
    updatedAt: timestamp("updated_at", { withTimezone: true, mode: "date", precision: 3 }).notNull(),
    armRequestId: text("arm_request_id"),
    errorCode: text("error_code"),
    /**
     * What the change means for the assignment's holders (lib/ownership): the holder a grant adds, or the holders a
     * revoke releases. Applied in the transaction that records the outcome, or by the reconciler after a crash.
     */
    ownership: jsonb("ownership"),
  },
  (table) => [
    // One change in flight per access (scope, principal, role), whatever the assignment's name: a second grant or
    // revoke of the same access waits for the first, so ownership decisions never race an ARM call.
    uniqueIndex("azure_change_intents_one_pending_access_idx")
      .on(sql`lower(${table.scope})`, sql`lower(${table.principalId})`, sql`lower(${table.roleDefinitionId})`)
      .where(sql`${table.state} = 'pending'`),
    index("azure_change_intents_pending_idx")
      .on(table.createdAt)
      .where(sql`${table.state} = 'pending'`),
    check("azure_change_intents_kind", sql`${table.kind} in ('grant', 'revoke')`),
    // `unknown`: the outcome could not be read from ARM for too long; an admin has to check in Azure.
    check("azure_change_intents_state", sql`${table.state} in ('pending', 'succeeded', 'failed', 'unknown')`),
  ],
);
