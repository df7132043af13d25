import { describe, expect, it } from "vitest";

import { builtInRole, recordedCatalogue } from "@/test/support/recorded-roles";

import type { RoleToExpand } from "./expand-role";
import { type PermissionDelta, permissionDelta } from "./permission-delta";

const catalogue = recordedCatalogue();
const ML = "Microsoft.MachineLearningServices/workspaces";
const BLOBS = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs";

const gainedControl = (delta: PermissionDelta) => delta.control.flatMap((group) => group.operations.map((operation) => operation.name));
const gainedData = (delta: PermissionDelta) => delta.data.flatMap((group) => group.operations.map((operation) => operation.name));
const labels = (delta: PermissionDelta) => [...delta.control, ...delta.data].map((group) => group.label);
const dangerKinds = (delta: PermissionDelta) => delta.dangers.map((danger) => danger.kind);
const custom = (name: string, block: Partial<RoleToExpand["permissions"][number]>): RoleToExpand => ({
  name,
  permissions: [{ actions: [], notActions: [], dataActions: [], notDataActions: [], ...block }],
});

describe("permissionDelta", () => {
  it("Contributor requested while holding Reader: gains compute writes, not the reads already held; flags * and secret reads", () => {
    const delta = permissionDelta([builtInRole("Contributor")], [builtInRole("Reader")], catalogue);
    expect(gainedControl(delta)).toContain(`${ML}/computes/write`);
    expect(gainedControl(delta)).toContain(`${ML}/datastores/listsecrets/action`);
    expect(gainedControl(delta)).not.toContain(`${ML}/computes/read`);
    expect(dangerKinds(delta)).toEqual(["all_actions", "secret_read"]);
    expect(delta.dangers.find((danger) => danger.kind === "secret_read")?.operations).toContain(`${ML}/datastores/listsecrets/action`);
    expect(delta.atLeast).toBe(true);
    expect(delta.alreadyCovered).toBe(false);
  });

  it("Data Scientist requested while holding Data Scientist is already covered", () => {
    const delta = permissionDelta([builtInRole("AzureML Data Scientist")], [builtInRole("AzureML Data Scientist")], catalogue);
    expect(delta).toEqual({ control: [], data: [], dangers: [], uncatalogued: [], alreadyCovered: true, atLeast: false });
  });

  it("Owner flags role-assignment writes and deletes, which Contributor does not give", () => {
    const overReader = permissionDelta([builtInRole("Owner")], [builtInRole("Reader")], catalogue);
    expect(dangerKinds(overReader)).toEqual(expect.arrayContaining(["all_actions", "role_assignment_write", "role_assignment_delete"]));
    const overContributor = permissionDelta([builtInRole("Owner")], [builtInRole("Contributor")], catalogue);
    expect(dangerKinds(overContributor)).toEqual(["all_actions", "role_assignment_write", "role_assignment_delete"]);
    expect(gainedControl(overContributor)).toEqual([]);
    expect(overContributor.atLeast).toBe(true);
    expect(dangerKinds(permissionDelta([builtInRole("Contributor")], [], catalogue))).not.toContain("role_assignment_write");
  });

  it("says at least for a wildcard over an unknown namespace, unless a current role covers it", () => {
    const widgets = custom("Widgets", { actions: ["Contoso.Widgets/*"] });
    const alone = permissionDelta([widgets], [builtInRole("Reader")], catalogue);
    expect(alone.atLeast).toBe(true);
    expect(alone.alreadyCovered).toBe(false);
    expect(alone.uncatalogued.map((reach) => reach.pattern)).toEqual(["Contoso.Widgets/*"]);
    const underOwner = permissionDelta([widgets], [builtInRole("Owner")], catalogue);
    expect(underOwner).toMatchObject({ alreadyCovered: true, atLeast: false, uncatalogued: [] });
  });

  it("subtracts the requested role's NotActions and counts the current role's NotActions against it", () => {
    const withoutCompute = custom("Workspace minus compute", { actions: [`${ML}/*`], notActions: [`${ML}/computes/*`] });
    const gained = gainedControl(permissionDelta([withoutCompute], [], catalogue));
    expect(gained).toContain(`${ML}/jobs/write`);
    expect(gained.filter((operation) => operation.includes("/computes/"))).toEqual([]);
    // Holding everything but compute, the Compute Operator role gains exactly the compute operations.
    const operatorDelta = permissionDelta([builtInRole("AzureML Compute Operator")], [withoutCompute], catalogue);
    expect(gainedControl(operatorDelta)).toContain(`${ML}/computes/write`);
    expect(gainedControl(operatorDelta).every((operation) => operation.includes("/computes/") || operation.includes("/notebooks/vm/"))).toBe(true);
  });

  it("keeps DataActions separate: Owner's * does not cover blob reads", () => {
    const delta = permissionDelta([builtInRole("Storage Blob Data Contributor")], [builtInRole("Owner")], catalogue);
    expect(gainedControl(delta)).toEqual([]);
    expect(gainedData(delta)).toEqual(expect.arrayContaining([`${BLOBS}/read`, `${BLOBS}/write`, `${BLOBS}/delete`]));
    expect(labels(delta)).toEqual(
      expect.arrayContaining(["read blobs in the storage account", "write blobs in the storage account", "delete blobs in the storage account"]),
    );
    expect(delta.data.every((group) => group.plane === "data")).toBe(true);
    const readerOverContributor = permissionDelta([builtInRole("Storage Blob Data Reader")], [builtInRole("Storage Blob Data Contributor")], catalogue);
    expect(readerOverContributor.alreadyCovered).toBe(true);
  });

  it("groups by resource type and verb with plain words, secret reads first", () => {
    const scientist = permissionDelta([builtInRole("AzureML Data Scientist")], [builtInRole("Reader")], catalogue);
    expect(labels(scientist)).toEqual(expect.arrayContaining(["read datastore secrets", "read connection secrets", "create and change jobs"]));
    expect(scientist.control[0]?.readsSecrets).toBe(true);
    const datastoreSecrets = scientist.control.find((group) => group.label === "read datastore secrets");
    expect(datastoreSecrets?.operations.map((operation) => operation.name)).toEqual([`${ML}/datastores/listsecrets/action`]);
    const operator = permissionDelta([builtInRole("AzureML Compute Operator")], [], catalogue);
    expect(labels(operator)).toEqual(expect.arrayContaining(["create and change compute", "delete compute", "read compute secrets"]));
    const workspace = permissionDelta([custom("Workspace writer", { actions: [`${ML}/write`] })], [], catalogue);
    expect(labels(workspace)).toEqual(["change workspace settings"]);
  });

  it("flags a Key Vault secret's value as a secret read on the data plane", () => {
    const delta = permissionDelta([builtInRole("Key Vault Secrets User")], [builtInRole("Reader")], catalogue);
    expect(delta.dangers).toEqual([{ kind: "secret_read", operations: ["Microsoft.KeyVault/vaults/secrets/getSecret/action"] }]);
    expect(delta.data.map((group) => group.label)).toEqual(["read Key Vault secret values", "read Key Vault secret names and properties"]);
  });

  it("names in plain words every operation the companion roles reach on a bundle's linked resources", () => {
    const companions = ["Storage Blob Data Contributor", "Storage File Data Privileged Contributor", "Key Vault Secrets User", "AcrPull", "AcrPush"];
    const delta = permissionDelta(companions.map(builtInRole), [], catalogue);
    expect(delta.atLeast).toBe(false);
    // No fallback wording ("{action} ({noun})"): each group reads as a sentence about its resource.
    expect(labels(delta).sort()).toEqual(
      [
        "act as a superuser on file shares (read and write whatever the ACLs say), change files' and folders' permissions (ACLs)",
        "append to blobs, move and rename blobs",
        "create and change blob containers",
        "delete blob containers",
        "delete blobs in the storage account",
        "delete files in the storage account's file shares",
        "get user delegation keys (to sign SAS links to blobs)",
        "pull images",
        "push images",
        "read Key Vault secret names and properties",
        "read Key Vault secret values",
        "read blob containers",
        "read blobs in the storage account",
        "read files in the storage account's file shares",
        "write blobs in the storage account",
        "write files in the storage account's file shares",
      ].sort(),
    );
    // The owner-level operations on the resources themselves: keys and credentials are secret reads.
    const owner = permissionDelta(
      [custom("Resource owner", { actions: ["Microsoft.Storage/*", "Microsoft.KeyVault/*", "Microsoft.ContainerRegistry/*"] })],
      [],
      catalogue,
    );
    expect(labels(owner)).toEqual(
      expect.arrayContaining([
        "read the storage account's access keys",
        "read container registry credentials",
        "change storage account settings",
        "change key vault settings",
        "delete images and artifacts",
        "regenerate the storage account's access keys",
      ]),
    );
    expect(owner.dangers.find((danger) => danger.kind === "secret_read")?.operations).toEqual([
      "Microsoft.ContainerRegistry/registries/listCredentials/action",
      "Microsoft.Storage/storageAccounts/listkeys/action",
    ]);
  });

  it("joins several requested roles and several current ones", () => {
    const delta = permissionDelta(
      [builtInRole("AcrPush"), builtInRole("Storage Blob Data Reader")],
      [builtInRole("AcrPull"), builtInRole("Storage Blob Data Contributor")],
      catalogue,
    );
    expect(gainedControl(delta)).toEqual(["Microsoft.ContainerRegistry/registries/push/write"]);
    expect(labels(delta)).toEqual(["push images"]);
    expect(delta.data).toEqual([]);
  });
});
