// @vitest-environment happy-dom
import { cleanup, render, screen, within } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";

import type { DenyAssignment } from "@/lib/workspaces/access-beyond-assignments";
import type { EligibleRow } from "@/lib/workspaces/get-workspace-access";
import { DenyAssignmentList, denyAppliesTo, EligibleAccess } from "./beyond-assignments";

const WORKSPACE = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/w";

const eligible = (overrides: Partial<EligibleRow>): EligibleRow => ({
  id: `${WORKSPACE}/providers/Microsoft.Authorization/roleEligibilityScheduleInstances/1`,
  scope: WORKSPACE,
  origin: "workspace",
  roleDefinitionId: "f6c7c914-8db3-469d-8ca1-694a8f32e121",
  roleName: "AzureML Data Scientist",
  principalId: "p1",
  principalType: "User",
  memberType: "Direct",
  startDateTime: "2026-01-01T00:00:00.000Z",
  endDateTime: "2026-12-01T00:00:00.000Z",
  condition: null,
  principal: { id: "p1", kind: "user", displayName: "Aisha Brennan", secondaryId: "aisha@contoso.test" },
  ...overrides,
});

const deny = (overrides: Partial<DenyAssignment>): DenyAssignment => ({
  id: `${WORKSPACE}/providers/Microsoft.Authorization/denyAssignments/d1`,
  name: "Deployment stack stack-ml-fraud: deny write and delete",
  description: "Created by a deployment stack.",
  scope: WORKSPACE,
  origin: "workspace",
  actions: ["Microsoft.MachineLearningServices/workspaces/delete"],
  notActions: [],
  dataActions: [],
  everyone: true,
  principals: [],
  excluded: [],
  systemProtected: true,
  ...overrides,
});

afterEach(cleanup);

describe("EligibleAccess", () => {
  it("lists eligible people read-only, with the end of their eligibility or 'permanently eligible'", () => {
    render(<EligibleAccess rows={[eligible({}), eligible({ id: "2", principalId: "p2", principal: null, endDateTime: null })]} />);
    const table = screen.getByRole("table", { name: "Eligible (PIM)" });
    const rows = within(table).getAllByRole("row").slice(1);
    expect(rows.map((row) => within(row).getAllByRole("cell")[0]!.textContent)).toEqual(["Aisha Brennanaisha@contoso.test", "Identity not found"]);
    expect(within(rows[0]!).getByText("2026-12-01 00:00 UTC")).toBeTruthy();
    expect(within(rows[1]!).getByText("Permanently eligible")).toBeTruthy();
    expect(within(table).queryByRole("checkbox")).toBeNull();
  });

  it("says when nobody is eligible", () => {
    render(<EligibleAccess rows={[]} />);
    expect(screen.getByText("Nobody is eligible for a role here through Privileged Identity Management.")).toBeTruthy();
  });
});

describe("DenyAssignmentList", () => {
  it("says what each deny assignment refuses and to whom", () => {
    render(<DenyAssignmentList denies={[deny({})]} />);
    const item = within(screen.getByRole("list", { name: "Deny assignments" })).getByRole("listitem");
    expect(within(item).getByText("Denied by Deployment stack stack-ml-fraud: deny write and delete")).toBeTruthy();
    expect(item.textContent).toContain("Refuses Microsoft.MachineLearningServices/workspaces/delete to everyone, whatever their roles allow.");
  });

  it("names principals and exclusions", () => {
    expect(denyAppliesTo({ everyone: true, principals: [], excluded: [{ id: "x", type: "User", displayName: "Avery Admin" }] })).toBe(
      "everyone except Avery Admin",
    );
    expect(denyAppliesTo({ everyone: false, principals: [{ id: "g", type: "Group", displayName: null }], excluded: [] })).toBe("Group g");
  });
});
