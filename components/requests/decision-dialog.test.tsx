// @vitest-environment happy-dom
import { cleanup, render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";

import { previewBundleDelta, previewPermissionDelta } from "@/components/shared/reads";
import { DecisionButtons, DecisionHost, type DecisionTarget } from "./decision-dialog";

vi.mock("@/app/actions/requests", () => ({ approveAccessRequest: vi.fn(), denyAccessRequest: vi.fn() }));
vi.mock("@/components/shared/reads", () => ({
  previewPermissionDelta: vi.fn(() => new Promise(() => {})),
  previewBundleDelta: vi.fn(() => new Promise(() => {})),
}));
vi.mock("next/navigation", () => ({ useRouter: () => ({ push: vi.fn(), refresh: vi.fn() }) }));
vi.mock("@/components/auth/auth-provider", () => ({ useAuthSettings: () => ({}) }));

afterEach(() => {
  cleanup();
  vi.mocked(previewPermissionDelta).mockClear();
  vi.mocked(previewBundleDelta).mockClear();
});

const REQUEST: DecisionTarget = {
  id: "11111111-1111-4111-8111-111111111111",
  roleName: "Contributor",
  roleDefinitionId: "b24988ac-6180-42a0-ab88-20f7382dd24c",
  workspaceName: "mlw-churn-prod",
  workspaceId: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/mlw-churn-prod",
  requesterName: "Taylor Team-Lead",
  principalId: "c0ffee00-0000-4000-8000-000000000003",
  principalKind: "user",
  principalDisplayName: "Taylor Team-Lead",
  principalSecondaryId: "team-lead@contosoml.onmicrosoft.com",
  principalFlags: [],
  related: [
    {
      id: "22222222-2222-4222-8222-222222222222",
      status: "denied",
      roleName: "Owner",
      principalDisplayName: "Taylor Team-Lead",
      requesterName: "Taylor Team-Lead",
      createdAt: "2026-12-01T09:30:00.000Z",
    },
  ],
};

describe("approval dialog", () => {
  it("shows what approving gives, read for the request's workspace, role and principal, next to the earlier requests", async () => {
    const user = userEvent.setup();
    render(
      <DecisionHost>
        <DecisionButtons request={REQUEST} />
      </DecisionHost>,
    );
    await user.click(screen.getByRole("button", { name: "Approve" }));
    const dialog = screen.getByRole("dialog", { name: "Approve request" });
    expect(within(dialog).getByRole("region", { name: "What you are about to give" })).toBeTruthy();
    expect(previewPermissionDelta).toHaveBeenCalledWith({
      workspaceId: REQUEST.workspaceId,
      roleDefinitionId: REQUEST.roleDefinitionId,
      principalId: REQUEST.principalId,
    });
    const earlier = within(dialog).getByRole("region", { name: "Earlier requests on this workspace for this identity or by this requester" });
    expect(within(earlier).getByRole("listitem").textContent).toBe("Owner for Taylor Team-Lead, asked by Taylor Team-Lead on 2026-12-01 09:30 UTC: Denied");
    expect(within(earlier).getByRole("link").getAttribute("href")).toBe("/requests/22222222-2222-4222-8222-222222222222");
  });

  it("does not preview a denial", async () => {
    const user = userEvent.setup();
    render(
      <DecisionHost>
        <DecisionButtons request={REQUEST} />
      </DecisionHost>,
    );
    await user.click(screen.getByRole("button", { name: "Deny" }));
    expect(screen.queryByRole("region", { name: "What you are about to give" })).toBeNull();
    expect(previewPermissionDelta).not.toHaveBeenCalled();
  });

  it("for a bundle request, shows the bundle's delta part by part instead of the workspace role's alone", async () => {
    const user = userEvent.setup();
    render(
      <DecisionHost>
        <DecisionButtons request={{ ...REQUEST, roleName: "AzureML Data Scientist", bundleId: "data-scientist", bundleName: "Data scientist" }} />
      </DecisionHost>,
    );
    await user.click(screen.getByRole("button", { name: "Approve" }));
    const dialog = screen.getByRole("dialog", { name: "Approve request" });
    expect(within(dialog).getByRole("region", { name: "What you are about to give: the Data scientist bundle, part by part" })).toBeTruthy();
    expect(previewBundleDelta).toHaveBeenCalledWith({ workspaceId: REQUEST.workspaceId, bundleId: "data-scientist", principalId: REQUEST.principalId });
    expect(previewPermissionDelta).not.toHaveBeenCalled();
  });
});
