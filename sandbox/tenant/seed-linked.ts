/**
 * The resources beside Contoso ML's workspaces: each workspace's storage account, key vault, container registry and
 * Application Insights component, and two AML registries, with the untidy cases real tenants have (see
 * SEEDED_LINKED). Drawn from a generator of its own, derived from the tenant's seed, so that the rest of the tenant's
 * draws (and so every id tests and docs name) stay as they were.
 */
import { v5 as uuidv5 } from "uuid";

import { CONSOLE_API_SERVICE_PRINCIPAL_ID } from "./console-apps";
import { armTimestamp, linkedResourceArmId, resourceGroupArmId, workspaceArmId, workspaceLinks } from "./arm-ids";
import { type LinkedResourceKind, type LinkedResourceRecord, newRoleAssignment, type WorkspaceLinkKind, type WorkspaceRecord } from "./model";
import { persona } from "./personas";
import { SeededRandom } from "./prng";
import type { Tenant } from "./tenant";

/** The companion roles' built-in ids (sandbox/tenant/data/builtin-role-definitions.linked.json). */
export const LINKED_ROLE_IDS = {
  storageBlobDataContributor: "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
  storageBlobDataReader: "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1",
  storageFileDataPrivilegedContributor: "69566ab7-960f-475b-8e7c-b3118f30c6bd",
  keyVaultSecretsUser: "4633458b-17de-408a-b874-0445c86b69e6",
  acrPull: "7f951dda-4ed3-4680-a7ca-43fe172d538d",
  acrPush: "8311e382-0749-4cb8-b61a-304f252e45ec",
} as const;

/** Fixed names of the awkward cases and of the companion assignments seeded before anyone asked Gatehouse. */
export const SEEDED_LINKED = {
  /** Its key vault is in rg-shared-prod, not in its own resource group. */
  keyVaultInOtherGroup: { workspace: "mlw-churn-prod", resourceGroup: "rg-shared-prod", vault: "kv-ml-prod-shared" },
  /** In the research subscription; its key vault is in the production subscription's rg-shared-prod. */
  keyVaultInOtherSubscription: { workspace: "mlw-research-general", resourceGroup: "rg-shared-prod", vault: "kv-ml-central" },
  /** Its Application Insights component is the production one in rg-shared-prod, where its readers may have no role. */
  applicationInsightsInOtherGroup: { workspace: "mlw-forecast-prod", resourceGroup: "rg-shared-prod", component: "appi-ml-prod-shared" },
  /** Its storage account was deleted: the workspace still names it, ARM answers 404. */
  storageDeleted: "mlw-experiments-dev",
  /** The development workspaces share one container registry in rg-ml-dev. */
  sharedContainerRegistry: { name: "crcontosomldev", resourceGroup: "rg-ml-dev", workspaces: ["mlw-fraud-dev", "mlw-churn-dev", "mlw-sandbox-dev"] },
  /** Key vaults in access-policy mode (`enableRbacAuthorization: false`): the vaults of these workspaces. */
  accessPolicyVaultsOf: ["mlw-sandbox-dev", "mlw-experiments-dev"],
  /** Hub-based projects use their hub's resources. */
  hub: "hub-ai-research",
  /** AML registries: one shared across the production and research workspaces, one for research only. */
  sharedRegistry: { name: "mlr-contoso-shared", resourceGroup: "rg-shared-prod" },
  researchRegistry: { name: "mlr-contoso-research", resourceGroup: "rg-ai-research" },
  /** A DS - Fraud member holds Storage Blob Data Contributor on mlw-fraud-prod's storage account directly. */
  directBlobAssignment: "5eed11ed-0b10-4b10-8000-00000000b101",
  /** mlw-fraud-prod's own identity holds Storage Blob Data Contributor on its storage account, as AML sets up. */
  workspaceIdentityBlobAssignment: "5eed11ed-0b10-4b10-8000-00000000b102",
  /** MLE - Serving holds AcrPull on mlw-fraud-prod's container registry. */
  groupAcrPullAssignment: "5eed11ed-0b10-4b10-8000-00000000a101",
  /** A DS - Churn member holds Key Vault Secrets User on the shared vault in rg-shared-prod. */
  directSecretsUserAssignment: "5eed11ed-0b10-4b10-8000-00000000c101",
} as const;

/** How the generator for linked resources is derived from the tenant's seed. */
const LINKED_SEED_SALT = 0x11d4ed;

/** The generator linked resources are drawn from: the tenant's seed, salted, so the tenant's own draws stay put. */
export function linkedResourceRandom(seed: number): SeededRandom {
  return new SeededRandom((seed ^ LINKED_SEED_SALT) >>> 0);
}

type LinkedResourceSeed = Omit<LinkedResourceRecord, "kind" | "subscriptionId" | "resourceGroup" | "name" | "createdAt" | "createdBy">;

/**
 * Gives each of `workspaces` its linked resources (a resource several workspaces name is created once) and, with
 * `companions`, seeds the companion assignments. Call again for workspaces added later with the same generator.
 */
export function seedLinkedResources(
  tenant: Tenant,
  rng: SeededRandom,
  epochMs: number,
  workspaces: readonly WorkspaceRecord[],
  options: { companions: boolean },
): void {
  const admin = persona("admin");
  const byName = (name: string) => workspaces.find((workspace) => workspace.name === name);
  const subscriptionOf = (name: string) => byName(name)?.subscriptionId;
  const production = subscriptionOf("mlw-fraud-prod");
  const createdAt = () =>
    armTimestamp(new Date(epochMs - rng.int(200, 900) * 86_400_000 - rng.int(0, 86_399_999)), rng.int(0, 9999).toString().padStart(4, "0"));

  const add = (kind: LinkedResourceKind, armId: string, extra: LinkedResourceSeed) => {
    const [, , subscriptionId, , resourceGroup] = armId.split("/");
    const name = armId.split("/").pop();
    if (!subscriptionId || !resourceGroup || !name) throw new Error(`Not a resource id: ${armId}`);
    tenant.addLinkedResource({ ...extra, kind, subscriptionId, resourceGroup, name, createdAt: createdAt(), createdBy: admin.userPrincipalName });
  };

  // The links first, so that shared resources are created once, with the first workspace that names them.
  const hub = byName(SEEDED_LINKED.hub);
  for (const workspace of workspaces) {
    if (
      workspace.kind === "Project" &&
      hub &&
      workspace.hubResourceId?.toLowerCase() === workspaceArmId(hub.subscriptionId, hub.resourceGroup, hub.name).toLowerCase()
    ) {
      workspace.links = workspaceLinks(hub);
    }
    const { sharedContainerRegistry: shared, keyVaultInOtherGroup: otherGroup, keyVaultInOtherSubscription: otherSubscription } = SEEDED_LINKED;
    const sharedInsights = SEEDED_LINKED.applicationInsightsInOtherGroup;
    if (workspace.name === sharedInsights.workspace) {
      workspace.links = {
        ...workspace.links,
        applicationInsights: linkedResourceArmId("applicationInsights", workspace.subscriptionId, sharedInsights.resourceGroup, sharedInsights.component),
      };
    }
    if ((shared.workspaces as readonly string[]).includes(workspace.name)) {
      workspace.links = {
        ...workspace.links,
        containerRegistry: linkedResourceArmId("containerRegistry", workspace.subscriptionId, shared.resourceGroup, shared.name),
      };
    }
    if (workspace.name === otherGroup.workspace) {
      workspace.links = { ...workspace.links, keyVault: linkedResourceArmId("keyVault", workspace.subscriptionId, otherGroup.resourceGroup, otherGroup.vault) };
    }
    if (workspace.name === otherSubscription.workspace && production) {
      workspace.links = { ...workspace.links, keyVault: linkedResourceArmId("keyVault", production, otherSubscription.resourceGroup, otherSubscription.vault) };
    }
  }

  for (const workspace of workspaces) {
    const links = workspaceLinks(workspace);
    const tags = { ...workspace.tags };
    const skipped: WorkspaceLinkKind | undefined = workspace.name === SEEDED_LINKED.storageDeleted ? "storageAccount" : undefined;
    for (const kind of ["storageAccount", "keyVault", "containerRegistry", "applicationInsights"] as const) {
      const armId = links[kind];
      if (kind === skipped || tenant.linkedResources.has(armId.toLowerCase())) continue;
      const extra: LinkedResourceSeed =
        kind === "keyVault"
          ? (SEEDED_LINKED.accessPolicyVaultsOf as readonly string[]).includes(workspace.name)
            ? { location: workspace.location, tags, enableRbacAuthorization: false, accessPolicyObjectIds: [workspace.systemAssignedPrincipalId] }
            : { location: workspace.location, tags, enableRbacAuthorization: true }
          : kind === "containerRegistry"
            ? { location: workspace.location, tags, skuName: workspace.tags.environment === "production" ? "Premium" : "Standard" }
            : kind === "applicationInsights"
              ? { location: workspace.location, tags, appId: rng.guid(), instrumentationKey: rng.guid() }
              : { location: workspace.location, tags };
      add(kind, armId, extra);
    }
  }

  if (production) {
    const { sharedRegistry } = SEEDED_LINKED;
    const armId = linkedResourceArmId("amlRegistry", production, sharedRegistry.resourceGroup, sharedRegistry.name);
    if (!tenant.linkedResources.has(armId.toLowerCase())) {
      add("amlRegistry", armId, {
        location: "eastus",
        tags: { environment: "production" },
        skuName: "Basic",
        replicationLocations: ["eastus", "westeurope", "swedencentral"],
      });
    }
  }
  const research = subscriptionOf(SEEDED_LINKED.hub);
  if (research) {
    const { researchRegistry } = SEEDED_LINKED;
    const armId = linkedResourceArmId("amlRegistry", research, researchRegistry.resourceGroup, researchRegistry.name);
    if (!tenant.linkedResources.has(armId.toLowerCase())) {
      add("amlRegistry", armId, {
        location: "swedencentral",
        tags: { environment: "research" },
        skuName: "Basic",
        replicationLocations: ["swedencentral"],
      });
    }
  }
  if (options.companions) {
    seedCompanionAssignments(tenant, epochMs, byName);
    seedConsoleOnLinkedResources(tenant, epochMs);
  }
}

/** Namespace of the console's assignment names on linked resources (a name per resource, no draws). */
const CONSOLE_ON_LINKED_NAMESPACE = "5eed11ed-c0c0-4000-8000-00000000c0de";
const RBAC_ADMINISTRATOR = "f58310d9-a9f6-439a-9e8d-f62e7b41a168";

/**
 * The console's API identity is Role Based Access Control Administrator on every linked resource and AML registry, as
 * on every workspace: it ends time-bound access at expiry, and a bundle's parts sit on these resources. Azure needs
 * `roleAssignments/delete` at the part's own scope or above, and an assignment on a workspace does not reach its
 * storage account (the workspace is not its ancestor). Only the default tenant's resources: the large scales fill
 * Production to its assignment limit afterwards, and leave the estate's added resources without it.
 */
function seedConsoleOnLinkedResources(tenant: Tenant, epochMs: number): void {
  for (const resource of tenant.linkedResources.values()) {
    const scope = linkedResourceArmId(resource.kind, resource.subscriptionId, resource.resourceGroup, resource.name);
    tenant.putRoleAssignment(
      newRoleAssignment({
        name: uuidv5(scope.toLowerCase(), CONSOLE_ON_LINKED_NAMESPACE),
        scope,
        roleDefinitionName: RBAC_ADMINISTRATOR,
        principalId: CONSOLE_API_SERVICE_PRINCIPAL_ID,
        principalType: "ServicePrincipal",
        description: "Gatehouse: manage access on this workspace's linked resource",
        createdOn: armTimestamp(new Date(epochMs - 120 * 86_400_000), "0303"),
        createdBy: persona("admin").objectId,
      }),
    );
  }
}

/**
 * Companion roles granted before Gatehouse, so a bundle meets an overlapping direct grant: fixed ids and dates, and the
 * people are the first members of their group who are no persona (found, not drawn).
 */
function seedCompanionAssignments(tenant: Tenant, epochMs: number, byName: (name: string) => WorkspaceRecord | undefined): void {
  const fraud = byName("mlw-fraud-prod");
  const churn = byName(SEEDED_LINKED.keyVaultInOtherGroup.workspace);
  if (!fraud || !churn) return;
  const group = (displayName: string) => [...tenant.groups.values()].find((candidate) => candidate.displayName === displayName);
  const firstUserIn = (displayName: string) =>
    group(displayName)?.memberIds.find((id) => tenant.users.get(id.toLowerCase())?.userType === "Member" && !tenant.personas().some((p) => p.objectId === id));
  const created = (daysAgo: number, digits: string) => armTimestamp(new Date(epochMs - daysAgo * 86_400_000), digits);
  const admin = persona("admin").objectId;
  const fraudLinks = workspaceLinks(fraud);
  const churnLinks = workspaceLinks(churn);

  const fraudMember = firstUserIn("DS - Fraud");
  if (fraudMember) {
    tenant.putRoleAssignment(
      newRoleAssignment({
        name: SEEDED_LINKED.directBlobAssignment,
        scope: fraudLinks.storageAccount,
        roleDefinitionName: LINKED_ROLE_IDS.storageBlobDataContributor,
        principalId: fraudMember,
        principalType: "User",
        description: "Direct grant for the fraud feature backfill",
        createdOn: created(150, "0101"),
        createdBy: admin,
      }),
    );
  }
  tenant.putRoleAssignment(
    newRoleAssignment({
      name: SEEDED_LINKED.workspaceIdentityBlobAssignment,
      scope: fraudLinks.storageAccount,
      roleDefinitionName: LINKED_ROLE_IDS.storageBlobDataContributor,
      principalId: fraud.systemAssignedPrincipalId,
      principalType: "ServicePrincipal",
      createdOn: created(400, "0102"),
      createdBy: admin,
    }),
  );
  const serving = group("MLE - Serving");
  if (serving) {
    tenant.putRoleAssignment(
      newRoleAssignment({
        name: SEEDED_LINKED.groupAcrPullAssignment,
        scope: fraudLinks.containerRegistry,
        roleDefinitionName: LINKED_ROLE_IDS.acrPull,
        principalId: serving.id,
        principalType: "Group",
        createdOn: created(300, "0103"),
        createdBy: admin,
      }),
    );
  }
  const churnMember = firstUserIn("DS - Churn");
  if (churnMember) {
    tenant.putRoleAssignment(
      newRoleAssignment({
        name: SEEDED_LINKED.directSecretsUserAssignment,
        scope: churnLinks.keyVault,
        roleDefinitionName: LINKED_ROLE_IDS.keyVaultSecretsUser,
        principalId: churnMember,
        principalType: "User",
        createdOn: created(90, "0104"),
        createdBy: admin,
      }),
    );
  }
  // The vaults outside their workspace's resource group sit in a group the plan has; a renamed group must fail here.
  if (!tenant.resourceGroups.has(resourceGroupArmId(churn.subscriptionId, SEEDED_LINKED.keyVaultInOtherGroup.resourceGroup).toLowerCase())) {
    throw new Error(`No resource group ${SEEDED_LINKED.keyVaultInOtherGroup.resourceGroup} for the shared key vault`);
  }
}
