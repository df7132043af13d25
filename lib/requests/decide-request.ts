import "server-only";

import { and, eq, sql } from "drizzle-orm";
import { z } from "zod";

import { recordAuditEvent, recordAuditEventNow } from "@/lib/audit";
import { type Database, getDatabase } from "@/lib/db";
import { log } from "@/lib/log";
import { type GrantContext, type GrantResult, grantWorkspaceRoles } from "@/lib/workspaces/grant-workspace-roles";
import { requestClock } from "./clock";
import { notifyRequesterOfDecision } from "./notify";
import { accessRequests, type AccessRequestRow, type RequestApproval } from "./schema";
import type { RequestContext } from "./submit-request";

export const decisionSchema = z.strictObject({
  requestId: z.uuid({ error: "Unknown request" }),
  comment: z.string().trim().max(1000, { error: "Keep the comment under 1,000 characters" }).default(""),
});
export type DecisionInput = z.output<typeof decisionSchema>;

export type RefusalCode = "not_found" | "self_approval" | "already_decided" | "already_approved_by_you" | "not_requester" | "comment_required";

export type DecisionResult =
  | {
      readonly ok: true;
      readonly request: AccessRequestRow;
      /** For approvals: what happened in ARM. */
      readonly message: string;
    }
  | { readonly ok: false; readonly code: RefusalCode; readonly message: string };

/** Deciding needs the approver's own delegated call to ARM: the grant runs as them (on-behalf-of). */
export interface DeciderContext extends RequestContext {
  readonly grant: GrantContext;
}

interface Options {
  readonly db?: Database;
  readonly now?: Date;
  /** Replaces the ARM grant (tests of the state machine on engines without a sandbox). */
  readonly grant?: (request: AccessRequestRow) => Promise<GrantResult>;
  readonly notify?: boolean;
}

const AUDIT_STATUS = { granted: "active" } as const;
/** The audit catalogue names `granted` "active"; other statuses are the same. */
function auditStatus(status: string): "pending" | "approved" | "active" | "denied" | "cancelled" | "expired" | "lapsed" | "failed" {
  return ((AUDIT_STATUS as Record<string, string>)[status] ?? status) as ReturnType<typeof auditStatus>;
}

function target(request: AccessRequestRow) {
  return {
    requestId: request.id,
    scope: request.workspaceId,
    principalId: request.principalId,
    roleDefinitionId: request.roleDefinitionId,
    roleName: request.roleName,
  };
}

async function load(db: Database, id: string): Promise<AccessRequestRow | undefined> {
  const [row] = await db.select().from(accessRequests).where(eq(accessRequests.id, id));
  return row;
}

function alreadyDecided(request: AccessRequestRow): DecisionResult {
  const by = request.decidedByName ?? request.approvals.at(-1)?.displayName ?? "someone else";
  return {
    ok: false,
    code: "already_decided",
    message: `This request was already decided by ${by}: it is ${request.status}. Nothing was changed.`,
  };
}

async function refuseSelfApproval(db: Database, context: RequestContext, request: AccessRequestRow, consoleAction: string): Promise<DecisionResult> {
  await recordAuditEventNow(db, {
    action: "authz.denied",
    outcome: "denied",
    actor: context.actor,
    target: target(request),
    reason: "approver is the requester or the person receiving the access",
    correlation: { consoleRequestId: context.requestId },
    details: { consoleAction, deniedBecause: "self_approval" },
  });
  return {
    ok: false,
    code: "self_approval",
    message: "You can't approve your own request, or access for yourself: another admin has to decide it.",
  };
}

/**
 * Approves a pending request. Privileged roles need several different approvers: each approval but the last is
 * recorded and leaves the request pending. The final approval moves `pending → approved` with a conditional UPDATE in
 * one transaction with `request.approved`, so of two admins approving at once exactly one wins; the other is told who
 * decided. Then, outside any transaction, the grant runs as the approving admin; its outcome moves the request to
 * `granted` or `failed`.
 */
export async function approveAccessRequest(context: DeciderContext, input: DecisionInput, options: Options = {}): Promise<DecisionResult> {
  const db = options.db ?? (await getDatabase());
  const request = await load(db, input.requestId);
  if (!request) return { ok: false, code: "not_found", message: "This request does not exist." };
  const me = context.person.objectId.toLowerCase();
  if (request.requesterObjectId === me || request.principalId === me) return refuseSelfApproval(db, context, request, "approveAccessRequest");
  if (request.status !== "pending") return alreadyDecided(request);
  if (request.approvals.some((approval) => approval.objectId === me)) {
    return { ok: false, code: "already_approved_by_you", message: "You already approved this request; a different admin has to give the second approval." };
  }

  const now = options.now ?? (await requestClock());
  const approval: RequestApproval = {
    objectId: me,
    displayName: context.person.displayName,
    userPrincipalName: context.person.userPrincipalName,
    comment: input.comment,
    at: now.toISOString(),
  };
  const given = request.approvals.length;
  const final = given + 1 >= request.approvalsRequired;
  const updated = await db.transaction(async (tx) => {
    const [row] = await tx
      .update(accessRequests)
      .set({
        approvals: sql`${accessRequests.approvals} || ${JSON.stringify([approval])}::jsonb`,
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
          // … and the database, not only the check above, refuses the requester.
          sql`${accessRequests.requesterObjectId} <> ${me}`,
        ),
      )
      .returning();
    if (!row) return undefined;
    if (final) {
      await recordAuditEvent(tx, {
        action: "request.approved",
        outcome: "succeeded",
        actor: context.actor,
        target: target(row),
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
        target: target(row),
        ...(input.comment ? { reason: input.comment } : {}),
        correlation: { consoleRequestId: context.requestId },
        details: { approvalsRequired: row.approvalsRequired, approvalsGiven: row.approvals.length },
        occurredAt: now,
      });
    }
    return row;
  });
  if (!updated) {
    const current = (await load(db, request.id))!;
    if (current.status === "pending") {
      return current.approvals.some((approval) => approval.objectId === me)
        ? { ok: false, code: "already_approved_by_you", message: "You already approved this request; a different admin has to give the second approval." }
        : { ok: false, code: "already_decided", message: `${current.approvals.at(-1)?.displayName ?? "Another admin"} approved this request at the same moment. Reload and decide again if needed.` };
    }
    return alreadyDecided(current);
  }
  if (!final) {
    return { ok: true, request: updated, message: `Your approval is recorded. ${updated.approvalsRequired - updated.approvals.length} more approval from a different admin is needed.` };
  }
  return carryOut(context, db, updated, options);
}

/** Re-runs the grant of a `failed` request, as the admin retrying (who may have the rights the first one lacked). */
export async function retryAccessRequest(context: DeciderContext, input: DecisionInput, options: Options = {}): Promise<DecisionResult> {
  const db = options.db ?? (await getDatabase());
  const request = await load(db, input.requestId);
  if (!request) return { ok: false, code: "not_found", message: "This request does not exist." };
  const me = context.person.objectId.toLowerCase();
  if (request.requesterObjectId === me || request.principalId === me) return refuseSelfApproval(db, context, request, "retryAccessRequest");
  if (request.status !== "failed") return alreadyDecided(request);
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
      target: target(row),
      reason: input.comment || "retry after a failed grant",
      correlation: { consoleRequestId: context.requestId },
      details: { from: "failed", to: "approved" },
      occurredAt: now,
    });
    return row;
  });
  if (!updated) return alreadyDecided((await load(db, request.id))!);
  return carryOut(context, db, updated, options);
}

async function carryOut(context: DeciderContext, db: Database, request: AccessRequestRow, options: Options): Promise<DecisionResult> {
  let result: GrantResult;
  try {
    result = options.grant
      ? await options.grant(request)
      : (
          await grantWorkspaceRoles(context.grant, {
            workspaceId: request.workspaceId,
            roleDefinitionId: request.roleDefinitionId,
            principals: [{ id: request.principalId, kind: request.principalKind as "user", displayName: request.principalDisplayName }],
            description: `Gatehouse request ${request.id}`,
          })
        )[0]!;
  } catch (error) {
    const message = error instanceof Error && "userMessage" in error ? String((error as { userMessage: unknown }).userMessage) : "The grant could not be made.";
    result = { principalId: request.principalId, displayName: request.principalDisplayName, status: "failed", message };
  }
  if (result.status === "in_progress") {
    // No answer from ARM: the intent reconciler settles the assignment; the request stays approved until then.
    return { ok: true, request, message: result.message };
  }
  const now = options.now ?? (await requestClock());
  const granted = result.status === "granted" || result.status === "already_granted";
  const expiresAt = granted && request.durationMinutes !== null ? new Date(now.getTime() + request.durationMinutes * 60_000) : null;
  const settled = await db.transaction(async (tx) => {
    const [row] = await tx
      .update(accessRequests)
      .set(
        granted
          ? { status: "granted", grantedAt: now, expiresAt, updatedAt: now, version: sql`${accessRequests.version} + 1`, failureCode: null, failureReason: null, armReference: result.reference ?? null }
          : { status: "failed", updatedAt: now, version: sql`${accessRequests.version} + 1`, failureCode: "GrantFailed", failureReason: result.message.slice(0, 1000), armReference: result.reference ?? null },
      )
      .where(and(eq(accessRequests.id, request.id), eq(accessRequests.status, "approved")))
      .returning();
    if (!row) return undefined;
    if (granted) {
      await recordAuditEvent(tx, {
        action: "request.granted",
        outcome: "succeeded",
        actor: context.actor,
        target: target(row),
        correlation: { consoleRequestId: context.requestId, ...(result.reference ? { armRequestId: result.reference } : {}) },
        details: { from: "approved", to: "active", alreadyExisted: result.status === "already_granted", ...(expiresAt ? { expiresAt: expiresAt.toISOString() } : {}) },
        occurredAt: now,
      });
      if (row.extendsRequestId) {
        // The extension now carries the access and its expiry; the original stops being expired on its own.
        const [original] = await tx
          .update(accessRequests)
          .set({ status: "extended", endedAt: now, updatedAt: now, version: sql`${accessRequests.version} + 1` })
          .where(and(eq(accessRequests.id, row.extendsRequestId), eq(accessRequests.status, "granted")))
          .returning();
        if (original) {
          await recordAuditEvent(tx, {
            action: "request.extended",
            outcome: "succeeded",
            actor: context.actor,
            target: target(original),
            correlation: { consoleRequestId: context.requestId },
            details: { extendedBy: row.id, ...(expiresAt ? { expiresAt: expiresAt.toISOString() } : {}) },
            occurredAt: now,
          });
        }
      }
    } else {
      await recordAuditEvent(tx, {
        action: "request.failed",
        outcome: "failed",
        errorCode: "GrantFailed",
        actor: context.actor,
        target: target(row),
        reason: result.message.slice(0, 2000),
        correlation: { consoleRequestId: context.requestId, ...(result.reference ? { armRequestId: result.reference } : {}) },
        details: { from: "approved", to: "failed" },
        occurredAt: now,
      });
    }
    return row;
  });
  const final = settled ?? (await load(db, request.id))!;
  if (settled && options.notify !== false) await notifyRequesterOfDecision(final);
  return granted
    ? { ok: true, request: final, message: result.message }
    : { ok: true, request: final, message: `Approved, but Azure refused the grant: ${result.message} An admin with the rights can retry it.` };
}

/** Denies a pending request (`pending → denied`, with `request.denied`). A comment is required. */
export async function denyAccessRequest(context: RequestContext, input: DecisionInput, options: Options = {}): Promise<DecisionResult> {
  if (!input.comment) return { ok: false, code: "comment_required", message: "Say why the request is denied; the requester sees it." };
  return close(context, input, "denied", options);
}

/** The requester withdraws their own pending request. */
export async function cancelAccessRequest(context: RequestContext, input: DecisionInput, options: Options = {}): Promise<DecisionResult> {
  return close(context, input, "cancelled", options);
}

async function close(context: RequestContext, input: DecisionInput, to: "denied" | "cancelled", options: Options): Promise<DecisionResult> {
  const db = options.db ?? (await getDatabase());
  const request = await load(db, input.requestId);
  if (!request) return { ok: false, code: "not_found", message: "This request does not exist." };
  const me = context.person.objectId.toLowerCase();
  if (to === "cancelled" && request.requesterObjectId !== me) {
    await recordAuditEventNow(db, {
      action: "authz.denied",
      outcome: "denied",
      actor: context.actor,
      target: target(request),
      correlation: { consoleRequestId: context.requestId },
      details: { consoleAction: "cancelAccessRequest", deniedBecause: "not_requester" },
    });
    return { ok: false, code: "not_requester", message: "Only the person who asked can withdraw a request." };
  }
  if (request.status !== "pending") return alreadyDecided(request);
  const now = options.now ?? (await requestClock());
  const updated = await db.transaction(async (tx) => {
    const [row] = await tx
      .update(accessRequests)
      .set({ status: to, decidedAt: now, endedAt: now, decidedByName: context.person.displayName, decisionComment: input.comment || null, updatedAt: now, version: sql`${accessRequests.version} + 1` })
      .where(and(eq(accessRequests.id, request.id), eq(accessRequests.status, "pending")))
      .returning();
    if (!row) return undefined;
    await recordAuditEvent(tx, {
      action: to === "denied" ? "request.denied" : "request.cancelled",
      outcome: "succeeded",
      actor: context.actor,
      target: target(row),
      ...(input.comment ? { reason: input.comment } : {}),
      correlation: { consoleRequestId: context.requestId },
      details: { from: "pending", to },
      occurredAt: now,
    });
    return row;
  });
  if (!updated) return alreadyDecided((await load(db, request.id))!);
  if (to === "denied" && options.notify !== false) await notifyRequesterOfDecision(updated);
  log("info", "requests", `request ${to}`, { requestId: updated.id });
  return { ok: true, request: updated, message: to === "denied" ? "Request denied; the requester is told why." : "Request withdrawn." };
}

export { auditStatus };
