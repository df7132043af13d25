// @vitest-environment happy-dom
import { cleanup, render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";

import { planBundleGrant } from "@/components/shared/reads";
import { GrantBundle } from "./grant-bundle";

vi.mock("@/app/actions/bundles", () => ({ grantBundle: vi.fn() }));
vi.mock("@/components/shared/reads", () => ({ planBundleGrant: vi.fn(), previewBundleDelta: vi.fn(() => new Promise(() => {})), searchPrincipals: vi.fn() }));
vi.mock("next/navigation", () => ({ useRouter: () => ({ push: vi.fn(), refresh: vi.fn() }) }));

const WORKSPACE =
  "/subscriptions/0b1f6471-1bf0-4dda-aec3-cb9272f09590/resourceGroups/rg-ml/providers/Microsoft.MachineLearningServices/workspaces/mlw-churn-dev";
const BUNDLES = [
  { id: "data-scientist", name: "Data scientist", description: "The workspace role and its companions" },
  { id: "reader", name: "Reader", description: "Read only" },
];

afterEach(() => {
  cleanup();
  vi.mocked(planBundleGrant).mockReset();
});

describe("Grant a bundle", () => {
  it("reads the first bundle's plan on the first press, opens the dialog with it, and gives focus back to the button on Escape", async () => {
    const user = userEvent.setup();
    vi.mocked(planBundleGrant).mockResolvedValue({ status: "error", code: "upstream_unavailable", message: "Azure Resource Manager is not answering." });
    render(<GrantBundle workspaceId={WORKSPACE} workspaceName="mlw-churn-dev" bundles={BUNDLES} />);
    expect(planBundleGrant).not.toHaveBeenCalled();

    await user.click(screen.getByRole("button", { name: "Grant a bundle" }));
    // The dialog's module is downloaded on this first press (transformed on first import here, which takes a moment).
    const dialog = await screen.findByRole("dialog", { name: "Grant a bundle on mlw-churn-dev" }, { timeout: 15_000 });
    expect(planBundleGrant).toHaveBeenCalledExactlyOnceWith({ workspaceId: WORKSPACE, bundleId: "data-scientist" });
    expect(within(dialog).getByText(/The bundle cannot be planned:/).textContent).toContain("Azure Resource Manager is not answering.");
    expect(dialog.contains(document.activeElement)).toBe(true);

    await user.keyboard("{Escape}");
    expect(screen.queryByRole("dialog")).toBeNull();
    expect(document.activeElement).toBe(screen.getByRole("button", { name: "Grant a bundle" }));
  });
});
