import "server-only";

import { z } from "zod";

import { armListAll, type ArmIdentity } from "@/lib/arm/client";
import type { DelegatedCaller } from "@/lib/azure/tokens";
import { getConfig } from "@/lib/config";
import { AppError } from "@/lib/errors";
import { getRequestPolicy, type PolicyBundle, type RequestPolicy } from "@/lib/requests/policy";
import { parseScope } from "@/lib/shared/arm-scope";
import { ROLE_ASSIGNMENT_DELETE, ROLE_ASSIGNMENT_WRITE, roleAllows } from "@/lib/shared/rbac-actions";
import { linkedResourceOf } from "@/lib/arm/linked-resources";
import { countSubscriptionAssignments } from "@/lib/workspaces/get-grant-options";
import { invalidWorkspace } from "@/lib/workspaces/get-workspace-access";
import type { LinkedResourceKind } from "./definition";
import { type BundleFacts, type BundlePlan, type LinkedResourceFact, resolveBundle } from "./resolve";

/** ARM's permissions list (Permissions_ListForResource): the caller's own effective permission blocks at a scope. */
const PERMISSIONS_API_VERSION = "2022-04-01";

/** A workspace and what its properties link to, as ARM answers for the signed-in admin. */
export interface WorkspaceLinks {
  readonly workspace: { readonly id: string; readonly name: string; readonly subscriptionId: string };
  readonly linked: Readonly<Record<Exclude<LinkedResourceKind, "amlRegistry">, LinkedResourceFact>>;
}

/** Where a plan's facts come from: ARM, or a stand-in in tests. */
export interface BundleFactSources {
  /** `onLinkIds`, when given, is told the linked ids once the workspace is read, so reads about them can start early. */
  readonly readLinks: (identity: ArmIdentity, workspaceId: string, onLinkIds?: (ids: readonly string[]) => void) => Promise<WorkspaceLinks>;
  readonly readRegistry: (identity: ArmIdentity, registryId: string) => Promise<LinkedResourceFact>;
  /** The caller's permission blocks at a scope (ARM's permissions list). */
  readonly permissionsAt: (identity: ArmIdentity, scope: string) => Promise<readonly { actions: string[]; notActions: string[] }[]>;
  readonly countAssignments: (identity: ArmIdentity, subscriptionId: string) => Promise<number | null>;
}

const permissionBlock = z.object({ actions: z.array(z.string()).default([]), notActions: z.array(z.string()).default([]) });

/** ARM's permissions list, parsed (unknown fields ignored: upstream data). */
export async function armPermissionsAt(identity: ArmIdentity, scope: string): Promise<{ actions: string[]; notActions: string[] }[]> {
  const rows = await armListAll(identity, `${scope}/providers/Microsoft.Authorization/permissions`, PERMISSIONS_API_VERSION);
  return z.array(permissionBlock).parse(rows);
}

/** A subscription's share of the bundle against its assignment budget. */
export interface BundleBudget {
  readonly subscriptionId: string;
  /** New assignments the bundle adds there at most (parts that already exist add none). */
  readonly adds: number;
  readonly used: number | null;
  readonly limit: number;
  /** `used + adds` would pass the limit: ARM would refuse the last parts. */
  readonly exceeds: boolean;
}

export interface BundlePlanView extends BundlePlan {
  readonly budgets: readonly BundleBudget[];
  /** The bundle's own words, for the dialog. */
  readonly description: string;
}

export function findBundle(policy: RequestPolicy, bundleId: string): PolicyBundle {
  const bundle = policy.bundles.find((candidate) => candidate.id === bundleId);
  if (!bundle) {
    throw new AppError({ code: "invalid_input", message: `unknown bundle ${bundleId}`, userMessage: "That bundle is not offered. Choose one from the list." });
  }
  return bundle;
}

/**
 * What granting a bundle on a workspace would do, read from ARM as the signed-in admin, before anything is done: each
 * part, where it lands, whether it can be granted (and why not), and its cost against each subscription's budget.
 */
export async function planBundle(
  caller: DelegatedCaller,
  input: {
    readonly workspaceId: string;
    readonly bundleId: string;
    /** Time-bound access is ended by Gatehouse's own identity: its right to remove each part is checked too. */
    readonly timeBound?: boolean;
  },
  sources: BundleFactSources,
  policy: RequestPolicy = getRequestPolicy(),
  options: {
    /** Told every scope a part may land on as soon as it is known (a grant reads those scopes' role definitions meanwhile). */
    readonly onScopes?: (scopes: readonly string[]) => void;
  } = {},
): Promise<BundlePlanView> {
  const identity: ArmIdentity = { kind: "delegated", caller };
  const workspace = parseScope(input.workspaceId);
  if (workspace?.level !== "workspace") throw invalidWorkspace(input.workspaceId);
  const bundle = findBundle(policy, input.bundleId);
  // Every read that does not depend on another starts at once: the rights at each scope as soon as the scope is known
  // (the workspace's now, the linked resources' once the workspace names them, while they are read), and the workspace
  // subscription's assignment count, which its own part always needs. Nothing is decided before all of them are in.
  const rights = new Map<string, Promise<"yes" | "no" | "unknown">>();
  const consoleRights = new Map<string, Promise<"yes" | "no" | "unknown">>();
  const startRights = (scopes: readonly string[]) => {
    for (const scope of scopes.map((candidate) => candidate.toLowerCase())) {
      if (rights.has(scope)) continue;
      rights.set(scope, rightAt(sources, identity, scope, ROLE_ASSIGNMENT_WRITE));
      if (input.timeBound) consoleRights.set(scope, rightAt(sources, { kind: "app" }, scope, ROLE_ASSIGNMENT_DELETE));
    }
    options.onScopes?.(scopes);
  };
  const counts = new Map<string, Promise<number | null>>();
  const countIn = (subscriptionId: string) => {
    const key = subscriptionId.toLowerCase();
    let count = counts.get(key);
    if (!count) {
      count = sources.countAssignments(identity, subscriptionId);
      // Awaited below when the plan needs it; until then a failure must not surface as an unhandled rejection.
      count.catch(() => undefined);
      counts.set(key, count);
    }
    return count;
  };
  // Only the linked resources a companion lands on: a link the bundle does not use needs no rights read.
  const used = new Set(bundle.companions.map((companion) => companion.on));
  const landedOn = (ids: readonly string[]) =>
    ids.filter((id) => {
      const kind = linkedResourceOf(id)?.kind;
      return kind !== undefined && used.has(kind);
    });
  void countIn(workspace.subscriptionId!);
  startRights([workspace.scope, ...bundle.companions.flatMap((companion) => companion.registries ?? [])]);
  const placement = await readPlacement(identity, { workspace: workspace.scope, bundle }, sources, (ids) => startRights(landedOn(ids)));
  // The admin's rights, once per scope a part would land on.
  const found = [
    ...Object.entries(placement.linked).flatMap(([kind, fact]) => (fact.state === "found" && used.has(kind as LinkedResourceKind) ? [fact.id] : [])),
    ...[...placement.registries.values()].flatMap((fact) => (fact.state === "found" ? [fact.id] : [])),
  ];
  startRights(found);
  const distinct = [...new Set([placement.workspace.id, ...found].map((scope) => scope.toLowerCase()))];
  const [canAssign, consoleCanRemove] = await Promise.all([
    settledRights(rights, distinct),
    input.timeBound ? settledRights(consoleRights, distinct) : undefined,
  ]);
  const facts: BundleFacts = {
    ...placement,
    canAssign: (scope) => canAssign.get(scope.toLowerCase()) ?? "unknown",
    ...(consoleCanRemove ? { consoleCanRemove: (scope: string) => consoleCanRemove.get(scope.toLowerCase()) ?? "unknown" } : {}),
  };
  const plan = resolveBundle(bundle, facts);
  const limit = getConfig().roleAssignments.limitPerSubscription;
  const budgets = await Promise.all(
    [...plan.assignmentsBySubscription].map(async ([subscriptionId, adds]): Promise<BundleBudget> => {
      const used = await countIn(subscriptionId);
      return { subscriptionId, adds, used, limit, exceeds: used !== null && used + adds > limit };
    }),
  );
  return { ...plan, budgets, description: bundle.description };
}

/**
 * Where a bundle's parts land on a workspace, read as `identity`, without asking whether anyone may grant them: what
 * the bundle would give (the permission delta), not whether it can be granted now (`planBundle`). A part is still
 * `blocked` when its resource is gone or cannot be read, and `not_applicable` as in a plan.
 */
export async function placeBundle(
  identity: ArmIdentity,
  input: { readonly workspaceId: string; readonly bundleId: string },
  sources: Pick<BundleFactSources, "readLinks" | "readRegistry">,
  policy: RequestPolicy = getRequestPolicy(),
): Promise<BundlePlan> {
  const workspace = parseScope(input.workspaceId);
  if (workspace?.level !== "workspace") throw invalidWorkspace(input.workspaceId);
  const bundle = findBundle(policy, input.bundleId);
  return resolveBundle(bundle, await readPlacement(identity, { workspace: workspace.scope, bundle }, sources));
}

/** The workspace's links and the bundle's registries, as `identity` reads them, side by side. */
async function readPlacement(
  identity: ArmIdentity,
  input: { readonly workspace: string; readonly bundle: PolicyBundle },
  sources: Pick<BundleFactSources, "readLinks" | "readRegistry">,
  onLinkIds?: (ids: readonly string[]) => void,
): Promise<Omit<BundleFacts, "canAssign" | "consoleCanRemove">> {
  const registryIds = input.bundle.companions.flatMap((companion) => companion.registries ?? []);
  const [links, registries] = await Promise.all([
    sources.readLinks(identity, input.workspace, onLinkIds),
    Promise.all(registryIds.map(async (id) => [id.toLowerCase(), await sources.readRegistry(identity, id)] as const)),
  ]);
  return { workspace: links.workspace, linked: links.linked, registries: new Map(registries) };
}

/** Whether `identity` may do `action` at a scope, from ARM's permissions list ("unknown" when it could not be read). */
async function rightAt(sources: BundleFactSources, identity: ArmIdentity, scope: string, action: string): Promise<"yes" | "no" | "unknown"> {
  try {
    const blocks = await sources.permissionsAt(identity, scope);
    return blocks.some((block) => roleAllows(block, action)) ? "yes" : "no";
  } catch {
    return "unknown";
  }
}

/** The rights read (or being read) at `scopes`, once all of them are in. */
async function settledRights(
  started: ReadonlyMap<string, Promise<"yes" | "no" | "unknown">>,
  scopes: readonly string[],
): Promise<Map<string, "yes" | "no" | "unknown">> {
  return new Map(await Promise.all(scopes.map(async (scope) => [scope, (await started.get(scope)) ?? "unknown"] as const)));
}

/** The parts that stop a bundle, in one message for the admin ("nothing was granted: …"). */
export function blockedMessage(plan: BundlePlanView): string | undefined {
  const blocked = plan.parts.filter((part) => part.state === "blocked");
  const over = plan.budgets.filter((budget) => budget.exceeds);
  if (blocked.length === 0 && over.length === 0) return undefined;
  const reasons = [
    ...blocked.map((part) => `${part.roleName}: ${part.note}`),
    ...over.map(
      (budget) =>
        `Subscription ${budget.subscriptionId} has ${budget.used} of its ${budget.limit} role assignments; the bundle would add ${budget.adds}. Grant to a group instead, or remove unused assignments first.`,
    ),
  ];
  return `Nothing was granted. ${reasons.join(" ")}`;
}

export const defaultBundleFactSources = (readLinks: BundleFactSources["readLinks"], readRegistry: BundleFactSources["readRegistry"]): BundleFactSources => ({
  readLinks,
  readRegistry,
  permissionsAt: armPermissionsAt,
  countAssignments: countSubscriptionAssignments,
});
