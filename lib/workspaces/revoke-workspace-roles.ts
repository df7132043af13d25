import "server-only";

import { authorizationClient, type ArmIdentity } from "@/lib/arm/client";
import { type ChangeOutcome, PRINCIPAL_TYPES, type PrincipalType, recordChangeOutcome } from "@/lib/audit";
import { getDatabase } from "@/lib/db";
import { AppError } from "@/lib/errors";
import { delegatedGraphClient } from "@/lib/graph/client";
import { ORIGIN_LABELS, parseScope, type ParsedScope } from "@/lib/shared/arm-scope";
import { ROLE_ASSIGNMENT_WRITE, roleAllows } from "@/lib/shared/rbac-actions";
import { type AccessRow, getWorkspaceAccess, invalidWorkspace } from "./get-workspace-access";
import { CHANGE_IN_PROGRESS, describeArmFailure, type GrantContext, startChange } from "./grant-workspace-roles";
import { getRoleDefinitions, type RoleDefinition } from "./role-definitions";

export interface RevokeWorkspaceRolesInput {
  readonly workspaceId: string;
  /** Full ARM ids of the assignments to remove. */
  readonly assignmentIds: readonly string[];
  /** The admin confirmed, a second time, removing assignments their own ability to manage access depends on. */
  readonly confirmSelfLockout: boolean;
}

export type RevokeStatus = "revoked" | "already_gone" | "needs_confirmation" | "in_progress" | "refused" | "failed";

export interface RevokeResult {
  readonly assignmentId: string;
  readonly status: RevokeStatus;
  readonly message: string;
  readonly reference?: string;
}

/**
 * Removes role assignments from a workspace, each independently with its own intent, ARM call, outcome and result.
 * Only assignments made at the workspace itself are removed here: an inherited one belongs to its scope, where
 * removing it also changes access to everything else below that scope.
 */
export async function revokeWorkspaceRoles(context: GrantContext, input: RevokeWorkspaceRolesInput): Promise<RevokeResult[]> {
  const workspace = parseScope(input.workspaceId);
  if (workspace?.level !== "workspace") throw invalidWorkspace(input.workspaceId);
  const identity: ArmIdentity = { kind: "delegated", caller: context.caller };
  // Re-read what applies now: the ids the browser sent are only accepted if they still belong to this workspace.
  const [access, definitions] = await Promise.all([
    getWorkspaceAccess(context.caller, workspace.scope),
    getRoleDefinitions(identity, workspace.subscriptionId!),
  ]);
  const byId = new Map(access.rows.map((row) => [row.assignmentId.toLowerCase(), row]));
  const requested = [...new Set(input.assignmentIds.map((id) => id.toLowerCase()))];
  const lockout = input.confirmSelfLockout ? new Set<string>() : await selfLockoutRisks(context, access.rows, requested, definitions);

  const results: RevokeResult[] = [];
  for (const assignmentId of requested) {
    const row = byId.get(assignmentId);
    if (!row) {
      results.push({ assignmentId, status: "already_gone", message: "This assignment no longer applies to the workspace." });
    } else if (row.origin !== "workspace") {
      results.push({
        assignmentId,
        status: "refused",
        message: `Inherited from the ${ORIGIN_LABELS[row.origin].toLowerCase()} (${row.scope}); remove it there, where it also applies to everything else below.`,
      });
    } else if (lockout.has(assignmentId)) {
      results.push({
        assignmentId,
        status: "needs_confirmation",
        message: `Your own ability to manage access on ${workspace.workspaceName} depends on this assignment. Confirm again to remove it anyway.`,
      });
    } else {
      results.push(await revokeOne(context, identity, workspace, row));
    }
  }
  return results;
}

/** Assignments among `requested` whose removal would leave the admin without roleAssignments/write here. */
async function selfLockoutRisks(
  context: GrantContext,
  rows: readonly AccessRow[],
  requested: readonly string[],
  definitions: ReadonlyMap<string, RoleDefinition>,
): Promise<Set<string>> {
  const me = context.caller.objectId.toLowerCase();
  let myGroups = new Set<string>();
  try {
    const groups = (await delegatedGraphClient(context.caller).api("/me/transitiveMemberOf").select(["id"]).top(999).get()) as { value?: { id: string }[] };
    myGroups = new Set((groups.value ?? []).map((group) => group.id.toLowerCase()));
  } catch {
    // Unknown memberships: treat every group assignment that grants the right as possibly mine (ask rather than lock out).
    myGroups = new Set(rows.filter((row) => row.principalType === "Group").map((row) => row.principalId));
  }
  const empowering = rows.filter((row) => {
    const definition = definitions.get(row.roleDefinitionId);
    const mine = row.principalId === me || myGroups.has(row.principalId);
    return mine && definition !== undefined && roleAllows(definition, ROLE_ASSIGNMENT_WRITE);
  });
  const removing = new Set(requested);
  const remaining = empowering.filter((row) => !removing.has(row.assignmentId.toLowerCase()));
  return remaining.length > 0 ? new Set() : new Set(empowering.map((row) => row.assignmentId.toLowerCase()).filter((id) => removing.has(id)));
}

function auditPrincipalType(value: string): PrincipalType {
  return PRINCIPAL_TYPES.find((type) => type.toLowerCase() === value.toLowerCase()) ?? "User";
}

async function revokeOne(context: GrantContext, identity: ArmIdentity, workspace: ParsedScope, row: AccessRow): Promise<RevokeResult> {
  const db = await getDatabase();
  const assignmentId = row.assignmentId.toLowerCase();
  const intentId = await startChange(db, {
    kind: "revoke",
    scope: row.scope,
    principalId: row.principalId,
    principalType: auditPrincipalType(row.principalType),
    roleDefinitionId: row.roleDefinitionId,
    roleName: row.roleName,
    assignmentName: row.assignmentName,
    requestedBy: context.actor,
    consoleRequestId: context.requestId,
  });
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
    result = {
      assignmentId,
      status: wasAbsent ? "already_gone" : "revoked",
      message: wasAbsent ? "Already removed." : `Removed ${row.roleName}. It may take up to 10 minutes for access to end.`,
      ...(armRequestId ? { reference: armRequestId } : {}),
    };
  } catch (error) {
    const failure = describeArmFailure(error, context, workspace, row.roleName);
    armRequestId = failure.requestId ?? armRequestId;
    if (failure.httpStatus === undefined && !(error instanceof AppError)) {
      return {
        assignmentId,
        status: "in_progress",
        message: "Azure did not answer in time. Gatehouse will check whether the assignment was removed; refresh in a minute.",
        ...(armRequestId ? { reference: armRequestId } : {}),
      };
    }
    outcome = {
      status: "failed",
      errorCode: failure.code,
      ...(failure.httpStatus ? { httpStatus: failure.httpStatus } : {}),
      message: failure.internalMessage.slice(0, 1000),
      ...(armRequestId ? { armRequestId } : {}),
    };
    result = { assignmentId, status: "failed", message: failure.userMessage, ...(armRequestId ? { reference: armRequestId } : {}) };
  }
  await recordChangeOutcome(db, intentId, outcome);
  return result;
}
