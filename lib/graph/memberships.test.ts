import { describe, expect, it } from "vitest";

import { createTenant } from "@/sandbox/tenant/index";
import { persona } from "@/sandbox/tenant/personas";
import { personaContext } from "@/test/support/persona-token";
import { appGraphClient, delegatedGraphClient } from "./client";
import { memberGroupsAmong } from "./memberships";

// The shared test sandbox is seeded with seed 1; a tenant from the same seed says who is in which group.
const oracle = createTenant({ seed: 1, scale: "default" });
const allGroupIds = [...oracle.groups.values()].map((group) => group.id);

describe("memberGroupsAmong (Graph checkMemberGroups)", () => {
  it("asks about more than 20 groups, 20 at a time, and finds the transitive memberships among them", async () => {
    expect(allGroupIds.length).toBeGreaterThan(20);
    const member = [...oracle.users.values()].find((user) => oracle.transitiveGroupIds(user.id).length >= 2)!;
    const found = await memberGroupsAmong(
      appGraphClient(),
      member.id,
      allGroupIds.map((id) => id.toUpperCase()),
    );
    expect([...found].sort()).toEqual(
      oracle
        .transitiveGroupIds(member.id)
        .map((id) => id.toLowerCase())
        .sort(),
    );
  });

  it("answers for the signed-in person with 'me', and asks nothing for no groups", async () => {
    const admin = await personaContext("admin");
    const mine = await memberGroupsAmong(delegatedGraphClient(admin.caller), "me", allGroupIds);
    expect([...mine].sort()).toEqual(
      oracle
        .transitiveGroupIds(persona("admin").objectId)
        .map((id) => id.toLowerCase())
        .sort(),
    );
    expect(await memberGroupsAmong(delegatedGraphClient(admin.caller), "me", [])).toEqual(new Set());
  });

  it("throws Graph's refusal as an AppError", async () => {
    await expect(memberGroupsAmong(appGraphClient(), "00000000-0000-4000-8000-000000000000", allGroupIds.slice(0, 1))).rejects.toMatchObject({
      name: "AppError",
    });
  });
});
