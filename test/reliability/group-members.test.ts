/**
 * Reading a group's members when Graph throttles or refuses: a throttled page (with or without `Retry-After`) is
 * retried and the read completes; a refused one is reported by the group's name, in the drift report and in the
 * credential inventory's warnings, instead of quietly counting fewer members.
 *
 * Faults on Graph change what every caller sees, so this file has a sandbox tenant of its own.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";

import { workspaceScope } from "@/lib/shared/arm-scope";
import { createTenant } from "@/sandbox/tenant/index";
import { type PrivateSandbox, startPrivateSandbox } from "@/test/support/private-sandbox";

const tenant: PrivateSandbox = await startPrivateSandbox();

const { getDatabase } = await import("@/lib/db");
const { appGraphClient, delegatedGraphClient } = await import("@/lib/graph/client");
const { collectDrift } = await import("@/lib/mappings/collect");
const { createMapping } = await import("@/lib/mappings/mappings");
const { grantWorkspaceRoles } = await import("@/lib/workspaces/grant-workspace-roles");
const { readGroupServicePrincipals } = await import("@/lib/credentials/inventory");
const { personaContext } = await import("@/test/support/persona-token");
const { readAllPages } = await import("@/lib/graph/pages");
const { findApprovers } = await import("@/lib/requests/notify");

const DATA_SCIENTIST = "f6c7c914-8db3-469d-8ca1-694a8f32e121";
const oracle = createTenant({ seed: 1, scale: "default" });
const target = [...oracle.workspaces.values()].find((workspace) => workspace.name === "mlw-recsys-prod")!;
const WORKSPACE = workspaceScope(target.subscriptionId, target.resourceGroup, target.name);
const holdsSomethingHere = new Set(
  [...oracle.roleAssignments.values()].filter((a) => a.scope.toLowerCase() === WORKSPACE.toLowerCase()).map((a) => a.principalId),
);
// A group with a user member, neither holding anything on the workspace yet.
const group = [...oracle.groups.values()].find(
  (candidate) =>
    !holdsSomethingHere.has(candidate.id) && oracle.transitiveMemberIds(candidate.id).some((id) => oracle.users.has(id) && !holdsSomethingHere.has(id)),
)!;
const member = oracle.transitiveMemberIds(group.id).find((id) => oracle.users.has(id) && !holdsSomethingHere.has(id))!;
const automation = [...oracle.groups.values()].find((candidate) => candidate.displayName === "Automation Identities")!;
const automationServicePrincipals = oracle.transitiveMemberIds(automation.id).filter((id) => oracle.servicePrincipals.has(id));

afterEach(async () => {
  await tenant.control.faults.clear();
});
afterAll(async () => {
  await tenant.close();
});

describe("drift: a mapped group's members", () => {
  let admin: Awaited<ReturnType<typeof personaContext>>;
  beforeAll(async () => {
    admin = await personaContext("admin");
    const { grant } = await createMapping(admin, { workspaceId: WORKSPACE, groupId: group.id, roleDefinitionId: DATA_SCIENTIST });
    expect(grant.status).toBe("granted");
    // A direct assignment the mapping makes redundant: only the group's member list can tell.
    const user = oracle.users.get(member)!;
    await grantWorkspaceRoles(admin, {
      workspaceId: WORKSPACE,
      roleDefinitionId: DATA_SCIENTIST,
      principals: [{ id: member, kind: "user", displayName: user.displayName }],
    });
  });
  const drift = async () => {
    const report = await collectDrift(await getDatabase(), { kind: "delegated", caller: admin.caller }, delegatedGraphClient(admin.caller), {
      workspaceId: WORKSPACE,
    });
    return report.workspaces[0]!;
  };
  const membersPath = `/v1.0/groups/${group.id}/transitiveMembers/**`;

  it("are read with the advanced-query parameters, so the redundant direct assignment is found", async () => {
    const workspace = await drift();
    expect(workspace.items.some((item) => item.kind === "redundant_direct" && item.principalId === member)).toBe(true);
    expect(workspace.unreadGroups).toBeUndefined();
  });

  it("survive a 429 without Retry-After on the member list", async () => {
    await tenant.control.faults.add({ method: "GET", path: membersPath, status: 429, retryAfterSeconds: null, times: 1 });
    const workspace = await drift();
    expect(workspace.items.some((item) => item.kind === "redundant_direct" && item.principalId === member)).toBe(true);
    expect(workspace.unreadGroups).toBeUndefined();
    expect((await tenant.control.faults.list())[0]).toMatchObject({ applied: 1 });
  });

  it("that cannot be read are named in the report, and no redundancy is claimed through the group", async () => {
    await tenant.control.faults.add({ method: "GET", path: membersPath, status: 403 });
    const workspace = await drift();
    expect(workspace.unreadGroups).toEqual([group.displayName]);
    expect(workspace.items.some((item) => item.kind === "redundant_direct" && item.principalId === member)).toBe(false);
  });
});

describe("credential inventory: service principals in groups holding workspace roles", () => {
  const membersPath = `/v1.0/groups/${automation.id}/transitiveMembers/**`;

  it("are read inside $batch with the advanced-query parameters", async () => {
    const read = await readGroupServicePrincipals(appGraphClient(), [automation.id], () => undefined);
    expect(read.warnings).toEqual([]);
    expect(automationServicePrincipals.length).toBeGreaterThan(0);
    expect(new Set(read.groups.get(automation.id.toLowerCase())?.servicePrincipalIds)).toEqual(new Set(automationServicePrincipals));
  });

  it("survive a batch item throttled without Retry-After", async () => {
    await tenant.control.faults.add({ method: "GET", path: membersPath, status: 429, retryAfterSeconds: null, times: 1, batchItems: true });
    const read = await readGroupServicePrincipals(appGraphClient(), [automation.id], () => undefined);
    expect(read.warnings).toEqual([]);
    expect(new Set(read.groups.get(automation.id.toLowerCase())?.servicePrincipalIds)).toEqual(new Set(automationServicePrincipals));
    expect((await tenant.control.faults.list())[0]).toMatchObject({ applied: 1 });
  });

  it("that cannot be read are named in the warning", async () => {
    await tenant.control.faults.add({ method: "GET", path: membersPath, status: 403, batchItems: true });
    const read = await readGroupServicePrincipals(appGraphClient(), [automation.id], () => undefined);
    expect(read.groups.has(automation.id.toLowerCase())).toBe(false);
    expect(read.warnings).toEqual(["Could not read the members of group Automation Identities; roles their members hold through them are not shown."]);
  });
});

describe("Graph lists: every page, through throttling", () => {
  const allStaff = [...oracle.groups.values()].find((candidate) => candidate.displayName === "All ML Staff")!;

  it("follows @odata.nextLink to the end, and survives a 429 without Retry-After on a page", async () => {
    const expected = new Set(oracle.transitiveMemberIds(allStaff.id));
    expect(expected.size).toBeGreaterThan(4);
    const first = `/groups/${allStaff.id}/transitiveMembers?$select=id&$top=2`;
    const since = await tenant.control.journal.lastSeq();
    const plain = await readAllPages(appGraphClient(), first, z.object({ id: z.string() }));
    expect(new Set(plain.map((item) => item.id))).toEqual(expected);
    const pages = (await tenant.control.journal.since(since)).entries.filter((entry) => entry.path.endsWith("/transitiveMembers"));
    expect(pages).toHaveLength(Math.ceil(expected.size / 2));

    await tenant.control.faults.add({ method: "GET", path: `/v1.0/groups/${allStaff.id}/transitiveMembers`, status: 429, retryAfterSeconds: null, times: 1 });
    const throttled = await readAllPages(appGraphClient(), first, z.object({ id: z.string() }));
    expect(throttled).toEqual(plain);
    expect((await tenant.control.faults.list())[0]).toMatchObject({ applied: 1 });
  });

  it("reads the same approvers when their list is throttled without Retry-After", async () => {
    const approvers = await findApprovers();
    expect(approvers.length).toBeGreaterThan(0);
    await tenant.control.faults.add({ method: "GET", path: "/v1.0/servicePrincipals/*/appRoleAssignedTo", status: 429, retryAfterSeconds: null, times: 1 });
    expect(new Set(await findApprovers())).toEqual(new Set(approvers));
    expect((await tenant.control.faults.list()).map((rule) => rule.applied)).toEqual([1]);
  });
});
