import "server-only";

import { recordAuditEventNow } from "@/lib/audit";
import type { DelegatedContext } from "@/lib/auth/caller";
import { getConfig } from "@/lib/config";
import type { Database } from "@/lib/db";
import { type AppError, refusal } from "@/lib/errors";
import { describeError, log } from "@/lib/log";
import { PRIVILEGED_ROLE_IDS, roleGuidance } from "@/lib/shared/aml-roles";
import { accessManagementReason, type PermissionBlock } from "@/lib/shared/rbac-actions";

/**
 * The grantable-role policy: which roles Gatehouse may grant at all, whoever asks. Privileged roles — the built-in
 * Contributor, Owner, User Access Administrator and Role Based Access Control Administrator, and any role that can
 * write or delete role assignments or holds `*` — are granted only where the operator lists them in
 * GATEHOUSE_GRANTABLE_PRIVILEGED_ROLES. Built-in role ids:
 * https://learn.microsoft.com/azure/role-based-access-control/built-in-roles
 */

/** The setting the operator changes to allow a privileged role; named in every refusal. */
export const GRANTABLE_SETTING = "GATEHOUSE_GRANTABLE_PRIVILEGED_ROLES";

export type NotGrantableBecause = "privileged_built_in" | "changes_role_assignments" | "all_actions";

export type Grantability = { readonly grantable: true } | { readonly grantable: false; readonly because: NotGrantableBecause; readonly message: string };

export interface RoleToJudge {
  readonly id: string;
  readonly name: string;
  /** The role's permission blocks as ARM defines them; unknown for a role only known by id (a policy file entry). */
  readonly permissions?: readonly PermissionBlock[];
  /** Without `permissions`: ARM said the role can change who has access or do anything (RoleDefinition.privileged). */
  readonly changesAccess?: boolean;
}

const WHY: Record<NotGrantableBecause, string> = {
  privileged_built_in: "it can change the workspace's security or who has access",
  changes_role_assignments: "it can create or remove role assignments, so whoever holds it can change who has access",
  all_actions: "it allows every action (*)",
};

/**
 * Whether Gatehouse may grant `role`, and if not, a sentence naming the role, why, and how an operator allows it.
 * Pure: `allowed` is the configured list (lower-case GUIDs).
 */
export function roleGrantability(role: RoleToJudge, allowed: readonly string[] = getConfig().roles.grantablePrivileged): Grantability {
  const id = role.id.toLowerCase();
  const because: NotGrantableBecause | undefined = PRIVILEGED_ROLE_IDS.has(id)
    ? "privileged_built_in"
    : role.permissions
      ? accessManagementReason(role.permissions)
      : role.changesAccess
        ? "changes_role_assignments"
        : undefined;
  if (!because || allowed.includes(id)) return { grantable: true };
  return {
    grantable: false,
    because,
    message:
      `${role.name} can't be granted through Gatehouse: ${WHY[because]}. ` +
      `An operator can allow it by adding its id (${id}) to ${GRANTABLE_SETTING} (see docs/deploy.md).`,
  };
}

/** A role known only by its id, named when it is a built-in one Gatehouse knows: enough to refuse a privileged built-in role before reading its definition. */
export function builtInRole(roleDefinitionId: string): RoleToJudge {
  const id = roleDefinitionId.toLowerCase();
  return { id, name: roleGuidance(id)?.name ?? id };
}

export interface GrantableTarget {
  readonly scope: string;
  readonly principalId?: string;
  /** The console action refused, for the audit trail (e.g. grantWorkspaceRoles). */
  readonly consoleAction: string;
}

/**
 * The one check every path that can lead to a role assignment runs before anything else changes (and before any ARM
 * write): grants, mapping create and import, request submission and approval. A refusal is recorded as
 * `authz.denied` (`role_not_grantable`) and thrown as a `forbidden` AppError whose message says how to allow the role.
 */
export async function assertRoleGrantable(context: DelegatedContext, role: RoleToJudge, target: GrantableTarget, db: Database): Promise<void> {
  const verdict = roleGrantability(role);
  if (verdict.grantable) return;
  log("warn", "security", "role not grantable", { roleDefinitionId: role.id, because: verdict.because, requestId: context.requestId });
  try {
    await recordAuditEventNow(db, {
      action: "authz.denied",
      outcome: "denied",
      actor: context.actor,
      target: {
        scope: target.scope,
        roleDefinitionId: role.id.toLowerCase(),
        roleName: role.name.slice(0, 256),
        ...(target.principalId ? { principalId: target.principalId.toLowerCase() } : {}),
      },
      reason: verdict.because,
      correlation: { consoleRequestId: context.requestId },
      details: { consoleAction: target.consoleAction, deniedBecause: "role_not_grantable" },
    });
  } catch (error) {
    // The refusal stands whether or not it could be recorded.
    log("error", "audit", "could not record a refusal", { requestId: context.requestId, error: describeError(error) });
  }
  throw notGrantable(verdict.message, verdict.because);
}

export function notGrantable(message: string, because: NotGrantableBecause = "privileged_built_in"): AppError {
  return refusal("forbidden", `role_not_grantable (${because})`, message, "roleDefinitionId");
}
