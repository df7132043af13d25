import { readFileSync } from "node:fs";

import { describe, expect, it } from "vitest";

import { isPrivilegedRole, OWNER_ROLE_ID, READER_ROLE_ID, ROLE_GUIDANCE } from "./aml-roles";
import { actionMatches } from "./rbac-actions";

interface BuiltInRole {
  readonly name: string;
  readonly properties: { readonly roleName: string; readonly permissions: readonly { actions: string[]; notActions: string[]; dataActions: string[] }[] };
}

// The built-in definitions the sandbox serves (copied from the public role catalogue, see sandbox/README.md).
const builtIns = JSON.parse(readFileSync(new URL("../../sandbox/tenant/data/builtin-role-definitions.aml.json", import.meta.url), "utf8")) as BuiltInRole[];

/** Actions that only exist on an ML workspace: a role that allows none of them grants nothing there. */
const WORKSPACE_ACTIONS = [
  "Microsoft.MachineLearningServices/workspaces/read",
  "Microsoft.MachineLearningServices/workspaces/computes/read",
  "Microsoft.MachineLearningServices/workspaces/computes/start/action",
  "Microsoft.MachineLearningServices/workspaces/connections/listsecrets/action",
  "Microsoft.Authorization/roleAssignments/write",
];

function grantsSomethingOnAWorkspace(role: BuiltInRole): boolean {
  return role.properties.permissions.some((block) =>
    WORKSPACE_ACTIONS.some(
      (action) => block.actions.some((pattern) => actionMatches(pattern, action)) && !block.notActions.some((pattern) => actionMatches(pattern, action)),
    ),
  );
}

describe("featured roles", () => {
  it("each grant something on an ML workspace (so Azure AI User and AzureML Registry User are not featured)", () => {
    for (const guidance of ROLE_GUIDANCE) {
      const role = builtIns.find((candidate) => candidate.name === guidance.id);
      expect(role, guidance.name).toBeDefined();
      expect(role!.properties.roleName).toBe(guidance.name);
      expect(grantsSomethingOnAWorkspace(role!), guidance.name).toBe(true);
    }
    const notFeatured = builtIns.filter((role) => !grantsSomethingOnAWorkspace(role)).map((role) => role.properties.roleName);
    expect(notFeatured).toEqual(expect.arrayContaining(["Azure AI User", "AzureML Registry User"]));
    expect(ROLE_GUIDANCE.map((role) => role.name)).not.toEqual(expect.arrayContaining(["Azure AI User"]));
  });
});

describe("isPrivilegedRole", () => {
  const block = (actions: string[], notActions: string[] = []) => ({ actions, notActions, dataActions: [], notDataActions: [] });
  const CUSTOM = "0b1d2c3e-4f50-4a6b-8c7d-9e0f1a2b3c4d";

  it("holds the AML roles flagged privileged, whatever their permissions say (Contributor cannot write role assignments)", () => {
    expect(isPrivilegedRole(OWNER_ROLE_ID, [])).toBe(true);
    expect(isPrivilegedRole("B24988AC-6180-42A0-AB88-20F7382DD24C", [block(["*"], ["Microsoft.Authorization/*/Write"])])).toBe(true);
  });

  it("judges any other role by what it allows: writing or deleting role assignments, directly or by wildcard, or everything", () => {
    expect(isPrivilegedRole(CUSTOM, [block(["Microsoft.Authorization/roleAssignments/write"])])).toBe(true);
    expect(isPrivilegedRole(CUSTOM, [block(["Microsoft.Authorization/*"])])).toBe(true);
    expect(isPrivilegedRole(CUSTOM, [block(["*"])])).toBe(true);
    expect(isPrivilegedRole(CUSTOM, [block(["Microsoft.MachineLearningServices/workspaces/*/read"])])).toBe(false);
    // Removing assignments changes who has access too: without write, a role that can still delete them counts.
    expect(isPrivilegedRole(CUSTOM, [block(["Microsoft.Authorization/*"], ["Microsoft.Authorization/roleAssignments/write"])])).toBe(true);
    expect(
      isPrivilegedRole(CUSTOM, [
        block(["Microsoft.Authorization/*"], ["Microsoft.Authorization/roleAssignments/write", "Microsoft.Authorization/roleAssignments/delete"]),
      ]),
    ).toBe(false);
    expect(isPrivilegedRole(READER_ROLE_ID, [block(["*/read"])])).toBe(false);
  });
});
