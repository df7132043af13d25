/**
 * The role-definition cache on a sandbox tenant of this file's own: it is per caller (what one person read is never
 * served to another) and `fresh` reads ARM again, as the lockout guard does.
 */
import { afterAll, describe, expect, it } from "vitest";

import { workspaceScope } from "@/lib/shared/arm-scope";
import { createTenant } from "@/sandbox/tenant/index";
import { type PrivateSandbox, startPrivateSandbox } from "@/test/support/private-sandbox";

const tenant: PrivateSandbox = await startPrivateSandbox();

const { getRoleDefinitions, limitRoleDefinitionsCache, roleDefinitionsCacheSize } = await import("@/lib/workspaces/role-definitions");
const { personaContext } = await import("@/test/support/persona-token");

const oracle = createTenant({ seed: 1, scale: "default" });
const target = [...oracle.workspaces.values()].find((workspace) => workspace.name === "mlw-forecast-prod")!;
const WORKSPACE = workspaceScope(target.subscriptionId, target.resourceGroup, target.name);

afterAll(async () => {
  limitRoleDefinitionsCache();
  await tenant.close();
});

/** Who read role definitions from ARM while `work` ran, one object id per call. */
async function roleDefinitionReaders(work: () => Promise<unknown>): Promise<(string | null)[]> {
  const since = await tenant.control.journal.lastSeq();
  await work();
  const { entries } = await tenant.control.journal.since(since);
  return entries
    .filter((entry) => entry.path.toLowerCase().endsWith("/providers/microsoft.authorization/roledefinitions"))
    .map((entry) => entry.callerObjectId);
}

describe("role definitions", () => {
  it("are cached per caller: another person's read is never served from someone else's, and fresh reads again", async () => {
    const admin = await personaContext("admin");
    const security = await personaContext("security");
    const asAdmin = { kind: "delegated", caller: admin.caller } as const;
    const asSecurity = { kind: "delegated", caller: security.caller } as const;

    expect(await roleDefinitionReaders(() => getRoleDefinitions(asAdmin, WORKSPACE))).toEqual([admin.actor.objectId]);
    // Warm for the admin only.
    expect(await roleDefinitionReaders(() => getRoleDefinitions(asAdmin, WORKSPACE))).toEqual([]);
    expect(await roleDefinitionReaders(() => getRoleDefinitions(asSecurity, WORKSPACE))).toEqual([security.actor.objectId]);
    expect(await roleDefinitionReaders(() => getRoleDefinitions(asAdmin, WORKSPACE, { fresh: true }))).toEqual([admin.actor.objectId]);
  });

  it("are bounded by count: past the bound the oldest read goes first and is read again, the newer stay warm", async () => {
    const admin = await personaContext("admin");
    const asAdmin = { kind: "delegated", caller: admin.caller } as const;
    const resourceGroup = `/subscriptions/${target.subscriptionId}/resourceGroups/${target.resourceGroup}`;
    const scopes = [`/subscriptions/${target.subscriptionId}`, resourceGroup, WORKSPACE];
    limitRoleDefinitionsCache(2);
    try {
      for (const scope of scopes) await getRoleDefinitions(asAdmin, scope);
      expect(roleDefinitionsCacheSize()).toBe(2);
      expect(await roleDefinitionReaders(() => getRoleDefinitions(asAdmin, WORKSPACE))).toEqual([]);
      expect(await roleDefinitionReaders(() => getRoleDefinitions(asAdmin, resourceGroup))).toEqual([]);
      // The subscription's was the oldest: it went when the workspace's came in.
      expect(await roleDefinitionReaders(() => getRoleDefinitions(asAdmin, scopes[0]!))).toEqual([admin.actor.objectId]);
      expect(roleDefinitionsCacheSize()).toBe(2);
    } finally {
      limitRoleDefinitionsCache();
    }
  });
});
