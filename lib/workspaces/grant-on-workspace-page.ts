import "server-only";

import { armGet } from "@/lib/arm/client";
import type { DelegatedContext } from "@/lib/auth/caller";
import { getDatabase } from "@/lib/db";
import { refusal } from "@/lib/errors";
import { fileSelfGrantRequest, isCallerOrCallersGroup } from "@/lib/requests/self-grant";
import { READER_ROLE_ID } from "@/lib/shared/aml-roles";
import { parseScope, type ParsedScope } from "@/lib/shared/arm-scope";
import { invalidWorkspace } from "./get-workspace-access";
import { type GrantResult, type GrantWorkspaceRolesInput, grantWorkspaceRoles } from "./grant-workspace-roles";
import { WORKSPACES_API_VERSION, WorkspaceWire } from "./list-workspaces";
import { assertRoleGrantable, builtInRole } from "./grantable-roles";
import { getRoleDefinitions } from "./role-definitions";

export interface GrantOnWorkspacePageInput extends Omit<GrantWorkspaceRolesInput, "holder"> {
  /**
   * For an Azure AI Foundry project: also grant Reader on its hub to each principal the project grant reached, as
   * the Foundry portal does ("When you grant a user access to a project, the system also assigns the Reader role on
   * the hub", azure-ai-docs articles/ai-foundry/concepts/hub-rbac-foundry.md); without it they cannot open the
   * project in the portal.
   */
  readonly alsoGrantHubReader?: boolean;
}

/** The hub of a project, read from ARM (never taken from the browser); refuses anything that is not a hub-based project. */
export async function getProjectHub(context: DelegatedContext, workspace: ParsedScope): Promise<ParsedScope> {
  const wire = WorkspaceWire.parse(await armGet({ kind: "delegated", caller: context.caller }, workspace.scope, WORKSPACES_API_VERSION));
  const hub = wire.kind === "Project" && wire.properties?.hubResourceId ? parseScope(wire.properties.hubResourceId) : undefined;
  if (hub?.level !== "workspace") {
    throw refusal(
      "invalid_input",
      `not a hub-based project: ${workspace.scope}`,
      "This workspace is not an Azure AI Foundry project with a hub, so there is no hub to grant Reader on.",
      "alsoGrantHubReader",
    );
  }
  return hub;
}

/**
 * An admin's grant on the workspace page: a direct, permanent grant for each principal, except that a privileged role
 * given to the admin themselves (or a group they are in) becomes an access request two other admins must approve.
 * Results come back in the order the principals were given.
 */
export async function grantOnWorkspacePage(context: DelegatedContext, pageInput: GrantOnWorkspacePageInput): Promise<GrantResult[]> {
  const { alsoGrantHubReader = false, ...input } = pageInput;
  const workspace = parseScope(input.workspaceId);
  if (workspace?.level !== "workspace") throw invalidWorkspace(input.workspaceId);
  const roleId = input.roleDefinitionId.toLowerCase();
  const db = await getDatabase();
  // A privileged built-in role is refused before any call to Azure.
  await assertRoleGrantable(context, builtInRole(roleId), { scope: workspace.scope, consoleAction: "grantWorkspaceRoles" }, db);
  // Checked before anything changes: a hub Reader asked for a workspace without a hub is refused whole.
  const hub = alsoGrantHubReader ? await getProjectHub(context, workspace) : undefined;
  const role = (await getRoleDefinitions({ kind: "delegated", caller: context.caller }, workspace.scope)).get(roleId);
  // Also before a self-grant becomes a request: a role nobody may be granted is not worth two approvers' time.
  if (role) await assertRoleGrantable(context, role, { scope: workspace.scope, consoleAction: "grantWorkspaceRoles" }, db);
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
  if (!hub) return results;
  const reached = new Set(results.filter((result) => result.status === "granted" || result.status === "already_granted").map((result) => result.principalId));
  const hubPrincipals = input.principals.filter((principal) => reached.has(principal.id.toLowerCase()));
  if (hubPrincipals.length === 0) return results;
  const hubResults = await grantWorkspaceRoles(context, {
    workspaceId: hub.scope,
    roleDefinitionId: READER_ROLE_ID,
    principals: hubPrincipals,
    description: `Reader on the hub for members of its project ${workspace.workspaceName!}`,
    ...(input.resumeOf ? { resumeOf: input.resumeOf } : {}),
  });
  return [...results, ...hubResults.map((result) => ({ ...result, hubName: hub.workspaceName! }))];
}
