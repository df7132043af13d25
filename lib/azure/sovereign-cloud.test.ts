/**
 * The console against a sandbox tenant emulating Azure Government, configured for that cloud (AZURE_CLOUD=usgov):
 * its tokens are for graph.microsoft.us and management.usgovcloudapi.net, and Graph reads, the workspace list and a
 * grant work as in the public cloud. Runs on a sandbox of its own (the shared one is the public cloud).
 */
import { decodeJwt } from "jose";
import { afterAll, describe, expect, it } from "vitest";

import { workspaceScope } from "@/lib/shared/arm-scope";
import { startPrivateSandbox } from "@/test/support/private-sandbox";

const tenant = await startPrivateSandbox({ cloud: "usgov" });
const { getConfig } = await import("@/lib/config");
const { getAppToken, getDelegatedToken } = await import("./tokens");
const { searchPrincipals } = await import("@/lib/graph/search-principals");
const { listWorkspaces } = await import("@/lib/workspaces/list-workspaces");
const { grantWorkspaceRoles } = await import("@/lib/workspaces/grant-workspace-roles");
const { getWorkspaceAccess } = await import("@/lib/workspaces/get-workspace-access");
const { personaContext } = await import("@/test/support/persona-token");
const { SecretToken } = await import("@/lib/auth/secret-token");

const DATA_SCIENTIST = "f6c7c914-8db3-469d-8ca1-694a8f32e121";
const model = tenant.sandbox.tenant;
const target = [...model.workspaces.values()].find((workspace) => workspace.name === "mlw-churn-prod")!;
const WORKSPACE = workspaceScope(target.subscriptionId, target.resourceGroup, target.name);
const assignedHere = new Set([...model.roleAssignments.values()].filter((a) => a.scope.toLowerCase() === WORKSPACE.toLowerCase()).map((a) => a.principalId));
const someUser = [...model.users.values()].find((user) => !assignedHere.has(user.id) && !user.userPrincipalName.includes("admin"))!;

afterAll(async () => {
  await tenant.close();
});

describe("Azure Government (sandbox emulating usgov, console AZURE_CLOUD=usgov)", () => {
  it("the console is configured for the cloud: its scopes and role-assignment limit", () => {
    const config = getConfig();
    expect(config.cloud).toBe("usgov");
    expect(config.upstream.graphScope).toBe("https://graph.microsoft.us/.default");
    expect(config.upstream.armScope).toBe("https://management.usgovcloudapi.net/.default");
    expect(config.roleAssignments.limitPerSubscription).toBe(2000);
  });

  it("gets on-behalf-of and app tokens whose audiences are the cloud's resource ids", async () => {
    const admin = await personaContext("admin");
    expect(decodeJwt((await getDelegatedToken(admin.caller, "graph")).reveal()).aud).toBe("https://graph.microsoft.us");
    expect(decodeJwt((await getDelegatedToken(admin.caller, "arm")).reveal()).aud).toBe("https://management.usgovcloudapi.net");
    expect(decodeJwt((await getAppToken("arm")).reveal()).aud).toBe("https://management.usgovcloudapi.net");
  });

  it("hands out Graph and ARM tokens only as SecretTokens, which refuse to be serialized or printed (security test plan row 28)", async () => {
    const admin = await personaContext("admin");
    for (const token of [await getDelegatedToken(admin.caller, "graph"), await getDelegatedToken(admin.caller, "arm"), await getAppToken("graph")]) {
      expect(token).toBeInstanceOf(SecretToken);
      expect(() => JSON.stringify({ token })).toThrow(/never serialized/);
      expect(`${String(token)} ${token as unknown as string}`).toBe("[SecretToken] [SecretToken]");
      expect(token.reveal()).toMatch(/^ey[\w-]+\.[\w-]+\.[\w-]+$/);
    }
  });

  it("reads Graph as the person", async () => {
    const admin = await personaContext("admin");
    const found = await searchPrincipals(admin.caller, someUser.displayName, ["user"]);
    expect(found.map((principal) => principal.id)).toContain(someUser.id);
  });

  it("lists workspaces through ARM", async () => {
    const admin = await personaContext("admin");
    const { workspaces } = await listWorkspaces({ kind: "delegated", caller: admin.caller });
    expect(workspaces.map((workspace) => workspace.id.toLowerCase())).toContain(WORKSPACE.toLowerCase());
  });

  // A grant reads and writes ARM and the database several times: as slow here as the public cloud's grant tests.
  it("grants a role through ARM", async () => {
    const admin = await personaContext("admin");
    const results = await grantWorkspaceRoles(admin, {
      workspaceId: WORKSPACE,
      roleDefinitionId: DATA_SCIENTIST,
      principals: [{ id: someUser.id, kind: "user", displayName: someUser.displayName }],
      description: "sovereign cloud check",
    });
    expect(results.map((result) => result.status)).toEqual(["granted"]);
    const access = await getWorkspaceAccess(admin.caller, WORKSPACE);
    expect(access.rows.some((row) => row.principalId === someUser.id && row.roleDefinitionId === DATA_SCIENTIST)).toBe(true);
  }, 90_000);
});
