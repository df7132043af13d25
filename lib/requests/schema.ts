/**
 * Access requests: someone asks for a role on a workspace for a principal; admins approve or deny; Gatehouse grants
 * and, for time-bound access, revokes at expiry. Every status change is a conditional UPDATE (`… WHERE status = …`)
 * in the same transaction as its audit event, so concurrent deciders and job instances produce exactly one outcome.
 */
import { sql } from "drizzle-orm";
import { boolean, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";

export const REQUEST_STATUSES = [
  "pending",
  "approved",
  "granted",
  "expiring",
  /** Expiry could not remove the access; retried with back-off, admins are told. */
  "expiry_failed",
  "expired",
  /** An admin removed the assignment on the workspace page before the request's end. */
  "revoked",
  "extended",
  /** The principal already held the role (or more) when the request was decided: nothing was granted. */
  "covered",
  /** An admin made the same access permanent with a direct grant. */
  "superseded",
  "denied",
  "cancelled",
  "lapsed",
  "failed",
] as const;
export type RequestStatus = (typeof REQUEST_STATUSES)[number];

export interface RequestApproval {
  /** The approver's tenant (absent on approvals recorded before it was kept). */
  readonly tenantId?: string;
  readonly objectId: string;
  readonly displayName: string;
  readonly userPrincipalName: string;
  readonly comment: string;
  readonly at: string;
  /** On a `business-then-admin` route: the business approval or an admin's (absent on other requests). */
  readonly step?: "business" | "admin";
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
    /** As Microsoft Graph named the principal when the server resolved it (never the requester's text). */
    principalDisplayName: text("principal_display_name").notNull(),
    /** UPN for users, app id for service principals and managed identities, mail for groups: from Graph. */
    principalSecondaryId: text("principal_secondary_id"),
    /** `guest`, `external`, `partner`, … from Graph: what an approver should notice about the principal. */
    principalFlags: jsonb("principal_flags")
      .$type<string[]>()
      .notNull()
      .default(sql`'[]'::jsonb`),
    /** When Graph last confirmed the principal (at submission and again at approval). */
    principalVerifiedAt: ts("principal_verified_at"),
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
    approvals: jsonb("approvals")
      .$type<RequestApproval[]>()
      .notNull()
      .default(sql`'[]'::jsonb`),
    /** Who denied, cancelled or last approved, for "already decided by …". */
    decidedByName: text("decided_by_name"),
    decisionComment: text("decision_comment"),
    failureCode: text("failure_code"),
    failureReason: text("failure_reason"),
    armReference: text("arm_reference"),
    /** The granted request this one extends. */
    extendsRequestId: text("extends_request_id"),
    /**
     * `form`: a person asked through the request form. `self_grant`: an admin granted a privileged role to themselves
     * (or a group they are in) on the workspace or mappings page, which needs two other approvers instead.
     */
    origin: text("origin").$type<"form" | "self_grant">().notNull().default("form"),
    /** Approval creates a group mapping (a self-granted mapping) rather than a plain grant. */
    createsMapping: boolean("creates_mapping").notNull().default(false),
    /**
     * A request for an access bundle (its id in the policy, and its name then): the role columns hold the bundle's
     * workspace role, and approval grants every part as one bundle grant (lib/bundles).
     */
    bundleId: text("bundle_id"),
    bundleName: text("bundle_name"),
    /**
     * The policy route (its id) that decided who may approve, chosen when the request was filed from the workspace
     * ARM described then; null: no route matched, Console.Admin holders decide.
     */
    routeId: text("route_id"),
    /**
     * What the role adds, in one line ("+ 47 operations, including …/computes/write"), computed at submission as the
     * requester (what the form showed them); null when it could not be computed. Shown to approvers in notifications.
     */
    deltaSummary: text("delta_summary"),
    /** Why the request ended without removing the access, or why nothing was granted: words for people. */
    outcomeNote: text("outcome_note"),
    /** Failed expiry attempts so far, and when the next one is due (back-off). */
    expiryAttempts: integer("expiry_attempts").notNull().default(0),
    nextExpiryAttemptAt: ts("next_expiry_attempt_at"),
    version: integer("version").notNull().default(1),
    createdAt: ts("created_at").notNull(),
    pendingUntil: ts("pending_until").notNull(),
    decidedAt: ts("decided_at"),
    grantedAt: ts("granted_at"),
    expiresAt: ts("expires_at"),
    endedAt: ts("ended_at"),
    updatedAt: ts("updated_at").notNull(),
    remindedAt: jsonb("reminded")
      .$type<string[]>()
      .notNull()
      .default(sql`'[]'::jsonb`),
  },
  (table) => [
    // At most one pending request per principal, role and workspace (extensions included: one at a time).
    uniqueIndex("access_requests_one_pending_idx")
      .on(table.workspaceKey, table.principalId, table.roleDefinitionId)
      .where(sql`${table.status} = 'pending'`),
    index("access_requests_status_idx").on(table.status, table.createdAt),
    index("access_requests_requester_idx").on(table.requesterObjectId, table.createdAt),
    index("access_requests_expiry_idx")
      .on(table.expiresAt)
      .where(sql`${table.status} in ('granted', 'expiring', 'expiry_failed')`),
  ],
);

export type AccessRequestRow = typeof accessRequests.$inferSelect;

// --- Who was told about a request, and the follow-ups they were sent (lib/requests/notify.ts) -------------------------

/** Why someone heard of a request: it arrived, or (two-step flow) the business approval passed it to the admins. */
export const AUDIENCE_REASONS = ["arrival", "admin_step"] as const;
export type AudienceReason = (typeof AUDIENCE_REASONS)[number];

/**
 * Every person (object id) and chat channel told that a request was waiting, so that each of them hears how it ended.
 * One row per request, kind and target: the first reason they were told for is kept.
 */
export const requestAudience = pgTable(
  "request_audience",
  {
    requestId: text("request_id")
      .notNull()
      .references(() => accessRequests.id, { onDelete: "cascade" }),
    kind: text("kind").$type<"person" | "channel">().notNull(),
    /** A user object id (lower case) or a channel name. */
    target: text("target").notNull(),
    reason: text("reason").$type<AudienceReason>().notNull(),
    createdAt: ts("created_at").notNull(),
  },
  (table) => [primaryKey({ columns: [table.requestId, table.kind, table.target] })],
);

/**
 * One row per request and outcome (`granted`, `denied`, `lapsed` …) whose follow-up was sent: inserting it claims the
 * follow-up, so two instances, a retry or the job's sweep never send it twice. A failed grant retried into `granted`
 * is a second outcome and gets its own follow-up.
 */
export const requestFollowUps = pgTable(
  "request_follow_ups",
  {
    requestId: text("request_id")
      .notNull()
      .references(() => accessRequests.id, { onDelete: "cascade" }),
    outcome: text("outcome").$type<RequestStatus>().notNull(),
    sentAt: ts("sent_at").notNull(),
  },
  (table) => [primaryKey({ columns: [table.requestId, table.outcome] })],
);
