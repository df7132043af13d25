import "server-only";

import { armGet, authorizationClient, type ArmIdentity } from "@/lib/arm/client";
import type { DelegatedCaller } from "@/lib/azure/tokens";
import { ROLE_GUIDANCE } from "@/lib/shared/aml-roles";
import { parseScope } from "@/lib/shared/arm-scope";
import { invalidWorkspace } from "./get-workspace-access";
import { WORKSPACES_API_VERSION, WorkspaceWire } from "./list-workspaces";
import { getRoleDefinitions } from "./role-definitions";

/** Azure's per-subscription limit on role assignments (2,000 in some sovereign clouds). */
export const ROLE_ASSIGNMENT_LIMIT = 4000;
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
  /** Role assignments used in the workspace's subscription, of the limit; null when they could not be counted. */
  readonly budget: { readonly used: number; readonly limit: number } | null;
  /** The budget is above `BUDGET_WARNING_RATIO`: the dialog suggests granting to a group. */
  readonly budgetWarning: boolean;
  /** For an Azure AI Foundry project: its hub, on which the dialog offers Reader too (checked by default). */
  readonly hub: { readonly id: string; readonly name: string } | null;
}

/** What the grant dialog offers: roles (Azure ML ones first, with plain summaries) and the subscription's budget. */
export async function getGrantOptions(caller: DelegatedCaller, workspaceId: string): Promise<GrantOptions> {
  const workspace = parseScope(workspaceId);
  if (workspace?.level !== "workspace") throw invalidWorkspace(workspaceId);
  const identity: ArmIdentity = { kind: "delegated", caller };
  const [definitions, used, hub] = await Promise.all([
    getRoleDefinitions(identity, workspace.subscriptionId!),
    (async () => {
      try {
        let count = 0;
        for await (const _assignment of authorizationClient(identity, workspace.subscriptionId!).roleAssignments.listForSubscription()) count++;
        return count;
      } catch {
        return null;
      }
    })(),
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
  const featured = ROLE_GUIDANCE.flatMap((guidance): RoleOption[] => {
    const definition = definitions.get(guidance.id);
    return definition
      ? [
          {
            id: guidance.id,
            name: definition.name,
            description: definition.description,
            summary: guidance.summary,
            privileged: guidance.privileged,
            warning: guidance.warning ?? null,
            featured: true,
          },
        ]
      : [];
  });
  const others = [...definitions.values()]
    .filter((definition) => !featuredIds.has(definition.id))
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((definition): RoleOption => ({
      id: definition.id,
      name: definition.name,
      description: definition.description,
      summary: null,
      privileged: false,
      warning: null,
      featured: false,
    }));
  return {
    roles: [...featured, ...others],
    budget: used === null ? null : { used, limit: ROLE_ASSIGNMENT_LIMIT },
    budgetWarning: used !== null && used / ROLE_ASSIGNMENT_LIMIT > BUDGET_WARNING_RATIO,
    hub,
  };
}
