/**
 * A bundle's permission delta on a sandbox tenant of this file's own: the bundle placed on the server, each part
 * previewed on the resource it lands on against what the principal holds there (through every path), parts that are
 * not needed or whose resource is gone listed with the reason and not previewed, and who may see which bundle.
 */
import { afterAll, beforeEach, describe, expect, it } from "vitest";

import { workspaceScope } from "@/lib/shared/arm-scope";
import { workspaceLinks } from "@/sandbox/tenant/arm-ids";
import { createTenant } from "@/sandbox/tenant/index";
import { SEEDED_LINKED } from "@/sandbox/tenant/seed-linked";
import { type PrivateSandbox, startPrivateSandbox } from "@/test/support/private-sandbox";
import { refusalOf } from "@/test/support/refusal";

const tenant: PrivateSandbox = await startPrivateSandbox();

const { previewBundleDelta } = await import("@/lib/bundles/preview-bundle-delta");
const { previewPermissionDelta } = await import("@/lib/permissions/preview-permission-delta");
const { clearProviderOperationsCache } = await import("@/lib/permissions/provider-operations");
const { personaContext } = await import("@/test/support/persona-token");

const oracle = createTenant({ seed: 1, scale: "default" });
const workspaceRecord = (name: string) => [...oracle.workspaces.values()].find((candidate) => candidate.name === name)!;
const scopeOf = (name: string) => {
  const found = workspaceRecord(name);
  return workspaceScope(found.subscriptionId, found.resourceGroup, found.name);
};
const FRAUD = scopeOf("mlw-fraud-prod");
const SANDBOX_DEV = scopeOf("mlw-sandbox-dev");
const EXPERIMENTS = scopeOf(SEEDED_LINKED.storageDeleted);
const FRAUD_STORAGE = workspaceLinks(workspaceRecord("mlw-fraud-prod")).storageAccount;
const FRAUD_STORAGE_NAME = FRAUD_STORAGE.split("/").at(-1)!;
/** The DS - Fraud member who holds Storage Blob Data Contributor directly on mlw-fraud-prod's storage account. */
const blobHolder = [...oracle.roleAssignments.values()].find((assignment) => assignment.name === SEEDED_LINKED.directBlobAssignment)!.principalId;
const PERSONA_UPN = /^(admin|limited-admin|team-lead|security|no-role|step-up-admin)@/;
const freeUser = [...oracle.users.values()].find(
  (user) =>
    !PERSONA_UPN.test(user.userPrincipalName) &&
    user.userType === "Member" &&
    user.accountEnabled &&
    oracle.transitiveGroupIds(user.id).length === 0 &&
    oracle.roleAssignmentsOfPrincipal(user.id).length === 0,
)!;
const ADMIN = ["Console.Admin"] as const;
const REQUESTER = ["Console.Requester"] as const;
const FILE_READ = "Microsoft.Storage/storageAccounts/fileServices/fileshares/files/read";
const GET_SECRET = "Microsoft.KeyVault/vaults/secrets/getSecret/action";

afterAll(async () => {
  await tenant.close();
});

beforeEach(() => {
  clearProviderOperationsCache();
});

async function preview(who: "admin" | "team-lead", workspaceId: string, principalId: string, bundleId = "data-scientist") {
  return previewBundleDelta(await personaContext(who), { workspaceId, bundleId, principalId }, { consoleRoles: who === "admin" ? ADMIN : REQUESTER });
}

const partOf = (delta: Awaited<ReturnType<typeof preview>>, key: string) => delta.parts.find((part) => part.key.startsWith(key))!;
const gained = (part: ReturnType<typeof partOf>) =>
  [...(part.preview?.delta.control ?? []), ...(part.preview?.delta.data ?? [])].flatMap((group) => group.operations.map((operation) => operation.name));
const labels = (part: ReturnType<typeof partOf>) => (part.preview?.delta.data ?? []).map((group) => group.label);

describe("previewBundleDelta", () => {
  it("a DS - Fraud member holding Storage Blob Data Contributor on the storage account: that part adds nothing, the file share and the vault add data access", async () => {
    const delta = await preview("admin", FRAUD, blobHolder);
    expect(delta.bundleName).toBe("Data scientist");
    expect(delta.parts.map((part) => part.key.split(":")[0])).toEqual(["workspace", "storageAccount", "storageAccount", "containerRegistry", "keyVault"]);

    const blob = partOf(delta, "storageAccount:ba92f5b4");
    expect(blob.preview?.scope.toLowerCase()).toBe(FRAUD_STORAGE.toLowerCase());
    expect(blob.preview?.target).toEqual({ kind: "storageAccount", name: FRAUD_STORAGE_NAME });
    expect(blob.preview?.currentAccess).toBe("read");
    expect(blob.preview?.delta.alreadyCovered).toBe(true);
    // Read at the storage account itself, where the seed assigned it directly (not through the workspace).
    expect(blob.preview?.coveredBy).toEqual([expect.objectContaining({ roleName: "Storage Blob Data Contributor", origin: "workspace", via: [] })]);

    const files = partOf(delta, "storageAccount:69566ab7");
    expect(files.preview?.delta.alreadyCovered).toBe(false);
    expect(gained(files)).toContain(FILE_READ);
    expect(labels(files)).toContain("read files in the storage account's file shares");
    // What the principal holds there is named on the part that still adds something.
    expect(files.preview?.held.map((held) => held.roleName)).toContain("Storage Blob Data Contributor");

    const vault = partOf(delta, "keyVault:");
    expect(vault.state).toBe("grant");
    expect(vault.preview?.target.kind).toBe("keyVault");
    expect(labels(vault)).toContain("read Key Vault secret values");
    expect(vault.preview?.delta.dangers).toEqual([{ kind: "secret_read", operations: [GET_SECRET] }]);

    const registry = partOf(delta, "containerRegistry:");
    // Reader's */read, held from the subscription, already pulls images: inherited access counts as on a workspace.
    expect(registry.preview?.delta.alreadyCovered).toBe(true);
    expect(registry.preview?.coveredBy.map((held) => [held.roleName, held.origin])).toContainEqual(["Reader", "subscription"]);
  });

  it("a requester's preview: the links read as the console, the key vault part not needed (access policies) and not previewed, current access unknown", async () => {
    const delta = await preview("team-lead", SANDBOX_DEV, freeUser.id);
    const vault = partOf(delta, "keyVault:");
    expect(vault.state).toBe("not_applicable");
    expect(vault.preview).toBeNull();
    expect(vault.note).toMatch(/uses access policies/);
    const previewed = delta.parts.filter((part) => part.preview !== null);
    expect(previewed.map((part) => part.roleName)).toEqual([
      "AzureML Data Scientist",
      "Storage Blob Data Contributor",
      "Storage File Data Privileged Contributor",
      "AcrPull",
    ]);
    // The team lead may not read role assignments in Development: never "nothing new", everything the roles allow.
    for (const part of previewed) {
      expect(part.preview?.currentAccess).toBe("unknown");
      expect(part.preview?.delta.alreadyCovered).toBe(false);
    }
    expect(labels(partOf(delta, "storageAccount:ba92f5b4"))).toEqual(
      expect.arrayContaining(["read blobs in the storage account", "write blobs in the storage account"]),
    );
  });

  it("a part whose resource was deleted is listed with the reason and not previewed", async () => {
    const delta = await preview("team-lead", EXPERIMENTS, freeUser.id);
    const storage = delta.parts.filter((part) => part.on === "storageAccount");
    expect(storage.map((part) => [part.state, part.preview])).toEqual([
      ["blocked", null],
      ["blocked", null],
    ]);
    expect(storage[0]!.note).toMatch(/no longer exists/);
    expect(partOf(delta, "workspace").preview?.target.kind).toBe("workspace");
  });

  it("refuses a bundle the policy does not offer, and a principal the directory does not know", async () => {
    expect(await refusalOf(preview("team-lead", FRAUD, freeUser.id, "owner-bundle"))).toMatchObject({ code: "invalid_input" });
    expect(await refusalOf(preview("admin", FRAUD, "0badc0de-0000-4000-8000-000000000000"))).toMatchObject({ code: "not_found" });
  });
});

describe("previewPermissionDelta on a bundle part's resource", () => {
  it("previews a role on a storage account for an admin, and refuses a requester a role no policy role or bundle offers there", async () => {
    const admin = await personaContext("admin");
    const [result] = await previewPermissionDelta(
      admin,
      { principalId: blobHolder, parts: [{ scope: FRAUD_STORAGE, roleDefinitionId: "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1" }] },
      { consoleRoles: ADMIN },
    );
    // Storage Blob Data Reader under the Contributor held there: nothing new.
    expect(result?.target).toEqual({ kind: "storageAccount", name: FRAUD_STORAGE_NAME });
    expect(result?.delta.alreadyCovered).toBe(true);
    const lead = await personaContext("team-lead");
    expect(
      await refusalOf(
        previewPermissionDelta(
          lead,
          { principalId: blobHolder, parts: [{ scope: FRAUD_STORAGE, roleDefinitionId: "ba92f5b4-2d11-453d-a403-e96b0029c9fe" }] },
          { consoleRoles: REQUESTER },
        ),
      ),
    ).toMatchObject({ code: "forbidden" });
    const resourceGroup = FRAUD_STORAGE.replace(/\/providers\/.*$/, "");
    expect(
      await refusalOf(
        previewPermissionDelta(
          admin,
          {
            principalId: blobHolder,
            parts: [{ scope: `${resourceGroup}/providers/Microsoft.Compute/virtualMachines/vm1`, roleDefinitionId: "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1" }],
          },
          { consoleRoles: ADMIN },
        ),
      ),
    ).toMatchObject({ code: "invalid_input" });
  });
});
