import "server-only";

import { z } from "zod";

import { armListAll, type ArmIdentity } from "@/lib/arm/client";
import type { DelegatedCaller } from "@/lib/azure/tokens";
import { getConfig } from "@/lib/config";
import { AppError } from "@/lib/errors";
import { getRequestPolicy, type PolicyBundle, type RequestPolicy } from "@/lib/requests/policy";
import { parseScope } from "@/lib/shared/arm-scope";
import { ROLE_ASSIGNMENT_DELETE, ROLE_ASSIGNMENT_WRITE, roleAllows } from "@/lib/shared/rbac-actions";
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
  readonly readLinks: (identity: ArmIdentity, workspaceId: string) => Promise<WorkspaceLinks>;
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
): Promise<BundlePlanView> {
  const identity: ArmIdentity = { kind: "delegated", caller };
  const { bundle, facts: placement } = await readPlacement(identity, input, sources, policy);
  // The admin's rights, once per scope a part would land on.
  const found = [...Object.values(placement.linked), ...placement.registries.values()].flatMap((fact) => (fact.state === "found" ? [fact.id] : []));
  const scopes = [placement.workspace.id, ...found];
  const distinct = [...new Set(scopes.map((scope) => scope.toLowerCase()))];
  const [rights, consoleRights] = await Promise.all([
    rightsAt(sources, identity, distinct, ROLE_ASSIGNMENT_WRITE),
    input.timeBound ? rightsAt(sources, { kind: "app" }, distinct, ROLE_ASSIGNMENT_DELETE) : undefined,
  ]);
  const facts: BundleFacts = {
    ...placement,
    canAssign: (scope) => rights.get(scope.toLowerCase()) ?? "unknown",
    ...(consoleRights ? { consoleCanRemove: (scope: string) => consoleRights.get(scope.toLowerCase()) ?? "unknown" } : {}),
  };
  const plan = resolveBundle(bundle, facts);
  const limit = getConfig().roleAssignments.limitPerSubscription;
  const budgets = await Promise.all(
    [...plan.assignmentsBySubscription].map(async ([subscriptionId, adds]): Promise<BundleBudget> => {
      const used = await sources.countAssignments(identity, subscriptionId);
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
  const { bundle, facts } = await readPlacement(identity, input, sources, policy);
  return resolveBundle(bundle, facts);
}

/** The workspace's links and the bundle's registries, as `identity` reads them. */
async function readPlacement(
  identity: ArmIdentity,
  input: { readonly workspaceId: string; readonly bundleId: string },
  sources: Pick<BundleFactSources, "readLinks" | "readRegistry">,
  policy: RequestPolicy,
): Promise<{ bundle: PolicyBundle; facts: Omit<BundleFacts, "canAssign" | "consoleCanRemove"> }> {
  const workspace = parseScope(input.workspaceId);
  if (workspace?.level !== "workspace") throw invalidWorkspace(input.workspaceId);
  const bundle = findBundle(policy, input.bundleId);
  const links = await sources.readLinks(identity, workspace.scope);
  const registryIds = bundle.companions.flatMap((companion) => companion.registries ?? []);
  const registries = new Map(await Promise.all(registryIds.map(async (id) => [id.toLowerCase(), await sources.readRegistry(identity, id)] as const)));
  return { bundle, facts: { workspace: links.workspace, linked: links.linked, registries } };
}

/** Whether `identity` may do `action` at each scope, from ARM's permissions list ("unknown" when it could not be read). */
async function rightsAt(
  sources: BundleFactSources,
  identity: ArmIdentity,
  scopes: readonly string[],
  action: string,
): Promise<Map<string, "yes" | "no" | "unknown">> {
  const rights = new Map<string, "yes" | "no" | "unknown">();
  await Promise.all(
    scopes.map(async (scope) => {
      try {
        const blocks = await sources.permissionsAt(identity, scope);
        rights.set(scope, blocks.some((block) => roleAllows(block, action)) ? "yes" : "no");
      } catch {
        rights.set(scope, "unknown");
      }
    }),
  );
  return rights;
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
