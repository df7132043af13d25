import "server-only";

import { z } from "zod";

import { armGet, type ArmIdentity } from "@/lib/arm/client";
import { type DelegatedCaller, getDelegatedToken } from "@/lib/azure/tokens";
import { nextEventLoopTurn, type Database, getDatabase } from "@/lib/db";
import { AppError, isAppError } from "@/lib/errors";
import { describeHolders, type HolderView } from "@/lib/ownership/describe";
import { listHeldAccess } from "@/lib/ownership/holders";
import { getConfig } from "@/lib/config";
import { assignedPrincipalResolver, type ResolvedPrincipal } from "@/lib/graph/principals";
import { type PrincipalStatus, principalStatus } from "@/lib/shared/principal-status";
import { type AssignmentOrigin, assignmentOrigin, parseScope, sameScope } from "@/lib/shared/arm-scope";
import type { WorkspaceKind } from "@/lib/shared/workspace-kinds";
import {
  type AccessBeyondAssignments,
  beyondAssignmentsNotice,
  type DenyAssignment,
  type Eligibility,
  listAccessBeyondAssignments,
  type PimActivation,
} from "./access-beyond-assignments";
import { getRoleDefinitions, type RoleDefinition, roleDefinitionGuid } from "./role-definitions";
import { listRoleAssignmentsAt } from "./role-assignments";
import { SUBSCRIPTIONS_API_VERSION, WORKSPACES_API_VERSION, WorkspaceWire } from "./list-workspaces";

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
   * The principal as the directory knows it (a CSP partner's group as kind `partner`); `null` when the directory did
   * not return it, `undefined` when the directory could not be asked. `principalStatus` says what a `null` means.
   */
  readonly principal: ResolvedPrincipal | null | undefined;
  /**
   * Whether the principal is deleted (`not_found`, the only status offered for orphan clean-up), a partner's, of a
   * type Graph cannot look up, or assigned within the replication window (`recent`), decided when the rows were read.
   */
  readonly principalStatus: PrincipalStatus;
  readonly description: string | null;
  /** An ABAC condition: the role allows only what it permits. */
  readonly condition: string | null;
  /** Set when PIM made this assignment (an activation, or a time-bound active assignment): it ends then, and is removed in PIM. */
  readonly pim: PimActivation | null;
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
  /** People who may activate a role here through PIM; not role assignments, and read-only here. */
  readonly eligible: readonly EligibleRow[];
  /** Deny assignments that apply here: they override every role assignment for the principals they name. */
  readonly denies: readonly DenyAssignment[];
  /** Set when PIM eligibilities and deny assignments could not be read (the lists above are then empty, not "none"). */
  readonly beyondAssignmentsNotice: string | null;
  /**
   * Tenants that manage the subscription through Azure Lighthouse: what their people may do here comes from the
   * delegation and is not listed. Null when the subscription could not be read.
   */
  readonly lighthouseTenants: readonly string[] | null;
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

export interface EligibleRow extends Eligibility {
  readonly roleName: string;
  /** As on `AccessRow`: null when the directory did not return it, undefined when it could not be asked. */
  readonly principal: ResolvedPrincipal | null | undefined;
}

// ARM's subscription: `managedByTenants` names the tenants that manage it through Azure Lighthouse.
const SubscriptionLighthouseWire = z.object({ managedByTenants: z.array(z.object({ tenantId: z.string() })).optional() });

const NOTHING_BEYOND: AccessBeyondAssignments = { eligibilities: [], activations: new Map(), denies: [] };
// Shared by every row nobody in Gatehouse holds (most of them): one empty list, not thousands. Never mutated.
const NO_HOLDERS: readonly HolderView[] = Object.freeze([]);

export function invalidWorkspace(value: string): AppError {
  return new AppError({
    code: "invalid_input",
    message: `not a workspace scope: ${value.slice(0, 200)}`,
    userMessage: "That is not an Azure ML workspace id (/subscriptions/…/resourceGroups/…/providers/Microsoft.MachineLearningServices/workspaces/…).",
  });
}

/** The workspace itself, as ARM describes it: what a page shows before the assignments. */
export type WorkspaceSummary = WorkspaceAccess["workspace"];

/**
 * Every role assignment that applies to a workspace — its own and those inherited from resource group, subscription,
 * management group or root — with role names and principals resolved, and what else decides access there: PIM
 * eligibilities, which assignments PIM made (and when they end) and deny assignments. Upstream calls: the workspace,
 * the assignment list (`atScope()`), the role definitions (usually cached) and the three PIM/deny lists in parallel,
 * then one parallel round of `getByIds` (when ARM lists the assignments in pages, each earlier page's principals are
 * looked up while the next is read: that round then asks only for the principals the last page adds).
 */
export function getWorkspaceAccess(caller: DelegatedCaller, workspaceId: string, options: { db?: Database } = {}): Promise<WorkspaceAccess> {
  return startReads(caller, workspaceId, options, "after").access;
}

/**
 * `getWorkspaceAccess` with the workspace on its own as soon as ARM answers for it, one round trip in, while the
 * assignments and their principals are still being read: a page can show the workspace first. Both come from the
 * same reads; both reject with the same error when the workspace cannot be read.
 */
export function readWorkspaceAccess(
  caller: DelegatedCaller,
  workspaceId: string,
  options: { db?: Database } = {},
): { readonly workspace: Promise<WorkspaceSummary>; readonly access: Promise<WorkspaceAccess> } {
  return startReads(caller, workspaceId, options, "page");
}

/**
 * When Gatehouse's holders are read. `page`: beside the upstream calls, off the page's critical path (what a view
 * shows is a snapshot either way). `after`: once ARM has listed the assignments, as a removal needs: a grant records
 * its holder after ARM has the assignment, so a holder read later is never older than the assignment it belongs to.
 */
type HoldersRead = "page" | "after";

function startReads(
  caller: DelegatedCaller,
  workspaceId: string,
  options: { db?: Database },
  holdersRead: HoldersRead,
): { readonly workspace: Promise<WorkspaceSummary>; readonly access: Promise<WorkspaceAccess> } {
  const parsed = parseScope(workspaceId);
  // Opened before any upstream call starts: a first open (migrations) must not run while those calls wait.
  const opened = parsed?.level === "workspace" ? (options.db ? Promise.resolve(options.db) : getDatabase()) : Promise.reject(invalidWorkspace(workspaceId));
  const identity: ArmIdentity = { kind: "delegated", caller };
  const workspace = opened.then(async (): Promise<WorkspaceSummary> => {
    const body = WorkspaceWire.parse(await armGet(identity, parsed!.scope, WORKSPACES_API_VERSION));
    return {
      id: parsed!.scope,
      name: body.name,
      friendlyName: body.properties?.friendlyName ?? null,
      location: body.location,
      subscriptionId: parsed!.subscriptionId!,
      resourceGroup: parsed!.resourceGroup!,
      kind: body.kind ?? "Default",
      hubResourceId: body.properties?.hubResourceId ?? null,
    };
  });
  const access = opened.then((db) => readAccess(identity, caller, parsed!, workspace, db, holdersRead));
  // A caller may stop at the first one that fails (the page, at the workspace): the other's rejection is not lost, it
  // is the same error.
  workspace.catch(() => undefined);
  access.catch(() => undefined);
  return { workspace, access };
}

/** Gatehouse's holders of each access at the scope, described, by `principalId|roleDefinitionId`. */
async function readHeldViews(db: Database, scope: string): Promise<ReadonlyMap<string, readonly HolderView[]>> {
  const held = await listHeldAccess(db, scope);
  if (held.size === 0) return new Map();
  // One description pass for every holder on the workspace (two queries), then back to each access.
  const views = new Map(
    (
      await describeHolders(
        db,
        [...held.values()].flatMap((access) => access.holders),
      )
    ).map((view) => [view.id, view]),
  );
  return new Map([...held].map(([key, access]) => [key, access.holders.map((holder) => views.get(holder.id)!)]));
}

async function readAccess(
  identity: ArmIdentity,
  caller: DelegatedCaller,
  parsed: NonNullable<ReturnType<typeof parseScope>>,
  workspaceRead: Promise<WorkspaceSummary>,
  db: Database,
  holdersRead: HoldersRead,
): Promise<WorkspaceAccess> {
  const subscriptionId = parsed.subscriptionId!;
  const listAtScope = (scope: string, options?: Parameters<typeof listRoleAssignmentsAt>[3]) => listRoleAssignmentsAt(identity, scope, "atScope()", options);
  // A page of 1,000 assignments names hundreds of principals: each page's are looked up while ARM sends the next. The
  // last page's wait for the hub and the eligibilities, so a list of one page takes one round of lookups, as before.
  const principals = assignedPrincipalResolver(caller);
  const principalIdsOf = (assignments: readonly { readonly principalId?: string }[]) =>
    assignments.flatMap((assignment) => (assignment.principalId ? [assignment.principalId] : []));
  // The principals are looked up in Graph only once the assignments are listed: the person's Graph token is asked for
  // now, so a first view does not wait for Entra after ARM. A failure here is not an answer: the lookup asks again.
  void getDelegatedToken(caller, "graph").catch(() => undefined);
  // Read once the upstream calls below have gone out: PGlite's query would otherwise hold them back until it is done.
  const heldEarly = holdersRead === "page" ? nextEventLoopTurn().then(() => readHeldViews(db, parsed.scope)) : undefined;
  heldEarly?.catch(() => undefined);
  const [workspace, assignments, definitions, beyondOutcome, lighthouseTenants] = await Promise.all([
    workspaceRead,
    listAtScope(parsed.scope, {
      onPage: (page, more) => {
        if (more) principals.add(principalIdsOf(page));
      },
    }),
    // Without definitions the rows still show, with role ids instead of names.
    getRoleDefinitions(identity, parsed.scope).catch((): ReadonlyMap<string, RoleDefinition> => new Map()),
    // Without them the assignments still show, with a notice that eligibilities and denies are unknown.
    listAccessBeyondAssignments(identity, parsed.scope).catch((error: unknown): AppError => {
      if (isAppError(error)) return error;
      throw error;
    }),
    // Only a note on the page: without it the page still shows, saying nothing about Lighthouse.
    armGet(identity, `/subscriptions/${subscriptionId}`, SUBSCRIPTIONS_API_VERSION).then(
      (body) => (SubscriptionLighthouseWire.parse(body).managedByTenants ?? []).map((tenant) => tenant.tenantId),
      () => null,
    ),
  ]);
  const beyond = beyondOutcome instanceof AppError ? NOTHING_BEYOND : beyondOutcome;
  const hubScope = workspace.kind === "Project" && workspace.hubResourceId ? parseScope(workspace.hubResourceId) : undefined;
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
  principals.add([
    ...principalIdsOf(assignments),
    ...principalIdsOf(hubAssignments ?? []),
    ...beyond.eligibilities.map((eligibility) => eligibility.principalId),
  ]);
  const [lookup, heldViews] = await Promise.all([principals.settled(), heldEarly ?? readHeldViews(db, parsed.scope)]);

  const now = Date.now();
  const { replicationWindowMs } = getConfig().roleAssignments;
  // Thousands of assignments sit at a handful of scopes and name a handful of roles: each scope's origin and each
  // role's definition are worked out once, not once per row.
  const origins = new Map<string, AccessRow["origin"]>();
  const originOf = (scope: string) => {
    let origin = origins.get(scope);
    if (origin === undefined) {
      origin = assignmentOrigin(scope, parsed.scope);
      origins.set(scope, origin);
    }
    return origin;
  };
  const roles = new Map<string, { readonly id: string; readonly name: string; readonly description: string }>();
  const roleOf = (roleDefinitionId: string) => {
    let role = roles.get(roleDefinitionId);
    if (role === undefined) {
      const id = roleDefinitionGuid(roleDefinitionId);
      const definition = definitions.get(id);
      role = { id, name: definition?.name ?? id, description: definition?.description ?? "" };
      roles.set(roleDefinitionId, role);
    }
    return role;
  };
  const toRow = (assignment: (typeof assignments)[number]): AccessRow => {
    const role = roleOf(assignment.roleDefinitionId ?? "");
    const principalId = (assignment.principalId ?? "").toLowerCase();
    const principal = lookup.complete ? (lookup.found.get(principalId) ?? null) : undefined;
    const principalType = assignment.principalType ?? "Unknown";
    const createdOn = assignment.createdOn?.toISOString() ?? null;
    const origin = originOf(assignment.scope ?? "");
    return {
      assignmentId: assignment.id ?? "",
      assignmentName: assignment.name ?? "",
      scope: assignment.scope ?? "",
      origin,
      roleDefinitionId: role.id,
      roleName: role.name,
      roleDescription: role.description,
      principalId,
      principalType,
      principal,
      principalStatus: principalStatus({ principal, principalType, createdOn }, now, replicationWindowMs),
      description: assignment.description ?? null,
      condition: assignment.condition ?? null,
      // Most workspaces have no PIM activations: no lower-cased copy of every assignment id just to find none.
      pim: beyond.activations.size === 0 ? null : (beyond.activations.get((assignment.id ?? "").toLowerCase()) ?? null),
      createdOn,
      createdBy: assignment.createdBy ?? null,
      // Holders belong to assignments at the workspace itself; an inherited one is held (if at all) at its own scope.
      heldBy: origin === "workspace" && heldViews.size > 0 ? (heldViews.get(`${principalId}|${role.id}`) ?? NO_HOLDERS) : NO_HOLDERS,
    };
  };
  const rows = assignments.map(toRow);

  return {
    workspace,
    rows,
    eligible: beyond.eligibilities.map((eligibility) => ({
      ...eligibility,
      roleName: definitions.get(eligibility.roleDefinitionId)?.name ?? eligibility.roleDefinitionId,
      principal: lookup.complete ? (lookup.found.get(eligibility.principalId) ?? null) : undefined,
    })),
    denies: beyond.denies,
    beyondAssignmentsNotice: beyondOutcome instanceof AppError ? beyondAssignmentsNotice(beyondOutcome) : null,
    lighthouseTenants,
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
