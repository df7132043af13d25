import "server-only";

import type { DelegatedContext } from "@/lib/auth/caller";
import { fileSelfGrantRequest, isCallerOrCallersGroup } from "@/lib/requests/self-grant";
import { parseScope } from "@/lib/shared/arm-scope";
import { invalidWorkspace } from "./get-workspace-access";
import { type GrantResult, type GrantWorkspaceRolesInput, grantWorkspaceRoles } from "./grant-workspace-roles";
import { getRoleDefinitions } from "./role-definitions";

/**
 * An admin's grant on the workspace page: a direct, permanent grant for each principal, except that a privileged role
 * given to the admin themselves (or a group they are in) becomes an access request two other admins must approve.
 * Results come back in the order the principals were given.
 */
export async function grantOnWorkspacePage(context: DelegatedContext, input: Omit<GrantWorkspaceRolesInput, "holder">): Promise<GrantResult[]> {
  const workspace = parseScope(input.workspaceId);
  if (workspace?.level !== "workspace") throw invalidWorkspace(input.workspaceId);
  const roleId = input.roleDefinitionId.toLowerCase();
  const role = (await getRoleDefinitions({ kind: "delegated", caller: context.caller }, workspace.scope)).get(roleId);
  const selfGrants = new Set<string>();
  if (role?.privileged) {
    for (const principal of input.principals) {
      if (await isCallerOrCallersGroup(context.caller, principal)) selfGrants.add(principal.id.toLowerCase());
    }
  }
  const direct = input.principals.filter((principal) => !selfGrants.has(principal.id.toLowerCase()));
  const granted = direct.length > 0 ? await grantWorkspaceRoles(context, { ...input, principals: direct }) : [];
  const byPrincipal = new Map(granted.map((result) => [result.principalId, result]));
  const results: GrantResult[] = [];
  for (const principal of input.principals) {
    const id = principal.id.toLowerCase();
    results.push(
      selfGrants.has(id)
        ? await fileSelfGrantRequest(context, {
            workspaceId: workspace.scope,
            role: { id: roleId, name: role!.name },
            principal,
            createsMapping: false,
            ...(input.description ? { description: input.description } : {}),
          })
        : byPrincipal.get(id)!,
    );
  }
  return results;
}
