// @vitest-environment happy-dom
import { act, cleanup, render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";

import { checkWorkspaceAccess } from "@/components/shared/reads";
import type { ActionResult } from "@/lib/shared/action-result";
import type { EffectiveAccess } from "@/lib/workspaces/check-workspace-access";
import { CheckAccessPanel, EffectiveAccessList } from "./check-access-panel";

vi.mock("@/components/shared/reads", () => ({ checkWorkspaceAccess: vi.fn(), searchPrincipals: vi.fn() }));

const WORKSPACE = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/w";
const person = { id: "p1", kind: "user" as const, displayName: "Aisha Brennan", secondaryId: "aisha@contoso.test" };

function access(overrides: Partial<EffectiveAccess>): EffectiveAccess {
  return { principal: person, grants: [], eligible: [], denies: [], beyondAssignmentsNotice: null, ...overrides };
}

afterEach(cleanup);

describe("EffectiveAccessList", () => {
  it("says an eligible person with no active role is eligible (PIM), not without access", () => {
    render(
      <EffectiveAccessList
        access={access({
          eligible: [
            {
              roleDefinitionId: "r",
              roleName: "AzureML Data Scientist",
              scope: WORKSPACE,
              origin: "workspace",
              endDateTime: "2027-11-01T00:00:00.000Z",
              condition: null,
              throughGroup: null,
            },
          ],
        })}
      />,
    );
    expect(screen.getByText(/has no active role on this workspace, but is eligible \(PIM\) for 1 role:/)).toBeTruthy();
    expect(screen.queryByText(/has no role on this workspace/)).toBeNull();
    const item = within(screen.getByRole("list", { name: "Effective roles of Aisha Brennan" })).getByRole("listitem");
    expect(item.textContent).toContain("eligible (PIM)");
    expect(item.textContent).toContain("eligible until 2027-11-01 00:00 UTC");
  });

  it("shows deny assignments that apply, PIM ends and conditions on roles", () => {
    render(
      <EffectiveAccessList
        access={access({
          grants: [
            {
              roleDefinitionId: "r",
              roleName: "AzureML Compute Operator",
              scope: WORKSPACE,
              origin: "workspace",
              via: [],
              assignedTo: { id: "p1", displayName: "Aisha Brennan" },
              assignmentId: "a",
              condition: "@Resource[x] StringEquals 'y'",
              pim: { assignmentType: "Activated", endDateTime: "2026-12-05T05:00:00.000Z" },
            },
          ],
          denies: [
            {
              id: "d",
              name: "Deployment stack stack-ml-fraud: deny write and delete",
              description: null,
              scope: WORKSPACE,
              origin: "workspace",
              actions: ["Microsoft.MachineLearningServices/workspaces/delete"],
              notActions: [],
              dataActions: [],
              everyone: true,
              principals: [],
              excluded: [],
              systemProtected: true,
            },
          ],
        })}
      />,
    );
    expect(screen.getByText(/has 1 role on this workspace:/)).toBeTruthy();
    const role = within(screen.getByRole("list", { name: "Effective roles of Aisha Brennan" })).getByRole("listitem");
    expect(role.textContent).toContain("PIM-activated until 2026-12-05 05:00 UTC");
    expect(role.textContent).toContain("Only where this condition holds: @Resource[x] StringEquals 'y'");
    const deny = within(screen.getByRole("list", { name: "Deny assignments that apply to Aisha Brennan" })).getByRole("listitem");
    expect(within(deny).getByText("Denied by Deployment stack stack-ml-fraud: deny write and delete")).toBeTruthy();
    expect(deny.textContent).toContain("applies to everyone");
  });

  it("does not say 'no role' as if certain when PIM could not be read", () => {
    render(<EffectiveAccessList access={access({ beyondAssignmentsNotice: "PIM eligibilities and deny assignments could not be read (x)." })} />);
    expect(screen.getByText(/has no active role on this workspace\./)).toBeTruthy();
    expect(screen.getByRole("status").textContent).toContain("could not be read");
  });
});

describe("CheckAccessPanel", () => {
  it("shows the answer for the person chosen last, when the check of an earlier choice answers after it", async () => {
    const bruno = { id: "p2", kind: "user" as const, displayName: "Bruno Costa", secondaryId: "bruno@contoso.test" };
    const answers = new Map<string, (result: ActionResult<EffectiveAccess>) => void>();
    vi.mocked(checkWorkspaceAccess).mockImplementation(
      (input) => new Promise((resolve) => answers.set((input as { principalId: string }).principalId, resolve)),
    );
    const user = userEvent.setup();
    render(<CheckAccessPanel workspaceId={WORKSPACE} canSearchDirectory={false} knownPrincipals={[person, bruno]} />);
    const choose = async (name: string) => {
      const input = screen.getByRole("combobox", { name: "Whose access?" });
      await user.clear(input);
      await user.type(input, name.split(" ")[0]!);
      await user.click(await screen.findByRole("option", { name: new RegExp(name) }));
    };
    await choose("Aisha Brennan");
    await choose("Bruno Costa");
    expect([...answers.keys()]).toEqual(["p1", "p2"]);

    await act(() => Promise.resolve(answers.get("p2")!({ status: "success", data: access({ principal: bruno }) })));
    await act(() => Promise.resolve(answers.get("p1")!({ status: "success", data: access({}) })));
    expect(screen.getByText(/has no role on this workspace/).textContent).toContain("Bruno Costa");
    expect(screen.queryByText(/Aisha Brennan has no role/)).toBeNull();
  });
});
