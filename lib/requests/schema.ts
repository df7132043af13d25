/**
 * Access requests: someone asks for a role on a workspace for a principal; admins approve or deny; Gatehouse grants
 * and, for time-bound access, revokes at expiry. Every status change is a conditional UPDATE (`… WHERE status = …`)
 * in the same transaction as its audit event, so concurrent deciders and job instances produce exactly one outcome.
 */
import { sql } from "drizzle-orm";
import { index, integer, jsonb, pgTable, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";

export const REQUEST_STATUSES = [
  "pending",
  "approved",
  "granted",
  "expiring",
  "expired",
  "revoked",
  "extended",
  "denied",
  "cancelled",
  "lapsed",
  "failed",
] as const;
export type RequestStatus = (typeof REQUEST_STATUSES)[number];

export interface RequestApproval {
  readonly objectId: string;
  readonly displayName: string;
  readonly userPrincipalName: string;
  readonly comment: string;
  readonly at: string;
}

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: "date", precision: 3 });

export const accessRequests = pgTable(
  "access_requests",
  {
    id: text("id").primaryKey(),
    workspaceId: text("workspace_id").notNull(),
    /** lower(workspace_id): ARM ids are case-insensitive. */
    workspaceKey: text("workspace_key").notNull(),
    workspaceName: text("workspace_name").notNull(),
    roleDefinitionId: text("role_definition_id").notNull(),
    roleName: text("role_name").notNull(),
    principalId: text("principal_id").notNull(),
    /** user | group | servicePrincipal | managedIdentity */
    principalKind: text("principal_kind").notNull(),
    principalDisplayName: text("principal_display_name").notNull(),
    requesterObjectId: text("requester_object_id").notNull(),
    requesterTenantId: text("requester_tenant_id").notNull(),
    requesterName: text("requester_name").notNull(),
    requesterUpn: text("requester_upn").notNull(),
    justification: text("justification").notNull(),
    ticket: text("ticket"),
    /** null = permanent. */
    durationMinutes: integer("duration_minutes"),
    status: text("status").$type<RequestStatus>().notNull(),
    approvalsRequired: integer("approvals_required").notNull(),
    approvals: jsonb("approvals").$type<RequestApproval[]>().notNull().default(sql`'[]'::jsonb`),
    /** Who denied, cancelled or last approved, for "already decided by …". */
    decidedByName: text("decided_by_name"),
    decisionComment: text("decision_comment"),
    failureCode: text("failure_code"),
    failureReason: text("failure_reason"),
    armReference: text("arm_reference"),
    /** The granted request this one extends. */
    extendsRequestId: text("extends_request_id"),
    version: integer("version").notNull().default(1),
    createdAt: ts("created_at").notNull(),
    pendingUntil: ts("pending_until").notNull(),
    decidedAt: ts("decided_at"),
    grantedAt: ts("granted_at"),
    expiresAt: ts("expires_at"),
    endedAt: ts("ended_at"),
    updatedAt: ts("updated_at").notNull(),
    remindedAt: jsonb("reminded").$type<string[]>().notNull().default(sql`'[]'::jsonb`),
  },
  (table) => [
    // At most one pending request per principal, role and workspace (extensions included: one at a time).
    uniqueIndex("access_requests_one_pending_idx")
      .on(table.workspaceKey, table.principalId, table.roleDefinitionId)
      .where(sql`${table.status} = 'pending'`),
    index("access_requests_status_idx").on(table.status, table.createdAt),
    index("access_requests_requester_idx").on(table.requesterObjectId, table.createdAt),
    index("access_requests_expiry_idx").on(table.expiresAt).where(sql`${table.status} in ('granted', 'expiring')`),
  ],
);

export type AccessRequestRow = typeof accessRequests.$inferSelect;
