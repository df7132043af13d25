import "server-only";

import { isRestError } from "@azure/core-rest-pipeline";

import { authorizationClient, type ArmIdentity } from "@/lib/arm/client";
import { type AuditActor, type AuditEventInput, type ChangeOutcome, recordAuditEvents, recordChangeIntent, recordChangeOutcome } from "@/lib/audit";
import type { Database, DatabaseTransaction } from "@/lib/db";
import { roleChangeFailure } from "@/lib/azure/errors";
import { AppError } from "@/lib/errors";
import {
  type AccessKey,
  applyIntentOwnership,
  type AssignmentFate,
  fateAfterRelease,
  type Holder,
  type IntentOwnership,
  lockHeldAccess,
  releaseHolder,
} from "@/lib/ownership/holders";
import { parseScope, resourceNameOfScope, subscriptionOfScope } from "@/lib/shared/arm-scope";
import { failedOutcome } from "./grant-workspace-roles";

/** Which holder lets go: a mapping or a request (direct grants end through an admin's explicit removal). */
export type ReleasingHolder =
  | { readonly kind: "mapping"; readonly mappingId: string }
  | { readonly kind: "request"; readonly requestId: string }
  | { readonly kind: "bundle"; readonly bundleGrantId: string };

export type ReleaseOutcome =
  /** Gatehouse has no active holder of this kind on the access: nothing to release, nothing removed. */
  | { readonly status: "not_held" }
  /** The holder was released; the assignment stays (something else holds it, or Gatehouse did not create it). */
  | {
      readonly status: "kept";
      readonly fate: Extract<AssignmentFate, "kept_other_holders" | "kept_not_created_by_gatehouse">;
      readonly remaining: readonly Holder[];
    }
  /** It was the last holder of an assignment Gatehouse created: ARM removed it (or it was already gone). */
  | { readonly status: "removed"; readonly fate: Extract<AssignmentFate, "removed" | "already_removed">; readonly intentId: number }
  /** Another change to the same access is in flight; try again later. */
  | { readonly status: "in_progress" }
  /** ARM refused or failed the removal: the holder is kept, so the access is still owned, and the caller retries. */
  | {
      readonly status: "failed";
      readonly code: string;
      readonly userMessage: string;
      readonly internalMessage: string;
      readonly intentId: number;
      readonly reference?: string;
      /** Azure wants a new sign-in with these claims (e.g. MFA) before it removes the assignment. */
      readonly claims?: string;
    };

export interface ReleaseAccessInput {
  readonly identity: ArmIdentity;
  readonly actor: AuditActor;
  readonly db: Database;
  readonly access: AccessKey;
  readonly holder: ReleasingHolder;
  readonly reason: string;
  readonly consoleRequestId?: string;
  readonly now?: Date;
  /** Who is acting, for ARM's refusal message ("You (…) can't manage access …"). */
  readonly actingAs: string;
  /** Writes that belong to the release (e.g. the request's own status), in the transaction that settles it. */
  readonly onSettled?: (tx: DatabaseTransaction, outcome: Exclude<ReleaseOutcome, { status: "failed" | "in_progress" }>) => Promise<AuditEventInput[]>;
}

function matches(holder: Holder, releasing: ReleasingHolder): boolean {
  switch (releasing.kind) {
    case "mapping":
      return holder.kind === "mapping" && holder.mappingId === releasing.mappingId;
    case "request":
      return holder.kind === "request" && holder.requestId === releasing.requestId;
    case "bundle":
      return holder.kind === "bundle" && holder.bundleGrantId === releasing.bundleGrantId;
  }
}

/**
 * A holder lets go of an access. The assignment is removed from Azure only when this was its last holder **and**
 * Gatehouse created it; otherwise the holder is released and the assignment stays, with the reason recorded. The
 * decision is taken with the access's record locked, and a removal is recorded as an intent in that same transaction,
 * so a grant of the same access that arrives meanwhile waits ("in progress") instead of being undone.
 */
export async function releaseAccess(input: ReleaseAccessInput): Promise<ReleaseOutcome> {
  const now = input.now ?? new Date();
  const correlation = input.consoleRequestId ? { consoleRequestId: input.consoleRequestId } : undefined;
  type Decision = { outcome: ReleaseOutcome } | { remove: { intentId: number; holder: Holder; assignmentName: string } };
  let decision: Decision;
  try {
    decision = await input.db.transaction(async (tx): Promise<Decision> => {
      const held = await lockHeldAccess(tx, input.access);
      const holder = held?.holders.find((candidate) => matches(candidate, input.holder));
      if (!held || !holder) {
        const outcome: ReleaseOutcome = { status: "not_held" };
        const events = input.onSettled ? await input.onSettled(tx, outcome) : [];
        await recordAuditEvents(tx, events);
        return { outcome };
      }
      const { fate, remaining } = fateAfterRelease(held, new Set([holder.id]));
      if (fate === "kept_other_holders" || fate === "kept_not_created_by_gatehouse") {
        const outcome: ReleaseOutcome = { status: "kept", fate, remaining };
        const events = await releaseHolder(tx, {
          assignment: held.assignment,
          holder,
          reason: input.reason,
          actor: input.actor,
          now,
          fate,
          remaining: remaining.length,
          correlation,
        });
        if (input.onSettled) events.push(...(await input.onSettled(tx, outcome)));
        await recordAuditEvents(tx, events);
        return { outcome };
      }
      const ownership: IntentOwnership = { effect: "release", holderIds: [holder.id], reason: input.reason };
      const intent = await recordChangeIntent(tx, {
        kind: "revoke",
        scope: held.assignment.scope,
        principalId: held.assignment.principalId,
        principalType: input.access.principalType,
        roleDefinitionId: held.assignment.roleDefinitionId,
        ...(held.assignment.roleName ? { roleName: held.assignment.roleName } : {}),
        assignmentName: held.assignment.assignmentName,
        requestedBy: input.actor,
        ...(input.holder.kind === "request" ? { requestId: input.holder.requestId } : {}),
        ...(input.consoleRequestId ? { consoleRequestId: input.consoleRequestId } : {}),
        reason: input.reason.slice(0, 2000),
        ownership,
        now,
      });
      return { remove: { intentId: intent.id, holder, assignmentName: held.assignment.assignmentName } };
    });
  } catch (error) {
    if (error instanceof AppError && error.code === "conflict") return { status: "in_progress" };
    throw error;
  }
  if ("outcome" in decision) return decision.outcome;

  const { intentId, assignmentName } = decision.remove;
  // A bundle's parts sit on storage accounts, vaults and registries as well as workspaces: any scope in a subscription.
  const workspace = parseScope(input.access.scope);
  const subscriptionId = subscriptionOfScope(input.access.scope);
  let armRequestId: string | undefined;
  let httpStatus: number | undefined;
  let outcome: ChangeOutcome;
  try {
    await authorizationClient(input.identity, subscriptionId ?? "").roleAssignments.delete(input.access.scope, assignmentName, {
      onResponse: (response) => {
        armRequestId = response.headers.get("x-ms-request-id") ?? undefined;
        httpStatus = response.status;
      },
    });
    outcome = { status: "succeeded", alreadyInDesiredState: httpStatus === 204, ...(armRequestId ? { armRequestId } : {}) };
  } catch (error) {
    if (isRestError(error) && error.statusCode === 404) {
      outcome = { status: "succeeded", alreadyInDesiredState: true };
    } else {
      const failure = roleChangeFailure(error, {
        actingAs: input.actingAs,
        scopeName: workspace?.workspaceName ?? resourceNameOfScope(input.access.scope),
        roleName: input.access.roleName ?? input.access.roleDefinitionId,
      });
      outcome = failedOutcome(failure, failure.requestId);
      await recordChangeOutcome(input.db, intentId, outcome, now);
      return {
        status: "failed",
        code: failure.code,
        userMessage: failure.userMessage,
        internalMessage: failure.internalMessage,
        intentId,
        ...(failure.requestId ? { reference: failure.requestId } : {}),
        ...(failure.claims ? { claims: failure.claims } : {}),
      };
    }
  }
  const wasAbsent = outcome.alreadyInDesiredState ?? false;
  const settled: ReleaseOutcome = { status: "removed", fate: wasAbsent ? "already_removed" : "removed", intentId };
  await recordChangeOutcome(input.db, intentId, outcome, now, async (tx, intent) => {
    const applied = await applyIntentOwnership(tx, {
      ownership: intent.ownership as IntentOwnership,
      kind: "revoke",
      succeeded: true,
      access: input.access,
      assignmentName,
      created: false,
      wasAbsent,
      actor: input.actor,
      now,
      correlation: { ...correlation, ...(armRequestId ? { armRequestId } : {}) },
    });
    return [...applied.events, ...(input.onSettled ? await input.onSettled(tx, settled) : [])];
  });
  return settled;
}
