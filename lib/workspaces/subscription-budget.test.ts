/**
 * A subscription's role-assignment budget (the grant dialog's, and every bundle plan's): ARM's own usage count in one
 * call, or, when ARM will not give it, counted from the subscription's assignment list. Runs on a sandbox of its own,
 * so no other file's grants move the count between the two reads compared here.
 */
import { afterAll, afterEach, describe, expect, it } from "vitest";

import { startPrivateSandbox } from "@/test/support/private-sandbox";
import { WORKSPACE } from "@/test/reliability/support/churn-workspace";

const tenant = await startPrivateSandbox();
const { countSubscriptionAssignments, getGrantOptions } = await import("./get-grant-options");
const { personaContext } = await import("@/test/support/persona-token");

const model = tenant.sandbox.tenant;
const subscriptionId = WORKSPACE.split("/")[2]!;
const USAGE = "/subscriptions/*/providers/Microsoft.Authorization/roleAssignmentsUsageMetrics";

afterAll(() => tenant.close());
afterEach(() => tenant.control.faults.clear());

async function countWithCalls(persona: "admin" | "security") {
  const { caller } = await personaContext(persona);
  const since = await tenant.control.journal.lastSeq();
  const count = await countSubscriptionAssignments({ kind: "delegated", caller }, subscriptionId);
  const paths = (await tenant.control.journal.since(since)).entries.filter((entry) => entry.system === "arm").map((entry) => entry.path.toLowerCase());
  return { count, paths };
}

describe("a subscription's role-assignment count", () => {
  it("is ARM's usage count, in one call instead of the assignment list's pages", async () => {
    const { count, paths } = await countWithCalls("security");
    expect(count).toBe(model.countRoleAssignmentsInSubscription(subscriptionId));
    expect(paths).toEqual([`/subscriptions/${subscriptionId}/providers/microsoft.authorization/roleassignmentsusagemetrics`.toLowerCase()]);
    const options = await getGrantOptions((await personaContext("security")).caller, WORKSPACE);
    expect(options.budget).toEqual({ used: model.countRoleAssignmentsInSubscription(subscriptionId), limit: 4000 });
  });

  it.each([404, 400, 403])("is counted from the assignment list when ARM answers %i for the usage", async (status) => {
    await tenant.control.faults.add({ method: "GET", path: USAGE, status });
    const { count, paths } = await countWithCalls("security");
    expect(count).toBe(model.countRoleAssignmentsInSubscription(subscriptionId));
    expect(paths[0]).toContain("roleassignmentsusagemetrics");
    expect(paths.slice(1).every((path) => path.endsWith("/providers/microsoft.authorization/roleassignments"))).toBe(true);
    expect(paths.length).toBeGreaterThan(1);
  });

  it("is unknown (null), not zero, when neither can be read", async () => {
    await tenant.control.faults.add({ method: "GET", path: USAGE, status: 403 });
    await tenant.control.faults.add({ method: "GET", path: "/subscriptions/*/providers/Microsoft.Authorization/roleAssignments", status: 403 });
    expect((await countWithCalls("security")).count).toBeNull();
  });
});
