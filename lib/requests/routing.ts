import "server-only";

import { z } from "zod";

import { getConfig } from "@/lib/config";
import { appGraphClient, graphError } from "@/lib/graph/client";
import { readAllPages } from "@/lib/graph/pages";
import { DirectoryObjectWire } from "@/lib/graph/schemas";
import { describeError, log } from "@/lib/log";
import type { ConsoleRole } from "@/lib/shared/console-roles";
import { findApprovers } from "./approvers";
import { type Identity, isPrincipal, isRequester, sameIdentity } from "./decision-guards";
import { getRequestPolicy, type PolicyRoute, type RequestPolicy, routeOfRequest } from "./policy";
import type { AccessRequestRow, RequestApproval } from "./schema";

/**
 * Approver routing (docs/access-requests.md, "Approver routing"): who may decide a request, from the policy route it
 * was filed under. The route's people are read from Microsoft Graph as the console's own identity — the person looking
 * may not be allowed to read group memberships — and cached briefly, since every queue view asks.
 */

/** A group a route names, as Graph knows it now. */
export interface RouteGroup {
  readonly id: string;
  /** `members`: its transitive members decide; `owners`: its owners decide. */
  readonly as: "members" | "owners";
  /** Graph's name for it; null when Graph could not say (then its id is shown). */
  readonly displayName: string | null;
  /** `missing`: Graph says no such group (404); `unknown`: Graph could not be asked. */
  readonly state: "ok" | "missing" | "unknown";
}

/** The people a route names: enabled users' object ids (lower case, in the console's tenant). */
export interface RoutedPeople {
  readonly people: readonly string[];
  readonly groups: readonly RouteGroup[];
  /** Graph failed: `people` is empty and only Console.Admin holders may decide (fail closed, never "everyone"). */
  readonly unavailable: boolean;
}

export type ApproverResolver = (route: PolicyRoute) => Promise<RoutedPeople>;

const CACHE_MS = 60_000;
const CACHE_ENTRIES = 500;
const cache = new Map<string, { readonly at: number; readonly value: RoutedPeople }>();

/** Forgets every cached route (tests; a policy reload). */
export function clearRoutingCache(): void {
  cache.clear();
}

const GroupName = z.object({ id: z.string(), displayName: z.string().nullable().optional() });

async function readGroup(id: string, as: RouteGroup["as"]): Promise<{ group: RouteGroup; people: string[] }> {
  const client = appGraphClient();
  let displayName: string | null;
  try {
    displayName =
      GroupName.parse(
        await client
          .api(`/groups/${encodeURIComponent(id)}`)
          .select(["id", "displayName"])
          .get(),
      ).displayName ?? null;
  } catch (error) {
    const failure = graphError(error);
    // A group that does not exist names nobody; anything else is Graph failing, which must not read as "nobody".
    if (failure.code === "not_found") return { group: { id, as, displayName: null, state: "missing" }, people: [] };
    throw failure;
  }
  // Both lists keep users only (a service principal or a device cannot sign in to decide) and drop disabled accounts
  // (accountEnabled false: they cannot sign in). The cast on transitiveMembers is an advanced query: Graph refuses it
  // without ConsistencyLevel: eventual and $count=true (learn.microsoft.com/graph/aad-advanced-queries). A group's
  // owners may be users or service principals (learn.microsoft.com/graph/api/group-list-owners), hence the filter.
  const objects =
    as === "members"
      ? await readAllPages(
          client,
          `/groups/${encodeURIComponent(id)}/transitiveMembers/microsoft.graph.user?$count=true&$select=id,accountEnabled&$top=999`,
          DirectoryObjectWire,
          { ConsistencyLevel: "eventual" },
        )
      : (await readAllPages(client, `/groups/${encodeURIComponent(id)}/owners?$select=id,accountEnabled`, DirectoryObjectWire)).filter(
          (object) => object["@odata.type"] === "#microsoft.graph.user",
        );
  return {
    group: { id, as, displayName, state: "ok" },
    people: objects.filter((object) => object.accountEnabled !== false).map((object) => object.id.toLowerCase()),
  };
}

/**
 * The people a route names: the members of its `groups` (transitively, through nested groups) and the owners of its
 * `ownersOf` groups, enabled users only. Cached for a minute (at most 500 routes). When Graph fails, nobody is routed
 * (logged): Console.Admin holders decide until Graph answers again.
 */
export async function routedApprovers(route: PolicyRoute): Promise<RoutedPeople> {
  const key = JSON.stringify([route.id, route.approvers.groups, route.approvers.ownersOf]);
  const hit = cache.get(key);
  if (hit && Date.now() - hit.at < CACHE_MS) return hit.value;
  let value: RoutedPeople;
  try {
    const read = await Promise.all([
      ...route.approvers.groups.map((id) => readGroup(id, "members")),
      ...route.approvers.ownersOf.map((id) => readGroup(id, "owners")),
    ]);
    value = { people: [...new Set(read.flatMap((entry) => entry.people))], groups: read.map((entry) => entry.group), unavailable: false };
  } catch (error) {
    log("warn", "requests", "could not resolve a route's approvers; only Console.Admin holders may decide its requests for now", {
      routeId: route.id,
      error: describeError(error),
    });
    // Not cached: the next view asks Graph again.
    return {
      people: [],
      groups: [
        ...route.approvers.groups.map((id): RouteGroup => ({ id, as: "members", displayName: null, state: "unknown" })),
        ...route.approvers.ownersOf.map((id): RouteGroup => ({ id, as: "owners", displayName: null, state: "unknown" })),
      ],
      unavailable: true,
    };
  }
  if (cache.size >= CACHE_ENTRIES) cache.delete(cache.keys().next().value!);
  cache.set(key, { at: Date.now(), value });
  return value;
}

/** Who decides a request now, and why, in words for the request page. */
export interface Decider {
  readonly route?: { readonly id: string; readonly name: string; readonly why: string };
  /** `single`: one kind of approval (route or not); on a `business-then-admin` route, the step that is next. */
  readonly step: "business" | "admin" | "single";
  /** The routed people who may decide this step (empty in the admin step, and when nobody could be resolved). */
  readonly routedPeople: readonly string[];
  /** Console.Admin holders may decide this step. */
  readonly adminFallback: boolean;
  /** The route's groups as Graph knows them (for the page's words). */
  readonly groups: readonly RouteGroup[];
  /** The business approval already given, on a two-step route. */
  readonly businessApproval?: RequestApproval;
  readonly explanation: string;
}

function groupWords(groups: readonly RouteGroup[]): string {
  const name = (group: RouteGroup) => group.displayName ?? group.id;
  const members = groups.filter((group) => group.as === "members").map(name);
  const owners = groups.filter((group) => group.as === "owners").map(name);
  return [members.length ? `members of ${members.join(", ")}` : "", owners.length ? `owners of ${owners.join(", ")}` : ""].filter(Boolean).join(" or ");
}

/** Why the route fits the request, from what it matches on. */
export function routeReason(route: PolicyRoute, request: Pick<AccessRequestRow, "workspaceName" | "roleName" | "bundleName">): string {
  const { match } = route;
  const parts: string[] = [];
  if (match.workspaces) parts.push(`the workspace ${request.workspaceName} matches ${match.workspaces.join(" or ")}`);
  if (match.tags) {
    parts.push(
      `the workspace is tagged ${Object.entries(match.tags)
        .map(([name, value]) => `${name}=${value}`)
        .join(", ")}`,
    );
  }
  if (match.roles) parts.push(`the role is ${request.roleName}`);
  if (match.bundles) parts.push(`the bundle is ${request.bundleName ?? match.bundles.join(" or ")}`);
  return parts.join("; ");
}

export interface RoutingOptions {
  readonly policy?: RequestPolicy;
  /** Where a route's people come from: Graph, or a stand-in in tests. */
  readonly resolve?: ApproverResolver;
}

/**
 * Who may decide the request's next approval:
 * - no route (or a route no longer in the policy): Console.Admin holders;
 * - `single`: the routed people, and Console.Admin holders as the fallback (they may always decide);
 * - `business-then-admin`: first a routed person (Console.Admin holders only when the route names nobody who can
 *   sign in, or Graph cannot say), then a Console.Admin holder, who grants as themselves.
 */
export async function whoDecides(request: AccessRequestRow, options: RoutingOptions = {}): Promise<Decider> {
  const policy = options.policy ?? getRequestPolicy();
  const route = routeOfRequest(policy, request);
  if (!route) {
    return {
      step: "single",
      routedPeople: [],
      adminFallback: true,
      groups: [],
      explanation: request.routeId
        ? "A Console.Admin (the approver route this request was filed under is no longer in the policy)."
        : "A Console.Admin (no approver route in the policy matches this request).",
    };
  }
  const resolved = await (options.resolve ?? routedApprovers)(route);
  const who = groupWords(resolved.groups);
  const about = { id: route.id, name: route.name, why: routeReason(route, request) };
  const routeWords = `route "${route.name}": ${about.why}`;
  const nobody = resolved.unavailable
    ? " Microsoft Graph could not list them just now, so only a Console.Admin can decide it until it answers."
    : resolved.people.length === 0
      ? " None of them can sign in (no enabled users, or the group does not exist), so a Console.Admin decides instead."
      : "";
  if (route.flow === "single") {
    return {
      route: about,
      step: "single",
      routedPeople: resolved.people,
      adminFallback: true,
      groups: resolved.groups,
      explanation: `${capitalized(who)} (${routeWords}), or a Console.Admin as fallback.${nobody}`,
    };
  }
  const business = request.approvals.find((approval) => approval.step === "business");
  if (!business) {
    return {
      route: about,
      step: "business",
      routedPeople: resolved.people,
      adminFallback: resolved.people.length === 0,
      groups: resolved.groups,
      explanation: `Waiting for the business approval by ${who} (${routeWords}); then a Console.Admin grants it.${nobody}`,
    };
  }
  return {
    route: about,
    step: "admin",
    routedPeople: [],
    adminFallback: true,
    groups: resolved.groups,
    businessApproval: business,
    explanation: `Business-approved by ${business.displayName}; waiting for a Console.Admin to grant it (${routeWords}).`,
  };
}

function capitalized(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** Someone signed in, with their console roles. */
export interface Decidee extends Identity {
  readonly roles: readonly ConsoleRole[];
}

/** The routed people are users of the console's own tenant: someone from another tenant with the same object id is not one. */
export function isRoutedPerson(person: Identity, people: readonly string[]): boolean {
  const tenantId = getConfig().identity.tenantId;
  return people.some((id) => sameIdentity(person, { tenantId, objectId: id }));
}

/** Whether the person may give the next approval, by route and role (separation of duties is checked apart). */
export function mayApprove(person: Decidee, decider: Decider): boolean {
  if (decider.adminFallback && person.roles.includes("Console.Admin")) return true;
  return decider.step !== "admin" && isRoutedPerson(person, decider.routedPeople);
}

/** Whether the person may deny: whoever may approve the next step, and a Console.Admin at any step (a denial grants nothing). */
export function mayDeny(person: Decidee, decider: Decider): boolean {
  return person.roles.includes("Console.Admin") || mayApprove(person, decider);
}

/** Whether the person may see the request in their queue: Console.Admin holders see all; routed people their route's. */
export function maySeeAsApprover(person: Decidee, decider: Decider): boolean {
  return person.roles.includes("Console.Admin") || isRoutedPerson(person, decider.routedPeople);
}

/**
 * The ids of routes the person is routed on (any step), for the queue: the person's route membership, read from the
 * cached resolution of every route in the policy.
 */
export async function routesOfApprover(person: Identity, options: RoutingOptions = {}): Promise<string[]> {
  const policy = options.policy ?? getRequestPolicy();
  const resolve = options.resolve ?? routedApprovers;
  const routed = await Promise.all(policy.routes.map(async (route) => (isRoutedPerson(person, (await resolve(route)).people) ? route.id : undefined)));
  return routed.filter((id): id is string => id !== undefined);
}

export interface ArrivalOptions extends RoutingOptions {
  /** The Console.Admin holders: Graph, or a stand-in in tests. */
  readonly admins?: () => Promise<string[]>;
}

/** Never tell someone to decide what they may not: the requester and the principal are left out. */
function withoutSelf(ids: readonly string[], request: AccessRequestRow): string[] {
  const tenantId = getConfig().identity.tenantId;
  return [...new Set(ids)].filter((id) => {
    const person = { tenantId, objectId: id };
    return !isRequester(person, request) && !isPrincipal(person, request);
  });
}

/**
 * The people to tell when a request arrives: its routed approvers (on a two-step route, the business approvers), or
 * the Console.Admin holders when it has no route or its route names nobody who can decide.
 */
export async function arrivalApprovers(request: AccessRequestRow, options: ArrivalOptions = {}): Promise<string[]> {
  const decider = await whoDecides(request, options);
  const routed = withoutSelf(decider.routedPeople, request);
  if (decider.step !== "admin" && routed.length > 0) return routed;
  return withoutSelf(await (options.admins ?? findApprovers)(), request);
}

/** The Console.Admin holders to tell when a two-step request's business approval is in (the business approver left out). */
export async function adminStepApprovers(request: AccessRequestRow, options: ArrivalOptions = {}): Promise<string[]> {
  const business = request.approvals.find((approval) => approval.step === "business");
  const admins = withoutSelf(await (options.admins ?? findApprovers)(), request);
  return business ? admins.filter((id) => id !== business.objectId.toLowerCase()) : admins;
}

/** What the policy page and start-up say about one route's approvers. */
export interface RouteCheck {
  readonly route: PolicyRoute;
  readonly groups: readonly RouteGroup[];
  /** How many enabled users may decide (null: Graph could not say). */
  readonly people: number | null;
  /** Problems in words: a group that does not exist, nobody who can sign in, Graph unreachable. */
  readonly problems: readonly string[];
}

/**
 * Checks every route's groups in Graph (as the console): a group that does not exist, or a route naming nobody who can
 * sign in, is a problem (its requests fall back to Console.Admin holders); Graph unreachable is reported, not fatal.
 */
export async function checkPolicyRoutes(options: RoutingOptions = {}): Promise<RouteCheck[]> {
  const policy = options.policy ?? getRequestPolicy();
  const resolve = options.resolve ?? routedApprovers;
  return Promise.all(
    policy.routes.map(async (route): Promise<RouteCheck> => {
      const read = await resolve(route);
      if (read.unavailable) {
        return { route, groups: read.groups, people: null, problems: ["Microsoft Graph could not be asked about this route's groups just now."] };
      }
      const problems = read.groups
        .filter((group) => group.state === "missing")
        .map((group) => `Group ${group.id} does not exist in the directory: it names nobody.`);
      if (read.people.length === 0) problems.push("Nobody who can sign in is named: a Console.Admin decides this route's requests.");
      return { route, groups: read.groups, people: read.people.length, problems };
    }),
  );
}

/**
 * At start-up, after the policy itself was validated: logs each route whose groups do not exist or name nobody, and
 * a warning when Graph cannot be asked. Never stops the console (Graph may be briefly unreachable as it starts).
 */
export async function logPolicyRouteCheck(): Promise<void> {
  try {
    for (const check of await checkPolicyRoutes()) {
      for (const problem of check.problems) log("warn", "requests", "approver route problem", { routeId: check.route.id, problem });
    }
  } catch (error) {
    log("warn", "requests", "could not check the approver routes at start-up", { error: describeError(error) });
  }
}
