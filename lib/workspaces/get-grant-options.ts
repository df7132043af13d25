import "server-only";

import { z } from "zod";

import { armGet, armListAll, type ArmIdentity } from "@/lib/arm/client";
import type { DelegatedCaller } from "@/lib/azure/tokens";
import { getConfig } from "@/lib/config";
import { describeError, log } from "@/lib/log";
import { ROLE_GUIDANCE } from "@/lib/shared/aml-roles";
import { parseScope, scopeApplies } from "@/lib/shared/arm-scope";
import { invalidWorkspace } from "./get-workspace-access";
import { WORKSPACES_API_VERSION, WorkspaceWire } from "./list-workspaces";
import { roleGrantability } from "./grantable-roles";
import { ROLE_ASSIGNMENTS_API_VERSION } from "./role-assignments";
import { getRoleDefinitions } from "./role-definitions";

/** Above this share of the limit the grant dialog warns and suggests granting to a group. */
export const BUDGET_WARNING_RATIO = 0.9;

export interface RoleOption {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly summary: string | null;
  readonly privileged: boolean;
  readonly warning: string | null;
  /** One of the roles that matter for Azure ML, listed first. */
  readonly featured: boolean;
}

export interface GrantOptions {
  readonly roles: readonly RoleOption[];
  /**
   * Role assignments counted against the workspace's subscription's limit (those at the subscription and below it;
   * ARM does not count management-group or root ones there), and the configured limit. Approximate: ARM decides, and
   * its count may include what this caller cannot read. Null when they could not be counted.
   */
  readonly budget: { readonly used: number; readonly limit: number } | null;
  /** The budget is above `BUDGET_WARNING_RATIO`: the dialog suggests granting to a group. */
  readonly budgetWarning: boolean;
  /** For an Azure AI Foundry project: its hub, on which the dialog offers Reader too (checked by default). */
  readonly hub: { readonly id: string; readonly name: string } | null;
  /** Roles assignable here that the grantable-role policy leaves out of `roles`, with why and how to allow them. */
  readonly notOffered: readonly { readonly id: string; readonly name: string; readonly reason: string }[];
}

/** What the grant dialog offers: roles (Azure ML ones first, with plain summaries) and the subscription's budget. */
export async function getGrantOptions(caller: DelegatedCaller, workspaceId: string): Promise<GrantOptions> {
  const workspace = parseScope(workspaceId);
  if (workspace?.level !== "workspace") throw invalidWorkspace(workspaceId);
  const identity: ArmIdentity = { kind: "delegated", caller };
  const limit = getConfig().roleAssignments.limitPerSubscription;
  const [definitions, used, hub] = await Promise.all([
    getRoleDefinitions(identity, workspace.scope),
    countSubscriptionAssignments(identity, workspace.subscriptionId!),
    (async () => {
      // Without the workspace's kind the dialog simply offers no hub grant.
      try {
        const wire = WorkspaceWire.parse(await armGet(identity, workspace.scope, WORKSPACES_API_VERSION));
        const parsed = wire.kind === "Project" && wire.properties?.hubResourceId ? parseScope(wire.properties.hubResourceId) : undefined;
        return parsed?.level === "workspace" ? { id: parsed.scope, name: parsed.workspaceName! } : null;
      } catch {
        return null;
      }
    })(),
  ]);
  const featuredIds = new Set(ROLE_GUIDANCE.map((role) => role.id));
  // A role the policy forbids is not offered at all (the grant refuses it anyway); the dialog names it and says why.
  const notOffered: { id: string; name: string; reason: string }[] = [];
  for (const definition of definitions.values()) {
    const verdict = roleGrantability(definition);
    if (!verdict.grantable) notOffered.push({ id: definition.id, name: definition.name, reason: verdict.message });
  }
  const withheldIds = new Set(notOffered.map((role) => role.id));
  const featured = ROLE_GUIDANCE.flatMap((guidance): RoleOption[] => {
    const definition = withheldIds.has(guidance.id) ? undefined : definitions.get(guidance.id);
    return definition
      ? [
          {
            id: guidance.id,
            name: definition.name,
            description: definition.description,
            summary: guidance.summary,
            privileged: definition.privileged,
            warning: guidance.warning ?? null,
            featured: true,
          },
        ]
      : [];
  });
  const others = [...definitions.values()]
    .filter((definition) => !featuredIds.has(definition.id) && !withheldIds.has(definition.id))
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((definition): RoleOption => ({
      id: definition.id,
      name: definition.name,
      description: definition.description,
      summary: null,
      // From what the role allows (custom roles included), not from a list of names.
      privileged: definition.privileged,
      warning: null,
      featured: false,
    }));
  return {
    roles: [...featured, ...others],
    budget: used === null ? null : { used, limit },
    budgetWarning: used !== null && used / limit > BUDGET_WARNING_RATIO,
    hub,
    notOffered: notOffered.sort((a, b) => a.name.localeCompare(b.name)),
  };
}

/** ARM's role-assignment usage for a subscription (RoleAssignmentsUsageMetrics, a preview api-version). */
const USAGE_METRICS_API_VERSION = "2019-08-01-preview";
const UsageMetricsWire = z.object({ roleAssignmentsCurrentCount: z.number().int().nonnegative() });

/**
 * The assignments that count against a subscription's limit: ARM's own count (its usage metrics, one call, also
 * counting what this caller cannot read), or, when ARM will not give it (a preview api-version may be withdrawn, or
 * refused to this caller), counted from the list. The list at a subscription also holds those above it (management
 * groups, the root), which the limit leaves out: "4,000 per subscription … counts subscription, resource group and
 * resource scopes, not management-group scope" (Azure subscription and service limits).
 */
export async function countSubscriptionAssignments(identity: ArmIdentity, subscriptionId: string): Promise<number | null> {
  const subscription = `/subscriptions/${subscriptionId}`;
  try {
    const usage = UsageMetricsWire.safeParse(
      await armGet(identity, `${subscription}/providers/Microsoft.Authorization/roleAssignmentsUsageMetrics`, USAGE_METRICS_API_VERSION),
    );
    if (usage.success) return usage.data.roleAssignmentsCurrentCount;
    log("warn", "workspaces", "role assignment usage metrics answered in an unknown shape; counting from the list", { subscriptionId });
  } catch (error) {
    // Counted from the list below.
    log("info", "workspaces", "role assignment usage metrics unavailable; counting from the list", { subscriptionId, error: describeError(error) });
  }
  try {
    // The SDK's listForSubscription request, read as plain JSON: at 4,000 assignments its model deserializer cost more
    // than the count, and only each assignment's scope is read here.
    const items = await armListAll(identity, `${subscription}/providers/Microsoft.Authorization/roleAssignments`, ROLE_ASSIGNMENTS_API_VERSION);
    let count = 0;
    for (const item of items) {
      const scope = (item as { properties?: { scope?: unknown } } | null)?.properties?.scope;
      if (typeof scope === "string" && scope && scopeApplies(subscription, scope)) count++;
    }
    return count;
  } catch (error) {
    log("warn", "workspaces", "subscription role assignments could not be counted", { subscriptionId, error: describeError(error) });
    return null;
  }
}
