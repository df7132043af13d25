import "server-only";

import type { DelegatedContext } from "@/lib/auth/caller";
import type { DelegatedCaller } from "@/lib/azure/tokens";
import { type Database, getDatabase } from "@/lib/db";
import { AppError, isAppError } from "@/lib/errors";
import { delegatedGraphClient } from "@/lib/graph/client";
import { memberGroupsAmong } from "@/lib/graph/memberships";
import { parseScope } from "@/lib/shared/arm-scope";
import type { GrantResult, GrantTarget } from "@/lib/workspaces/grant-workspace-roles";
import { getConfig } from "@/lib/config";
import { requestClock } from "./clock";
import { sameIdentity } from "./decision-guards";
import { azureRequestDirectory, type RequestDirectory } from "./directory";
import { getRequestPolicy, type RequestPolicy, routeFor } from "./policy";
import { fileRequest } from "./submit-request";

/**
 * Separation of duties for admins: a privileged role given to yourself, or to a group you are in, never takes effect
 * on your word alone. On the workspace page and in mappings it becomes an access request that two other admins must
 * approve, and the audit trail records it as such.
 */

/** Whether `principal` is the caller or a group the caller belongs to (nested too). Graph failing is an error. */
export async function isCallerOrCallersGroup(caller: DelegatedCaller, principal: Pick<GrantTarget, "id" | "kind">): Promise<boolean> {
  const id = principal.id.toLowerCase();
  // The principal lives in the console's directory: the caller is it only when they signed in from that tenant too.
  if (sameIdentity(caller, { tenantId: getConfig().identity.tenantId, objectId: id })) return true;
  if (principal.kind !== "group") return false;
  try {
    return (await memberGroupsAmong(delegatedGraphClient(caller), "me", [id])).has(id);
  } catch {
    throw new AppError({
      code: "upstream_unavailable",
      message: "checkMemberGroups failed for a privileged grant",
      userMessage: "Microsoft Graph could not confirm whether this grant would give the role to you, so nothing was granted. Try again in a minute.",
    });
  }
}

/** At least this many other admins approve an admin's own privileged grant. */
const SELF_GRANT_APPROVERS = 2;

export interface SelfGrantInput {
  readonly workspaceId: string;
  readonly role: { readonly id: string; readonly name: string };
  readonly principal: GrantTarget;
  /** Approval creates a group mapping rather than a plain grant. */
  readonly createsMapping: boolean;
  readonly description?: string;
}

/**
 * Files the request that holds an admin's own privileged grant for two other approvers (permanent, like the grant it
 * stands for). The principal and workspace are verified like any request's.
 */
export async function fileSelfGrantRequest(
  context: DelegatedContext,
  input: SelfGrantInput,
  options: { db?: Database; policy?: RequestPolicy; now?: Date; notify?: boolean; directory?: RequestDirectory } = {},
): Promise<GrantResult> {
  const db = options.db ?? (await getDatabase());
  const workspace = parseScope(input.workspaceId)!;
  const base = { principalId: input.principal.id.toLowerCase(), displayName: input.principal.displayName };
  const directory = options.directory ?? azureRequestDirectory;
  const checked = await directory.verifyTargets({
    workspaceId: workspace.scope,
    principal: { id: input.principal.id, kind: input.principal.kind, displayName: input.principal.displayName },
  });
  if (!checked.ok) return { ...base, status: "failed", message: checked.message };
  const policy = options.policy ?? getRequestPolicy();
  const now = options.now ?? (await requestClock());
  const policyApprovers = policy.roles.find((role) => role.roleDefinitionId === input.role.id)?.approvers ?? 0;
  const what = input.createsMapping
    ? `mapping of ${checked.principal.displayName} to ${input.role.name}`
    : `${input.role.name} for ${checked.principal.displayName}`;
  const route = routeFor(policy, { workspaceName: checked.workspaceName, workspaceTags: checked.workspaceTags, roleDefinitionId: input.role.id });
  let filed;
  try {
    filed = await fileRequest(db, context, {
      workspace: { id: workspace.scope, key: workspace.scope.toLowerCase(), name: checked.workspaceName },
      role: { roleDefinitionId: input.role.id, name: input.role.name },
      routeId: route?.id ?? null,
      principal: checked.principal,
      justification: (
        input.description?.trim() ||
        `${context.person.displayName} granted the privileged ${what} on the ${input.createsMapping ? "mappings" : "workspace"} page; it would give the role to them, so two other admins must approve it.`
      ).slice(0, 1000),
      ticket: null,
      durationMinutes: null,
      approvalsRequired: Math.max(SELF_GRANT_APPROVERS, policyApprovers) + (route?.flow === "business-then-admin" ? 1 : 0),
      extendsRequestId: null,
      origin: "self_grant",
      createsMapping: input.createsMapping,
      pendingUntil: new Date(now.getTime() + policy.pendingLifetimeHours * 3_600_000),
      now,
      notify: options.notify !== false,
    });
  } catch (error) {
    // A request for the same access already waits: said beside this principal, like any other per-principal outcome.
    if (isAppError(error) && error.code === "conflict") return { ...base, status: "failed", message: error.userMessage };
    throw error;
  }
  return {
    ...base,
    status: "needs_approval",
    message: `${input.role.name} is privileged and this grant would give it to you, so nothing changed in Azure yet: request ${filed.request.id.slice(0, 8)} now needs two other admins to approve it.`,
    requestId: filed.request.id,
  };
}
