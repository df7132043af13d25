/**
 * Tables of access bundles. Read by drizzle-kit as well as the console, so no `server-only`.
 *
 * A bundle grant is one unit: a workspace role and its companion roles on the workspace's linked resources, for one
 * principal. Each part is a role assignment held by the grant (an `assignment_holders` row of kind `bundle`), so ending
 * the grant removes only the assignments the bundle itself created; anything found in place, or also held by a direct
 * grant, a mapping or a request, stays.
 */
import { sql } from "drizzle-orm";
import { BUNDLE_PART_STATES, type BundlePartState } from "@/lib/shared/bundle-parts";
import { bigserial, check, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: "date", precision: 3 });

export const BUNDLE_GRANT_STATUSES = [
  /** Parts are being granted now. */
  "granting",
  /** Every grantable part holds. */
  "granted",
  /** Some parts hold and some failed: visible, and resumable (only the missing parts are granted again). */
  "partial",
  /** Its end (expiry or an admin's removal) is being carried out, part by part. */
  "ending",
  /** Some parts could not be removed at the end: retried with back-off. */
  "end_failed",
  "ended",
] as const;
export type BundleGrantStatus = (typeof BUNDLE_GRANT_STATUSES)[number];

export { BUNDLE_PART_STATES, type BundlePartState };

export const bundleGrants = pgTable(
  "bundle_grants",
  {
    id: text("id").primaryKey(),
    bundleId: text("bundle_id").notNull(),
    bundleName: text("bundle_name").notNull(),
    workspaceId: text("workspace_id").notNull(),
    workspaceKey: text("workspace_key").notNull(),
    workspaceName: text("workspace_name").notNull(),
    principalId: text("principal_id").notNull(),
    /** user | group | servicePrincipal | managedIdentity */
    principalKind: text("principal_kind").notNull(),
    principalDisplayName: text("principal_display_name").notNull(),
    /** The approved request this grant carries out; null for an admin's grant on the workspace page. */
    requestId: text("request_id"),
    status: text("status").$type<BundleGrantStatus>().notNull(),
    /** null = until removed. */
    expiresAt: ts("expires_at"),
    /** The audit actor who granted it (the admin or the approver). */
    grantedBy: jsonb("granted_by").notNull(),
    endAttempts: integer("end_attempts").notNull().default(0),
    createdAt: ts("created_at").notNull(),
    updatedAt: ts("updated_at").notNull(),
    endedAt: ts("ended_at"),
  },
  (table) => [
    uniqueIndex("bundle_grants_request_idx")
      .on(table.requestId)
      .where(sql`${table.requestId} is not null`),
    index("bundle_grants_workspace_idx").on(table.workspaceKey, table.status),
    index("bundle_grants_expiry_idx")
      .on(table.expiresAt)
      .where(sql`${table.status} in ('granted', 'partial', 'end_failed')`),
    check("bundle_grants_status", sql`${table.status} in ('granting', 'granted', 'partial', 'ending', 'end_failed', 'ended')`),
  ],
);

export const bundleGrantParts = pgTable(
  "bundle_grant_parts",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    bundleGrantId: text("bundle_grant_id")
      .notNull()
      .references(() => bundleGrants.id),
    partKey: text("part_key").notNull(),
    /** `workspace` or the linked resource kind. */
    on: text("on").notNull(),
    resourceName: text("resource_name"),
    scope: text("scope"),
    subscriptionId: text("subscription_id"),
    roleDefinitionId: text("role_definition_id").notNull(),
    roleName: text("role_name").notNull(),
    why: text("why").notNull(),
    state: text("state").$type<BundlePartState>().notNull(),
    /** Words for people: why a part was not needed, failed, or was kept at the end. */
    note: text("note"),
    /** ARM's x-ms-request-id of the last call about this part, for support. */
    reference: text("reference"),
    updatedAt: ts("updated_at").notNull(),
  },
  (table) => [
    uniqueIndex("bundle_grant_parts_key_idx").on(table.bundleGrantId, table.partKey),
    check("bundle_grant_parts_state", sql`${table.state} in ('planned', 'granted', 'already_granted', 'failed', 'not_applicable', 'released')`),
  ],
);

export type BundleGrantRow = typeof bundleGrants.$inferSelect;
export type BundleGrantPartRow = typeof bundleGrantParts.$inferSelect;

/** A bundle grant with its parts, in order. */
export interface BundleGrantView {
  readonly grant: BundleGrantRow;
  readonly parts: readonly BundleGrantPartRow[];
}
