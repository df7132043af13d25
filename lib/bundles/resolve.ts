import "server-only";

/**
 * Resolves a bundle on one workspace into the role assignments it means, before anything is done: each part says
 * where it lands and whether it can be granted, and when it cannot, why in words an admin can act on. Pure: the
 * caller reads the workspace's linked resources and the admin's rights from ARM and passes them in.
 */
import { type BundleDefinition, type CompanionDefinition, LINKED_RESOURCE_LABELS, type LinkedResourceKind } from "./definition";

/** What ARM said about one resource the workspace links to (or one chosen registry). */
export type LinkedResourceFact =
  /** The workspace names no such resource (a container registry is only created with the first image build). */
  | { readonly state: "none" }
  | {
      readonly state: "found";
      readonly id: string;
      readonly subscriptionId: string;
      readonly name: string;
      /** Key vaults: whether data access is authorized with Azure RBAC (`properties.enableRbacAuthorization`). */
      readonly keyVaultUsesRbac?: boolean;
    }
  /** The workspace names it but ARM answers 404: deleted or moved. */
  | { readonly state: "missing"; readonly id: string; readonly name: string }
  /** ARM would not show it to this admin (403), or could not be asked. */
  | { readonly state: "unreadable"; readonly id: string; readonly name: string; readonly reason: string };

export interface BundleFacts {
  readonly workspace: { readonly id: string; readonly name: string; readonly subscriptionId: string };
  readonly linked: Readonly<Record<Exclude<LinkedResourceKind, "amlRegistry">, LinkedResourceFact>>;
  /** The chosen registries by id (lower case). */
  readonly registries: ReadonlyMap<string, LinkedResourceFact>;
  /**
   * Whether the admin may create role assignments at a scope (Microsoft.Authorization/roleAssignments/write there,
   * from ARM's permissions list): `unknown` when ARM could not be asked. Absent: rights are not checked, for a plan of
   * where the parts land (what a bundle would give), not of whether this person can grant them.
   */
  readonly canAssign?: (scope: string) => "yes" | "no" | "unknown";
  /**
   * For time-bound access only: whether Gatehouse's own identity, which ends it at expiry, may remove role assignments
   * at a scope. A part it could not remove would outlive the access, so it is blocked before anything is granted.
   */
  readonly consoleCanRemove?: (scope: string) => "yes" | "no" | "unknown";
}

export type PartState = "grant" | "not_applicable" | "blocked";

export interface BundlePart {
  /** Stable within the bundle on this workspace: what a result, a holder and a resume refer to. */
  readonly key: string;
  readonly on: "workspace" | LinkedResourceKind;
  readonly resourceName: string | null;
  readonly scope: string | null;
  readonly subscriptionId: string | null;
  readonly roleDefinitionId: string;
  readonly roleName: string;
  readonly why: string;
  readonly state: PartState;
  /** For `not_applicable` and `blocked`: why, for the admin. */
  readonly note?: string;
}

export interface BundlePlan {
  readonly bundleId: string;
  readonly bundleName: string;
  readonly workspaceId: string;
  readonly parts: readonly BundlePart[];
  /** Every part is `grant` or `not_applicable`: the bundle can be granted whole. */
  readonly grantable: boolean;
  /** New role assignments per subscription if every `grant` part is new (what the budget is checked against). */
  readonly assignmentsBySubscription: ReadonlyMap<string, number>;
}

export function resolveBundle(bundle: BundleDefinition, facts: BundleFacts): BundlePlan {
  const parts: BundlePart[] = [
    landOn(
      {
        key: "workspace",
        on: "workspace",
        roleDefinitionId: bundle.workspaceRole.roleDefinitionId,
        roleName: bundle.workspaceRole.name,
        why: "The workspace role itself.",
      },
      { state: "found", id: facts.workspace.id, subscriptionId: facts.workspace.subscriptionId, name: facts.workspace.name },
      facts,
    ),
  ];
  for (const companion of bundle.companions) {
    if (companion.on === "amlRegistry") {
      for (const registry of companion.registries ?? []) {
        const fact = facts.registries.get(registry.toLowerCase()) ?? { state: "unreadable", id: registry, name: lastSegment(registry), reason: "not read" };
        parts.push(landOn(companionPart(companion, `amlRegistry:${registry.toLowerCase()}:${companion.roleDefinitionId}`), fact, facts, companion));
      }
      continue;
    }
    parts.push(landOn(companionPart(companion, `${companion.on}:${companion.roleDefinitionId}`), facts.linked[companion.on], facts, companion));
  }
  const assignmentsBySubscription = new Map<string, number>();
  for (const part of parts) {
    if (part.state === "grant" && part.subscriptionId) {
      assignmentsBySubscription.set(part.subscriptionId, (assignmentsBySubscription.get(part.subscriptionId) ?? 0) + 1);
    }
  }
  return {
    bundleId: bundle.id,
    bundleName: bundle.name,
    workspaceId: facts.workspace.id,
    parts,
    grantable: parts.every((part) => part.state !== "blocked"),
    assignmentsBySubscription,
  };
}

type PartBase = Pick<BundlePart, "key" | "on" | "roleDefinitionId" | "roleName" | "why">;

function companionPart(companion: CompanionDefinition, key: string): PartBase {
  return { key, on: companion.on, roleDefinitionId: companion.roleDefinitionId, roleName: companion.name, why: companion.why };
}

function landOn(base: PartBase, fact: LinkedResourceFact, facts: BundleFacts, companion?: CompanionDefinition): BundlePart {
  const what = base.on === "workspace" ? "workspace" : LINKED_RESOURCE_LABELS[base.on];
  const unplaced = { resourceName: null, scope: null, subscriptionId: null };
  switch (fact.state) {
    case "none":
      return {
        ...base,
        ...unplaced,
        state: "not_applicable",
        note:
          base.on === "containerRegistry"
            ? `The workspace has no container registry yet (Azure ML creates one with the first environment image), so there is nothing to grant ${base.roleName} on.`
            : `The workspace links no ${what}, so there is nothing to grant ${base.roleName} on.`,
      };
    case "missing":
      return {
        ...base,
        resourceName: fact.name,
        scope: fact.id,
        subscriptionId: null,
        state: "blocked",
        note: `The workspace's ${what} ${fact.name} no longer exists in Azure (deleted or moved), so ${base.roleName} cannot be granted on it. Fix the workspace's link first.`,
      };
    case "unreadable":
      return {
        ...base,
        resourceName: fact.name,
        scope: fact.id,
        subscriptionId: null,
        state: "blocked",
        note: `Gatehouse could not read the ${what} ${fact.name} with your access (${fact.reason}), so it cannot check or grant ${base.roleName} there.`,
      };
    case "found": {
      const placed = { resourceName: fact.name, scope: fact.id, subscriptionId: fact.subscriptionId };
      if (companion?.onlyWhen === "vaultUsesRbac" && fact.keyVaultUsesRbac !== true) {
        return {
          ...base,
          ...placed,
          state: "not_applicable",
          note: `The key vault ${fact.name} uses access policies, not Azure RBAC, so ${base.roleName} would give nothing there. Manage its access policies in the portal if secrets are needed.`,
        };
      }
      const may = facts.canAssign?.(fact.id) ?? "yes";
      if (may !== "yes") {
        const elsewhere =
          fact.subscriptionId.toLowerCase() !== facts.workspace.subscriptionId.toLowerCase() ? ` (in another subscription, ${fact.subscriptionId})` : "";
        return {
          ...base,
          ...placed,
          state: "blocked",
          note:
            may === "no"
              ? `You can't assign roles on the ${what} ${fact.name}${elsewhere}: that needs Microsoft.Authorization/roleAssignments/write there.`
              : `Gatehouse could not check your rights on the ${what} ${fact.name}${elsewhere}; try again in a minute.`,
        };
      }
      const removable = facts.consoleCanRemove?.(fact.id) ?? "yes";
      if (removable !== "yes") {
        return {
          ...base,
          ...placed,
          state: "blocked",
          note:
            removable === "no"
              ? `Gatehouse's own identity may not remove role assignments on the ${what} ${fact.name}, so it could not end this part when the access expires. Give it Role Based Access Control Administrator there, or grant the bundle permanently.`
              : `Gatehouse could not check that its own identity may remove role assignments on the ${what} ${fact.name} at expiry; try again in a minute.`,
        };
      }
      return { ...base, ...placed, state: "grant" };
    }
  }
}

function lastSegment(id: string): string {
  return id.split("/").filter(Boolean).at(-1) ?? id;
}
