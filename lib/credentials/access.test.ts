import { describe, expect, it } from "vitest";

import type { WorkspaceRole } from "@/lib/shared/credentials";
import { withGroupRoles } from "./access";

const WS = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/mlw-a";
const role = (roleName: string, privileged = false): WorkspaceRole => ({
  workspace: "mlw-a",
  workspaceScope: WS,
  roleId: roleName.toLowerCase(),
  roleName,
  privileged,
  assignmentScope: WS,
});

describe("roles held through groups", () => {
  it("gives a group's roles to its service-principal members, named with the group, without repeating direct ones", () => {
    const merged = withGroupRoles(
      {
        rolesByPrincipal: new Map([["sp-1", [role("Reader")]]]),
        rolesByGroup: new Map([
          ["group-1", [role("Reader"), role("Contributor", true)]],
          ["deleted-group", [role("Owner", true)]],
        ]),
      },
      new Map([["group-1", { displayName: "Automation", servicePrincipalIds: ["SP-1", "sp-2"] }]]),
    );
    // Privileged first; the direct Reader is kept and not doubled by the group's.
    expect(merged.get("sp-1")).toEqual([{ ...role("Contributor", true), viaGroup: "Automation" }, role("Reader")]);
    expect(merged.get("sp-2")).toEqual([
      { ...role("Contributor", true), viaGroup: "Automation" },
      { ...role("Reader"), viaGroup: "Automation" },
    ]);
    // A group Graph no longer knows credits no one.
    expect([...merged.values()].flat().some((r) => r.roleName === "Owner")).toBe(false);
  });
});
