import "server-only";

import { isRestError } from "@azure/core-rest-pipeline";
import { v5 as uuidv5 } from "uuid";

import { authorizationClient, type ArmIdentity } from "@/lib/arm/client";
import {
  type AuditActor,
  type ChangeIntentInput,
  type ChangeOutcome,
  type PrincipalType,
  recordChangeIntent,
  recordChangeOutcome,
} from "@/lib/audit";
import type { DelegatedCaller } from "@/lib/azure/tokens";
import { type Database, getDatabase } from "@/lib/db";
import { AppError } from "@/lib/errors";
import { parseScope, type ParsedScope } from "@/lib/shared/arm-scope";
import { invalidWorkspace } from "./get-workspace-access";
import { getRoleDefinitions } from "./role-definitions";

/**
 * Namespace for role-assignment names. A grant's name is uuidv5(lower(scope)|principal|role), so a retried or
 * duplicated grant PUTs the same name and can never create a second assignment (Bicep's guid() pattern).
 */
const ASSIGNMENT_NAME_NAMESPACE = "5d7a3c1e-6f0b-4b7e-9a55-6761746568f5";

export function assignmentNameFor(scope: string, principalId: string, roleDefinitionId: string): string {
  return uuidv5(`${scope.toLowerCase()}|${principalId.toLowerCase()}|${roleDefinitionId.toLowerCase()}`, ASSIGNMENT_NAME_NAMESPACE);
}

export type GrantPrincipalKind = "user" | "group" | "servicePrincipal" | "managedIdentity";

/** ARM wants the principal's type on every create: without it a principal created a moment ago fails to replicate. */
const PRINCIPAL_TYPE: Record<GrantPrincipalKind, PrincipalType> = {
  user: "User",
  group: "Group",
  servicePrincipal: "ServicePrincipal",
  managedIdentity: "ServicePrincipal",
};

export interface GrantTarget {
  readonly id: string;
  readonly kind: GrantPrincipalKind;
  readonly displayName: string;
}

export interface GrantWorkspaceRolesInput {
  readonly workspaceId: string;
  readonly roleDefinitionId: string;
  readonly principals: readonly GrantTarget[];
  readonly description?: string;
}

export type GrantStatus = "granted" | "already_granted" | "in_progress" | "failed";

export interface GrantResult {
  readonly principalId: string;
  readonly displayName: string;
  readonly status: GrantStatus;
  readonly message: string;
  /** ARM's x-ms-request-id, for support. */
  readonly reference?: string;
}

export interface GrantContext {
  readonly caller: DelegatedCaller;
  readonly actor: AuditActor;
  readonly userPrincipalName: string;
  readonly requestId: string;
}

/**
 * Grants one role on a workspace to each principal, independently: every principal gets its own intent, ARM call,
 * outcome and result, so a partial failure is reported per principal and never hidden or rolled into the others.
 * No database transaction is open while ARM is called.
 */
export async function grantWorkspaceRoles(context: GrantContext, input: GrantWorkspaceRolesInput): Promise<GrantResult[]> {
  const workspace = parseScope(input.workspaceId);
  if (workspace?.level !== "workspace") throw invalidWorkspace(input.workspaceId);
  const identity: ArmIdentity = { kind: "delegated", caller: context.caller };
  const roleId = input.roleDefinitionId.toLowerCase();
  const definitions = await getRoleDefinitions(identity, workspace.subscriptionId!);
  const role = definitions.get(roleId);
  if (!role) {
    throw new AppError({
      code: "invalid_input",
      message: `role definition ${roleId} not found in subscription ${workspace.subscriptionId}`,
      userMessage: "That role does not exist in this workspace's subscription. Pick a role from the list.",
    });
  }
  const results: GrantResult[] = [];
  // Sequential on purpose: ARM throttles role-assignment writes per subscription, and results stay in order.
  for (const principal of input.principals) {
    results.push(await grantOne(context, identity, workspace, role.name, roleId, principal, input.description));
  }
  return results;
}

async function grantOne(
  context: GrantContext,
  identity: ArmIdentity,
  workspace: ParsedScope,
  roleName: string,
  roleId: string,
  principal: GrantTarget,
  description: string | undefined,
): Promise<GrantResult> {
  const db = await getDatabase();
  const principalId = principal.id.toLowerCase();
  const assignmentName = assignmentNameFor(workspace.scope, principalId, roleId);
  const principalType = PRINCIPAL_TYPE[principal.kind];
  const base = { principalId, displayName: principal.displayName };

  const intentId = await startChange(db, {
    kind: "grant",
    scope: workspace.scope,
    principalId,
    principalType,
    roleDefinitionId: roleId,
    roleName,
    assignmentName,
    requestedBy: context.actor,
    consoleRequestId: context.requestId,
    ...(description ? { reason: description } : {}),
  });
  if (intentId === "in_progress") return { ...base, status: "in_progress", message: CHANGE_IN_PROGRESS };

  let armRequestId: string | undefined;
  let outcome: ChangeOutcome;
  let result: GrantResult;
  try {
    await authorizationClient(identity, workspace.subscriptionId!).roleAssignments.create(
      workspace.scope,
      assignmentName,
      {
        roleDefinitionId: `/subscriptions/${workspace.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${roleId}`,
        principalId,
        principalType,
        ...(description ? { description } : {}),
      },
      { onResponse: (response) => void (armRequestId = response.headers.get("x-ms-request-id") ?? undefined) },
    );
    outcome = { status: "succeeded", ...(armRequestId ? { armRequestId } : {}) };
    result = { ...base, status: "granted", message: `Granted ${roleName}. It may take up to 10 minutes to take effect.`, ...(armRequestId ? { reference: armRequestId } : {}) };
  } catch (error) {
    const failure = describeArmFailure(error, context, workspace, roleName);
    armRequestId = failure.requestId ?? armRequestId;
    if (failure.httpStatus === undefined && !(error instanceof AppError)) {
      // No answer (timeout, connection lost): the grant may or may not have happened. The intent stays pending and
      // the reconciler settles it against ARM; claiming either outcome here could be false.
      return {
        ...base,
        status: "in_progress",
        message: "Azure did not answer in time. Gatehouse will check whether the grant happened; refresh in a minute.",
        ...(armRequestId ? { reference: armRequestId } : {}),
      };
    }
    if (failure.code === "RoleAssignmentExists") {
      // Matched on the code, never the message: ARM rewords its messages (azure-cli #32027).
      outcome = { status: "succeeded", alreadyInDesiredState: true, ...(armRequestId ? { armRequestId } : {}) };
      result = { ...base, status: "already_granted", message: `Already holds ${roleName} here.`, ...(armRequestId ? { reference: armRequestId } : {}) };
    } else {
      outcome = {
        status: "failed",
        errorCode: failure.code,
        ...(failure.httpStatus ? { httpStatus: failure.httpStatus } : {}),
        message: failure.internalMessage.slice(0, 1000),
        ...(armRequestId ? { armRequestId } : {}),
      };
      result = { ...base, status: "failed", message: failure.userMessage, ...(armRequestId ? { reference: armRequestId } : {}) };
    }
  }
  // If this write fails, the intent stays pending and the reconciler settles it against ARM: nothing is lost.
  await recordChangeOutcome(db, intentId, outcome);
  return result;
}

export const CHANGE_IN_PROGRESS = "A change to this assignment is already in progress. Refresh in a moment.";

/**
 * Records the intent to change an assignment (with its `*_requested` event) in a transaction of its own, before ARM is
 * called. While another change to the same assignment is pending the answer is `in_progress`, not a second intent.
 */
export async function startChange(db: Database, input: ChangeIntentInput): Promise<number | "in_progress"> {
  try {
    return (await db.transaction((tx) => recordChangeIntent(tx, input))).id;
  } catch (error) {
    if (error instanceof AppError && error.code === "conflict") return "in_progress";
    throw error;
  }
}

export interface ArmFailure {
  readonly code: string;
  readonly httpStatus: number | undefined;
  readonly requestId: string | undefined;
  readonly internalMessage: string;
  readonly userMessage: string;
}

/** ARM's failure in words an admin can act on; the raw message goes only to the audit trail's details and logs. */
export function describeArmFailure(error: unknown, context: Pick<GrantContext, "userPrincipalName">, workspace: ParsedScope, roleName: string): ArmFailure {
  const rest = isRestError(error) ? error : undefined;
  const code = rest?.code ?? (error instanceof AppError ? error.code : "NoResponse");
  const httpStatus = rest?.statusCode;
  const requestId = rest?.response?.headers.get("x-ms-request-id") ?? (error instanceof AppError ? error.upstreamRequestId : undefined);
  const internalMessage = error instanceof Error ? error.message : String(error);
  const name = workspace.workspaceName ?? workspace.scope;
  const messages: Record<string, string> = {
    AuthorizationFailed: `You (${context.userPrincipalName}) can't manage access on ${name}: that needs Microsoft.Authorization/roleAssignments/write, which your Azure roles don't include.`,
    RoleAssignmentLimitExceeded: `This subscription has reached its limit of role assignments (4,000). Grant ${roleName} to a group instead and manage people through its membership, or remove assignments nobody needs.`,
    PrincipalNotFound: "Azure does not know this identity yet. If it was created in the last few minutes, wait and try again.",
    InvalidPrincipalId: "That identity's id is not valid.",
    RoleAssignmentUpdateNotPermitted: "An assignment with the same name exists for a different identity (it may have been deleted and recreated). Remove the old assignment first.",
    UnmatchedPrincipalType: "Azure says this identity is of a different type than Gatehouse sent. Refresh the identity and try again.",
  };
  const userMessage =
    messages[code] ??
    (error instanceof AppError
      ? error.userMessage
      : httpStatus === 401
        ? // The person's sign-in (and so the token Gatehouse uses for them) expired or was revoked mid-way.
          "Your sign-in to Azure has expired, so Azure refused this change. Sign in again and retry: what was already done stays done."
        : httpStatus === 429
        ? "Azure is throttling role changes in this subscription. Wait a minute and try again."
        : httpStatus !== undefined && httpStatus >= 500
          ? "Azure Resource Manager is having problems. Try again in a minute."
          : "Azure refused the change.");
  return { code, httpStatus, requestId, internalMessage, userMessage };
}
