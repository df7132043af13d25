/**
 * Azure AI Foundry hubs and their hub-based projects: ML workspaces of kind Hub and Project (with hubResourceId),
 * siblings in ARM. Runs on a sandbox of its own, where the admin persona is made Owner of the hub's resource group
 * (and Reader of its subscription).
 */
import { afterAll, describe, expect, it } from "vitest";

import { workspaceScope } from "@/lib/shared/arm-scope";
import { putTestAssignment } from "@/sandbox/tenant/testing/support";
import { refusalOf } from "@/test/support/refusal";
import { startPrivateSandbox } from "@/test/support/private-sandbox";

const tenant = await startPrivateSandbox();
const { getWorkspaceAccess } = await import("./get-workspace-access");
const { getGrantOptions } = await import("./get-grant-options");
const { grantOnWorkspacePage } = await import("./grant-on-workspace-page");
const { personaContext } = await import("@/test/support/persona-token");

const READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7";
const DATA_SCIENTIST = "f6c7c914-8db3-469d-8ca1-694a8f32e121";
const OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635";
const model = tenant.sandbox.tenant;
const idOf = (name: string) => {
  const w = [...model.workspaces.values()].find((candidate) => candidate.name === name)!;
  return workspaceScope(w.subscriptionId, w.resourceGroup, w.name);
};
const HUB = idOf("hub-ai-research");
const PROJECT = idOf("proj-genai");
const CLASSIC = idOf("mlw-research-general");
const hubRg = HUB.split("/providers/")[0]!;
const admin = model.personas().find((persona) => persona.key === "admin")!;
putTestAssignment(model, { scope: hubRg, principalId: admin.objectId, principalType: "User", roleDefinitionName: OWNER });
// Reader on the subscription too: the console reads role definitions at the subscription.
putTestAssignment(model, { scope: hubRg.split("/resourceGroups/")[0]!, principalId: admin.objectId, principalType: "User", roleDefinitionName: READER });
putTestAssignment(model, { scope: CLASSIC.split("/providers/")[0]!, principalId: admin.objectId, principalType: "User", roleDefinitionName: OWNER });

const holdsSomething = new Set([...model.roleAssignments.values()].map((assignment) => assignment.principalId.toLowerCase()));
const [first, second] = [...model.users.values()].filter((user) => !holdsSomething.has(user.id.toLowerCase()) && user.userPrincipalName.includes("@"));
const atScope = (scope: string) => [...model.roleAssignments.values()].filter((assignment) => assignment.scope.toLowerCase() === scope.toLowerCase());

afterAll(async () => {
  await tenant.close();
});

describe("a project's workspace page", () => {
  it("says it is a project and lists the assignments made on its hub, apart from its own", async () => {
    const context = await personaContext("admin");
    const access = await getWorkspaceAccess(context.caller, PROJECT);
    expect(access.workspace).toMatchObject({ kind: "Project" });
    expect(access.workspace.hubResourceId?.toLowerCase()).toBe(HUB.toLowerCase());
    expect(access.hub?.name).toBe("hub-ai-research");
    const expected = atScope(HUB).map((assignment) => `${assignment.principalId}|${assignment.roleDefinitionName}`);
    expect(access.hub!.rows!.map((row) => `${row.principalId}|${row.roleDefinitionId}`).sort()).toEqual(expected.sort());
    // Hub assignments never appear among the project's own rows: ARM does not inherit them.
    expect(access.rows.some((row) => row.scope.toLowerCase() === HUB.toLowerCase())).toBe(false);
  });

  it("has no hub section for a hub or a classic workspace", async () => {
    const context = await personaContext("admin");
    expect((await getWorkspaceAccess(context.caller, HUB)).hub).toBeNull();
    expect((await getWorkspaceAccess(context.caller, CLASSIC)).workspace.kind).toBe("Default");
  });
});

describe("granting on a project", () => {
  it("offers Reader on the hub for a project and not for another workspace", async () => {
    const context = await personaContext("admin");
    expect((await getGrantOptions(context.caller, PROJECT)).hub).toEqual({ id: expect.stringMatching(/hub-ai-research$/) as string, name: "hub-ai-research" });
    expect((await getGrantOptions(context.caller, CLASSIC)).hub).toBeNull();
  });

  it("grants the role on the project and Reader on the hub, as the Foundry portal does", async () => {
    const context = await personaContext("admin");
    const results = await grantOnWorkspacePage(context, {
      workspaceId: PROJECT,
      roleDefinitionId: DATA_SCIENTIST,
      principals: [{ id: first!.id, kind: "user", displayName: first!.displayName }],
      alsoGrantHubReader: true,
    });
    expect(results.map((result) => [result.status, result.hubName ?? null])).toEqual([
      ["granted", null],
      ["granted", "hub-ai-research"],
    ]);
    expect(atScope(PROJECT).some((a) => a.principalId === first!.id && a.roleDefinitionName === DATA_SCIENTIST)).toBe(true);
    expect(atScope(HUB).some((a) => a.principalId === first!.id && a.roleDefinitionName === READER)).toBe(true);
  });

  it("grants on the project only when the hub Reader is not asked for", async () => {
    const context = await personaContext("admin");
    const results = await grantOnWorkspacePage(context, {
      workspaceId: PROJECT,
      roleDefinitionId: DATA_SCIENTIST,
      principals: [{ id: second!.id, kind: "user", displayName: second!.displayName }],
    });
    expect(results.map((result) => result.status)).toEqual(["granted"]);
    expect(atScope(HUB).some((a) => a.principalId === second!.id)).toBe(false);
  });

  it("refuses a hub Reader for a workspace that has no hub, before changing anything", async () => {
    const context = await personaContext("admin");
    const before = model.roleAssignments.size;
    const refused = await refusalOf(
      grantOnWorkspacePage(context, {
        workspaceId: CLASSIC,
        roleDefinitionId: DATA_SCIENTIST,
        principals: [{ id: second!.id, kind: "user", displayName: second!.displayName }],
        alsoGrantHubReader: true,
      }),
    );
    expect(refused.code).toBe("invalid_input");
    expect(Object.keys(refused.fieldErrors ?? {})).toEqual(["alsoGrantHubReader"]);
    expect(model.roleAssignments.size).toBe(before);
  });
});
