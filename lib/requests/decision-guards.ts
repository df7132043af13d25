import "server-only";

import { and, eq, lte, sql } from "drizzle-orm";

import { type AuditActor, recordAuditEvent } from "@/lib/audit";
import type { DatabaseTransaction } from "@/lib/db";
import { getConfig } from "@/lib/config";
import { durationsFor, DURATION_PRESETS, policyEntryOf, type RequestPolicy } from "./policy";
import { requestAuditTarget } from "./audit-target";
import { accessRequests, type AccessRequestRow, type RequestApproval } from "./schema";

/**
 * The checks a decision makes on who is deciding and whether the request still holds, kept apart from the decision
 * flow so each reads as one rule.
 *
 * People are compared by tenant id and object id together, never by UPN (which can be renamed) or object id alone
 * (object ids are unique within a tenant only; the console may accept people from several tenants).
 */
export interface Identity {
  readonly tenantId: string;
  readonly objectId: string;
}

export function sameIdentity(a: Identity, b: Identity): boolean {
  return a.tenantId.toLowerCase() === b.tenantId.toLowerCase() && a.objectId.toLowerCase() === b.objectId.toLowerCase();
}

/** The tenant whose directory the request's principal was resolved in: the console's own (Graph as the console). */
function directoryTenantId(): string {
  return getConfig().identity.tenantId;
}

export function isRequester(person: Identity, request: Pick<AccessRequestRow, "requesterTenantId" | "requesterObjectId">): boolean {
  return sameIdentity(person, { tenantId: request.requesterTenantId, objectId: request.requesterObjectId });
}

/** The person would receive the access themselves: they are the request's principal (a user in the console's tenant). */
export function isPrincipal(person: Identity, request: Pick<AccessRequestRow, "principalId">): boolean {
  return sameIdentity(person, { tenantId: directoryTenantId(), objectId: request.principalId });
}

/** An approval recorded before approvals carried a tenant id counts as the person's when the object id matches. */
export function approvedBy(person: Identity, approval: RequestApproval): boolean {
  return approval.tenantId
    ? sameIdentity(person, { tenantId: approval.tenantId, objectId: approval.objectId })
    : approval.objectId === person.objectId.toLowerCase();
}

/** SQL: the request was not filed by `person` (the database's own refusal of self-approval). */
export function notFiledBy(person: Identity) {
  return sql`not (${accessRequests.requesterTenantId} = ${person.tenantId.toLowerCase()} and ${accessRequests.requesterObjectId} = ${person.objectId.toLowerCase()})`;
}

/** Why a pending request can no longer be granted as filed; each closes it as `lapsed` with this cause. */
export type LapseCause =
  "deadline" | "policy_changed" | "principal_deleted" | "principal_disabled" | "requester_deleted" | "requester_disabled" | "requester_lost_role";

export interface Staleness {
  readonly cause: LapseCause;
  /** Stored on the request and shown to the approver and requester. */
  readonly note: string;
}

/** A pending request whose decision deadline (`pendingUntil`) has passed. */
export const DEADLINE_PASSED: Staleness = {
  cause: "deadline",
  note: "This request was not decided in time and has lapsed; the requester has to ask again.",
};

/** The deadline and the policy: whether a form request is still within its pending lifetime, role and duration. */
export function policyStaleness(request: AccessRequestRow, policy: RequestPolicy, now: Date): Staleness | undefined {
  if (request.pendingUntil.getTime() <= now.getTime()) return DEADLINE_PASSED;
  // An admin's own privileged grant is not a form request: its role and permanence come from the grant, not the policy.
  if (request.origin !== "form") return undefined;
  const role = policyEntryOf(policy, request);
  if (!role) {
    return {
      cause: "policy_changed",
      note: `${request.bundleName ? `The ${request.bundleName} bundle` : request.roleName} can no longer be requested (the request policy changed), so the request was closed. The requester can ask for another role.`,
    };
  }
  const allowed = durationsFor(policy, role).map((preset) => DURATION_PRESETS[preset]);
  if (!allowed.includes(request.durationMinutes)) {
    return {
      cause: "policy_changed",
      note: `The request policy no longer allows ${request.roleName} for as long as this request asks, so the request was closed. The requester can ask again for a shorter time.`,
    };
  }
  return undefined;
}

/**
 * Closes a pending request that can no longer be granted (`pending → lapsed`), with the reason stored on it and in
 * `request.lapsed`. Conditional on `pending`, so a decision that won meanwhile stands. Returns the closed row, if this
 * call closed it.
 */
export async function lapseRequest(
  tx: DatabaseTransaction,
  input: {
    readonly requestId: string;
    readonly staleness: Staleness;
    readonly actor: AuditActor;
    readonly now: Date;
    readonly consoleRequestId?: string;
  },
): Promise<AccessRequestRow | undefined> {
  const [row] = await tx
    .update(accessRequests)
    .set({
      status: "lapsed",
      endedAt: input.now,
      updatedAt: input.now,
      outcomeNote: input.staleness.note.slice(0, 1000),
      version: sql`${accessRequests.version} + 1`,
    })
    .where(
      and(
        eq(accessRequests.id, input.requestId),
        eq(accessRequests.status, "pending"),
        // A deadline lapse holds only if the deadline has really passed by the clock of this call.
        input.staleness.cause === "deadline" ? lte(accessRequests.pendingUntil, input.now) : undefined,
      ),
    )
    .returning();
  if (!row) return undefined;
  await recordAuditEvent(tx, {
    action: "request.lapsed",
    outcome: "succeeded",
    actor: input.actor,
    target: requestAuditTarget(row),
    reason: input.staleness.note.slice(0, 2000),
    ...(input.consoleRequestId ? { correlation: { consoleRequestId: input.consoleRequestId } } : {}),
    details: { from: "pending", to: "lapsed", cause: input.staleness.cause },
    occurredAt: input.now,
  });
  return row;
}
