import "server-only";

import { armError, armGet, authorizationClient, type ArmIdentity } from "@/lib/arm/client";
import type { DelegatedCaller } from "@/lib/azure/tokens";
import { type Database, getDatabase } from "@/lib/db";
import { AppError } from "@/lib/errors";
import { describeHolders, type HolderView } from "@/lib/ownership/describe";
import { listHeldAccess } from "@/lib/ownership/holders";
import { type DirectoryPrincipal, resolvePrincipals } from "@/lib/graph/principals";
import { type AssignmentOrigin, assignmentOrigin, parseScope, sameScope } from "@/lib/shared/arm-scope";
import type { WorkspaceKind } from "@/lib/shared/workspace-kinds";
import { getRoleDefinitions, type RoleDefinition, roleDefinitionGuid } from "./role-definitions";
import { WORKSPACES_API_VERSION, WorkspaceWire } from "./list-workspaces";

export interface AccessRow {
  readonly assignmentId: string;
  readonly assignmentName: string;
  readonly scope: string;
  /** Where the assignment comes from; only `workspace` ones can be revoked from the workspace page. */
  readonly origin: AssignmentOrigin;
  readonly roleDefinitionId: string;
  readonly roleName: string;
  readonly roleDescription: string;
  readonly principalId: string;
  /** The type ARM recorded on the assignment. */
  readonly principalType: string;
  /**
   * The principal as the directory knows it; `null` when the directory says it no longer exists ("Identity not
   * found"), `undefined` when the directory could not be asked.
   */
  readonly principal: DirectoryPrincipal | null | undefined;
  readonly description: string | null;
  readonly condition: string | null;
  readonly createdOn: string | null;
  readonly createdBy: string | null;
  /**
   * What in Gatehouse wants this access to exist (direct grant, mappings, requests); empty when Gatehouse holds
   * nothing here, e.g. an assignment made in the portal, or one inherited from above.
   */
  readonly heldBy: readonly HolderView[];
}

export interface WorkspaceAccess {
  readonly workspace: {
    readonly id: string;
    readonly name: string;
    readonly friendlyName: string | null;
    readonly location: string;
    readonly subscriptionId: string;
    readonly resourceGroup: string;
    readonly kind: WorkspaceKind;
    readonly hubResourceId: string | null;
  };
  readonly rows: readonly AccessRow[];
  /**
   * For a project: the assignments made on its hub itself. Hub and project are ARM siblings, so these grant nothing
   * in the project through the scope chain; the Azure AI Foundry portal adds Reader on the hub for project members,
   * which they need to open the project there. `rows` is null when the hub's assignments could not be read.
   */
  readonly hub: { readonly id: string; readonly name: string; readonly rows: readonly AccessRow[] | null; readonly message: string | null } | null;
  /** False when Graph failed: rows then show object ids, and nobody is labelled "not found". */
  readonly principalsResolved: boolean;
  readonly notice: string | null;
}

export function invalidWorkspace(value: string): AppError {
  return new AppError({
    code: "invalid_input",
    message: `not a workspace scope: ${value.slice(0, 200)}`,
    userMessage: "That is not an Azure ML workspace id (/subscriptions/…/resourceGroups/…/providers/Microsoft.MachineLearningServices/workspaces/…).",
  });
}

/**
 * Every role assignment that applies to a workspace — its own and those inherited from resource group, subscription,
 * management group or root — with role names and principals resolved. Upstream calls: the workspace, the assignment
 * list (`atScope()`) and the role definitions in parallel (definitions usually cached), then one parallel round of
 * `getByIds`.
 */
export async function getWorkspaceAccess(caller: DelegatedCaller, workspaceId: string, options: { db?: Database } = {}): Promise<WorkspaceAccess> {
  const parsed = parseScope(workspaceId);
  if (parsed?.level !== "workspace") throw invalidWorkspace(workspaceId);
  const identity: ArmIdentity = { kind: "delegated", caller };
  const subscriptionId = parsed.subscriptionId!;
  // Opened before any upstream call starts: a first open (migrations) must not run while those calls wait.
  const db = options.db ?? (await getDatabase());

  const listAtScope = async (scope: string) => {
    const list = [];
    try {
      for await (const assignment of authorizationClient(identity, subscriptionId).roleAssignments.listForScope(scope, { filter: "atScope()" })) {
        list.push(assignment);
      }
    } catch (error) {
      throw armError(error);
    }
    return list;
  };
  const [workspaceBody, assignments, definitions] = await Promise.all([
    armGet(identity, parsed.scope, WORKSPACES_API_VERSION),
    listAtScope(parsed.scope),
    // Without definitions the rows still show, with role ids instead of names.
    getRoleDefinitions(identity, subscriptionId).catch((): ReadonlyMap<string, RoleDefinition> => new Map()),
  ]);
  const workspace = WorkspaceWire.parse(workspaceBody);
  const kind = workspace.kind ?? "Default";
  const hubScope = kind === "Project" && workspace.properties?.hubResourceId ? parseScope(workspace.properties.hubResourceId) : undefined;
  // A project's hub: its own assignments only (what it inherits, the project inherits too), one more round trip.
  let hubAssignments: Awaited<ReturnType<typeof listAtScope>> | null = null;
  let hubMessage: string | null = null;
  if (hubScope?.level === "workspace") {
    try {
      hubAssignments = (await listAtScope(hubScope.scope)).filter((assignment) => sameScope(assignment.scope ?? "", hubScope.scope));
    } catch (error) {
      hubMessage = error instanceof AppError ? error.userMessage : "The hub's assignments could not be read.";
    }
  }
  const [lookup, held] = await Promise.all([
    resolvePrincipals(
      caller,
      [...assignments, ...(hubAssignments ?? [])].flatMap((assignment) => (assignment.principalId ? [assignment.principalId] : [])),
    ),
    listHeldAccess(db, parsed.scope),
  ]);
  // One description pass for every holder on the workspace (two queries), then back to each access.
  const views = new Map(
    (
      await describeHolders(
        db,
        [...held.values()].flatMap((access) => access.holders),
      )
    ).map((view) => [view.id, view]),
  );
  const heldViews = new Map([...held].map(([key, access]) => [key, access.holders.map((holder) => views.get(holder.id)!)]));

  const toRow = (assignment: (typeof assignments)[number]): AccessRow => {
    const roleId = roleDefinitionGuid(assignment.roleDefinitionId ?? "");
    const role = definitions.get(roleId);
    const principalId = (assignment.principalId ?? "").toLowerCase();
    return {
      assignmentId: assignment.id ?? "",
      assignmentName: assignment.name ?? "",
      scope: assignment.scope ?? "",
      origin: assignmentOrigin(assignment.scope ?? "", parsed.scope),
      roleDefinitionId: roleId,
      roleName: role?.name ?? roleId,
      roleDescription: role?.description ?? "",
      principalId,
      principalType: assignment.principalType ?? "Unknown",
      principal: lookup.complete ? (lookup.found.get(principalId) ?? null) : undefined,
      description: assignment.description ?? null,
      condition: assignment.condition ?? null,
      createdOn: assignment.createdOn?.toISOString() ?? null,
      createdBy: assignment.createdBy ?? null,
      // Holders belong to assignments at the workspace itself; an inherited one is held (if at all) at its own scope.
      heldBy: assignmentOrigin(assignment.scope ?? "", parsed.scope) === "workspace" ? (heldViews.get(`${principalId}|${roleId}`) ?? []) : [],
    };
  };
  const rows = assignments.map(toRow);

  return {
    workspace: {
      id: parsed.scope,
      name: workspace.name,
      friendlyName: workspace.properties?.friendlyName ?? null,
      location: workspace.location,
      subscriptionId,
      resourceGroup: parsed.resourceGroup!,
      kind,
      hubResourceId: workspace.properties?.hubResourceId ?? null,
    },
    rows,
    hub:
      hubScope?.level === "workspace"
        ? { id: hubScope.scope, name: hubScope.workspaceName!, rows: hubAssignments?.map(toRow) ?? null, message: hubMessage }
        : null,
    principalsResolved: lookup.complete,
    notice: lookup.complete
      ? null
      : `Names could not be loaded from Microsoft Graph (${lookup.failureMessage ?? "unavailable"}); principals are shown by object id.`,
  };
}
