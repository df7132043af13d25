/**
 * Tables of the group-mappings feature. Read by drizzle-kit as well as the console, so no `server-only`.
 */
import { sql } from "drizzle-orm";
import { bigserial, check, index, jsonb, pgTable, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";

/**
 * One row per mapping: "members of Entra group G hold role R on workspace W". Ids are stored lower-case (ARM and
 * Entra ids are case-insensitive); `scope` keeps the casing it was given for display, `scope_key` is its lower-case
 * form and the identity of the workspace. A mapping exists only while its assignment was granted or may have been
 * (a grant ARM refused removes the mapping again, with its own `mapping.deleted` event).
 */
export const groupMappings = pgTable(
  "group_mappings",
  {
    id: text("id").primaryKey(),
    scope: text("scope").notNull(),
    scopeKey: text("scope_key").notNull(),
    groupId: text("group_id").notNull(),
    /** The group's name when the mapping was made (the directory is the source of truth; this is for display). */
    groupDisplayName: text("group_display_name").notNull(),
    roleDefinitionId: text("role_definition_id").notNull(),
    roleName: text("role_name").notNull(),
    /** The role assignment's name: Gatehouse's deterministic one, or the existing one for an imported assignment. */
    assignmentName: text("assignment_name").notNull(),
    /** `{kind, objectId?, userPrincipalName?, appId?}` of who made it, as the audit trail names them. */
    createdBy: jsonb("created_by").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date", precision: 3 }).notNull(),
  },
  (table) => [
    uniqueIndex("group_mappings_workspace_group_role_idx").on(table.scopeKey, table.groupId, table.roleDefinitionId),
    index("group_mappings_group_idx").on(table.groupId),
    check("group_mappings_scope_key_lower", sql`${table.scopeKey} = lower(${table.scopeKey})`),
  ],
);

/**
 * Drift reports of the scheduled check (the console's own identity), newest last; the page shows the latest with its
 * time. Older rows are pruned by the job.
 */
export const mappingDriftReports = pgTable(
  "mapping_drift_reports",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    checkedAt: timestamp("checked_at", { withTimezone: true, mode: "date", precision: 3 }).notNull(),
    /** Which console instance ran the check (host:pid). */
    holder: text("holder").notNull(),
    report: jsonb("report").notNull(),
  },
  (table) => [index("mapping_drift_reports_checked_at_idx").on(table.checkedAt)],
);
