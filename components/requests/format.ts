export { requestedAccess } from "@/lib/shared/requested-access";
import type { AccessRequestRow, RequestApproval, RequestStatus } from "@/lib/requests/schema";

/** The request statuses the server defines (lib/requests/schema.ts), in words for people. */
export const STATUS_LABELS: Record<RequestStatus, string> = {
  pending: "Pending",
  approved: "Approved — granting",
  granted: "Granted",
  expiring: "Expiring",
  expiry_failed: "Expiry failed",
  expired: "Expired",
  revoked: "Revoked",
  extended: "Extended",
  covered: "Already covered",
  superseded: "Made permanent",
  denied: "Denied",
  cancelled: "Cancelled",
  lapsed: "Lapsed",
  failed: "Failed",
};

export const STATUS_DESCRIPTIONS: Record<RequestStatus, string> = {
  pending: "Waiting for an admin to decide.",
  approved: "Approved; Gatehouse is granting the role in Azure.",
  granted: "The role is assigned in Azure.",
  expiring: "The access has ended; Gatehouse is removing the role assignment.",
  expiry_failed: "The access has ended, but Gatehouse could not remove the role assignment yet. It retries, and admins are told.",
  expired: "The access ended. Gatehouse removed the role assignment, unless something else still holds it.",
  revoked: "An admin removed the role assignment before the access ended.",
  extended: "A newer, approved extension carries this access now.",
  covered: "The identity already had this role (or one that includes it), so nothing was granted and nothing will expire.",
  superseded: "An admin made this access permanent with a direct grant, so it no longer expires.",
  denied: "An admin denied the request.",
  cancelled: "The requester withdrew the request.",
  lapsed: "Nobody decided in time, so the request lapsed.",
  failed: "Approved, but nothing was granted. An admin with the rights can retry it.",
};

export const STATUS_TONES: Record<RequestStatus, string> = {
  pending: "border-warning/50 text-warning",
  approved: "border-accent/50 text-accent",
  granted: "border-success/40 text-success",
  expiring: "border-warning/50 text-warning",
  expiry_failed: "border-danger/40 text-danger",
  expired: "border-line text-ink-muted",
  revoked: "border-line text-ink-muted",
  extended: "border-line text-ink-muted",
  covered: "border-line text-ink-muted",
  superseded: "border-line text-ink-muted",
  denied: "border-danger/40 text-danger",
  cancelled: "border-line text-ink-muted",
  lapsed: "border-line text-ink-muted",
  failed: "border-danger/40 text-danger",
};

/** What the browser gets about a request: the row with dates as ISO strings (serialisable, no internal fields). */
export interface RequestView {
  readonly id: string;
  readonly status: RequestStatus;
  readonly workspaceId: string;
  readonly workspaceName: string;
  readonly roleDefinitionId: string;
  readonly roleName: string;
  /** Set for a bundle request: the role columns hold the bundle's workspace role. */
  readonly bundleId: string | null;
  readonly bundleName: string | null;
  readonly principalId: string;
  readonly principalKind: string;
  readonly principalDisplayName: string;
  /** UPN, app id or mail, as Graph gave it. */
  readonly principalSecondaryId: string | null;
  readonly principalFlags: readonly string[];
  readonly principalVerifiedAt: string | null;
  readonly origin: "form" | "self_grant";
  readonly createsMapping: boolean;
  /** Why the request ended without removing access, or why nothing was granted. */
  readonly outcomeNote: string | null;
  readonly expiryAttempts: number;
  readonly nextExpiryAttemptAt: string | null;
  readonly requesterObjectId: string;
  readonly requesterName: string;
  readonly requesterUpn: string;
  readonly justification: string;
  readonly ticket: string | null;
  readonly durationMinutes: number | null;
  readonly approvalsRequired: number;
  readonly approvals: readonly RequestApproval[];
  readonly decidedByName: string | null;
  readonly decisionComment: string | null;
  readonly failureReason: string | null;
  readonly extendsRequestId: string | null;
  readonly createdAt: string;
  readonly pendingUntil: string;
  readonly decidedAt: string | null;
  readonly grantedAt: string | null;
  readonly expiresAt: string | null;
  readonly endedAt: string | null;
}

const iso = (date: Date | null): string | null => (date ? date.toISOString() : null);

export function toRequestView(row: AccessRequestRow): RequestView {
  return {
    id: row.id,
    status: row.status,
    workspaceId: row.workspaceId,
    workspaceName: row.workspaceName,
    roleDefinitionId: row.roleDefinitionId,
    roleName: row.roleName,
    bundleId: row.bundleId,
    bundleName: row.bundleName,
    principalId: row.principalId,
    principalKind: row.principalKind,
    principalDisplayName: row.principalDisplayName,
    principalSecondaryId: row.principalSecondaryId,
    principalFlags: row.principalFlags,
    principalVerifiedAt: iso(row.principalVerifiedAt),
    origin: row.origin,
    createsMapping: row.createsMapping,
    outcomeNote: row.outcomeNote,
    expiryAttempts: row.expiryAttempts,
    nextExpiryAttemptAt: iso(row.nextExpiryAttemptAt),
    requesterObjectId: row.requesterObjectId,
    requesterName: row.requesterName,
    requesterUpn: row.requesterUpn,
    justification: row.justification,
    ticket: row.ticket,
    durationMinutes: row.durationMinutes,
    approvalsRequired: row.approvalsRequired,
    approvals: row.approvals,
    decidedByName: row.decidedByName,
    decisionComment: row.decisionComment,
    failureReason: row.failureReason,
    extendsRequestId: row.extendsRequestId,
    createdAt: row.createdAt.toISOString(),
    pendingUntil: row.pendingUntil.toISOString(),
    decidedAt: iso(row.decidedAt),
    grantedAt: iso(row.grantedAt),
    expiresAt: iso(row.expiresAt),
    endedAt: iso(row.endedAt),
  };
}

/** An earlier request an approver weighs next to the one they decide: same workspace, same principal or requester. */
export interface RelatedRequestView {
  readonly id: string;
  readonly status: RequestStatus;
  readonly roleName: string;
  readonly principalDisplayName: string;
  readonly requesterName: string;
  readonly createdAt: string;
}

export function toRelatedRequestView(row: AccessRequestRow): RelatedRequestView {
  return {
    id: row.id,
    status: row.status,
    roleName: row.roleName,
    principalDisplayName: row.principalDisplayName,
    requesterName: row.requesterName,
    createdAt: row.createdAt.toISOString(),
  };
}

/** "7 days", "8 hours", "Permanent". */
export function durationText(minutes: number | null): string {
  if (minutes === null) return "Permanent";
  if (minutes % 1440 === 0) {
    const days = minutes / 1440;
    return `${days} day${days === 1 ? "" : "s"}`;
  }
  const hours = Math.round(minutes / 60);
  return `${hours} hour${hours === 1 ? "" : "s"}`;
}

export function shortId(id: string): string {
  return id.slice(0, 8);
}
