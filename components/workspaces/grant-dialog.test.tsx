// @vitest-environment happy-dom
import { cleanup, render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";

import { previewPermissionDelta } from "@/components/shared/reads";
import { grantWorkspaceRoles } from "@/app/actions/workspaces";
import type { DirectoryPrincipal } from "@/lib/graph/principals";
import { GrantDialog, type GrantDialogOptions } from "./grant-dialog";

vi.mock("@/app/actions/workspaces", () => ({ grantWorkspaceRoles: vi.fn() }));
vi.mock("@/components/shared/reads", () => ({ previewPermissionDelta: vi.fn(() => new Promise(() => {})) }));
vi.mock("next/navigation", () => ({ useRouter: () => ({ push: vi.fn(), refresh: vi.fn() }) }));

const WORKSPACE =
  "/subscriptions/0b1f6471-1bf0-4dda-aec3-cb9272f09590/resourceGroups/rg-ml/providers/Microsoft.MachineLearningServices/workspaces/mlw-churn-dev";
const ROLE = "f6c7c914-8db3-469d-8ca1-694a8f32e121";
const OPTIONS: GrantDialogOptions = {
  roles: [{ id: ROLE, name: "AzureML Data Scientist", description: "", featured: true, privileged: false }] as unknown as GrantDialogOptions["roles"],
  budget: null,
  budgetWarning: false,
  hub: null,
};
const person = (id: string, displayName: string) => ({ id, kind: "user", displayName, secondaryId: null }) as unknown as DirectoryPrincipal;
const ADA = person("aaaaaaaa-0000-4000-8000-000000000001", "Ada");
const BEN = person("aaaaaaaa-0000-4000-8000-000000000002", "Ben");
const FIRST = "11111111-1111-4111-8111-111111111111";
const SECOND = "22222222-2222-4222-8222-222222222222";

afterEach(() => {
  cleanup();
  vi.mocked(grantWorkspaceRoles).mockReset();
});

describe("grant dialog: resuming a bulk grant", () => {
  it("retries what did not succeed by naming the earlier attempt, with every principal (the server skips the finished ones)", async () => {
    const user = userEvent.setup();
    vi.mocked(grantWorkspaceRoles)
      .mockResolvedValueOnce({
        status: "success",
        data: [
          { principalId: ADA.id, displayName: "Ada", status: "granted", message: "Granted.", attemptId: FIRST },
          { principalId: BEN.id, displayName: "Ben", status: "failed", message: "Your session has ended.", attemptId: FIRST },
        ],
      })
      .mockResolvedValueOnce({
        status: "success",
        data: [
          { principalId: ADA.id, displayName: "Ada", status: "granted", message: "Granted in the earlier attempt; not sent to Azure again.", attemptId: FIRST },
          { principalId: BEN.id, displayName: "Ben", status: "granted", message: "Granted.", attemptId: SECOND },
        ],
      });
    render(
      <GrantDialog
        workspaceId={WORKSPACE}
        workspaceName="mlw-churn-dev"
        options={OPTIONS}
        initiallyOpen
        resumed={{ principals: [ADA, BEN], roleId: ROLE, description: "" }}
      />,
    );
    await user.click(screen.getByRole("button", { name: "Grant AzureML Data Scientist" }));
    expect(vi.mocked(grantWorkspaceRoles).mock.calls[0]![0]).not.toHaveProperty("resumeOf");

    await user.click(await screen.findByRole("button", { name: "Retry the one that did not succeed" }));
    expect(vi.mocked(grantWorkspaceRoles).mock.calls[1]![0]).toMatchObject({
      principals: [expect.objectContaining({ id: ADA.id }), expect.objectContaining({ id: BEN.id })],
      resumeOf: [FIRST],
    });
    const results = await screen.findByRole("list", { name: "Grant results" });
    expect(within(results).getByText(/earlier attempt/)).toBeTruthy();
    // Everything done: nothing left to retry.
    expect(screen.queryByRole("button", { name: /^Retry the/ })).toBeNull();
  });

  it("choices kept across a sign-in carry the attempts, and the next grant resumes them", async () => {
    const user = userEvent.setup();
    vi.mocked(grantWorkspaceRoles).mockResolvedValue({ status: "success", data: [] });
    render(
      <GrantDialog
        workspaceId={WORKSPACE}
        workspaceName="mlw-churn-dev"
        options={OPTIONS}
        initiallyOpen
        resumed={{ principals: [ADA, BEN], roleId: ROLE, description: "", resumeOf: [FIRST] }}
      />,
    );
    await user.click(screen.getByRole("button", { name: "Grant AzureML Data Scientist" }));
    expect(vi.mocked(grantWorkspaceRoles).mock.calls[0]![0]).toMatchObject({ resumeOf: [FIRST] });
  });
});

describe("grant dialog: what the role adds", () => {
  it("is shown for the first chosen principal, and for another one when the admin picks them", async () => {
    const user = userEvent.setup();
    render(
      <GrantDialog
        workspaceId={WORKSPACE}
        workspaceName="mlw-churn-dev"
        options={OPTIONS}
        initiallyOpen
        resumed={{ principals: [ADA, BEN], roleId: ROLE, description: "" }}
      />,
    );
    expect(screen.getByRole("region", { name: "What you are about to give" })).toBeTruthy();
    expect(vi.mocked(previewPermissionDelta)).toHaveBeenLastCalledWith({ workspaceId: WORKSPACE, roleDefinitionId: ROLE, principalId: ADA.id });
    await user.selectOptions(screen.getByLabelText(/Show what the role adds for/), BEN.id);
    expect(vi.mocked(previewPermissionDelta)).toHaveBeenLastCalledWith({ workspaceId: WORKSPACE, roleDefinitionId: ROLE, principalId: BEN.id });
  });
});
