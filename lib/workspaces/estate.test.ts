/**
 * The workspace list at the scale of a large enterprise: the sandbox's `large-estate` tenant (1,000 subscriptions,
 * 10,000 workspaces) on a sandbox of this file's own. What matters is the number and kind of upstream calls, not time
 * (that is `npm run bench -- --only estate`): Resource Graph pages at most ⌈rows / 1000⌉ times per query, no ARM list
 * runs per subscription, and the counts agree with what ARM itself lists at a workspace.
 */
import { afterAll, describe, expect, it } from "vitest";

import { ESTATE_SUBSCRIPTIONS, ESTATE_WORKSPACES } from "@/sandbox/tenant/seed";
import { watchOutgoingCalls } from "@/test/support/outgoing-calls";
import { startPrivateSandbox } from "@/test/support/private-sandbox";

// The quota is raised: pacing has its own tests (lib/arm/resource-graph.test.ts), and waiting for it here would only
// make the file slow.
const tenant = await startPrivateSandbox({ scale: "large-estate", settings: { resourceGraphQuotaPerWindow: 1000 } });
const { personaContext } = await import("@/test/support/persona-token");
const { authorizationClient } = await import("@/lib/arm/client");
const { listFromResourceGraph, listSubscriptions, listWorkspaces } = await import("./list-workspaces");

afterAll(() => tenant.close());

const pathOf = (path: string) => path.split("?")[0]!.replace(/^\/+/, "/").toLowerCase();

describe("the workspace list over 1,000 subscriptions and 10,000 workspaces", () => {
  it("comes from Resource Graph in a bounded number of calls, with no ARM list per subscription", async () => {
    const identity = { kind: "delegated", caller: (await personaContext("security")).caller } as const;
    const network = watchOutgoingCalls();
    const list = await listWorkspaces(identity);

    expect(list.source).toBe("resource-graph");
    expect(list.failures).toEqual([]);
    expect(list.unreadableIds).toEqual([]);
    expect(list.workspaces).toHaveLength(ESTATE_WORKSPACES);
    expect(new Set(list.workspaces.map((workspace) => workspace.subscriptionId)).size).toBe(ESTATE_SUBSCRIPTIONS);

    const paths = network.calls().map((call) => pathOf(call.path));
    expect(paths.filter((path) => path.endsWith("/workspaces") || path.endsWith("/roleassignments"))).toEqual([]);
    // Tokens, the subscription list (ARM pages it) and Resource Graph's pages (25 today): the per-subscription path
    // made two ARM lists for each of the 1,000 subscriptions.
    expect(paths.length).toBeLessThan(40);
  });

  it("pages each Resource Graph query at most ⌈rows / 1000⌉ times", async () => {
    const identity = { kind: "delegated", caller: (await personaContext("security")).caller } as const;
    const listing = await listFromResourceGraph(identity, await listSubscriptions(identity));
    expect(listing.queries.length).toBeGreaterThan(0);
    for (const query of listing.queries) expect(query.pages, query.name).toBeLessThanOrEqual(Math.max(1, Math.ceil(query.rows / 1000)));
  });

  it("counts for each workspace what ARM lists at it (sampled across the estate)", async () => {
    const identity = { kind: "delegated", caller: (await personaContext("security")).caller } as const;
    const { workspaces } = await listWorkspaces(identity);
    const sample = workspaces.filter((_workspace, index) => index % 500 === 0);
    expect(sample.length).toBeGreaterThanOrEqual(20);
    for (const workspace of sample) {
      let listed = 0;
      for await (const _assignment of authorizationClient(identity, workspace.subscriptionId).roleAssignments.listForScope(workspace.id, {
        filter: "atScope()",
      })) {
        listed++;
      }
      // Null would mean "not readable to you"; this reader reads every assignment.
      expect(workspace.roleAssignmentCount, workspace.name).toBe(listed);
    }
  });
});
