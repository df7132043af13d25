/**
 * Tables of assignment ownership. Read by drizzle-kit as well as the console, so no `server-only`.
 *
 * A role assignment in Azure can be wanted by several things in Gatehouse at once: an admin's direct grant, a group
 * mapping, an approved access request, an access bundle. Each of those is a **holder**. Gatehouse removes an
 * assignment only when its last holder is released **and** Gatehouse's own PUT created it; an assignment that existed
 * before Gatehouse's first holder arrived is never deleted because a holder left.
 */
import { sql } from "drizzle-orm";
import { bigint, bigserial, boolean, check, index, jsonb, pgTable, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: "date", precision: 3 });

export const HOLDER_KINDS = ["direct", "mapping", "request", "bundle"] as const;
export type HolderKind = (typeof HOLDER_KINDS)[number];
export const HOLDER_STATUSES = ["active", "released"] as const;
export type HolderStatus = (typeof HOLDER_STATUSES)[number];

/**
 * One row per access Gatehouse holds or has held: a role on a scope for a principal (ARM allows one assignment per
 * such triple). `assignment_name` is the ARM assignment that carries it now: Gatehouse's deterministic name, or the
 * name of an equivalent assignment found in place. Ids are stored lower-case; `scope` keeps its casing for display.
 */
export const heldAssignments = pgTable(
  "held_assignments",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    scope: text("scope").notNull(),
    scopeKey: text("scope_key").notNull(),
    principalId: text("principal_id").notNull(),
    principalType: text("principal_type").notNull(),
    roleDefinitionId: text("role_definition_id").notNull(),
    roleName: text("role_name"),
    assignmentName: text("assignment_name").notNull(),
    /**
     * True only when Gatehouse's own PUT created the assignment. Only such an assignment is deleted when its last
     * holder is released; anything found in place stays.
     */
    createdByGatehouse: boolean("created_by_gatehouse").notNull(),
    firstSeenAt: ts("first_seen_at").notNull(),
    updatedAt: ts("updated_at").notNull(),
  },
  (table) => [
    uniqueIndex("held_assignments_access_idx").on(table.scopeKey, table.principalId, table.roleDefinitionId),
    index("held_assignments_scope_idx").on(table.scopeKey),
    check(
      "held_assignments_keys_lower",
      sql`${table.scopeKey} = lower(${table.scopeKey}) and ${table.principalId} = lower(${table.principalId}) and ${table.roleDefinitionId} = lower(${table.roleDefinitionId})`,
    ),
  ],
);

/**
 * Who or what wants an assignment to exist. Released holders stay as history (with when, by whom and why); at most
 * one active holder per kind and reference on an assignment (one direct grant, one per mapping, one per request).
 */
export const assignmentHolders = pgTable(
  "assignment_holders",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    assignmentId: bigint("assignment_id", { mode: "number" })
      .notNull()
      .references(() => heldAssignments.id),
    kind: text("kind").$type<HolderKind>().notNull(),
    mappingId: text("mapping_id"),
    requestId: text("request_id"),
    /** For kind `bundle`: the bundle grant (lib/bundles) whose part this assignment is. */
    bundleGrantId: text("bundle_grant_id"),
    /** The audit actor who made this holder (the admin, the approver, the importer). */
    grantedBy: jsonb("granted_by").notNull(),
    /** When time-bound access ends (requests); null = until released. */
    expiresAt: ts("expires_at"),
    /** The assignment already existed when this holder arrived. */
    preExisting: boolean("pre_existing").notNull(),
    status: text("status").$type<HolderStatus>().notNull(),
    addedAt: ts("added_at").notNull(),
    releasedAt: ts("released_at"),
    releasedBy: jsonb("released_by"),
    releaseReason: text("release_reason"),
  },
  (table) => [
    uniqueIndex("assignment_holders_one_active_idx")
      .on(table.assignmentId, table.kind, sql`coalesce(${table.mappingId}, ${table.requestId}, ${table.bundleGrantId}, '')`)
      .where(sql`${table.status} = 'active'`),
    index("assignment_holders_assignment_idx").on(table.assignmentId),
    index("assignment_holders_request_idx").on(table.requestId),
    index("assignment_holders_mapping_idx").on(table.mappingId),
    index("assignment_holders_bundle_idx").on(table.bundleGrantId),
    check("assignment_holders_kind", sql`${table.kind} in ('direct', 'mapping', 'request', 'bundle')`),
    check("assignment_holders_status", sql`${table.status} in ('active', 'released')`),
    check(
      "assignment_holders_reference",
      sql`(${table.kind} = 'mapping') = (${table.mappingId} is not null) and (${table.kind} = 'request') = (${table.requestId} is not null) and (${table.kind} = 'bundle') = (${table.bundleGrantId} is not null)`,
    ),
  ],
);

export type HeldAssignmentRow = typeof heldAssignments.$inferSelect;
export type AssignmentHolderRow = typeof assignmentHolders.$inferSelect;
