/**
 * The linked-resource reader against the shared test sandbox (seed 1, read only): a tenant seeded the same way is the
 * oracle for the ids, and the personas read what their roles let them.
 */
import { describe, expect, it } from "vitest";

import type { AppError } from "@/lib/errors";
import { isAuthorized } from "@/sandbox/arm/authorize";
import { linkedResourceArmId, workspaceArmId, workspaceLinks } from "@/sandbox/tenant/arm-ids";
import { createTenant } from "@/sandbox/tenant/index";
import { PERSONAS } from "@/sandbox/tenant/personas";
import { SEEDED_LINKED } from "@/sandbox/tenant/seed-linked";
import { testSettings, userCallerById } from "@/sandbox/tenant/testing/support";
import { type PERSONA_LOGINS, personaContext } from "@/test/support/persona-token";
import { readAmlRegistry, readLinkedResources } from "./linked-resources";

const oracle = createTenant({ seed: 1, scale: "default" });
const workspace = (name: string) => [...oracle.workspaces.values()].find((candidate) => candidate.name === name)!;
const idOf = (name: string) => {
  const w = workspace(name);
  return workspaceArmId(w.subscriptionId, w.resourceGroup, w.name);
};
const identity = async (persona: keyof typeof PERSONA_LOGINS) => ({ kind: "delegated", caller: (await personaContext(persona)).caller }) as const;
const production = workspace("mlw-fraud-prod").subscriptionId;

/** What the team lead may read, by the oracle's role assignments (their groups hold seeded roles too). */
const teamLead = PERSONAS.find((persona) => persona.key === "team-lead")!;
const teamLeadReads = (action: string, scope: string) => isAuthorized(oracle, testSettings(), userCallerById(teamLead.objectId), new Date(), action, scope);
const WORKSPACE_READ = "Microsoft.MachineLearningServices/workspaces/read";
/**
 * A workspace the team lead cannot read at all; not one of those other test files grant on while this one runs
 * (lib/workspaces/workspaces.test.ts names them).
 */
const MUTATED_BY_OTHER_TESTS = new Set(["mlw-churn-prod", "mlw-recsys-prod", "mlw-forecast-prod"]);
const unreadable = [...oracle.workspaces.values()].find((w) => !MUTATED_BY_OTHER_TESTS.has(w.name) && !teamLeadReads(WORKSPACE_READ, idOf(w.name)))!;

describe("readLinkedResources", () => {
  it("reads each link of a workspace whose resources are all there, a key vault with its RBAC mode", async () => {
    const read = await readLinkedResources(await identity("security"), idOf("mlw-fraud-prod"));
    const expected = workspaceLinks(workspace("mlw-fraud-prod"));
    expect(read.workspaceId).toBe(idOf("mlw-fraud-prod"));
    expect(read.links.storageAccount).toEqual({
      id: expected.storageAccount,
      subscriptionId: production,
      resourceGroup: "rg-ml-prod-eastus",
      name: expected.storageAccount.split("/").pop(),
      exists: true,
    });
    expect(read.links.keyVault).toMatchObject({ id: expected.keyVault, exists: true, keyVaultUsesRbac: true });
    expect(read.links.containerRegistry).toMatchObject({ id: expected.containerRegistry, exists: true });
    expect(read.links.applicationInsights).toMatchObject({ id: expected.applicationInsights, exists: true });
    expect(read.links.containerRegistry).not.toHaveProperty("keyVaultUsesRbac");
  });

  it("says which link points at nothing, which vault uses access policies, and follows a vault into another subscription", async () => {
    const reader = await identity("security");
    const experiments = await readLinkedResources(reader, idOf(SEEDED_LINKED.storageDeleted));
    expect(experiments.links.storageAccount).toMatchObject({
      exists: false,
      unreadable: "not_found",
      id: workspaceLinks(workspace(SEEDED_LINKED.storageDeleted)).storageAccount,
    });
    expect(experiments.links.keyVault).toMatchObject({ exists: true, keyVaultUsesRbac: false });
    const research = await readLinkedResources(reader, idOf(SEEDED_LINKED.keyVaultInOtherSubscription.workspace));
    expect(workspace(SEEDED_LINKED.keyVaultInOtherSubscription.workspace).subscriptionId).not.toBe(production);
    expect(research.links.keyVault).toMatchObject({ exists: true, keyVaultUsesRbac: true, subscriptionId: production, resourceGroup: "rg-shared-prod" });
  });

  it("reports a link the caller may not read as forbidden, and reads the others", async () => {
    // The team lead reads rg-ml-prod-eastus, not rg-shared-prod where mlw-forecast-prod's Application Insights is.
    const { workspace: name, resourceGroup } = SEEDED_LINKED.applicationInsightsInOtherGroup;
    const component = workspaceLinks(workspace(name)).applicationInsights;
    expect(teamLeadReads(WORKSPACE_READ, idOf(name))).toBe(true);
    expect(teamLeadReads("microsoft.insights/components/read", component)).toBe(false);
    const read = await readLinkedResources(await identity("team-lead"), idOf(name));
    expect(read.links.applicationInsights).toEqual({
      id: component,
      subscriptionId: production,
      resourceGroup,
      name: SEEDED_LINKED.applicationInsightsInOtherGroup.component,
      exists: false,
      unreadable: "forbidden",
    });
    expect(read.links.storageAccount).toMatchObject({ exists: true });
  });

  it("throws ARM's refusal for a workspace the caller cannot read, and refuses what is not a workspace id", async () => {
    expect(unreadable).toBeDefined();
    await expect(readLinkedResources(await identity("team-lead"), idOf(unreadable.name))).rejects.toMatchObject({
      code: "upstream_forbidden",
    } satisfies Partial<AppError>);
    const storage = workspaceLinks(workspace("mlw-fraud-prod")).storageAccount;
    await expect(readLinkedResources(await identity("security"), storage)).rejects.toMatchObject({ code: "invalid_input" });
    await expect(readLinkedResources(await identity("security"), `${idOf("mlw-fraud-prod")}/../x`)).rejects.toMatchObject({ code: "invalid_input" });
  });
});

describe("readAmlRegistry", () => {
  const shared = linkedResourceArmId("amlRegistry", production, SEEDED_LINKED.sharedRegistry.resourceGroup, SEEDED_LINKED.sharedRegistry.name);

  it("reads a registry with its regions, and says when it is missing or hidden", async () => {
    expect(await readAmlRegistry(await identity("security"), shared)).toEqual({
      id: shared,
      subscriptionId: production,
      resourceGroup: "rg-shared-prod",
      name: SEEDED_LINKED.sharedRegistry.name,
      exists: true,
      location: "eastus",
      regions: ["eastus", "westeurope", "swedencentral"],
    });
    const missing = linkedResourceArmId("amlRegistry", production, "rg-shared-prod", "mlr-retired");
    expect(await readAmlRegistry(await identity("security"), missing)).toMatchObject({ exists: false, unreadable: "not_found" });
    const research = linkedResourceArmId(
      "amlRegistry",
      workspace(SEEDED_LINKED.hub).subscriptionId,
      SEEDED_LINKED.researchRegistry.resourceGroup,
      SEEDED_LINKED.researchRegistry.name,
    );
    expect(teamLeadReads("Microsoft.MachineLearningServices/registries/read", research)).toBe(false);
    expect(await readAmlRegistry(await identity("team-lead"), research)).toMatchObject({ exists: false, unreadable: "forbidden" });
  });

  it("refuses an id of another type", async () => {
    await expect(readAmlRegistry(await identity("security"), workspaceLinks(workspace("mlw-fraud-prod")).keyVault)).rejects.toMatchObject({
      code: "invalid_input",
    });
  });
});
