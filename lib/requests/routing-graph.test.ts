/**
 * A route's people as Microsoft Graph says, against a sandbox tenant of this file's own (a user is disabled, Graph is
 * made to fail): owners of a group (users only), transitive members through nested groups, disabled accounts left
 * out, a group that does not exist naming nobody, and Graph failing naming nobody rather than everyone.
 */
import { afterAll, describe, expect, it } from "vitest";

import { createTenant } from "@/sandbox/tenant/index";
import { persona, PINNED_GROUP_IDS } from "@/sandbox/tenant/personas";
import { type PrivateSandbox, startPrivateSandbox } from "@/test/support/private-sandbox";

const tenant: PrivateSandbox = await startPrivateSandbox();
const { clearRoutingCache, routedApprovers } = await import("@/lib/requests/routing");
const { parseRequestPolicy } = await import("@/lib/requests/policy");

const oracle = createTenant({ seed: 1, scale: "default" });
const groupNamed = (name: string) => [...oracle.groups.values()].find((candidate) => candidate.displayName === name)!;
const DS_FRAUD = PINNED_GROUP_IDS["DS - Fraud"]!;
const policy = parseRequestPolicy({
  pendingLifetimeHours: 48,
  durations: ["8h"],
  roles: [{ roleDefinitionId: "f6c7c914-8db3-469d-8ca1-694a8f32e121", name: "AzureML Data Scientist", maxDuration: "8h" }],
  routes: [
    { id: "owners", name: "Owners", match: { workspaces: ["mlw-fraud-*"] }, approvers: { ownersOf: [DS_FRAUD] } },
    { id: "members", name: "Members", match: { workspaces: ["mlw-x"] }, approvers: { groups: [groupNamed("Data Scientists").id] } },
    { id: "missing", name: "Missing", match: { workspaces: ["mlw-y"] }, approvers: { groups: ["0f0f0f0f-0000-4000-8000-000000000404"] } },
  ],
});
const route = (id: string) => policy.routes.find((candidate) => candidate.id === id)!;

afterAll(async () => {
  await tenant.close();
});

describe("a route's people from Graph", () => {
  it("the pinned DS - Fraud group's owners: the fraud-owner persona and the seeded owner, users only, with the group's name", async () => {
    clearRoutingCache();
    const group = oracle.groups.get(DS_FRAUD) ?? groupNamed("DS - Fraud");
    expect(group.id).toBe(DS_FRAUD);
    const read = await routedApprovers(route("owners"));
    expect(read.unavailable).toBe(false);
    expect(read.groups).toEqual([{ id: DS_FRAUD, as: "owners", displayName: "DS - Fraud", state: "ok" }]);
    expect([...read.people].sort()).toEqual(group.ownerIds.map((id) => id.toLowerCase()).sort());
    expect(read.people).toContain(persona("fraud-owner").objectId);
  });

  it("members: every enabled user in the group or its nested groups (DS - Fraud's team lead among them)", async () => {
    clearRoutingCache();
    const read = await routedApprovers(route("members"));
    const expected = oracle
      .transitiveMemberIds(groupNamed("Data Scientists").id)
      .filter((id) => oracle.users.get(id)?.accountEnabled === true)
      .map((id) => id.toLowerCase());
    expect([...read.people].sort()).toEqual([...new Set(expected)].sort());
    expect(read.people).toContain(persona("team-lead").objectId);
  });

  it("a disabled account cannot decide: it is left out (after the cache's minute; here cleared)", async () => {
    clearRoutingCache();
    await tenant.control.accountEnabled.set(persona("fraud-owner").objectId, false);
    try {
      expect((await routedApprovers(route("owners"))).people).not.toContain(persona("fraud-owner").objectId);
    } finally {
      await tenant.control.accountEnabled.set(persona("fraud-owner").objectId, true);
    }
  });

  it("a group that does not exist names nobody, and says so", async () => {
    clearRoutingCache();
    expect(await routedApprovers(route("missing"))).toEqual({
      people: [],
      groups: [{ id: "0f0f0f0f-0000-4000-8000-000000000404", as: "members", displayName: null, state: "missing" }],
      unavailable: false,
    });
  });

  it("Graph failing names nobody (only admins decide), and is not cached", async () => {
    clearRoutingCache();
    const fault = await tenant.control.faults.add({ method: "GET", pathRegex: "/owners", status: 503, times: 20 });
    let read;
    try {
      read = await routedApprovers(route("owners"));
    } finally {
      await tenant.control.faults.remove(fault.id);
    }
    expect(read).toMatchObject({ people: [], unavailable: true });
    expect((await routedApprovers(route("owners"))).people).toContain(persona("fraud-owner").objectId);
  });
});
