import { readFileSync } from "node:fs";

import { describe, expect, it } from "vitest";

import { accessManagementReason, grantsAccessManagement, patternsOverlap, type PermissionBlock, roleCovers } from "./rbac-actions";

/** The built-in roles as ARM defines them (the sandbox's copy of the public definitions). */
const roles = new Map(
  (
    JSON.parse(readFileSync("sandbox/tenant/data/builtin-role-definitions.aml.json", "utf8")) as {
      properties: { roleName: string; permissions: PermissionBlock[] };
    }[]
  ).map((role) => [role.properties.roleName, role.properties.permissions]),
);
const role = (name: string) => roles.get(name)!;

describe("patternsOverlap", () => {
  it("finds a common action between two wildcard patterns, case-insensitively", () => {
    expect(patternsOverlap("Microsoft.Authorization/*/Write", "*")).toBe(true);
    expect(patternsOverlap("Microsoft.Authorization/*/Write", "*/read")).toBe(false);
    expect(patternsOverlap("microsoft.machinelearningservices/workspaces/computes/*", "Microsoft.MachineLearningServices/workspaces/*/read")).toBe(true);
    expect(patternsOverlap("Microsoft.Storage/*", "Microsoft.MachineLearningServices/*")).toBe(false);
    expect(patternsOverlap("a*c", "ab*")).toBe(true);
    expect(patternsOverlap("abc", "abd")).toBe(false);
  });
});

describe("roleCovers: holding one role gives everything another gives", () => {
  it("a role covers itself, and larger roles cover smaller ones", () => {
    for (const name of roles.keys()) expect(roleCovers(role(name), role(name)), name).toBe(true);
    expect(roleCovers(role("Contributor"), role("Reader"))).toBe(true);
    expect(roleCovers(role("Contributor"), role("AzureML Data Scientist"))).toBe(true);
    expect(roleCovers(role("Owner"), role("AzureML Compute Operator"))).toBe(true);
    // Role Based Access Control Administrator includes */read.
    expect(roleCovers(role("Role Based Access Control Administrator"), role("Reader"))).toBe(true);
  });

  it("never the other way round, and control-plane roles never cover data actions", () => {
    expect(roleCovers(role("Reader"), role("AzureML Data Scientist"))).toBe(false);
    expect(roleCovers(role("AzureML Data Scientist"), role("Reader"))).toBe(false);
    expect(roleCovers(role("AzureML Compute Operator"), role("AzureML Data Scientist"))).toBe(false);
    // Contributor cannot write role assignments (a notAction), so it does not cover a role that can.
    expect(roleCovers(role("Contributor"), role("User Access Administrator"))).toBe(false);
    const dataReader: PermissionBlock[] = [
      { actions: [], notActions: [], dataActions: ["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read"], notDataActions: [] },
    ];
    expect(roleCovers(role("Owner"), dataReader)).toBe(false);
  });

  it("a notAction of the holder that cuts into a requested action counts against it", () => {
    const broad: PermissionBlock[] = [
      { actions: ["*"], notActions: ["Microsoft.MachineLearningServices/workspaces/computes/*"], dataActions: [], notDataActions: [] },
    ];
    expect(roleCovers(broad, role("AzureML Compute Operator"))).toBe(false);
    expect(roleCovers(broad, role("Reader"))).toBe(false);
  });
});

describe("grantsAccessManagement (privileged roles)", () => {
  const block = (actions: string[], notActions: string[] = []): PermissionBlock[] => [{ actions, notActions, dataActions: [], notDataActions: [] }];

  it("judges custom roles by what they allow: writing role assignments, Microsoft.Authorization/*, or everything", () => {
    expect(grantsAccessManagement(block(["Microsoft.Authorization/roleAssignments/write", "Microsoft.MachineLearningServices/workspaces/read"]))).toBe(true);
    expect(grantsAccessManagement(block(["Microsoft.Authorization/*"]))).toBe(true);
    expect(grantsAccessManagement(block(["microsoft.authorization/roleassignments/*"]))).toBe(true);
    expect(grantsAccessManagement(block(["*"], ["Microsoft.Authorization/*/Write"]))).toBe(true);
    expect(grantsAccessManagement(block(["Microsoft.Authorization/*/read", "Microsoft.MachineLearningServices/*"]))).toBe(false);
    expect(
      grantsAccessManagement(
        block(["Microsoft.Authorization/*"], ["Microsoft.Authorization/roleAssignments/write", "Microsoft.Authorization/roleAssignments/delete"]),
      ),
    ).toBe(false);
  });

  it("counts a role that can only delete role assignments: removing someone's access changes who has access too", () => {
    expect(grantsAccessManagement(block(["Microsoft.Authorization/roleAssignments/delete"]))).toBe(true);
    expect(grantsAccessManagement(block(["Microsoft.Authorization/*"], ["Microsoft.Authorization/roleAssignments/write"]))).toBe(true);
    expect(accessManagementReason(block(["Microsoft.Authorization/roleAssignments/delete"]))).toBe("changes_role_assignments");
    expect(accessManagementReason(block(["*"], ["Microsoft.Authorization/*"]))).toBe("all_actions");
    expect(accessManagementReason(block(["Microsoft.MachineLearningServices/workspaces/*"]))).toBeUndefined();
  });

  it("judges each permission block on its own: one block's notActions do not take away another block's actions", () => {
    const blocks: PermissionBlock[] = [
      { actions: ["Microsoft.Authorization/roleAssignments/write"], notActions: [], dataActions: [], notDataActions: [] },
      { actions: ["Microsoft.Authorization/*/read"], notActions: ["Microsoft.Authorization/roleAssignments/write"], dataActions: [], notDataActions: [] },
    ];
    // Flattened, the second block's notActions would hide the first block's write: a lockout with no prompt.
    expect(grantsAccessManagement(blocks)).toBe(true);
    expect(grantsAccessManagement(blocks.slice(1))).toBe(false);
  });

  it("counts a role that may write role assignments only under a condition (conditional delegation) as privileged", () => {
    // Azure AI Project Manager's shape in newer API versions: the write is in actions, the condition beside it.
    const delegating = [
      {
        actions: ["Microsoft.Authorization/roleAssignments/write", "Microsoft.Authorization/roleAssignments/delete", "Microsoft.CognitiveServices/*"],
        notActions: [],
        dataActions: [],
        notDataActions: [],
        condition: "((!(ActionMatches{'Microsoft.Authorization/roleAssignments/write'})) OR (...))",
        conditionVersion: "2.0",
      },
    ];
    expect(grantsAccessManagement(delegating)).toBe(true);
  });

  it("is true for roles that can write role assignments or do anything (`*`), false for the AML working roles", () => {
    for (const name of ["Owner", "Contributor", "User Access Administrator", "Role Based Access Control Administrator"]) {
      expect(grantsAccessManagement(role(name)), name).toBe(true);
    }
    for (const name of ["Reader", "AzureML Data Scientist", "AzureML Compute Operator", "Azure AI Developer"]) {
      expect(grantsAccessManagement(role(name)), name).toBe(false);
    }
  });
});
