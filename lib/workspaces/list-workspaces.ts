import "server-only";

import { z } from "zod";

import { armError, armListAll, authorizationClient, type ArmIdentity } from "@/lib/arm/client";
import { queryResourceGraph, queryResourceGraphPage, type ResourceGraphResult } from "@/lib/arm/resource-graph";
import { AppError } from "@/lib/errors";
import { describeError, log } from "@/lib/log";
import { listedAssignmentApplies, parseScope } from "@/lib/shared/arm-scope";
import { WORKSPACE_KINDS, type WorkspaceKind } from "@/lib/shared/workspace-kinds";
import { WORKSPACE_PAGE_SIZE, WORKSPACE_SEARCH_PATTERN, type WorkspaceListRequest } from "@/lib/workspaces/schema";

export const WORKSPACES_API_VERSION = "2024-10-01";
export const SUBSCRIPTIONS_API_VERSION = "2022-12-01";

export interface WorkspaceSummary {
  readonly id: string;
  readonly name: string;
  readonly friendlyName: string | null;
  readonly subscriptionId: string;
  readonly subscriptionName: string;
  readonly resourceGroup: string;
  readonly location: string;
  /** Hub, Project (an Azure AI Foundry hub-based project), FeatureStore or Default (a classic workspace). */
  readonly kind: WorkspaceKind;
  /** For a project: the ARM id of its hub. */
  readonly hubResourceId: string | null;
  /** Role assignments that apply to the workspace (its own and inherited); null when they could not be read. */
  readonly roleAssignmentCount: number | null;
}

export interface SubscriptionFailure {
  readonly subscriptionId: string;
  readonly subscriptionName: string;
  readonly message: string;
  readonly reference?: string;
}

export interface WorkspaceList {
  readonly workspaces: readonly WorkspaceSummary[];
  /** Subscriptions that could not be read; the others still show. */
  readonly failures: readonly SubscriptionFailure[];
  /** Workspace ids ARM listed that Gatehouse could not read as a workspace scope: shown, not silently left out. */
  readonly unreadableIds: readonly string[];
  /** Where the list came from: Resource Graph, or ARM per subscription when Resource Graph was unavailable. */
  readonly source: "resource-graph" | "arm";
}

const SubscriptionWire = z.object({ subscriptionId: z.string(), displayName: z.string() });
const kindSchema = z
  .string()
  .nullish()
  .transform((kind): WorkspaceKind => WORKSPACE_KINDS.find((known) => known.toLowerCase() === kind?.toLowerCase()) ?? "Default");
export const WorkspaceWire = z.object({
  id: z.string(),
  name: z.string(),
  location: z.string(),
  kind: kindSchema.optional(),
  /** ARM tags (string values); absent or null when none are set. Unreadable tags never fail the workspace: they read as none. */
  tags: z.record(z.string(), z.string()).nullish().catch(null),
  properties: z.object({ friendlyName: z.string().nullable().optional(), hubResourceId: z.string().nullable().optional() }).partial().optional(),
});

/** Subscriptions whose lists are read at once on the per-subscription path: ARM throttles per principal. */
const FALLBACK_CONCURRENCY = 8;

/**
 * Every Azure ML workspace the person can read, with the number of role assignments that apply to each. Subscriptions
 * come from ARM; workspaces and assignment counts from Azure Resource Graph, a bounded number of sequential pages
 * however many subscriptions there are. When Resource Graph is unavailable (refused, absent, throttled or failing
 * after retries), the list falls back to ARM per subscription, a few subscriptions at a time. The workspace page still
 * reads ARM itself: Resource Graph is an index that can lag behind it.
 */
export async function listWorkspaces(identity: ArmIdentity): Promise<WorkspaceList> {
  const subscriptions = await listSubscriptions(identity);
  if (subscriptions.length === 0) return { workspaces: [], failures: [], unreadableIds: [], source: "resource-graph" };
  try {
    const { workspaces, unreadableIds } = await listFromResourceGraph(identity, subscriptions);
    return { workspaces, failures: [], unreadableIds, source: "resource-graph" };
  } catch (error) {
    if (!(error instanceof AppError) || !FALLBACK_CODES.has(error.code)) throw error;
    log("warn", "workspaces", "workspaces.resource_graph_unavailable", { reason: describeError(error), subscriptions: subscriptions.length });
  }
  return listPerSubscription(identity, subscriptions);
}

type Subscription = z.infer<typeof SubscriptionWire>;

/** The subscriptions the person can see, from ARM (the one list Resource Graph does not replace). */
export async function listSubscriptions(identity: ArmIdentity): Promise<Subscription[]> {
  return (await armListAll(identity, "/subscriptions", SUBSCRIPTIONS_API_VERSION)).map((item) => SubscriptionWire.parse(item));
}

/** The per-subscription path: each subscription's workspaces and assignment list, a few subscriptions at a time. */
export async function listPerSubscription(identity: ArmIdentity, subscriptions: readonly Subscription[]): Promise<WorkspaceList> {
  const results = await mapWithConcurrency(subscriptions, FALLBACK_CONCURRENCY, (subscription) => listInSubscription(identity, subscription));
  const workspaces = sortByName(results.flatMap((result) => ("workspaces" in result ? result.workspaces : [])));
  return {
    workspaces,
    failures: results.flatMap((result) => ("failure" in result ? [result.failure] : [])),
    unreadableIds: results.flatMap((result) => ("workspaces" in result ? result.unreadableIds : [])),
    source: "arm",
  };
}

/** 403, 404, 429 and 5xx (or no answer) after the pipeline's retries: Resource Graph is not usable here, ARM may be. */
const FALLBACK_CODES = new Set<AppError["code"]>(["upstream_forbidden", "not_found", "upstream_throttled", "upstream_unavailable"]);

function sortByName(workspaces: WorkspaceSummary[]): WorkspaceSummary[] {
  return workspaces.sort((a, b) => a.name.localeCompare(b.name));
}

async function mapWithConcurrency<T, R>(items: readonly T[], limit: number, run: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await run(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

export const WORKSPACES_QUERY =
  "resources | where type =~ 'microsoft.machinelearningservices/workspaces' | project id, name, kind, location, friendlyName = tostring(properties.friendlyName), hubResourceId = tostring(properties.hubResourceId)";
export const ASSIGNMENT_COUNTS_QUERY =
  "authorizationresources | where type =~ 'microsoft.authorization/roleassignments' | extend scope = tolower(tostring(properties.scope)) | summarize count() by scope";
export const SUBSCRIPTION_GROUPS_QUERY =
  "resourcecontainers | where type =~ 'microsoft.resources/subscriptions' | project subscriptionId, managementGroups = properties.managementGroupAncestorsChain";

const WorkspaceRowWire = z.object({
  id: z.string(),
  name: z.string(),
  kind: kindSchema,
  location: z.string(),
  friendlyName: z.string(),
  hubResourceId: z.string(),
});
const CountRowWire = z.object({ scope: z.string(), count_: z.number().int().nonnegative() });
const SubscriptionGroupsRowWire = z.object({ subscriptionId: z.string(), managementGroups: z.array(z.object({ name: z.string() })).nullable() });

export interface ResourceGraphListing {
  readonly workspaces: WorkspaceSummary[];
  /** Workspace ids Resource Graph listed that Gatehouse could not read as a workspace scope. */
  readonly unreadableIds: string[];
  /**
   * Rows and pages of each query, for the benchmark's check that paging costs ⌈rows / 1000⌉ calls, and the waits for
   * the caller's Resource Graph quota to reset that the query made.
   */
  readonly queries: readonly ResourceGraphQueryCost[];
}

export interface ResourceGraphQueryCost {
  readonly name: string;
  readonly rows: number;
  readonly pages: number;
  readonly quotaWaits: number;
  readonly quotaWaitedMs: number;
}

const costOf = (name: string, result: ResourceGraphResult): ResourceGraphQueryCost => ({
  name,
  rows: result.rows.length,
  pages: result.pages,
  quotaWaits: result.quotaWaits,
  quotaWaitedMs: result.quotaWaitedMs,
});

/** The Resource Graph path (without fallback); throws what Resource Graph answered. */
export async function listFromResourceGraph(identity: ArmIdentity, subscriptions: readonly Subscription[]): Promise<ResourceGraphListing> {
  const names = new Map(subscriptions.map((s) => [s.subscriptionId.toLowerCase(), s.displayName]));
  const ids = [...names.keys()];
  const [workspaceRows, countRows] = await Promise.all([
    queryResourceGraph(identity, { query: WORKSPACES_QUERY, subscriptions: ids }),
    // Assignments above the subscriptions (management groups, root) apply too, as ARM's list at a subscription has them.
    queryResourceGraph(identity, { query: ASSIGNMENT_COUNTS_QUERY, subscriptions: ids, authorizationScopeFilter: "AtScopeAboveAndBelow" }),
  ]);
  const counts = new Map<string, number>();
  for (const row of countRows.rows) {
    const { scope, count_ } = CountRowWire.parse(row);
    counts.set(normaliseScope(scope), (counts.get(normaliseScope(scope)) ?? 0) + count_);
  }
  const groupScopes = [...counts.keys()].filter((scope) => parseScope(scope)?.level === "managementGroup");
  // Which management groups each subscription sits under, read only when some assignment is at one.
  const groupsOf = new Map<string, string[]>();
  const queries = [costOf("workspaces", workspaceRows), costOf("assignment counts", countRows)];
  if (groupScopes.length > 0) {
    const groupRows = await queryResourceGraph(identity, { query: SUBSCRIPTION_GROUPS_QUERY, subscriptions: ids });
    queries.push(costOf("management groups", groupRows));
    for (const row of groupRows.rows) {
      const parsed = SubscriptionGroupsRowWire.parse(row);
      groupsOf.set(
        parsed.subscriptionId.toLowerCase(),
        (parsed.managementGroups ?? []).map((group) => `/providers/microsoft.management/managementgroups/${group.name.toLowerCase()}`),
      );
    }
  }
  const unreadableIds: string[] = [];
  const workspaces = workspaceRows.rows.flatMap((row): WorkspaceSummary[] => {
    const wire = WorkspaceRowWire.parse(row);
    const parsed = parseScope(wire.id);
    if (parsed?.level !== "workspace") {
      log("warn", "workspaces", "a workspace id could not be read as a scope", { id: wire.id });
      unreadableIds.push(wire.id);
      return [];
    }
    const subscriptionId = parsed.subscriptionId!.toLowerCase();
    const subscriptionName = names.get(subscriptionId);
    if (subscriptionName === undefined) return [];
    const applying = [
      "/",
      ...(groupsOf.get(subscriptionId) ?? []),
      `/subscriptions/${subscriptionId}`,
      `/subscriptions/${subscriptionId}/resourcegroups/${parsed.resourceGroup!.toLowerCase()}`,
      normaliseScope(parsed.scope),
    ];
    const count = applying.reduce((sum, scope) => sum + (counts.get(scope) ?? 0), 0);
    return [
      {
        id: parsed.scope,
        name: wire.name,
        friendlyName: wire.friendlyName === "" ? null : wire.friendlyName,
        subscriptionId,
        subscriptionName,
        resourceGroup: parsed.resourceGroup!,
        location: wire.location,
        kind: wire.kind,
        hubResourceId: wire.hubResourceId === "" ? null : wire.hubResourceId,
        // Someone who can read a workspace holds an assignment that reaches it; seeing none means the assignments
        // themselves are not readable to them (a role without roleAssignments/read), not that there are none.
        roleAssignmentCount: count === 0 ? null : count,
      },
    ];
  });
  return { workspaces: sortByName(workspaces), unreadableIds, queries };
}

function normaliseScope(scope: string): string {
  return scope.toLowerCase().replace(/\/+$/, "") || "/";
}

async function listInSubscription(
  identity: ArmIdentity,
  subscription: Subscription,
): Promise<{ workspaces: WorkspaceSummary[]; unreadableIds: string[] } | { failure: SubscriptionFailure }> {
  const subscriptionId = subscription.subscriptionId.toLowerCase();
  try {
    const [items, assignmentScopes] = await Promise.all([
      armListAll(identity, `/subscriptions/${subscriptionId}/providers/Microsoft.MachineLearningServices/workspaces`, WORKSPACES_API_VERSION),
      listAssignmentScopes(identity, subscriptionId),
    ]);
    const unreadableIds: string[] = [];
    const workspaces = items.flatMap((item): WorkspaceSummary[] => {
      const wire = WorkspaceWire.parse(item);
      const parsed = parseScope(wire.id);
      if (parsed?.level !== "workspace") {
        log("warn", "workspaces", "a workspace id could not be read as a scope", { subscriptionId, id: wire.id });
        unreadableIds.push(wire.id);
        return [];
      }
      return [
        {
          id: parsed.scope,
          name: wire.name,
          friendlyName: wire.properties?.friendlyName ?? null,
          subscriptionId,
          subscriptionName: subscription.displayName,
          resourceGroup: parsed.resourceGroup!,
          location: wire.location,
          kind: wire.kind ?? "Default",
          hubResourceId: wire.properties?.hubResourceId ?? null,
          roleAssignmentCount: assignmentScopes === null ? null : assignmentScopes.filter((scope) => listedAssignmentApplies(scope, parsed.scope)).length,
        },
      ];
    });
    return { workspaces, unreadableIds };
  } catch (error) {
    const appError = error instanceof AppError ? error : armError(error);
    return {
      failure: {
        subscriptionId,
        subscriptionName: subscription.displayName,
        message: appError.userMessage,
        ...(appError.upstreamRequestId ? { reference: appError.upstreamRequestId } : {}),
      },
    };
  }
}

/** Scopes of every assignment in the subscription, or null when the person may not read them. */
async function listAssignmentScopes(identity: ArmIdentity, subscriptionId: string): Promise<string[] | null> {
  try {
    const scopes: string[] = [];
    for await (const assignment of authorizationClient(identity, subscriptionId).roleAssignments.listForSubscription()) {
      if (assignment.scope) scopes.push(assignment.scope);
    }
    return scopes;
  } catch {
    return null;
  }
}

// --- one page of the list --------------------------------------------------------------------------------------------

export interface WorkspacePage extends WorkspaceList {
  /** Workspaces matching the search in the whole estate (Resource Graph's `totalRecords`); `workspaces` is one page. */
  readonly total: number;
  readonly skip: number;
  readonly pageSize: number;
  readonly search: string;
  /** Resource Graph queries made, each with the round trip it went in (1 or 2), for the benchmark. */
  readonly queries: readonly (ResourceGraphQueryCost & { readonly round: number })[];
}

/**
 * A KQL string literal (Microsoft Learn, Kusto "The string data type": in a single-quoted literal a backslash escapes
 * the next character, `\\` and `\'` included). The list's search is also held to WORKSPACE_SEARCH_PATTERN, which has
 * neither character: this is the second fence, not the only one.
 */
export function kqlString(value: string): string {
  return `'${value.replace(/\\/g, "\\\\").replace(/'/g, "\\'").replace(/\n/g, "\\n").replace(/\t/g, "\\t")}'`;
}

/** One page of workspaces sorted by name (then id, so pages never overlap), optionally matching a search. */
export function workspacePageQuery(search: string): string {
  const columns =
    "project id, name, kind, location, resourceGroup, friendlyName = tostring(properties.friendlyName), hubResourceId = tostring(properties.hubResourceId)";
  const needle = kqlString(search);
  // `contains` is case-insensitive in KQL; resourceGroup is lower-cased by Resource Graph.
  const filter = search === "" ? "" : ` | where name contains ${needle} or friendlyName contains ${needle} or resourceGroup contains ${needle}`;
  return `resources | where type =~ 'microsoft.machinelearningservices/workspaces' | ${columns}${filter} | order by name asc, id asc`;
}

/**
 * Assignment counts for the given scopes (lower-case) and every scope above a subscription (management groups, the
 * root), read with `AtScopeAboveAndBelow` over the page's subscriptions so inherited assignments count as ARM's list
 * at a subscription shows them.
 */
export function pageAssignmentCountsQuery(scopes: readonly string[]): string {
  return `authorizationresources | where type =~ 'microsoft.authorization/roleassignments' | extend scope = tolower(tostring(properties.scope)) | where scope in (${scopes.map(kqlString).join(", ")}) or scope !startswith '/subscriptions/' | summarize count() by scope`;
}

export const PAGE_SUBSCRIPTIONS_QUERY =
  "resourcecontainers | where type =~ 'microsoft.resources/subscriptions' | project subscriptionId, name, managementGroups = properties.managementGroupAncestorsChain";

const PageWorkspaceRowWire = WorkspaceRowWire.extend({ resourceGroup: z.string() });
const PageSubscriptionRowWire = z.object({
  subscriptionId: z.string(),
  name: z.string(),
  managementGroups: z.array(z.object({ name: z.string() })).nullable(),
});

/**
 * The workspace list page: one page of workspaces, sorted by name, matching an optional search, with the total.
 * Through Resource Graph it is two round trips whatever the estate's size: (1) the page, at tenant scope, so the
 * subscription list is not needed; (2) assignment counts for just the page's scopes ∥ the names and management groups
 * of the page's subscriptions. Beyond Resource Graph's 1,000-subscription limit for a tenant-scope query (it answers
 * 400), and when Resource Graph is unavailable, the whole list is read as `listWorkspaces` does and paged here.
 */
export async function listWorkspacePage(identity: ArmIdentity, request: WorkspaceListRequest): Promise<WorkspacePage> {
  // The caller's schema checked this already; a data function checks its own input too.
  if (!WORKSPACE_SEARCH_PATTERN.test(request.search)) {
    throw new AppError({ code: "invalid_input", message: "workspace search outside the allowed characters", userMessage: "That search isn't valid." });
  }
  try {
    return await pageFromResourceGraph(identity, request);
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    if (error.code === "upstream_failed") {
      // A 400: at tenant scope, more subscriptions than Resource Graph takes in one query. Batches of 1,000 work.
      log("warn", "workspaces", "workspaces.tenant_scope_refused", { reason: describeError(error) });
      return pageInMemory(await listWorkspaces(identity), request);
    }
    if (!FALLBACK_CODES.has(error.code)) throw error;
    log("warn", "workspaces", "workspaces.resource_graph_unavailable", { reason: describeError(error) });
  }
  return pageInMemory(await listPerSubscription(identity, await listSubscriptions(identity)), request);
}

function matches(workspace: WorkspaceSummary, search: string): boolean {
  const needle = search.toLowerCase();
  return [workspace.name, workspace.friendlyName ?? "", workspace.resourceGroup].some((value) => value.toLowerCase().includes(needle));
}

/** The same page cut from a whole list (the fallbacks), in Resource Graph's order: ordinal by name, then id. */
function pageInMemory(list: WorkspaceList, request: WorkspaceListRequest): WorkspacePage {
  const ordinal = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  const matching = list.workspaces
    .filter((workspace) => request.search === "" || matches(workspace, request.search))
    .sort((a, b) => ordinal(a.name, b.name) || ordinal(a.id, b.id));
  return {
    ...list,
    workspaces: matching.slice(request.skip, request.skip + WORKSPACE_PAGE_SIZE),
    total: matching.length,
    skip: request.skip,
    pageSize: WORKSPACE_PAGE_SIZE,
    search: request.search,
    queries: [],
  };
}

async function pageFromResourceGraph(identity: ArmIdentity, request: WorkspaceListRequest): Promise<WorkspacePage> {
  const page = await queryResourceGraphPage(identity, { query: workspacePageQuery(request.search), top: WORKSPACE_PAGE_SIZE, skip: request.skip });
  const queries: (ResourceGraphQueryCost & { round: number })[] = [{ ...costOf("workspace page", page), round: 1 }];
  const unreadableIds: string[] = [];
  const rows = page.rows.flatMap((row) => {
    const wire = PageWorkspaceRowWire.parse(row);
    const parsed = parseScope(wire.id);
    if (parsed?.level !== "workspace") {
      log("warn", "workspaces", "a workspace id could not be read as a scope", { id: wire.id });
      unreadableIds.push(wire.id);
      return [];
    }
    return [{ wire, parsed, subscriptionId: parsed.subscriptionId!.toLowerCase() }];
  });
  const base = { total: page.totalRecords, skip: request.skip, pageSize: WORKSPACE_PAGE_SIZE, search: request.search, failures: [], unreadableIds };
  if (rows.length === 0) return { ...base, workspaces: [], source: "resource-graph", queries };

  const subscriptions = [...new Set(rows.map((row) => row.subscriptionId))];
  const scopes = [
    ...new Set(
      rows.flatMap(({ parsed, subscriptionId }) => [
        `/subscriptions/${subscriptionId}`,
        `/subscriptions/${subscriptionId}/resourcegroups/${parsed.resourceGroup!.toLowerCase()}`,
        normaliseScope(parsed.scope),
      ]),
    ),
  ];
  const [countRows, subscriptionRows] = await Promise.all([
    queryResourceGraph(identity, { query: pageAssignmentCountsQuery(scopes), subscriptions, authorizationScopeFilter: "AtScopeAboveAndBelow" }),
    queryResourceGraph(identity, { query: PAGE_SUBSCRIPTIONS_QUERY, subscriptions }),
  ]);
  queries.push({ ...costOf("assignment counts", countRows), round: 2 }, { ...costOf("subscriptions", subscriptionRows), round: 2 });

  const counts = new Map<string, number>();
  for (const row of countRows.rows) {
    const { scope, count_ } = CountRowWire.parse(row);
    counts.set(normaliseScope(scope), (counts.get(normaliseScope(scope)) ?? 0) + count_);
  }
  const subscriptionsById = new Map(
    subscriptionRows.rows.map((row) => {
      const parsed = PageSubscriptionRowWire.parse(row);
      const groups = (parsed.managementGroups ?? []).map((group) => `/providers/microsoft.management/managementgroups/${group.name.toLowerCase()}`);
      return [parsed.subscriptionId.toLowerCase(), { name: parsed.name, groups }] as const;
    }),
  );
  const workspaces = rows.map(({ wire, parsed, subscriptionId }): WorkspaceSummary => {
    const subscription = subscriptionsById.get(subscriptionId);
    const applying = [
      "/",
      ...(subscription?.groups ?? []),
      `/subscriptions/${subscriptionId}`,
      `/subscriptions/${subscriptionId}/resourcegroups/${parsed.resourceGroup!.toLowerCase()}`,
      normaliseScope(parsed.scope),
    ];
    const count = applying.reduce((sum, scope) => sum + (counts.get(scope) ?? 0), 0);
    return {
      id: parsed.scope,
      name: wire.name,
      friendlyName: wire.friendlyName === "" ? null : wire.friendlyName,
      subscriptionId,
      // A workspace Resource Graph listed sits in a subscription it can read; the id stands in should the row lag.
      subscriptionName: subscription?.name ?? subscriptionId,
      resourceGroup: parsed.resourceGroup!,
      location: wire.location,
      kind: wire.kind,
      hubResourceId: wire.hubResourceId === "" ? null : wire.hubResourceId,
      // As in the whole list: none seen means the assignments are not readable to the person, not that there are none.
      roleAssignmentCount: count === 0 ? null : count,
    };
  });
  return { ...base, workspaces, source: "resource-graph", queries };
}
