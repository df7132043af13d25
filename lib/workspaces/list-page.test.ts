import { afterEach, describe, expect, it } from "vitest";

import { personaContext } from "@/test/support/persona-token";
import { watchOutgoingCalls } from "@/test/support/outgoing-calls";
import { testSandbox } from "@/test/support/sandbox-control";
import { kqlString, listWorkspacePage, listWorkspaces, pageAssignmentCountsQuery, workspacePageQuery } from "./list-workspaces";
import { WORKSPACE_PAGE_SIZE, WorkspaceListParams } from "./schema";

// Other test files change these workspaces' assignments at the same time: exact counts skip them.
const MUTATED_BY_OTHER_TESTS = new Set(["mlw-churn-prod", "mlw-recsys-prod", "mlw-forecast-prod"]);
const ordinal = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

afterEach(() => testSandbox().faults.clear());

describe("the list's parameters (from the address bar: never trusted)", () => {
  const parse = (params: Record<string, unknown>) => WorkspaceListParams.safeParse(params);

  it("takes a search of name characters and a whole, non-negative position; nothing means the first page", () => {
    expect(parse({}).data).toEqual({ q: "", skip: 0 });
    expect(parse({ q: "  fraud-prod (eu)_1.2 ", skip: "200" }).data).toEqual({ q: "fraud-prod (eu)_1.2", skip: 200 });
    expect(parse({ q: "Müнchen", skip: ["100", "300"] }).data).toEqual({ q: "Müнchen", skip: 100 });
  });

  it.each([
    ["a quote", { q: "x' or 1==1" }],
    ["a backslash", { q: "x\\" }],
    ["a pipe", { q: "x | take 1" }],
    ["a newline", { q: "x\ny" }],
    ["65 characters", { q: "a".repeat(65) }],
    ["a negative position", { skip: "-100" }],
    ["a fractional position", { skip: "1.5" }],
    ["a position that is not a number", { skip: "abc" }],
    ["a position past a million", { skip: "1000001" }],
  ])("refuses %s", (_label, params) => {
    expect(parse(params).success).toBe(false);
  });
});

describe("the queries", () => {
  it("escapes KQL string literals: backslash first, then the quote, so neither ends the literal", () => {
    expect(kqlString("plain")).toBe("'plain'");
    expect(kqlString("it's")).toBe("'it\\'s'");
    expect(kqlString("a\\'b")).toBe("'a\\\\\\'b'");
    expect(kqlString("x\ny")).toBe("'x\\ny'");
  });

  it("searches name, friendly name and resource group, and orders by name then id so pages never overlap", () => {
    expect(workspacePageQuery("")).not.toContain("contains");
    expect(workspacePageQuery("fraud")).toContain("| where name contains 'fraud' or friendlyName contains 'fraud' or resourceGroup contains 'fraud' |");
    expect(workspacePageQuery("fraud")).toMatch(/\| order by name asc, id asc$/);
  });

  it("counts assignments at the page's scopes and every scope above a subscription", () => {
    expect(pageAssignmentCountsQuery(["/subscriptions/a", "/subscriptions/a/resourcegroups/r"])).toContain(
      "| where scope in ('/subscriptions/a', '/subscriptions/a/resourcegroups/r') or scope !startswith '/subscriptions/' | summarize count() by scope",
    );
  });
});

describe("listWorkspacePage (sandbox tenant, on-behalf-of)", () => {
  it("shows the same workspaces and counts as the whole list, in name order, with the total, in two round trips of three queries", async () => {
    const identity = { kind: "delegated", caller: (await personaContext("security")).caller } as const;
    const whole = await listWorkspaces(identity);
    const network = watchOutgoingCalls();
    const page = await listWorkspacePage(identity, { search: "", skip: 0 });
    const paths = network.calls().map((call) => call.path.split("?")[0]!.replace(/^\/+/, "/").toLowerCase());
    expect(paths).toEqual(Array(3).fill("/providers/microsoft.resourcegraph/resources"));
    expect(page.queries.map((query) => [query.name, query.round, query.pages])).toEqual([
      ["workspace page", 1, 1],
      ["assignment counts", 2, 1],
      ["subscriptions", 2, 1],
    ]);
    expect(page.source).toBe("resource-graph");
    expect(page.total).toBe(whole.workspaces.length);
    expect(page.total).toBeLessThanOrEqual(WORKSPACE_PAGE_SIZE);
    expect(page.workspaces.map((w) => w.name)).toEqual(whole.workspaces.map((w) => w.name).sort(ordinal));
    const summary = (w: (typeof whole.workspaces)[number]) => [w.id, w.subscriptionName, w.resourceGroup, w.kind, w.hubResourceId, w.friendlyName, w.location];
    const byId = new Map(whole.workspaces.map((w) => [w.id, w]));
    for (const workspace of page.workspaces) {
      const expected = byId.get(workspace.id)!;
      expect(summary(workspace)).toEqual(summary(expected));
      if (!MUTATED_BY_OTHER_TESTS.has(workspace.name)) expect(workspace.roleAssignmentCount, workspace.name).toBe(expected.roleAssignmentCount);
    }
  });

  it("searches name, friendly name and resource group in any case across the estate, and pages with the position", async () => {
    const identity = { kind: "delegated", caller: (await personaContext("security")).caller } as const;
    const whole = (await listWorkspaces(identity)).workspaces;
    const found = await listWorkspacePage(identity, { search: "PROD", skip: 0 });
    const expected = whole.filter((w) => [w.name, w.friendlyName ?? "", w.resourceGroup].some((v) => v.toLowerCase().includes("prod")));
    expect(expected.length).toBeGreaterThan(1);
    expect(found.workspaces.map((w) => w.id)).toEqual(expected.map((w) => w.id).sort((a, b) => ordinal(byName(whole, a), byName(whole, b)) || ordinal(a, b)));
    expect(found.total).toBe(expected.length);
    const second = await listWorkspacePage(identity, { search: "prod", skip: 1 });
    expect(second.workspaces.map((w) => w.id)).toEqual(found.workspaces.slice(1).map((w) => w.id));
    expect(second.total).toBe(found.total);
    const past = await listWorkspacePage(identity, { search: "", skip: 10_000 });
    expect(past.workspaces).toEqual([]);
    expect(past.total).toBe(whole.length);
  });

  it("shows an admin only the subscription they can read", async () => {
    const page = await listWorkspacePage({ kind: "delegated", caller: (await personaContext("admin")).caller }, { search: "", skip: 0 });
    expect(new Set(page.workspaces.map((w) => w.subscriptionName))).toEqual(new Set(["Contoso ML Production"]));
  });

  it("refuses a search outside the allowed characters before calling Azure", async () => {
    const network = watchOutgoingCalls();
    await expect(
      listWorkspacePage({ kind: "delegated", caller: (await personaContext("security")).caller }, { search: "x' or '1", skip: 0 }),
    ).rejects.toMatchObject({
      code: "invalid_input",
    });
    expect(network.calls().filter((call) => call.path.toLowerCase().includes("resourcegraph"))).toEqual([]);
  });

  it.each([403, 503])("falls back to ARM per subscription when Resource Graph answers %i, with the same page", async (status) => {
    const identity = { kind: "delegated", caller: (await personaContext("security")).caller } as const;
    const fromGraph = await listWorkspacePage(identity, { search: "prod", skip: 0 });
    await testSandbox().faults.add({ method: "POST", path: "/providers/Microsoft.ResourceGraph/resources", status, times: 10 });
    const fromArm = await listWorkspacePage(identity, { search: "prod", skip: 0 });
    expect(fromArm.source).toBe("arm");
    expect(fromArm.total).toBe(fromGraph.total);
    const summary = (page: typeof fromArm) =>
      page.workspaces.filter((w) => !MUTATED_BY_OTHER_TESTS.has(w.name)).map((w) => [w.id, w.subscriptionName, w.roleAssignmentCount]);
    expect(summary(fromArm)).toEqual(summary(fromGraph));
  });

  it("reads the whole list in batches of subscriptions when Resource Graph refuses the tenant-scope query (400)", async () => {
    const identity = { kind: "delegated", caller: (await personaContext("security")).caller } as const;
    const fromPage = await listWorkspacePage(identity, { search: "", skip: 0 });
    await testSandbox().faults.add({ method: "POST", path: "/providers/Microsoft.ResourceGraph/resources", status: 400, times: 1 });
    const network = watchOutgoingCalls();
    const fromBatches = await listWorkspacePage(identity, { search: "", skip: 0 });
    expect(network.calls().some((call) => call.path.split("?")[0]!.replace(/^\/+/, "/").toLowerCase() === "/subscriptions")).toBe(true);
    expect(fromBatches.source).toBe("resource-graph");
    expect(fromBatches.workspaces.map((w) => w.id)).toEqual(fromPage.workspaces.map((w) => w.id));
    expect(fromBatches.total).toBe(fromPage.total);
  });
});

function byName(workspaces: readonly { id: string; name: string }[], id: string): string {
  return workspaces.find((w) => w.id === id)!.name;
}
