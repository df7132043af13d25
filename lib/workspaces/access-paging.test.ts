/**
 * A workspace whose assignments ARM lists in two pages (the sandbox's `large` tenant: 2,000 on one workspace, 1,000 a
 * page): the principals of each page are looked up while ARM sends the next, so only the last page's new principals
 * wait for Graph once the list ends. ARM's pages are slowed here so the order of the calls is certain.
 */
import diagnostics from "node:diagnostics_channel";

import { afterAll, describe, expect, it } from "vitest";

import { createTenant } from "@/sandbox/tenant/index";
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

interface HttpEvent {
  readonly kind: "start" | "finish";
  readonly path: string;
}

/** Outgoing requests' starts and their responses' ends, in the order they happened. */
function recordHttp(): { events: HttpEvent[]; stop: () => void } {
  const events: HttpEvent[] = [];
  const paths = new WeakMap<object, string>();
  const onStart = (message: unknown) => {
    const { request } = message as { request: { path: string } };
    paths.set(request, request.path);
    events.push({ kind: "start", path: request.path });
  };
  const onFinish = (message: unknown) => {
    const { request } = message as { request: object };
    events.push({ kind: "finish", path: paths.get(request) ?? "" });
  };
  diagnostics.subscribe("http.client.request.start", onStart);
  diagnostics.subscribe("http.client.response.finish", onFinish);
  return {
    events,
    stop: () => {
      diagnostics.unsubscribe("http.client.request.start", onStart);
      diagnostics.unsubscribe("http.client.response.finish", onFinish);
    },
  };
}

describe("a workspace whose assignments come in pages", () => {
  it("looks up each page's principals while ARM sends the next, each principal once, and resolves them all", async () => {
    const caller = (await personaContext("security")).caller;
    // Read once first: role definitions, tokens and the database are warm, so the calls below are the page's own.
    await getWorkspaceAccess(caller, WORKSPACE);
    const slow = await tenant.control.faults.add({ method: "GET", pathRegex: "/roleAssignments$", latencyMs: 300 });
    const http = recordHttp();
    let access: Awaited<ReturnType<typeof getWorkspaceAccess>>;
    try {
      access = await getWorkspaceAccess(caller, WORKSPACE);
    } finally {
      http.stop();
      await tenant.control.faults.remove(slow.id);
    }
    const isListPage = (path: string) => path.toLowerCase().startsWith(`${WORKSPACE.toLowerCase()}/providers/microsoft.authorization/roleassignments?`);
    const isLookup = (path: string) => path.toLowerCase().startsWith("/v1.0/directoryobjects/getbyids");
    const listStarts = http.events.filter((event) => event.kind === "start" && isListPage(event.path));
    const lookupStarts = http.events.flatMap((event, index) => (event.kind === "start" && isLookup(event.path) ? [index] : []));
    expect(listStarts).toHaveLength(2);
    // One lookup per page: the first page's principals, then those the second page adds.
    expect(lookupStarts).toHaveLength(2);
    const lastPageFinished = http.events.findLastIndex((event) => event.kind === "finish" && isListPage(event.path));
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
