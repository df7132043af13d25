import { describe, expect, expectTypeOf, it } from "vitest";

import type { RoleDefinition } from "@/lib/workspaces/role-definitions";

import { amlBuiltInRoles, builtInRole, recordedCatalogue } from "@/test/support/recorded-roles";

import { expandRole, type RoleExpansion, type RoleToExpand } from "./expand-role";

const catalogue = recordedCatalogue();
const ML = "Microsoft.MachineLearningServices/workspaces";
const names = (operations: RoleExpansion["control"]) => operations.map((operation) => operation.name);

interface Expectation {
  controlIn: string[];
  controlOut: string[];
  dataIn?: string[];
  atLeast: boolean;
}

// Read from each recorded definition (sandbox/tenant/data/builtin-role-definitions.aml.json), not from the code.
const AML_ROLES: Record<string, Expectation> = {
  Owner: { controlIn: [`${ML}/computes/write`, `${ML}/delete`, "Microsoft.Storage/storageAccounts/listkeys/action"], controlOut: [], atLeast: true },
  Contributor: { controlIn: [`${ML}/computes/write`, `${ML}/write`, `${ML}/datastores/listsecrets/action`], controlOut: [], atLeast: true },
  Reader: {
    controlIn: [`${ML}/read`, `${ML}/computes/read`, `${ML}/metadata/secrets/read`, "Microsoft.KeyVault/vaults/read"],
    controlOut: [`${ML}/computes/write`, `${ML}/datastores/listsecrets/action`, `${ML}/delete`],
    atLeast: true,
  },
  "User Access Administrator": { controlIn: [`${ML}/read`], controlOut: [`${ML}/computes/write`, `${ML}/jobs/write`], atLeast: true },
  "Role Based Access Control Administrator": {
    controlIn: ["Microsoft.Authorization/roleAssignments/write", "Microsoft.Authorization/roleAssignments/delete", `${ML}/read`],
    controlOut: [`${ML}/computes/write`],
    atLeast: true,
  },
  // NotActions take away the workspace itself, keys, hubs and feature stores. They name `computes/*/write` and
  // `computes/*/delete`, which by ARM's string matching (`*` = any run of characters) reach no operation of the
  // catalogue: `computes/write` has nothing between `computes/` and `/write`.
  "AzureML Data Scientist": {
    controlIn: [
      `${ML}/jobs/write`,
      `${ML}/computes/start/action`,
      `${ML}/datastores/listsecrets/action`,
      `${ML}/connections/listsecrets/action`,
      `${ML}/computes/write`,
    ],
    controlOut: [
      `${ML}/write`,
      `${ML}/delete`,
      `${ML}/listKeys/action`,
      `${ML}/computes/listKeys/action`,
      `${ML}/hubs/write`,
      `${ML}/featurestores/delete`,
      "Microsoft.MachineLearningServices/registries/read",
    ],
    atLeast: false,
  },
  "AzureML Compute Operator": {
    controlIn: [`${ML}/computes/write`, `${ML}/computes/delete`, `${ML}/computes/listKeys/action`, `${ML}/notebooks/vm/write`],
    controlOut: [`${ML}/read`, `${ML}/jobs/write`],
    atLeast: false,
  },
  "AzureML Registry User": {
    controlIn: ["Microsoft.MachineLearningServices/registries/read", "Microsoft.MachineLearningServices/registries/assets/write"],
    controlOut: ["Microsoft.MachineLearningServices/registries/write", `${ML}/read`],
    atLeast: false,
  },
  "AzureML Metrics Writer (preview)": { controlIn: [`${ML}/metrics/resource/write`], controlOut: [`${ML}/read`], atLeast: false },
  "Azure Machine Learning Workspace Connection Secrets Reader": {
    controlIn: [`${ML}/connections/listsecrets/action`, `${ML}/metadata/secrets/read`],
    controlOut: [`${ML}/connections/read`],
    atLeast: false,
  },
  "Azure AI Developer": {
    controlIn: [`${ML}/jobs/write`, `${ML}/serverlessEndpoints/write`],
    controlOut: [`${ML}/write`, `${ML}/listKeys/action`],
    atLeast: true,
  },
  "Azure AI Inference Deployment Operator": { controlIn: [], controlOut: [`${ML}/read`], atLeast: true },
  // Its evaluations and simulations are not in the recorded catalogue: nothing listed, "at least".
  "Azure AI Safety Evaluator": { controlIn: [], controlOut: [`${ML}/jobs/write`], atLeast: true },
  "Azure AI Enterprise Network Connection Approver": {
    controlIn: [`${ML}/privateEndpointConnections/write`, `${ML}/read`, "Microsoft.Storage/storageAccounts/read", "Microsoft.Cache/redis/read"],
    controlOut: [`${ML}/write`, "Microsoft.Storage/storageAccounts/write"],
    atLeast: true,
  },
  "Azure AI User": {
    controlIn: ["Microsoft.CognitiveServices/accounts/listkeys/action", "Microsoft.Resources/subscriptions/read"],
    controlOut: [`${ML}/read`],
    atLeast: true,
  },
};

describe("expandRole over every recorded built-in AML role", () => {
  it("has an expectation for each role in the recorded file", () => {
    expect(Object.keys(AML_ROLES).sort()).toEqual(amlBuiltInRoles.map((role) => role.name).sort());
  });

  it.each(Object.entries(AML_ROLES))("%s", (name, expected) => {
    const expansion = expandRole(builtInRole(name), catalogue);
    for (const operation of expected.controlIn) expect(names(expansion.control), operation).toContain(operation);
    for (const operation of expected.controlOut) expect(names(expansion.control), operation).not.toContain(operation);
    expect(expansion.atLeast).toBe(expected.atLeast);
    expect(expansion.patterns).toBe(builtInRole(name).permissions);
    // None of the AML roles has a data action the catalogue lists (Azure AI Developer's are Cognitive Services').
    expect(expansion.data).toEqual([]);
  });
});

describe("expandRole", () => {
  it("takes the role definitions the console reads from ARM as they are", () => {
    expectTypeOf<RoleDefinition>().toExtend<RoleToExpand>();
  });

  it("keeps data actions apart from actions: a control-plane wildcard never reaches blob reads", () => {
    const contributor = expandRole(builtInRole("Storage Blob Data Contributor"), catalogue);
    expect(names(contributor.control)).toContain("Microsoft.Storage/storageAccounts/blobServices/containers/write");
    expect(names(contributor.control)).not.toContain("Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read");
    expect(names(contributor.data)).toEqual(
      expect.arrayContaining([
        "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read",
        "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write",
      ]),
    );
    const owner = expandRole(builtInRole("Owner"), catalogue);
    expect(owner.data).toEqual([]);
    const storageEverything = expandRole(
      { name: "Storage *", permissions: [{ actions: ["Microsoft.Storage/*"], notActions: [], dataActions: [], notDataActions: [] }] },
      catalogue,
    );
    expect(names(storageEverything.control)).toContain("Microsoft.Storage/storageAccounts/listkeys/action");
    expect(storageEverything.data).toEqual([]);
  });

  it("subtracts NotActions and NotDataActions", () => {
    const role = {
      name: "Workspace minus compute",
      permissions: [
        {
          actions: [`${ML}/*`],
          notActions: [`${ML}/computes/*`],
          dataActions: ["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/*"],
          notDataActions: ["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/delete"],
        },
      ],
    };
    const expansion = expandRole(role, catalogue);
    expect(names(expansion.control)).toContain(`${ML}/jobs/write`);
    expect(names(expansion.control).filter((operation) => operation.includes("/computes/"))).toEqual([]);
    expect(names(expansion.data)).toContain("Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read");
    expect(names(expansion.data)).not.toContain("Microsoft.Storage/storageAccounts/blobServices/containers/blobs/delete");
    expect(expansion.atLeast).toBe(false);
  });

  it("says at least for a wildcard over a namespace the catalogue lacks, and keeps the pattern", () => {
    const expansion = expandRole(
      { name: "Widgets", permissions: [{ actions: ["Contoso.Widgets/*"], notActions: [], dataActions: [], notDataActions: [] }] },
      catalogue,
    );
    expect(expansion.atLeast).toBe(true);
    expect(expansion.control).toEqual([]);
    expect(expansion.uncatalogued).toEqual([{ plane: "control", pattern: "Contoso.Widgets/*", excluded: [], role: "Widgets" }]);
  });

  it("lists an operation named literally that the catalogue lacks, undescribed, and says at least", () => {
    const expansion = expandRole(builtInRole("Role Based Access Control Administrator"), catalogue);
    expect(expansion.control.find((operation) => operation.name === "Microsoft.Authorization/roleAssignments/write")).toEqual({
      name: "Microsoft.Authorization/roleAssignments/write",
      plane: "control",
      resourceType: "Microsoft.Authorization/roleAssignments",
      verb: "write",
      readsSecrets: false,
    });
    expect(expansion.atLeast).toBe(true);
  });

  it("describes catalogued operations and marks secret reads", () => {
    const expansion = expandRole(builtInRole("Key Vault Secrets User"), catalogue);
    expect(expansion.data.find((operation) => operation.name === "Microsoft.KeyVault/vaults/secrets/getSecret/action")).toMatchObject({
      description: "Gets the value of a secret.",
      resourceType: "Microsoft.KeyVault/vaults/secrets",
      verb: "action",
      readsSecrets: true,
    });
    expect(expansion.data.find((operation) => operation.name.endsWith("/readMetadata/action"))?.readsSecrets).toBe(false);
  });
});
