import "server-only";

import type { DelegatedContext } from "@/lib/auth/caller";
import { requireStepUp } from "@/lib/auth/step-up";
import { and, eq, sql } from "drizzle-orm";
import { z } from "zod";

import { type AuditEventInput, recordAuditEvent, recordAuditEventNow, recordAuditEvents } from "@/lib/audit";
import { type Database, getDatabase } from "@/lib/db";
import { AppError, type AppErrorCode, refusal } from "@/lib/errors";
import { log } from "@/lib/log";
import { type BundleGrantResult, grantBundle } from "@/lib/bundles/grant-bundle";
import type { BundleFactSources } from "@/lib/bundles/plan";
import { azureBundleSources } from "@/lib/bundles/sources";
import { createMapping } from "@/lib/mappings/mappings";
import { lockHeldAccess, releaseHolder } from "@/lib/ownership/holders";
import { type GrantResult, type GrantTarget, grantWorkspaceRoles } from "@/lib/workspaces/grant-workspace-roles";
import { assertRoleGrantable } from "@/lib/workspaces/grantable-roles";
import { requestClock } from "./clock";
import { requestAuditTarget } from "./audit-target";
import { approvedBy, isPrincipal, isRequester, lapseRequest, notFiledBy, policyStaleness, type Staleness } from "./decision-guards";
import { azureRequestDirectory, type RequestDirectory } from "./directory";
import { notifyAdminsOfBusinessApproval, notifyRequesterOfDecision, notifyToldOfOutcome } from "./notify";
import { getRequestPolicy, policyEntryOf, PRIVILEGED_APPROVERS, type RequestPolicy, routeOfRequest } from "./policy";
import { adminStepApprovers, type ApproverResolver, type Decider, mayApprove, mayDeny, whoDecides } from "./routing";
import { accessRequests, type AccessRequestRow, type RequestApproval } from "./schema";

export const decisionSchema = z.strictObject({
  requestId: z.uuid({ error: "Unknown request" }),
  comment: z.string().trim().max(1000, { error: "Keep the comment under 1,000 characters" }).default(""),
});
export type DecisionInput = z.output<typeof decisionSchema>;

/** Why a decision was refused; thrown as an `AppError` whose code the table below gives. */
export type RefusalReason =
  | "not_found"
  | "self_approval"
  /** The person is not among those who may decide the request's next step (its approver route, or Console.Admin). */
  | "not_routed"
  | "already_decided"
  | "already_approved_by_you"
  | "not_requester"
  | "comment_required"
  /** The request no longer matches the world: past its deadline, role left the policy, principal gone or changed. */
  | "stale"
  /** Azure or Graph could not answer a check that must pass before access is granted. */
  | "unverified";

const REFUSAL_CODES = {
  not_found: "not_found",
  self_approval: "forbidden",
  not_routed: "forbidden",
  // Someone else's request is answered like one that does not exist: its id must not tell whether it is there.
  not_requester: "not_found",
  already_decided: "conflict",
  already_approved_by_you: "conflict",
  stale: "conflict",
  unverified: "upstream_unavailable",
  comment_required: "invalid_input",
} as const satisfies Record<RefusalReason, AppErrorCode>;

function refuse(reason: RefusalReason, userMessage: string): AppError {
  return refusal(REFUSAL_CODES[reason], reason, userMessage, reason === "comment_required" ? "comment" : undefined);
}

/** A decision that was carried out; refusals are thrown (see `refuse`). */
export interface DecisionResult {
  readonly request: AccessRequestRow;
  /** For approvals: what happened in ARM. */
  readonly message: string;
  /**
   * The grant failed because Azure wants the approver to sign in again with these claims (JSON, e.g. MFA): nothing was
   * granted, the request is `failed`, and retrying it after the new sign-in grants it.
   */
  readonly claims?: string;
}

interface Options {
  readonly db?: Database;
  readonly now?: Date;
  /** Replaces the ARM grant (tests of the state machine on engines without a sandbox). */
  readonly grant?: (request: AccessRequestRow) => Promise<GrantResult>;
  readonly notify?: boolean;
  readonly policy?: RequestPolicy;
  /** Where facts about principals come from: Graph and ARM, or a stand-in in state-machine tests. */
  readonly directory?: RequestDirectory;
  /** Where a bundle plan's facts come from: ARM as the approver, or a stand-in in tests. */
  readonly bundleSources?: BundleFactSources;
  /** Where an approver route's people come from: Graph as the console, or a stand-in in tests. */
  readonly approvers?: ApproverResolver;
}

const AUDIT_STATUS = { granted: "active" } as const;
/** The audit catalogue names `granted` "active"; other statuses are the same. */
function auditStatus(status: string): "pending" | "approved" | "active" | "denied" | "cancelled" | "expired" | "lapsed" | "failed" {
  return ((AUDIT_STATUS as Record<string, string>)[status] ?? status) as ReturnType<typeof auditStatus>;
}

async function load(db: Database, id: string): Promise<AccessRequestRow | undefined> {
  const [row] = await db.select().from(accessRequests).where(eq(accessRequests.id, id));
  return row;
}

function alreadyDecided(request: AccessRequestRow): AppError {
  const by = request.decidedByName ?? request.approvals.at(-1)?.displayName ?? "someone else";
  return refuse("already_decided", `This request was already decided by ${by}: it is ${request.status}. Nothing was changed.`);
}

async function refuseSelfApproval(
  db: Database,
  context: DelegatedContext,
  request: AccessRequestRow,
  consoleAction: string,
  why = {
    reason: "approver is the requester or the person receiving the access",
    message: "You can't approve your own request, or access for yourself: another admin has to decide it.",
  },
): Promise<never> {
  await recordAuditEventNow(db, {
    action: "authz.denied",
    outcome: "denied",
    actor: context.actor,
    target: requestAuditTarget(request),
    reason: why.reason,
    correlation: { consoleRequestId: context.requestId },
    details: { consoleAction, deniedBecause: "self_approval" },
  });
  throw refuse("self_approval", why.message);
}

/**
 * Refuses someone the request's route (or, without one, the console role) does not let decide it, audited like a
 * self-approval; the message says who can.
 */
async function refuseNotRouted(db: Database, context: DelegatedContext, request: AccessRequestRow, consoleAction: string, decider: Decider): Promise<never> {
  await recordAuditEventNow(db, {
    action: "authz.denied",
    outcome: "denied",
    actor: context.actor,
    target: requestAuditTarget(request),
    reason: `not among those who may decide this request: ${decider.explanation}`.slice(0, 2000),
    correlation: { consoleRequestId: context.requestId },
    details: { consoleAction, deniedBecause: "not_routed_approver" },
  });
  throw refuse("not_routed", `You can't decide this request. Who can: ${decider.explanation}`);
}

/** Who decides the request now, from its route (Graph as the console, cached). */
function deciderOf(request: AccessRequestRow, options: Options): Promise<Decider> {
  return whoDecides(request, { ...(options.policy ? { policy: options.policy } : {}), ...(options.approvers ? { resolve: options.approvers } : {}) });
}

/**
 * Separation of duties beyond "not your own request": the approver must not be the principal, a member of the
 * principal group (nested too) or an owner of the principal service principal. Graph failing is a refusal.
 */
async function conflictOfInterest(
  db: Database,
  context: DelegatedContext,
  request: AccessRequestRow,
  consoleAction: string,
  directory: RequestDirectory,
): Promise<void> {
  const me = context.person.objectId.toLowerCase();
  if (isRequester(context.person, request) || isPrincipal(context.person, request)) await refuseSelfApproval(db, context, request, consoleAction);
  let conflict: string | undefined;
  try {
    conflict = await directory.approverConflict(me, request);
  } catch {
    throw refuse(
      "unverified",
      "Microsoft Graph could not confirm that this access would not also be yours (group membership, ownership). Nothing was decided; try again in a minute.",
    );
  }
  if (conflict) await refuseSelfApproval(db, context, request, consoleAction, { reason: conflict, message: conflict });
}

/**
 * Closes a pending request that can no longer be granted as filed (`lapsed`, with why: stored and audited), then
 * refuses the decision with the same words. If another decision won meanwhile, that one is reported instead.
 */
async function closeAsStale(db: Database, context: DelegatedContext, request: AccessRequestRow, staleness: Staleness, now: Date): Promise<never> {
  const closed = await db.transaction((tx) =>
    lapseRequest(tx, { requestId: request.id, staleness, actor: context.actor, now, consoleRequestId: context.requestId }),
  );
  if (!closed) throw alreadyDecided((await load(db, request.id))!);
  log("info", "requests", "request closed at decision time", { requestId: request.id, cause: staleness.cause });
  throw refuse("stale", `${staleness.note} Nothing was granted.`);
}

/**
 * The approvals a request needs by the policy now: its role's (or bundle's) count, two for a privileged role, and one
 * more for the business approval on a `business-then-admin` route.
 */
export function requiredApprovals(
  request: Pick<AccessRequestRow, "origin" | "roleDefinitionId" | "bundleId" | "routeId">,
  policy: RequestPolicy,
  privileged: boolean,
): number {
  const entry = request.origin === "form" ? policyEntryOf(policy, request) : undefined;
  // An admin's own privileged grant always needs two others (self-grant.ts).
  const base = Math.max(entry?.approvers ?? 1, privileged || request.origin === "self_grant" ? PRIVILEGED_APPROVERS : 1);
  return base + (routeOfRequest(policy, request)?.flow === "business-then-admin" ? 1 : 0);
}

/**
 * Whether the request's role can change who has access or do anything, as ARM defines it now (not by its name: a
 * custom role that can write role assignments counts). When ARM cannot say, nothing is decided.
 */
async function roleIsPrivilegedNow(directory: RequestDirectory, request: AccessRequestRow): Promise<boolean> {
  try {
    return await directory.roleIsPrivileged(request.workspaceId, request.roleDefinitionId);
  } catch {
    throw refuse("unverified", `Azure could not say what ${request.roleName} allows right now. Nothing was decided; try again in a minute.`);
  }
}

/**
 * Approving (or retrying) a privileged role's request needs the stronger sign-in, checked before the approval is
 * recorded: otherwise the request would be approved and its grant refused.
 */
async function requirePrivilegedStepUp(db: Database, context: DelegatedContext, request: AccessRequestRow, consoleAction: string, privileged: boolean) {
  if (!privileged) return;
  await requireStepUp(
    context,
    {
      reason: "privileged_approval",
      consoleAction,
      change: `approval of ${request.roleName} for ${request.principalDisplayName}`,
      target: requestAuditTarget(request),
    },
    { db },
  );
}

/**
 * Re-checks a pending request against the world as it is now, before an approval counts: the decision deadline, the
 * current policy (the role must still be requestable for the duration asked; a stricter approver count applies), the
 * principal (it must still exist with the facts the approver was shown; changed facts are stored and the approver
 * asked to look again) and the requester (still in the directory, still holding a console role that may file
 * requests). A request that fails one of these for good is closed as `lapsed` with the reason. Returns the number of
 * approvals required now. The deadline and policy are checked again under the row lock that records the approval.
 */
async function recheckPending(
  db: Database,
  context: DelegatedContext,
  request: AccessRequestRow,
  now: Date,
  policy: RequestPolicy,
  directory: RequestDirectory,
): Promise<{ approvalsRequired: number; privileged: boolean }> {
  const stale = policyStaleness(request, policy, now);
  if (stale) await closeAsStale(db, context, request, stale, now);
  let approvalsRequired = request.approvalsRequired;
  // A privileged role needs two approvers, whatever the policy says, and is granted only where the operator allows it
  // (grantable-roles.ts).
  const privileged = await roleIsPrivilegedNow(directory, request);
  if (request.origin === "form") {
    const role = policyEntryOf(policy, request)!;
    approvalsRequired = Math.max(approvalsRequired, role.approvers);
    if (privileged) approvalsRequired = Math.max(approvalsRequired, PRIVILEGED_APPROVERS);
  }
  // A two-step route's business approval comes on top of the admins' approvals (never lowering the stored count).
  approvalsRequired = Math.max(approvalsRequired, requiredApprovals(request, policy, privileged));
  let principal;
  let principalDeleted = false;
  try {
    principal = await directory.verifyPrincipal(request.principalId);
    // Absent from one read is not yet deleted (Entra reads are eventually consistent): confirmed before closing.
    if (!principal) principalDeleted = (await directory.findDeleted([request.principalId])).has(request.principalId.toLowerCase());
  } catch {
    throw refuse("unverified", "Microsoft Graph could not confirm the identity this access is for. Nothing was decided; try again in a minute.");
  }
  if (principalDeleted) {
    await closeAsStale(
      db,
      context,
      request,
      {
        cause: "principal_deleted",
        note: `${request.principalDisplayName} (${request.principalId}) no longer exists in the directory, so the request was closed.`,
      },
      now,
    );
  }
  if (!principal) {
    throw refuse("unverified", "Microsoft Graph could not find the identity this access is for right now. Nothing was decided; try again in a minute.");
  }
  // Disabled, not deleted: an administrator stopped the account (a leaver, a compromise). Access approved for it now
  // would wait for whoever enables it again, unreviewed, so the request closes; it can be asked for again.
  if (principal.disabled) {
    await closeAsStale(
      db,
      context,
      request,
      {
        cause: "principal_disabled",
        note: `${request.principalDisplayName}'s account (${request.principalId}) is disabled in the directory, so the request was closed. Ask again once it is enabled.`,
      },
      now,
    );
  }
  if (principal.displayName !== request.principalDisplayName || (principal.secondaryId ?? null) !== (request.principalSecondaryId ?? null)) {
    await db
      .update(accessRequests)
      .set({
        principalDisplayName: principal.displayName,
        principalSecondaryId: principal.secondaryId,
        principalFlags: [...principal.flags],
        principalVerifiedAt: now,
        updatedAt: now,
      })
      .where(eq(accessRequests.id, request.id));
    throw refuse(
      "stale",
      `The identity's details changed in the directory since the request was made (now ${principal.displayName}). Review the request again before deciding.`,
    );
  }
  let standing;
  try {
    standing = await directory.requesterStanding({ tenantId: request.requesterTenantId, objectId: request.requesterObjectId });
  } catch {
    throw refuse(
      "unverified",
      `Microsoft Graph could not confirm that ${request.requesterName} may still ask for access. Nothing was decided; try again in a minute.`,
    );
  }
  if (standing === "deleted") {
    await closeAsStale(
      db,
      context,
      request,
      {
        cause: "requester_deleted",
        note: `${request.requesterName}, who asked for this access, no longer exists in the directory, so the request was closed.`,
      },
      now,
    );
  }
  if (standing === "disabled") {
    // The requester could not sign in to ask for this now; an approval must not outlive their account.
    await closeAsStale(
      db,
      context,
      request,
      {
        cause: "requester_disabled",
        note: `${request.requesterName}, who asked for this access, has a disabled account in the directory, so the request was closed.`,
      },
      now,
    );
  }
  if (standing === "no_role") {
    await closeAsStale(
      db,
      context,
      request,
      {
        cause: "requester_lost_role",
        note: `${request.requesterName}, who asked for this access, no longer has a console role that may ask for it, so the request was closed.`,
      },
      now,
    );
  }
  return { approvalsRequired, privileged };
}

/**
 * Approves a pending request. Privileged roles need several different approvers: each approval but the last is
 * recorded and leaves the request pending. The final approval moves `pending → approved` with a conditional UPDATE in
 * one transaction with `request.approved`, so of two admins approving at once exactly one wins; the other is told who
 * decided. Then, outside any transaction, the grant runs as the approving admin; its outcome moves the request to
 * `granted` or `failed`.
 */
export async function approveAccessRequest(context: DelegatedContext, input: DecisionInput, options: Options = {}): Promise<DecisionResult> {
  const db = options.db ?? (await getDatabase());
  const directory = options.directory ?? azureRequestDirectory;
  const request = await load(db, input.requestId);
  if (!request) throw refuse("not_found", "This request does not exist.");
  const me = context.person.objectId.toLowerCase();
  if (isRequester(context.person, request) || isPrincipal(context.person, request)) await refuseSelfApproval(db, context, request, "approveAccessRequest");
  // Who may decide, per request: the route's people and Console.Admin holders as it says, step by step. Someone who may
  // not is refused whatever the request's state.
  const decider = await deciderOf(request, options);
  if (!mayApprove({ ...context.person, roles: context.roles }, decider)) await refuseNotRouted(db, context, request, "approveAccessRequest", decider);
  if (request.status !== "pending") throw alreadyDecided(request);
  if (request.approvals.some((approval) => approvedBy(context.person, approval))) {
    throw refuse("already_approved_by_you", "You already approved this request; a different admin has to give the second approval.");
  }
  await conflictOfInterest(db, context, request, "approveAccessRequest", directory);

  const now = options.now ?? (await requestClock());
  const policy = options.policy ?? getRequestPolicy();
  const recheck = await recheckPending(db, context, request, now, policy, directory);
  await assertRoleGrantable(
    context,
    { id: request.roleDefinitionId, name: request.roleName, changesAccess: recheck.privileged },
    { scope: request.workspaceId, principalId: request.principalId, consoleAction: "approveAccessRequest" },
    db,
  );
  // Last of the checks: nobody is asked to sign in again for a request that would be refused anyway.
  await requirePrivilegedStepUp(db, context, request, "approveAccessRequest", recheck.privileged);
  const approval: RequestApproval = {
    tenantId: context.person.tenantId.toLowerCase(),
    objectId: me,
    displayName: context.person.displayName,
    userPrincipalName: context.person.userPrincipalName,
    comment: input.comment,
    at: now.toISOString(),
    ...(decider.step === "single" ? {} : { step: decider.step }),
  };
  const given = request.approvals.length;
  const approvalsRequired = recheck.approvalsRequired;
  const final = given + 1 >= approvalsRequired;
  const decided = await db.transaction(async (tx) => {
    // The deadline and the policy again, under the row's lock: the checks above ran before Graph's answers came back.
    const [locked] = await tx.select().from(accessRequests).where(eq(accessRequests.id, request.id)).for("update");
    const stale = locked?.status === "pending" ? policyStaleness(locked, policy, now) : undefined;
    if (stale) {
      await lapseRequest(tx, { requestId: request.id, staleness: stale, actor: context.actor, now, consoleRequestId: context.requestId });
      return { stale };
    }
    const [row] = await tx
      .update(accessRequests)
      .set({
        approvals: sql`${accessRequests.approvals} || ${JSON.stringify([approval])}::jsonb`,
        approvalsRequired,
        version: sql`${accessRequests.version} + 1`,
        updatedAt: now,
        ...(final ? { status: "approved" as const, decidedAt: now, decidedByName: context.person.displayName, decisionComment: input.comment || null } : {}),
      })
      .where(
        and(
          eq(accessRequests.id, request.id),
          eq(accessRequests.status, "pending"),
          // Nobody else approved in between (the count is what this decision was based on) …
          sql`jsonb_array_length(${accessRequests.approvals}) = ${given}`,
          // … and the database, not only the checks above, refuses the requester and a second approval by one person.
          notFiledBy(context.person),
          sql`not (${accessRequests.approvals} @> ${JSON.stringify([{ tenantId: approval.tenantId, objectId: me }])}::jsonb)`,
        ),
      )
      .returning();
    if (!row) return {};
    if (final) {
      await recordAuditEvent(tx, {
        action: "request.approved",
        outcome: "succeeded",
        actor: context.actor,
        target: requestAuditTarget(row),
        ...(input.comment ? { reason: input.comment } : {}),
        correlation: { consoleRequestId: context.requestId },
        details: { from: "pending", to: "approved" },
        occurredAt: now,
      });
    } else {
      await recordAuditEvent(tx, {
        action: "request.approval_recorded",
        outcome: "succeeded",
        actor: context.actor,
        target: requestAuditTarget(row),
        ...(input.comment ? { reason: input.comment } : {}),
        correlation: { consoleRequestId: context.requestId },
        details: {
          approvalsRequired: row.approvalsRequired,
          approvalsGiven: row.approvals.length,
          ...(decider.step === "single" ? {} : { step: decider.step }),
        },
        occurredAt: now,
      });
    }
    return { row };
  });
  if (decided.stale) throw refuse("stale", `${decided.stale.note} Nothing was granted.`);
  const updated = decided.row;
  if (!updated) {
    const current = (await load(db, request.id))!;
    if (current.status === "pending") {
      throw current.approvals.some((approval) => approvedBy(context.person, approval))
        ? refuse("already_approved_by_you", "You already approved this request; a different admin has to give the second approval.")
        : refuse(
            "already_decided",
            `${current.approvals.at(-1)?.displayName ?? "Another admin"} approved this request at the same moment. Reload and decide again if needed.`,
          );
    }
    throw alreadyDecided(current);
  }
  if (!final) {
    if (decider.step === "business" && options.notify !== false) {
      // The business approver said yes: the admins who give the final approval hear of it now (and of the outcome later).
      const admins = await adminStepApprovers(updated, { policy });
      await notifyAdminsOfBusinessApproval(updated, context.person.displayName, { people: admins, channels: [] }, { db, policy, now });
    }
    const more = updated.approvalsRequired - updated.approvals.length;
    return {
      request: updated,
      message:
        decider.step === "business"
          ? `Your business approval is recorded; nothing is granted yet. ${more === 1 ? "A Console.Admin (someone else) grants it" : `${more} different Console.Admins approve it, and the last grants it`}.`
          : `Your approval is recorded. ${more} more approval${more === 1 ? "" : "s"} from ${more === 1 ? "a different admin is" : "different admins are"} needed.`,
    };
  }
  return carryOut(context, db, updated, options);
}

/** Re-runs the grant of a `failed` request, as the admin retrying (who may have the rights the first one lacked). */
export async function retryAccessRequest(context: DelegatedContext, input: DecisionInput, options: Options = {}): Promise<DecisionResult> {
  const db = options.db ?? (await getDatabase());
  const request = await load(db, input.requestId);
  if (!request) throw refuse("not_found", "This request does not exist.");
  if (isRequester(context.person, request) || isPrincipal(context.person, request)) await refuseSelfApproval(db, context, request, "retryAccessRequest");
  if (request.status !== "failed") throw alreadyDecided(request);
  const directory = options.directory ?? azureRequestDirectory;
  await conflictOfInterest(db, context, request, "retryAccessRequest", directory);
  await requirePrivilegedStepUp(db, context, request, "retryAccessRequest", await roleIsPrivilegedNow(directory, request));
  const now = options.now ?? (await requestClock());
  const updated = await db.transaction(async (tx) => {
    const [row] = await tx
      .update(accessRequests)
      .set({ status: "approved", version: sql`${accessRequests.version} + 1`, updatedAt: now, decidedByName: context.person.displayName })
      .where(and(eq(accessRequests.id, request.id), eq(accessRequests.status, "failed")))
      .returning();
    if (!row) return undefined;
    await recordAuditEvent(tx, {
      action: "request.approved",
      outcome: "succeeded",
      actor: context.actor,
      target: requestAuditTarget(row),
      reason: input.comment || "retry after a failed grant",
      correlation: { consoleRequestId: context.requestId },
      details: { from: "failed", to: "approved" },
      occurredAt: now,
    });
    return row;
  });
  if (!updated) throw alreadyDecided((await load(db, request.id))!);
  return carryOut(context, db, updated, options);
}

/**
 * Carries out an approved request. First, failing closed, it checks in ARM whether the principal already has the
 * access (or more): then the request is closed as `covered` and nothing is granted or will expire. Otherwise the
 * grant runs as the approving admin with the request as the assignment's holder (a self-granted mapping creates the
 * mapping instead), and its outcome moves the request to `granted` or `failed`.
 */
async function carryOut(context: DelegatedContext, db: Database, request: AccessRequestRow, options: Options): Promise<DecisionResult> {
  const directory = options.directory ?? azureRequestDirectory;
  const start = options.now ?? (await requestClock());
  const expiresAt = request.durationMinutes !== null ? new Date(start.getTime() + request.durationMinutes * 60_000) : null;
  if (request.bundleId) return carryOutBundle(context, db, request, options, expiresAt);

  if (!request.extendsRequestId) {
    let coverage;
    try {
      coverage = await directory.findCoverage({
        workspaceId: request.workspaceId,
        principalId: request.principalId,
        principalName: request.principalDisplayName,
        roleDefinitionId: request.roleDefinitionId,
        wantedUntil: expiresAt,
        db,
      });
    } catch {
      return settleApproved(context, db, request, options, {
        status: "failed",
        code: "CoverageUnverified",
        message: "Gatehouse could not check in Azure whether this access already exists, so nothing was granted. Retry in a minute.",
      });
    }
    if (coverage) return closeAsCovered(context, db, request, coverage.explanation, start, options);
  }

  let result: GrantResult;
  try {
    if (options.grant) {
      result = await options.grant(request);
    } else if (request.createsMapping) {
      const created = await createMapping(
        context,
        { workspaceId: request.workspaceId, groupId: request.principalId, roleDefinitionId: request.roleDefinitionId },
        `Approved request ${request.id}`,
        { db },
      );
      result = created.grant;
    } else {
      result = (
        await grantWorkspaceRoles(
          context,
          {
            workspaceId: request.workspaceId,
            roleDefinitionId: request.roleDefinitionId,
            principals: [{ id: request.principalId, kind: request.principalKind as "user", displayName: request.principalDisplayName }],
            description: `Gatehouse request ${request.id}`,
            holder: { kind: "request", requestId: request.id, expiresAt: expiresAt?.toISOString() ?? null },
          },
          { db },
        )
      )[0]!;
    }
  } catch (error) {
    const message = error instanceof AppError ? error.userMessage : "The grant could not be made.";
    const claims = error instanceof AppError ? error.claims : undefined;
    result = { principalId: request.principalId, displayName: request.principalDisplayName, status: "failed", message, ...(claims ? { claims } : {}) };
  }
  if (result.status === "in_progress") {
    // No answer from ARM: the intent reconciler settles the assignment; the request stays approved until then.
    return { request, message: result.message };
  }
  const granted = result.status === "granted" || result.status === "already_granted";
  const settled = await settleApproved(
    context,
    db,
    request,
    options,
    granted
      ? {
          status: "granted",
          expiresAt,
          existedBefore: result.status === "already_granted",
          message: result.message,
          ...(result.reference ? { reference: result.reference } : {}),
        }
      : { status: "failed", code: "GrantFailed", message: result.message, ...(result.reference ? { reference: result.reference } : {}) },
  );
  return !granted && result.claims ? { ...settled, claims: result.claims } : settled;
}

/**
 * A bundle request: every part is granted as one bundle grant held for the request. Some parts holding and others
 * failing is a granted request with a partial bundle (the parts that hold end with it; the rest can be resumed); no
 * part holding is a failed request, which an admin can retry (the retry resumes the same bundle grant).
 */
async function carryOutBundle(
  context: DelegatedContext,
  db: Database,
  request: AccessRequestRow,
  options: Options,
  expiresAt: Date | null,
): Promise<DecisionResult> {
  let result: BundleGrantResult;
  try {
    result = await grantBundle(
      context,
      {
        workspaceId: request.workspaceId,
        bundleId: request.bundleId!,
        principal: { id: request.principalId, kind: request.principalKind as GrantTarget["kind"], displayName: request.principalDisplayName },
        requestId: request.id,
        expiresAt,
      },
      options.bundleSources ?? azureBundleSources,
      { db, ...(options.policy ? { policy: options.policy } : {}) },
    );
  } catch (error) {
    const message = error instanceof AppError ? error.userMessage : "The bundle could not be granted.";
    const claims = error instanceof AppError ? error.claims : undefined;
    const settled = await settleApproved(context, db, request, options, { status: "failed", code: "BundleNotGranted", message });
    return claims ? { ...settled, claims } : settled;
  }
  const holding = result.parts.filter((part) => part.state === "granted" || part.state === "already_granted");
  const failed = result.parts.filter((part) => part.state === "failed" || part.state === "planned");
  const failures = failed.map((part) => `${part.roleName} on ${part.resourceName ?? "its resource"}: ${part.note ?? "not granted"}`).join(" ");
  const reference = result.parts.find((part) => part.reference)?.reference ?? undefined;
  if (holding.length === 0) {
    const settled = await settleApproved(context, db, request, options, {
      status: "failed",
      code: "BundleNotGranted",
      message: `No part of the ${result.grant.bundleName} bundle could be granted. ${failures}`,
      ...(reference ? { reference } : {}),
    });
    return result.claims ? { ...settled, claims: result.claims } : settled;
  }
  const message =
    failed.length === 0
      ? `Granted the ${result.grant.bundleName} bundle: ${holding.length} role${holding.length === 1 ? "" : "s"}.`
      : `Bundle partial: ${holding.length} of ${holding.length + failed.length} parts hold. ${failures} Resume the bundle on the request's page to grant the rest.`;
  const settled = await settleApproved(context, db, request, options, {
    status: "granted",
    expiresAt,
    existedBefore: holding.every((part) => part.state === "already_granted"),
    message,
    ...(reference ? { reference } : {}),
  });
  return result.claims ? { ...settled, claims: result.claims } : settled;
}

type Settlement =
  | { readonly status: "granted"; readonly expiresAt: Date | null; readonly existedBefore: boolean; readonly message: string; readonly reference?: string }
  | { readonly status: "failed"; readonly code: string; readonly message: string; readonly reference?: string };

/** Moves an approved request to `granted` or `failed` with its event (and, for an extension, hands the access over). */
async function settleApproved(
  context: DelegatedContext,
  db: Database,
  request: AccessRequestRow,
  options: Options,
  settlement: Settlement,
): Promise<DecisionResult> {
  const now = options.now ?? (await requestClock());
  const reference = settlement.reference ?? null;
  const settled = await db.transaction(async (tx) => {
    const events: AuditEventInput[] = [];
    if (settlement.status === "granted" && request.extendsRequestId) {
      // The extension now carries the access and its expiry: the original lets go of the assignment (which stays,
      // held by the extension) and stops being expired on its own.
      const held = await lockHeldAccess(tx, { scope: request.workspaceId, principalId: request.principalId, roleDefinitionId: request.roleDefinitionId });
      const previous = held?.holders.find((holder) => holder.kind === "request" && holder.requestId === request.extendsRequestId);
      if (held && previous) {
        events.push(
          ...(await releaseHolder(tx, {
            assignment: held.assignment,
            holder: previous,
            reason: `extended by request ${request.id}`,
            actor: context.actor,
            now,
            fate: "kept_other_holders",
            remaining: held.holders.length - 1,
            correlation: { consoleRequestId: context.requestId },
          })),
        );
      }
    }
    const [row] = await tx
      .update(accessRequests)
      .set(
        settlement.status === "granted"
          ? {
              status: "granted",
              grantedAt: now,
              expiresAt: settlement.expiresAt,
              updatedAt: now,
              version: sql`${accessRequests.version} + 1`,
              failureCode: null,
              failureReason: null,
              armReference: reference,
            }
          : {
              status: "failed",
              updatedAt: now,
              version: sql`${accessRequests.version} + 1`,
              failureCode: settlement.code,
              failureReason: settlement.message.slice(0, 1000),
              armReference: reference,
            },
      )
      .where(and(eq(accessRequests.id, request.id), eq(accessRequests.status, "approved")))
      .returning();
    if (!row) return undefined;
    const correlation = { consoleRequestId: context.requestId, ...(reference ? { armRequestId: reference } : {}) };
    if (settlement.status === "granted") {
      events.push({
        action: "request.granted",
        outcome: "succeeded",
        actor: context.actor,
        target: requestAuditTarget(row),
        correlation,
        details: {
          from: "approved",
          to: "active",
          alreadyExisted: settlement.existedBefore,
          ...(settlement.expiresAt ? { expiresAt: settlement.expiresAt.toISOString() } : {}),
        },
        occurredAt: now,
      });
      if (row.extendsRequestId) {
        const [original] = await tx
          .update(accessRequests)
          .set({ status: "extended", endedAt: now, updatedAt: now, version: sql`${accessRequests.version} + 1` })
          .where(and(eq(accessRequests.id, row.extendsRequestId), eq(accessRequests.status, "granted")))
          .returning();
        if (original) {
          events.push({
            action: "request.extended",
            outcome: "succeeded",
            actor: context.actor,
            target: requestAuditTarget(original),
            correlation: { consoleRequestId: context.requestId },
            details: { extendedBy: row.id, ...(settlement.expiresAt ? { expiresAt: settlement.expiresAt.toISOString() } : {}) },
            occurredAt: now,
          });
        }
      }
    } else {
      events.push({
        action: "request.failed",
        outcome: "failed",
        errorCode: settlement.code,
        actor: context.actor,
        target: requestAuditTarget(row),
        reason: settlement.message.slice(0, 2000),
        correlation,
        details: { from: "approved", to: "failed" },
        occurredAt: now,
      });
    }
    await recordAuditEvents(tx, events);
    return row;
  });
  const final = settled ?? (await load(db, request.id))!;
  if (settled && options.notify !== false) await notifyRequesterOfDecision(final);
  if (settled && options.notify !== false) await notifyToldOfOutcome(final, { db });
  return settlement.status === "granted"
    ? { request: final, message: settlement.message }
    : { request: final, message: `Approved, but nothing was granted: ${settlement.message} An admin with the rights can retry it.` };
}

/** The principal already has the access: the request ends as `covered`, with the path in words, and nothing expires. */
async function closeAsCovered(
  context: DelegatedContext,
  db: Database,
  request: AccessRequestRow,
  explanation: string,
  now: Date,
  options: Options,
): Promise<DecisionResult> {
  const closed = await db.transaction(async (tx) => {
    const [row] = await tx
      .update(accessRequests)
      .set({ status: "covered", endedAt: now, updatedAt: now, outcomeNote: explanation.slice(0, 1000), version: sql`${accessRequests.version} + 1` })
      .where(and(eq(accessRequests.id, request.id), eq(accessRequests.status, "approved")))
      .returning();
    if (!row) return undefined;
    await recordAuditEvent(tx, {
      action: "request.covered",
      outcome: "succeeded",
      actor: context.actor,
      target: requestAuditTarget(row),
      reason: explanation.slice(0, 2000),
      correlation: { consoleRequestId: context.requestId },
      details: { from: "approved", to: "covered", coveredBy: explanation.slice(0, 1000) },
      occurredAt: now,
    });
    return row;
  });
  const final = closed ?? (await load(db, request.id))!;
  if (closed && options.notify !== false) await notifyRequesterOfDecision(final);
  if (closed && options.notify !== false) await notifyToldOfOutcome(final, { db });
  return { request: final, message: `Nothing to grant: ${explanation} The request is closed as already covered; nothing will expire.` };
}

/** Denies a pending request (`pending → denied`, with `request.denied`). A comment is required. */
export async function denyAccessRequest(context: DelegatedContext, input: DecisionInput, options: Options = {}): Promise<DecisionResult> {
  if (!input.comment) throw refuse("comment_required", "Say why the request is denied; the requester sees it.");
  return close(context, input, "denied", options);
}

/** The same words for a request that does not exist and for someone else's, so that neither can be told apart. */
const NOT_YOURS_TO_WITHDRAW = "You have no request with this id to withdraw. Only the person who asked can withdraw a request.";

/** The requester withdraws their own pending request. */
export async function cancelAccessRequest(context: DelegatedContext, input: DecisionInput, options: Options = {}): Promise<DecisionResult> {
  return close(context, input, "cancelled", options);
}

async function close(context: DelegatedContext, input: DecisionInput, to: "denied" | "cancelled", options: Options): Promise<DecisionResult> {
  const db = options.db ?? (await getDatabase());
  const request = await load(db, input.requestId);
  if (!request) throw refuse("not_found", to === "cancelled" ? NOT_YOURS_TO_WITHDRAW : "This request does not exist.");
  if (to === "cancelled" && !isRequester(context.person, request)) {
    await recordAuditEventNow(db, {
      action: "authz.denied",
      outcome: "denied",
      actor: context.actor,
      target: requestAuditTarget(request),
      correlation: { consoleRequestId: context.requestId },
      details: { consoleAction: "cancelAccessRequest", deniedBecause: "not_requester" },
    });
    throw refuse("not_requester", NOT_YOURS_TO_WITHDRAW);
  }
  if (to === "denied") {
    const decider = await deciderOf(request, options);
    if (!mayDeny({ ...context.person, roles: context.roles }, decider)) await refuseNotRouted(db, context, request, "denyAccessRequest", decider);
  }
  if (request.status !== "pending") throw alreadyDecided(request);
  const now = options.now ?? (await requestClock());
  const updated = await db.transaction(async (tx) => {
    const [row] = await tx
      .update(accessRequests)
      .set({
        status: to,
        decidedAt: now,
        endedAt: now,
        decidedByName: context.person.displayName,
        decisionComment: input.comment || null,
        updatedAt: now,
        version: sql`${accessRequests.version} + 1`,
      })
      .where(and(eq(accessRequests.id, request.id), eq(accessRequests.status, "pending")))
      .returning();
    if (!row) return undefined;
    await recordAuditEvent(tx, {
      action: to === "denied" ? "request.denied" : "request.cancelled",
      outcome: "succeeded",
      actor: context.actor,
      target: requestAuditTarget(row),
      ...(input.comment ? { reason: input.comment } : {}),
      correlation: { consoleRequestId: context.requestId },
      details: { from: "pending", to },
      occurredAt: now,
    });
    return row;
  });
  if (!updated) throw alreadyDecided((await load(db, request.id))!);
  if (to === "denied" && options.notify !== false) await notifyRequesterOfDecision(updated);
  if (options.notify !== false) await notifyToldOfOutcome(updated, { db });
  log("info", "requests", `request ${to}`, { requestId: updated.id });
  return { request: updated, message: to === "denied" ? "Request denied; the requester is told why." : "Request withdrawn." };
}

export { auditStatus };
