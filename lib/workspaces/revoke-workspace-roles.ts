import "server-only";

import { randomUUID } from "node:crypto";

import type { DelegatedContext } from "@/lib/auth/caller";
import { requireStepUp } from "@/lib/auth/step-up";
import { authorizationClient, type ArmIdentity } from "@/lib/arm/client";
import { type ChangeOutcome, PRINCIPAL_TYPES, type PrincipalType, recordChangeOutcome } from "@/lib/audit";
import { getConfig } from "@/lib/config";
import { type Database, getDatabase } from "@/lib/db";
import { claimJobRun, releaseLock } from "@/lib/db/job-leases";
import { roleChangeFailure } from "@/lib/azure/errors";
import { isDatabaseUnavailable } from "@/lib/db/faults";
import { AppError } from "@/lib/errors";
import { delegatedGraphClient } from "@/lib/graph/client";
import { memberGroupsAmong } from "@/lib/graph/memberships";
import { type DirectoryRecheck, recheckDeleted } from "@/lib/graph/principals";
import { notOfferedReason } from "@/lib/shared/principal-status";
import { applyIntentOwnership, type IntentOwnership } from "@/lib/ownership/holders";
import type { HolderView } from "@/lib/ownership/describe";
import { ORIGIN_LABELS, parseScope, type ParsedScope } from "@/lib/shared/arm-scope";
import { ROLE_ASSIGNMENT_WRITE, roleAllows } from "@/lib/shared/rbac-actions";
import type { PimActivation } from "./access-beyond-assignments";
import { type AccessRow, getWorkspaceAccess, invalidWorkspace } from "./get-workspace-access";
import { CHANGE_IN_PROGRESS, failedOutcome, INTENT_NOT_RECORDED, logDatabaseFault, OUTCOME_NOT_RECORDED, startChange } from "./grant-workspace-roles";
import { getRoleDefinitions, type RoleDefinition } from "./role-definitions";

export interface RevokeWorkspaceRolesInput {
  readonly workspaceId: string;
  /** Full ARM ids of the assignments to remove. */
  readonly assignmentIds: readonly string[];
  /**
   * The admin confirmed, a second time, a removal that could lock people out of managing access: their own ability,
   * Gatehouse's own identity, or the last assignment that can manage access on the workspace.
   */
  readonly confirmSelfLockout: boolean;
  /**
   * Holders (requests, mappings) the admin was shown and agreed to cut. An assignment with another holder than a
   * direct grant is removed only when every such holder is listed here; otherwise the answer lists them first.
   */
  readonly acknowledgedHolderIds?: readonly number[];
  /**
   * "Clean up orphans": remove only assignments whose principal the server itself finds deleted (never a partner's
   * group, a type Graph cannot look up, or one assigned within the replication window), whatever the browser sent.
   */
  readonly orphanCleanup?: boolean;
}

/** `skipped`: left in place because the principal may not be deleted after all; the message says why. */
export type RevokeStatus = "revoked" | "already_gone" | "needs_confirmation" | "in_progress" | "refused" | "skipped" | "failed";

export interface RevokeResult {
  readonly assignmentId: string;
  readonly status: RevokeStatus;
  readonly message: string;
  readonly reference?: string;
  /** For `needs_confirmation` because of holders: the requests and mappings that removing it would end or break. */
  readonly holders?: readonly HolderView[];
  /** For `failed`: Azure wants a new sign-in with these claims (JSON, e.g. MFA) first; nothing was removed. */
  readonly claims?: string;
}

/** Names the guard's locks in `job_leases`; rows a crashed instance left behind are pruned by the reconcile job. */
export const REVOKE_GUARD_LOCK_PREFIX = "revoke-guard:";

export interface RevokeOptions {
  readonly db?: Database;
}

/**
 * Removes role assignments from a workspace, each independently with its own intent, ARM call, outcome and result.
 * Only assignments made at the workspace itself are removed here: an inherited one belongs to its scope, where
 * removing it also changes access to everything else below that scope.
 */
export async function revokeWorkspaceRoles(context: DelegatedContext, input: RevokeWorkspaceRolesInput, options: RevokeOptions = {}): Promise<RevokeResult[]> {
  const workspace = parseScope(input.workspaceId);
  if (workspace?.level !== "workspace") throw invalidWorkspace(input.workspaceId);
  const db = options.db ?? (await getDatabase());
  // Counted on what was asked, before anything is read or removed: many removals at once need the stronger sign-in.
  const asked = new Set(input.assignmentIds.map((id) => id.toLowerCase())).size;
  if (asked >= getConfig().stepUp.bulkRemovalMin) {
    await requireStepUp(
      context,
      { reason: "bulk_removal", consoleAction: "revokeWorkspaceRoles", change: `removal of ${asked} assignments`, target: { scope: workspace.scope } },
      { db },
    );
  }
  if (input.confirmSelfLockout) return revokeChecked(context, input, db, workspace);
  // The guard judges one removal against the assignments it reads: two at once (two tabs), each taking one of the
  // admin's two empowering assignments, would both pass. One guarded removal per admin and workspace runs at a time,
  // across instances (a database lease; the next one reads what the previous one left).
  const lockName = `${REVOKE_GUARD_LOCK_PREFIX}${context.caller.tenantId}/${context.caller.objectId}:${workspace.scope}`.toLowerCase();
  const holder = randomUUID();
  if (!(await claimGuardLock(db, lockName, holder))) {
    return [...new Set(input.assignmentIds.map((id) => id.toLowerCase()))].map((assignmentId) => ({
      assignmentId,
      status: "in_progress" as const,
      message: "Another removal of yours on this workspace is still running. Nothing was removed; try again in a moment.",
    }));
  }
  try {
    return await revokeChecked(context, input, db, workspace);
  } finally {
    await releaseLock(db, lockName, holder);
  }
}

/** How long a guarded removal may hold its lock before a crashed holder's is taken over, and how long others wait. */
const GUARD_LEASE_MS = 2 * 60_000;
const GUARD_WAIT_MS = 15_000;
const GUARD_POLL_MS = 200;

async function claimGuardLock(db: Database, lockName: string, holder: string): Promise<boolean> {
  const giveUpAt = Date.now() + GUARD_WAIT_MS;
  for (;;) {
    if (await claimJobRun(db, { jobName: lockName, holder, intervalMs: 0, leaseMs: GUARD_LEASE_MS, now: new Date() })) return true;
    if (Date.now() >= giveUpAt) return false;
    await new Promise((resolve) => setTimeout(resolve, GUARD_POLL_MS));
  }
}

async function revokeChecked(context: DelegatedContext, input: RevokeWorkspaceRolesInput, db: Database, workspace: ParsedScope): Promise<RevokeResult[]> {
  const identity: ArmIdentity = { kind: "delegated", caller: context.caller };
  // Re-read what applies now: the ids the browser sent are only accepted if they still belong to this workspace.
  // The guard judges custom roles as ARM defines them now, not as cached minutes ago; a removal the admin confirmed
  // past the guard does not run it, and so does not read them.
  const [access, definitions] = await Promise.all([
    getWorkspaceAccess(context.caller, workspace.scope, { db }),
    input.confirmSelfLockout ? undefined : getRoleDefinitions(identity, workspace.scope, { fresh: true }),
  ]);
  const byId = new Map(access.rows.map((row) => [row.assignmentId.toLowerCase(), row]));
  const requested = [...new Set(input.assignmentIds.map((id) => id.toLowerCase()))];
  const lockout = definitions ? await lockoutRisks(context, workspace.workspaceName!, access.rows, requested, definitions) : new Map<string, LockoutRisk>();
  const acknowledged = new Set(input.acknowledgedHolderIds ?? []);
  // Every removal of an identity the lookup called deleted reads it once more by id first (drift revokes too).
  const orphanIds = requested.flatMap((id) => {
    const row = byId.get(id);
    return row?.principalStatus === "not_found" && row.origin === "workspace" && !row.pim ? [row.principalId] : [];
  });
  const rechecked = orphanIds.length > 0 ? await recheckDeleted(delegatedGraphClient(context.caller), orphanIds) : new Map<string, DirectoryRecheck>();

  const results: RevokeResult[] = [];
  for (const assignmentId of requested) {
    const row = byId.get(assignmentId);
    const risk = lockout.get(assignmentId);
    const skip = row ? orphanSkip(row, input.orphanCleanup === true, rechecked.get(row.principalId)) : undefined;
    if (!row) {
      results.push({ assignmentId, status: "already_gone", message: "This assignment no longer applies to the workspace." });
    } else if (row.origin !== "workspace") {
      results.push({
        assignmentId,
        status: "refused",
        message: `Inherited from the ${ORIGIN_LABELS[row.origin].toLowerCase()} (${row.scope}); remove it there, where it also applies to everything else below.`,
      });
    } else if (row.pim) {
      results.push({ assignmentId, status: "refused", message: pimRefusal(row.pim) });
    } else if (skip) {
      results.push({ assignmentId, status: "skipped", message: skip });
    } else if (risk) {
      results.push({ assignmentId, status: risk.status, message: risk.message });
    } else {
      const cut = row.heldBy.filter((holder) => holder.kind !== "direct");
      const unacknowledged = cut.filter((holder) => !acknowledged.has(holder.id));
      if (unacknowledged.length > 0) {
        results.push({
          assignmentId,
          status: "needs_confirmation",
          message: `Removing it also ends what Gatehouse holds it for: ${cut.map((holder) => holder.label).join("; ")}. Confirm to remove it and end ${cut.length === 1 ? "that" : "them"} too.`,
          holders: cut,
        });
      } else {
        results.push(await revokeOne(context, identity, db, workspace, row));
      }
    }
  }
  return results;
}

/**
 * Why an assignment is left in place although it was asked to go as an orphan, or undefined to go on. In an orphan
 * clean-up only a principal the lookup called deleted goes; and any such principal that reads back by id now, or
 * cannot be read at all, stays (also in an ordinary removal, whose admin was told "Identity not found").
 */
function orphanSkip(row: AccessRow, orphanCleanup: boolean, recheck: DirectoryRecheck | undefined): string | undefined {
  if (row.principalStatus === "not_found") {
    if (recheck === "exists") {
      return "Not removed: the directory returns this identity now (it had not replicated when the list was read). Refresh the page to see who it is.";
    }
    if (recheck !== "deleted") {
      return "Not removed: Microsoft Graph could not confirm that this identity was deleted. Nothing was changed; try again in a minute.";
    }
    return undefined;
  }
  if (!orphanCleanup) return undefined;
  if (row.principalStatus === "unknown") {
    return "Not removed as an orphan: Microsoft Graph could not be asked whether this identity exists. Try again in a minute.";
  }
  const reason = notOfferedReason(row.principalStatus, row.principalType);
  if (reason) {
    return `Not removed as an orphan: ${reason.charAt(0).toLowerCase()}${reason.slice(1)}. Select it and use "Remove selected" to remove it on purpose.`;
  }
  return 'Not removed as an orphan: the directory knows this identity. Select it and use "Remove selected" to remove it on purpose.';
}

/**
 * PIM made this assignment and keeps a schedule for it: deleting the role assignment behind PIM's back would leave
 * that schedule pointing at nothing (or be refused), so it is ended where it was made.
 */
function pimRefusal(pim: PimActivation): string {
  const until = pim.endDateTime ? ` until ${pim.endDateTime.replace("T", " ").slice(0, 16)} UTC` : "";
  const what =
    pim.assignmentType === "Activated" ? `activated through Privileged Identity Management${until}` : `a Privileged Identity Management assignment${until}`;
  return `This role is ${what}. Remove it in PIM (Azure portal → Privileged Identity Management → Azure resources → this workspace → Assignments), which also ends its schedule. Nothing was removed.`;
}

interface LockoutRisk {
  readonly status: "needs_confirmation" | "refused";
  readonly message: string;
}

/** Group ids (from `candidates`) the signed-in admin belongs to, transitively; `undefined` when Graph could not say. */
async function myGroupsAmong(context: DelegatedContext, candidates: readonly string[]): Promise<Set<string> | undefined> {
  try {
    return await memberGroupsAmong(delegatedGraphClient(context.caller), "me", candidates);
  } catch {
    return undefined;
  }
}

function allowsWrite(definition: RoleDefinition | undefined): boolean {
  if (!definition) return false;
  // Each permission block is evaluated on its own, as ARM does.
  return definition.permissions.length > 0
    ? definition.permissions.some((block) => roleAllows(block, ROLE_ASSIGNMENT_WRITE))
    : roleAllows(definition, ROLE_ASSIGNMENT_WRITE);
}

/**
 * Removals that could lock people out, each with what to ask: the admin's own ability to manage access here (through
 * any assignment of theirs or of a group they are in), Gatehouse's own identity (without it, time-bound access is no
 * longer removed at expiry), and the last assignment that can manage access on the workspace at all. When Graph cannot
 * say which groups the admin is in, removing a group assignment that manages access is refused, not allowed. An
 * assignment with an ABAC condition counts as one that may not manage access.
 */
async function lockoutRisks(
  context: DelegatedContext,
  workspaceName: string,
  rows: readonly AccessRow[],
  requested: readonly string[],
  definitions: ReadonlyMap<string, RoleDefinition>,
): Promise<Map<string, LockoutRisk>> {
  const risks = new Map<string, LockoutRisk>();
  const removing = new Set(requested);
  // A condition limits what the role may assign or remove (to some roles or principals), so Gatehouse cannot tell
  // that it still lets anyone manage access here: such an assignment "may not", and does not keep anyone in.
  const writers = rows.filter((row) => row.condition === null && allowsWrite(definitions.get(row.roleDefinitionId)));
  const me = context.caller.objectId.toLowerCase();
  const groupWriters = writers.filter((row) => row.principalType.toLowerCase() === "group");
  const myGroups = groupWriters.length > 0 ? await myGroupsAmong(context, [...new Set(groupWriters.map((row) => row.principalId))]) : new Set<string>();

  if (myGroups === undefined) {
    for (const row of groupWriters.filter((candidate) => removing.has(candidate.assignmentId.toLowerCase()))) {
      risks.set(row.assignmentId.toLowerCase(), {
        status: "refused",
        message: `Microsoft Graph could not confirm your group memberships, so Gatehouse cannot tell whether removing this would take away your own ability to manage access on ${workspaceName}. Nothing was removed; try again in a minute.`,
      });
    }
  }
  const mine = writers.filter((row) => row.principalId === me || (myGroups?.has(row.principalId) ?? false));
  if (mine.length > 0 && mine.every((row) => removing.has(row.assignmentId.toLowerCase()))) {
    for (const row of mine) {
      if (!risks.has(row.assignmentId.toLowerCase())) {
        risks.set(row.assignmentId.toLowerCase(), {
          status: "needs_confirmation",
          message: `Your own ability to manage access on ${workspaceName} depends on this assignment. Confirm again to remove it anyway.`,
        });
      }
    }
  }

  const consoleAppId = getConfig().identity.apiClientId.toLowerCase();
  for (const row of rows) {
    const id = row.assignmentId.toLowerCase();
    if (!removing.has(id) || risks.has(id)) continue;
    if (row.principal?.kind === "servicePrincipal" && row.principal.secondaryId?.toLowerCase() === consoleAppId) {
      risks.set(id, {
        status: "needs_confirmation",
        message: `This is Gatehouse's own access. Without it, Gatehouse can no longer remove time-bound access when it ends, check drift or read credentials on ${workspaceName}. Confirm again to remove it anyway.`,
      });
    }
  }

  if (writers.length > 0 && writers.every((row) => removing.has(row.assignmentId.toLowerCase()))) {
    for (const row of writers) {
      const id = row.assignmentId.toLowerCase();
      if (!risks.has(id)) {
        risks.set(id, {
          status: "needs_confirmation",
          message: `This is the last assignment that can manage access on ${workspaceName}: after removing it, nobody could grant or remove roles here without an owner of the subscription. Confirm again to remove it anyway.`,
        });
      }
    }
  }
  return risks;
}

function auditPrincipalType(value: string): PrincipalType {
  return PRINCIPAL_TYPES.find((type) => type.toLowerCase() === value.toLowerCase()) ?? "User";
}

async function revokeOne(context: DelegatedContext, identity: ArmIdentity, db: Database, workspace: ParsedScope, row: AccessRow): Promise<RevokeResult> {
  const assignmentId = row.assignmentId.toLowerCase();
  const ownership: IntentOwnership = { effect: "remove", reason: `Removed by ${context.person.userPrincipalName} on the workspace page.` };
  let intentId: number | "in_progress";
  try {
    intentId = await startChange(db, {
      kind: "revoke",
      scope: row.scope,
      principalId: row.principalId,
      principalType: auditPrincipalType(row.principalType),
      roleDefinitionId: row.roleDefinitionId,
      roleName: row.roleName,
      assignmentName: row.assignmentName,
      requestedBy: context.actor,
      consoleRequestId: context.requestId,
      ownership,
    });
  } catch (error) {
    // Fail closed, as a grant does: no intent recorded, no DELETE sent.
    if (!isDatabaseUnavailable(error)) throw error;
    logDatabaseFault("revoke intent not recorded", error, context.requestId);
    return { assignmentId, status: "failed", message: INTENT_NOT_RECORDED };
  }
  if (intentId === "in_progress") return { assignmentId, status: "in_progress", message: CHANGE_IN_PROGRESS };

  let armRequestId: string | undefined;
  let httpStatus: number | undefined;
  let outcome: ChangeOutcome;
  let result: RevokeResult;
  try {
    await authorizationClient(identity, workspace.subscriptionId!).roleAssignments.delete(row.scope, row.assignmentName, {
      onResponse: (response) => {
        armRequestId = response.headers.get("x-ms-request-id") ?? undefined;
        httpStatus = response.status;
      },
    });
    const wasAbsent = httpStatus === 204;
    outcome = { status: "succeeded", alreadyInDesiredState: wasAbsent, ...(armRequestId ? { armRequestId } : {}) };
    const ended = row.heldBy.filter((holder) => holder.kind !== "direct");
    result = {
      assignmentId,
      status: wasAbsent ? "already_gone" : "revoked",
      message: `${wasAbsent ? "Already removed." : `Removed ${row.roleName}. It may take up to 10 minutes for access to end.`}${ended.length > 0 ? ` Ended: ${ended.map((holder) => holder.label).join("; ")}.` : ""}`,
      ...(armRequestId ? { reference: armRequestId } : {}),
    };
  } catch (error) {
    const failure = roleChangeFailure(error, {
      actingAs: context.person.userPrincipalName,
      scopeName: workspace.workspaceName ?? workspace.scope,
      roleName: row.roleName,
    });
    armRequestId = failure.requestId ?? armRequestId;
    if (failure.httpStatus === undefined && !(error instanceof AppError)) {
      return {
        assignmentId,
        status: "in_progress",
        message: "Azure did not answer in time. Gatehouse will check whether the assignment was removed; refresh in a minute.",
        ...(armRequestId ? { reference: armRequestId } : {}),
      };
    }
    outcome = failedOutcome(failure, armRequestId);
    result = {
      assignmentId,
      status: "failed",
      message: failure.userMessage,
      ...(armRequestId ? { reference: armRequestId } : {}),
      ...(failure.claims ? { claims: failure.claims } : {}),
    };
  }
  const now = new Date();
  try {
    await recordChangeOutcome(
      db,
      intentId,
      outcome,
      now,
      async (tx, intent) =>
        (
          await applyIntentOwnership(tx, {
            ownership,
            kind: "revoke",
            succeeded: outcome.status === "succeeded",
            access: {
              scope: row.scope,
              principalId: row.principalId,
              principalType: intent.principalType,
              roleDefinitionId: row.roleDefinitionId,
              roleName: row.roleName,
            },
            assignmentName: row.assignmentName,
            created: false,
            wasAbsent: outcome.status === "succeeded" && (outcome.alreadyInDesiredState ?? false),
            actor: intent.requestedBy,
            now,
            correlation: { consoleRequestId: context.requestId, ...(armRequestId ? { armRequestId } : {}) },
          })
        ).events,
    );
  } catch (error) {
    // The pending intent (with the holders it ends) stays for the reconciler, which records what ARM shows.
    if (!isDatabaseUnavailable(error)) throw error;
    logDatabaseFault("revoke outcome not recorded", error, context.requestId);
    return { assignmentId, status: "in_progress", message: OUTCOME_NOT_RECORDED, ...(armRequestId ? { reference: armRequestId } : {}) };
  }
  return result;
}
