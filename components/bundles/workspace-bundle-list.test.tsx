// @vitest-environment happy-dom
import { cleanup, render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";

import { resumeBundleGrant } from "@/app/actions/bundles";
import type { BundleGrantPartRow } from "@/lib/bundles/schema";
import type { WorkspaceBundleView } from "@/lib/bundles/workspace-bundles";
import { WorkspaceBundleList } from "./workspace-bundle-list";

vi.mock("@/app/actions/bundles", () => ({ resumeBundleGrant: vi.fn(), removeBundleGrant: vi.fn() }));
vi.mock("next/navigation", () => ({ useRouter: () => ({ push: vi.fn(), refresh: vi.fn() }) }));

const GRANT = "6a0f6c9e-6a4e-4d49-9b57-0b3c1e2f4a10";
const part = (key: string, roleName: string, on: string, state: BundleGrantPartRow["state"], note: string | null = null): BundleGrantPartRow => ({
  id: key.length,
  bundleGrantId: GRANT,
  partKey: key,
  on,
  resourceName: on === "workspace" ? "mlw-sandbox-dev" : `res-${on}`,
  scope: `/subscriptions/s/resourceGroups/rg/providers/x/${on}`,
  subscriptionId: "s",
  roleDefinitionId: "r",
  roleName,
  why: `why ${roleName}`,
  state,
  note,
  reference: null,
  updatedAt: new Date("2026-12-06T00:00:00Z"),
});

const bundle = (overrides: Partial<WorkspaceBundleView>): WorkspaceBundleView => ({
  id: GRANT,
  bundleName: "Data scientist",
  principalDisplayName: "Ada Lovelace",
  requestId: null,
  status: "granted",
  expiresAt: null,
  missing: [],
  integrityUnknown: null,
  parts: [
    part("workspace", "AzureML Data Scientist", "workspace", "granted"),
    part("storageAccount:b", "Storage Blob Data Contributor", "storageAccount", "already_granted"),
    part("containerRegistry:a", "AcrPull", "containerRegistry", "granted"),
    part("keyVault:k", "Key Vault Secrets User", "keyVault", "not_applicable", "The key vault uses access policies."),
  ],
  ...overrides,
});

afterEach(() => {
  cleanup();
  vi.mocked(resumeBundleGrant).mockReset();
});

describe("the workspace page's bundles", () => {
  it("shows a complete bundle as one unit, each part where it lands, with Remove for an admin's grant", () => {
    render(<WorkspaceBundleList bundles={[bundle({})]} canChange />);
    const grant = screen.getByRole("article", { name: "Data scientist for Ada Lovelace" });
    expect(grant.textContent).toContain("Complete");
    const rows = within(grant).getAllByRole("row");
    expect(rows).toHaveLength(5);
    expect(rows[2]!.textContent).toContain("storage account");
    expect(rows[2]!.textContent).toContain("Already there");
    expect(rows[4]!.textContent).toContain("Not needed here");
    expect(rows[4]!.textContent).toContain("uses access policies");
    expect(within(grant).getAllByRole("button", { name: "Remove the bundle" })).toHaveLength(1);
    expect(within(grant).queryByRole("button", { name: /Resume|Restore/ })).toBeNull();
  });

  it("says a drifted bundle is incomplete, marks the missing part and offers to restore it", async () => {
    vi.mocked(resumeBundleGrant).mockResolvedValue({ status: "success", data: { status: "granted", parts: [] } });
    render(
      <WorkspaceBundleList
        bundles={[
          bundle({
            requestId: "1b2c3d4e-0000-4000-8000-000000000001",
            expiresAt: "2026-12-13T10:00:00.000Z",
            missing: [{ partKey: "containerRegistry:a", words: "Its role assignment is gone from Azure." }],
          }),
        ]}
        canChange
      />,
    );
    const grant = screen.getByRole("article", { name: "Data scientist for Ada Lovelace" });
    expect(grant.textContent).toContain("Bundle incomplete");
    expect(within(grant).getByRole("alert").textContent).toContain("Some parts no longer hold");
    expect(within(grant).getAllByRole("row")[3]!.textContent).toContain("FailedIts role assignment is gone from Azure.");
    // A request's bundle ends with the request: no Remove here.
    expect(within(grant).queryByRole("button", { name: "Remove the bundle" })).toBeNull();
    expect(within(grant).getByRole("link", { name: "request 1b2c3d4e" }).getAttribute("href")).toBe("/requests/1b2c3d4e-0000-4000-8000-000000000001");
    await userEvent.click(within(grant).getByRole("button", { name: "Restore the missing parts" }));
    expect(vi.mocked(resumeBundleGrant)).toHaveBeenCalledWith({ bundleGrantId: GRANT });
    expect((await within(grant).findByRole("status")).textContent).toContain("Every part of the bundle holds now.");
  });

  it("says a partial bundle is partial; a person who may not change it gets no buttons", () => {
    render(
      <WorkspaceBundleList
        bundles={[bundle({ status: "partial", parts: [part("containerRegistry:a", "AcrPull", "containerRegistry", "failed", "Azure refused.")] })]}
        canChange={false}
      />,
    );
    const grant = screen.getByRole("article", { name: "Data scientist for Ada Lovelace" });
    expect(grant.textContent).toContain("Bundle partial");
    expect(grant.textContent).toContain("Azure refused.");
    expect(within(grant).queryByRole("button")).toBeNull();
  });

  it("says so when whether every part holds could not be checked, and renders nothing without bundles", () => {
    const { container } = render(<WorkspaceBundleList bundles={[]} canChange />);
    expect(container.innerHTML).toBe("");
    render(<WorkspaceBundleList bundles={[bundle({ missing: null, integrityUnknown: "Azure could not be asked just now." })]} canChange />);
    expect(screen.getByRole("article").textContent).toContain("could not be checked: Azure could not be asked just now.");
  });
});
