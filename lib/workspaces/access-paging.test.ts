/**
 * A workspace whose assignments ARM lists in two pages (the sandbox's `large` tenant: 2,000 on one workspace, 1,000 a
 * page): the principals of each page are looked up while ARM sends the next, so only the last page's new principals
 * wait for Graph once the list ends. ARM's pages are slowed here so the order of the calls is certain.
 */
import { afterAll, describe, expect, it } from "vitest";

import { createTenant } from "@/sandbox/tenant/index";
import { watchOutgoingCalls } from "@/test/support/outgoing-calls";
import { type PrivateSandbox, startPrivateSandbox } from "@/test/support/private-sandbox";

const tenant: PrivateSandbox = await startPrivateSandbox({ scale: "large" });

const { getWorkspaceAccess } = await import("@/lib/workspaces/get-workspace-access");
const { personaContext } = await import("@/test/support/persona-token");
const { workspaceScope } = await import("@/lib/shared/arm-scope");

const oracle = createTenant({ seed: 1, scale: "large" });
const target = [...oracle.workspaces.values()].find((workspace) => workspace.name === "mlw-scale-prod")!;
const WORKSPACE = workspaceScope(target.subscriptionId, target.resourceGroup, target.name);

afterAll(async () => {
  await tenant.close();
});

describe("a workspace whose assignments come in pages", () => {
  it("looks up each page's principals while ARM sends the next, each principal once, and resolves them all", async () => {
    const caller = (await personaContext("security")).caller;
    // Read once first: role definitions, tokens and the database are warm, so the calls below are the page's own.
    await getWorkspaceAccess(caller, WORKSPACE);
    const slow = await tenant.control.faults.add({ method: "GET", pathRegex: "/roleAssignments$", latencyMs: 300 });
    const network = watchOutgoingCalls();
    let access: Awaited<ReturnType<typeof getWorkspaceAccess>>;
    try {
      access = await getWorkspaceAccess(caller, WORKSPACE);
    } finally {
      await tenant.control.faults.remove(slow.id);
    }
    const events = network.events();
    const isListPage = (path: string) => path.toLowerCase().startsWith(`${WORKSPACE.toLowerCase()}/providers/microsoft.authorization/roleassignments?`);
    const isLookup = (path: string) => path.toLowerCase().startsWith("/v1.0/directoryobjects/getbyids");
    const listStarts = events.filter((event) => event.kind === "start" && isListPage(event.call.path));
    const lookupStarts = events.flatMap((event, index) => (event.kind === "start" && isLookup(event.call.path) ? [index] : []));
    expect(listStarts).toHaveLength(2);
    // One lookup per page: the first page's principals, then those the second page adds.
    expect(lookupStarts).toHaveLength(2);
    const lastPageFinished = events.findLastIndex((event) => event.kind === "finish" && isListPage(event.call.path));
    expect(lookupStarts[0]).toBeLessThan(lastPageFinished);
    expect(lookupStarts[1]).toBeGreaterThan(lastPageFinished);

    expect(access.rows.length).toBeGreaterThan(1000);
    expect(access.principalsResolved).toBe(true);
    // Every principal the directory holds is named, whichever page it was on; only those it lacks are null.
    for (const row of access.rows) {
      expect(row.principal === null).toBe(!oracle.getDirectoryObject(row.principalId));
    }
  });
});
