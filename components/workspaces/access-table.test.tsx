// @vitest-environment happy-dom
import { cleanup, render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";

import { revokeWorkspaceRoles } from "@/app/actions/workspaces";
import type { AccessRow } from "@/lib/workspaces/get-workspace-access";
import { AccessTable } from "./access-table";

// Removing is the revoke dialog's business; these tests stop at opening it.
vi.mock("@/app/actions/workspaces", () => ({ revokeWorkspaceRoles: vi.fn() }));
vi.mock("next/navigation", () => ({ useRouter: () => ({ push: vi.fn(), refresh: vi.fn() }) }));

const WORKSPACE =
  "/subscriptions/0b1f6471-1bf0-4dda-aec3-cb9272f09590/resourceGroups/rg-ml/providers/Microsoft.MachineLearningServices/workspaces/mlw-churn-dev";

function assignment(id: string, overrides: Partial<AccessRow>): AccessRow {
  return {
    assignmentId: `${WORKSPACE}/providers/Microsoft.Authorization/roleAssignments/${id}`,
    assignmentName: id,
    scope: WORKSPACE,
    origin: "workspace",
    roleDefinitionId: "f6c7c914-8db3-469d-8ca1-694a8f32e121",
    roleName: "AzureML Data Scientist",
    roleDescription: "",
    principalId: `${id}-principal`,
    principalType: "User",
    principal: { id: `${id}-principal`, kind: "user", displayName: id, secondaryId: `${id.toLowerCase()}@contoso.test` },
    description: null,
    condition: null,
    pim: null,
    createdOn: "2026-01-01T00:00:00Z",
    createdBy: null,
    heldBy: [],
    principalStatus: overrides.principal === null ? "not_found" : "resolved",
    ...overrides,
  };
}

const ROWS: AccessRow[] = [
  assignment("Ben", {}),
  assignment("Ada", { roleName: "Reader" }),
  assignment("Data Team", { principalType: "Group", principal: { id: "g", kind: "group", displayName: "Data Team", secondaryId: null } }),
  assignment("Gone", { principal: null }),
  assignment("Cleo", { origin: "subscription", scope: "/subscriptions/0b1f6471-1bf0-4dda-aec3-cb9272f09590", roleName: "Owner" }),
];

function renderTable(canRevoke = true) {
  const user = userEvent.setup();
  render(
    <AccessTable rows={ROWS} renderedAt={Date.parse("2026-06-01T00:00:00Z")} workspaceId={WORKSPACE} workspaceName="mlw-churn-dev" canRevoke={canRevoke} />,
  );
  return user;
}

/** The principal column of the rendered body rows, top to bottom. */
function principals(): string[] {
  const table = screen.getByRole("table", { name: "Who has access" });
  return within(table)
    .getAllByRole("row")
    .filter((row) => Number(row.getAttribute("aria-rowindex")) > 1)
    .map((row) => within(row).getAllByRole("cell")[1]!.textContent.replace(/^⚠ /, ""));
}

const count = () => screen.getByTestId("assignment-count").textContent;

// happy-dom lays nothing out, so every element measures 0×0 and the virtualiser would render no row. The scrollable
// region gets the size of a screen instead; everything else keeps happy-dom's own answer.
const layout = { clientWidth: 1200, clientHeight: 640 } as const;
const original = Object.fromEntries(Object.keys(layout).map((key) => [key, Object.getOwnPropertyDescriptor(HTMLElement.prototype, key)!]));
beforeAll(() => {
  for (const [key, size] of Object.entries(layout)) {
    Object.defineProperty(HTMLElement.prototype, key, {
      configurable: true,
      get(this: HTMLElement) {
        return this.getAttribute("role") === "region" ? size : (original[key]!.get!.call(this) as number);
      },
    });
  }
});
afterAll(() => {
  for (const [key, descriptor] of Object.entries(original)) Object.defineProperty(HTMLElement.prototype, key, descriptor);
});
afterEach(cleanup);

describe("AccessTable", () => {
  it("lists direct assignments before inherited ones, and counts the identities not found", () => {
    renderTable();
    expect(count()).toBe("5 role assignments · 1 with identity not found");
    expect(principals()).toEqual(["Ben", "Ada", "Data Team", "Identity not foundGone-principal", "Cleo"]);
  });

  it("filters by search, role, principal type and orphans, and says how many are in view", async () => {
    const user = renderTable();

    await user.type(screen.getByRole("searchbox", { name: "Search assignments" }), "contoso");
    expect(principals()).toEqual(["Ben", "Ada", "Cleo"]);
    expect(count()).toBe("3 of 5 role assignments · 1 with identity not found");
    await user.clear(screen.getByRole("searchbox", { name: "Search assignments" }));

    await user.selectOptions(screen.getByLabelText("Role"), "Reader");
    expect(principals()).toEqual(["Ada"]);
    await user.selectOptions(screen.getByLabelText("Role"), "All roles");

    await user.selectOptions(screen.getByLabelText("Principal type"), "Group");
    expect(principals()).toEqual(["Data Team"]);
    await user.selectOptions(screen.getByLabelText("Principal type"), "All types");

    await user.click(screen.getByRole("checkbox", { name: "Identity not found only" }));
    expect(principals()).toEqual(["Identity not foundGone-principal"]);

    await user.type(screen.getByRole("searchbox", { name: "Search assignments" }), "nobody-matches");
    expect(screen.getByText("No assignment matches these filters.")).toBeTruthy();
  });

  it("sorts by a column, then reverses it, and says so with aria-sort", async () => {
    const user = renderTable();
    const header = (name: string) => screen.getByRole("columnheader", { name: new RegExp(`^${name}`) });
    expect(header("Where from").getAttribute("aria-sort")).toBe("ascending");

    await user.click(within(header("Principal")).getByRole("button"));
    expect(header("Principal").getAttribute("aria-sort")).toBe("ascending");
    expect(header("Where from").getAttribute("aria-sort")).toBeNull();
    // Orphans sort together after every name.
    expect(principals()).toEqual(["Ada", "Ben", "Cleo", "Data Team", "Identity not foundGone-principal"]);

    await user.click(within(header("Principal")).getByRole("button"));
    expect(header("Principal").getAttribute("aria-sort")).toBe("descending");
    expect(principals()).toEqual(["Identity not foundGone-principal", "Data Team", "Cleo", "Ben", "Ada"]);
  });

  it("selects only direct assignments, all of those in view at once, and clears the selection", async () => {
    const user = renderTable();
    expect(screen.getByText("Select direct assignments to remove them.")).toBeTruthy();
    expect(screen.queryByRole("checkbox", { name: /^Select Cleo/ })).toBeNull();
    expect(screen.getByText("Inherited: remove at its scope")).toBeTruthy();

    await user.click(screen.getByRole("checkbox", { name: "Select Ben, AzureML Data Scientist" }));
    expect(screen.getByText("1 selected")).toBeTruthy();

    await user.selectOptions(screen.getByLabelText("Principal type"), "User");
    await user.click(screen.getByRole("checkbox", { name: "Select all direct assignments in view" }));
    // Ben, Ada and the orphan (ARM recorded a user) are the direct users in view; the group stays unselected, and the
    // inherited Owner cannot be selected.
    expect(screen.getByText("3 selected")).toBeTruthy();
    await user.selectOptions(screen.getByLabelText("Principal type"), "All types");
    expect(screen.getByRole<HTMLInputElement>("checkbox", { name: "Select Data Team, AzureML Data Scientist" }).checked).toBe(false);
    expect(screen.getByRole<HTMLInputElement>("checkbox", { name: "Select all direct assignments in view" }).checked).toBe(false);

    await user.click(screen.getByRole("button", { name: "Clear selection" }));
    expect(screen.getByText("Select direct assignments to remove them.")).toBeTruthy();
    expect(screen.getByRole("button", { name: "Remove selected" }).hasAttribute("disabled")).toBe(true);
  });

  it("opens the removal dialog for the selection, and for every orphan at once", async () => {
    const user = renderTable();
    await user.click(screen.getByRole("checkbox", { name: "Select Ben, AzureML Data Scientist" }));
    await user.click(screen.getByRole("checkbox", { name: "Select Ada, Reader" }));
    await user.click(screen.getByRole("button", { name: "Remove selected" }));

    const dialog = await screen.findByRole("dialog", { name: "Remove 2 role assignments?" });
    expect(within(within(dialog).getByRole("list", { name: "Assignments to remove" })).getAllByRole("listitem")).toHaveLength(2);
    await user.click(within(dialog).getByRole("button", { name: "Cancel" }));
    expect(screen.queryByRole("dialog")).toBeNull();

    await user.click(screen.getByRole("button", { name: "Clean up orphans (1)" }));
    const orphans = await screen.findByRole("dialog", { name: "Remove 1 role assignment?" });
    expect(within(orphans).getByText("Identity not found")).toBeTruthy();
  });

  it("labels a partner's group, an unresolvable principal and one created moments ago, and never offers them as orphans", async () => {
    const rows = [
      assignment("Gone", { principal: null }),
      assignment("Csp", {
        principalType: "ForeignGroup",
        principal: { id: "p", kind: "partner", displayName: "Fabrikam CSP AdminAgents", secondaryId: "7a3c5e10-2b4d-4c6e-8f01-a2b3c4d5e6f7" },
        principalStatus: "partner",
      }),
      assignment("Foreign", { principalType: "ForeignGroup", principal: null, principalStatus: "partner" }),
      assignment("Laptop", { principalType: "Device", principal: null, principalStatus: "not_resolvable" }),
      assignment("Newcomer", { principal: null, principalStatus: "recent", createdOn: "2026-05-31T23:55:00Z" }),
    ];
    const user = userEvent.setup();
    vi.mocked(revokeWorkspaceRoles).mockResolvedValue({ status: "success", data: [] });
    render(<AccessTable rows={rows} renderedAt={Date.parse("2026-06-01T00:00:00Z")} workspaceId={WORKSPACE} workspaceName="w" canRevoke />);

    expect(count()).toBe("5 role assignments · 1 with identity not found");
    expect(principals()).toEqual([
      "Identity not foundGone-principal",
      "Partner: Fabrikam CSP AdminAgentsPartner organisation's group — managed by the partner",
      "Partner organisation's groupForeign-principalPartner organisation's group — managed by the partner",
      "Not resolvableLaptop-principalA Device principal: Microsoft Graph cannot look it up here, so Gatehouse cannot tell whether it still exists",
      "Not in the directory yetNewcomer-principalCreated moments ago; Entra may not have replicated it yet",
    ]);
    const partnerRow = screen.getAllByRole("row").find((row) => row.textContent.includes("Partner: Fabrikam"))!;
    expect(within(partnerRow).getAllByRole("cell")[2]!.textContent).toBe("Partner (CSP)");
    expect(screen.getByTestId("orphans-held-back").textContent).toContain("4 not offered for clean-up");

    await user.click(screen.getByRole("checkbox", { name: "Identity not found only" }));
    expect(principals()).toEqual(["Identity not foundGone-principal"]);

    await user.click(screen.getByRole("button", { name: "Clean up orphans (1)" }));
    const dialog = await screen.findByRole("dialog", { name: "Remove 1 role assignment?" });
    expect(within(within(dialog).getByRole("list", { name: "Assignments to remove" })).getAllByRole("listitem")).toHaveLength(1);
    await user.click(within(dialog).getByRole("button", { name: "Remove 1 assignment" }));
    // The server is told it is an orphan clean-up, so it removes only what it confirms deleted itself.
    expect(vi.mocked(revokeWorkspaceRoles)).toHaveBeenCalledWith(
      expect.objectContaining({ assignmentIds: [rows[0]!.assignmentId], orphanCleanup: true, confirmSelfLockout: false }),
    );
  });

  it("offers no selection to people who may not remove access", () => {
    renderTable(false);
    expect(screen.queryAllByRole("checkbox", { name: /^Select/ })).toHaveLength(0);
    expect(screen.queryByRole("button", { name: "Remove selected" })).toBeNull();
  });

  it("marks an assignment PIM made with its end, offers no selection for it, and shows a condition as a limit", () => {
    const pim = assignment("Pia", { pim: { assignmentType: "Activated", endDateTime: "2026-06-01T08:00:00.000Z" } });
    const conditioned = assignment("Cora", { roleName: "Role Based Access Control Administrator", condition: "@Request[x] GuidEquals {y}" });
    render(<AccessTable rows={[pim, conditioned]} renderedAt={Date.parse("2026-06-01T00:00:00Z")} workspaceId={WORKSPACE} workspaceName="w" canRevoke />);
    expect(screen.getByText("PIM-activated until 2026-06-01 08:00 UTC")).toBeTruthy();
    expect(screen.getByText("Made by PIM: remove it in PIM")).toBeTruthy();
    expect(screen.queryByRole("checkbox", { name: /^Select Pia/ })).toBeNull();
    expect(screen.getByRole("checkbox", { name: "Select Cora, Role Based Access Control Administrator" })).toBeTruthy();
    expect(screen.getByText("Only where this condition holds:")).toBeTruthy();
  });
});
