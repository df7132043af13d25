// @vitest-environment happy-dom
import { cleanup, render, screen, waitFor, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";

import { previewBundleDelta } from "@/components/shared/reads";
import type { BundleDelta as BundleDeltaData } from "@/lib/bundles/preview-bundle-delta";
import type { GrantedOperation } from "@/lib/permissions/expand-role";
import type { PermissionDeltaPreview } from "@/lib/permissions/preview-permission-delta";
import { BundleDelta } from "./bundle-delta";

// The read is the component's boundary with the server: each test says what it answers.
vi.mock("@/components/shared/reads", () => ({ previewBundleDelta: vi.fn() }));
const preview = vi.mocked(previewBundleDelta);

afterEach(() => {
  cleanup();
  preview.mockReset();
});

const STORAGE = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/stmlwfraudprod";
const VAULT = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv-mlw-fraud-prod";
const BLOB_CONTRIBUTOR = { roleName: "Storage Blob Data Contributor", origin: "workspace" as const, via: [], assignedTo: "Robin Fraud", conditional: false };
const FILE_READ: GrantedOperation = {
  name: "Microsoft.Storage/storageAccounts/fileServices/fileshares/files/read",
  plane: "data",
  resourceType: "Microsoft.Storage/storageAccounts/fileServices/fileshares/files",
  verb: "read",
  readsSecrets: false,
};
const GET_SECRET: GrantedOperation = {
  name: "Microsoft.KeyVault/vaults/secrets/getSecret/action",
  plane: "data",
  resourceType: "Microsoft.KeyVault/vaults/secrets",
  verb: "action",
  readsSecrets: true,
};

function partPreview(
  scope: string,
  kind: PermissionDeltaPreview["target"]["kind"],
  role: string,
  gained: GrantedOperation[],
  label: string,
): PermissionDeltaPreview {
  return {
    scope,
    target: { kind, name: scope.split("/").at(-1)! },
    principal: { id: "p", displayName: "Robin Fraud", kind: "user" },
    roles: [{ id: role, name: role }],
    currentAccess: "read",
    currentAccessNotice: null,
    held: gained.length === 0 ? [BLOB_CONTRIBUTOR] : [],
    coveredBy: gained.length === 0 ? [BLOB_CONTRIBUTOR] : [],
    delta: {
      control: [],
      data:
        gained.length === 0
          ? []
          : [{ plane: "data", resourceType: gained[0]!.resourceType, verb: gained[0]!.verb, readsSecrets: gained[0]!.readsSecrets, label, operations: gained }],
      dangers: gained.some((operation) => operation.readsSecrets) ? [{ kind: "secret_read", operations: [GET_SECRET.name] }] : [],
      uncatalogued: [],
      alreadyCovered: gained.length === 0,
      atLeast: false,
    },
    summary: { count: gained.length, notable: gained[0]?.name ?? null },
    denies: [],
    ineffectiveExclusions: [],
  };
}

const DELTA: BundleDeltaData = {
  bundleId: "data-scientist",
  bundleName: "Data scientist",
  workspaceId: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/mlw-fraud-prod",
  parts: [
    {
      key: "storageAccount:ba92f5b4-2d11-453d-a403-e96b0029c9fe",
      roleName: "Storage Blob Data Contributor",
      on: "storageAccount",
      resourceName: "stmlwfraudprod",
      state: "grant",
      preview: partPreview(STORAGE, "storageAccount", "Storage Blob Data Contributor", [], ""),
      note: null,
    },
    {
      key: "storageAccount:69566ab7-960f-475b-8e7c-b3118f30c6bd",
      roleName: "Storage File Data Privileged Contributor",
      on: "storageAccount",
      resourceName: "stmlwfraudprod",
      state: "grant",
      preview: partPreview(
        STORAGE,
        "storageAccount",
        "Storage File Data Privileged Contributor",
        [FILE_READ],
        "read files in the storage account's file shares",
      ),
      note: null,
    },
    {
      key: "keyVault:4633458b-17de-408a-b874-0445c86b69e6",
      roleName: "Key Vault Secrets User",
      on: "keyVault",
      resourceName: "kv-mlw-fraud-prod",
      state: "grant",
      preview: partPreview(VAULT, "keyVault", "Key Vault Secrets User", [GET_SECRET], "read Key Vault secret values"),
      note: null,
    },
    {
      key: "containerRegistry:7f951dda-4ed3-4680-a7ca-43fe172d538d",
      roleName: "AcrPull",
      on: "containerRegistry",
      resourceName: null,
      state: "not_applicable",
      preview: null,
      note: "The workspace has no container registry yet (Azure ML creates one with the first environment image), so there is nothing to grant AcrPull on.",
    },
  ],
};

const IDS = { workspaceId: DELTA.workspaceId, bundleId: "data-scientist", principalId: "p" };

describe("BundleDelta", () => {
  it("shows each part under its own heading on its resource: nothing new where it is held, data actions and dangers where not, why a part is not previewed", async () => {
    preview.mockResolvedValue({ status: "success", data: DELTA });
    render(<BundleDelta {...IDS} title="What you are about to give" />);
    expect(screen.getByText("Working out what each part of the bundle adds…")).toBeTruthy();
    const bundle = await screen.findByRole("region", { name: "What you are about to give" });
    expect(preview).toHaveBeenCalledWith(IDS);

    const blob = within(bundle).getByRole("region", { name: "Storage Blob Data Contributor on the storage account stmlwfraudprod" });
    expect(within(blob).getByTestId("permission-delta-summary").textContent).toBe(
      "Nothing new — already covered by Storage Blob Data Contributor directly on this storage account.",
    );

    const files = within(bundle).getByRole("region", { name: "Storage File Data Privileged Contributor on the storage account stmlwfraudprod" });
    expect(within(files).getByRole("list", { name: "Data plane" }).textContent).toContain("read files in the storage account's file shares");
    expect(files.textContent).toContain("Holds no role on this storage account now.");

    const vault = within(bundle).getByRole("region", { name: "Key Vault Secrets User on the key vault kv-mlw-fraud-prod" });
    expect(within(vault).getByRole("list", { name: "Needs care" }).textContent).toContain("Reads secrets");
    expect(within(vault).getByRole("list", { name: "Data plane" }).textContent).toContain("read Key Vault secret values");

    const registry = within(bundle).getByRole("region", { name: "AcrPull on the container registry" });
    expect(registry.textContent).toContain("Not needed here, so nothing to preview. The workspace has no container registry yet");
  });

  it("shows the server's message when the bundle's delta cannot be worked out, and asks again for another principal", async () => {
    preview.mockResolvedValueOnce({ status: "error", code: "upstream_unavailable", message: "Azure Resource Manager is having problems.", reference: "ref-2" });
    preview.mockResolvedValueOnce({ status: "success", data: DELTA });
    const { rerender } = render(<BundleDelta {...IDS} title="What you are asking for" />);
    expect((await screen.findByRole("alert")).textContent).toContain(
      "Gatehouse could not work out what this bundle adds. Azure Resource Manager is having problems.",
    );
    rerender(<BundleDelta {...IDS} principalId="q" title="What you are asking for" />);
    await waitFor(() => expect(screen.getAllByTestId("permission-delta")).toHaveLength(3));
    expect(preview).toHaveBeenLastCalledWith({ ...IDS, principalId: "q" });
  });
});
