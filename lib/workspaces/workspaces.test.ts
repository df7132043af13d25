import { afterEach, describe, expect, it } from "vitest";

import type { AppError } from "@/lib/errors";
import { scopeApplies, workspaceScope } from "@/lib/shared/arm-scope";
import { createTenant, UNICODE_RESOURCE_GROUP, UNICODE_RESOURCE_GROUP_WORKSPACE } from "@/sandbox/tenant/index";
import { personaContext } from "@/test/support/persona-token";
import { watchOutgoingCalls } from "@/test/support/outgoing-calls";
import { testSandbox } from "@/test/support/sandbox-control";
import { getWorkspaceAccess } from "./get-workspace-access";
import { listWorkspaces } from "./list-workspaces";

// The shared test sandbox is seeded with seed 1; a tenant built from the same seed is the oracle. Other test files
// change these workspaces at the same time (each file changes only its own), so exact counts skip them.
const MUTATED_BY_OTHER_TESTS = new Set(["mlw-churn-prod", "mlw-recsys-prod", "mlw-forecast-prod"]);
const oracle = createTenant({ seed: 1, scale: "default" });
const oracleWorkspaces = [...oracle.workspaces.values()].map((workspace) => ({
  ...workspace,
  id: workspaceScope(workspace.subscriptionId, workspace.resourceGroup, workspace.name),
}));
const applicable = (id: string) => [...oracle.roleAssignments.values()].filter((assignment) => scopeApplies(assignment.scope, id));

afterEach(() => testSandbox().faults.clear());

describe("listWorkspaces (sandbox tenant, on-behalf-of)", () => {
  it("lists every workspace a reader of all subscriptions can see, with the assignments that apply to each", async () => {
    const { workspaces, failures } = await listWorkspaces({ kind: "delegated", caller: (await personaContext("security")).caller });
    expect(failures).toEqual([]);
    expect(workspaces.map((workspace) => workspace.name).sort()).toEqual(oracleWorkspaces.map((workspace) => workspace.name).sort());
    for (const workspace of workspaces.filter((candidate) => !MUTATED_BY_OTHER_TESTS.has(candidate.name))) {
      const expected = oracleWorkspaces.find((candidate) => candidate.name === workspace.name)!;
      expect(workspace.roleAssignmentCount, workspace.name).toBe(applicable(expected.id).length);
      expect(workspace.resourceGroup).toBe(expected.resourceGroup);
    }
  });

  it("shows an admin only the subscription they can read", async () => {
    const { workspaces } = await listWorkspaces({ kind: "delegated", caller: (await personaContext("admin")).caller });
    expect(new Set(workspaces.map((workspace) => workspace.subscriptionName))).toEqual(new Set(["Contoso ML Production"]));
  });

  it("reads workspaces and counts from Resource Graph in a few calls, with no ARM list per subscription", async () => {
    const caller = (await personaContext("security")).caller;
    const network = watchOutgoingCalls();
    const list = await listWorkspaces({ kind: "delegated", caller });
    expect(list.source).toBe("resource-graph");
    const paths = network.calls().map((call) => call.path.split("?")[0]!.replace(/^\/+/, "/").toLowerCase());
    expect(paths.filter((path) => path === "/providers/microsoft.resourcegraph/resources")).toHaveLength(2);
    expect(paths.filter((path) => path.endsWith("/workspaces") || path.endsWith("/roleassignments"))).toEqual([]);
  });

  it("labels hubs and projects, and gives each project its hub", async () => {
    const { workspaces } = await listWorkspaces({ kind: "delegated", caller: (await personaContext("security")).caller });
    const hub = workspaces.find((workspace) => workspace.name === "hub-ai-research")!;
    expect(hub).toMatchObject({ kind: "Hub", hubResourceId: null });
    const projects = workspaces.filter((workspace) => workspace.kind === "Project");
    expect(projects.map((project) => project.name).sort()).toEqual(["proj-genai", "proj-nlp"]);
    expect(projects.every((project) => project.hubResourceId?.toLowerCase() === hub.id.toLowerCase())).toBe(true);
    expect(workspaces.find((workspace) => workspace.name === "mlw-fraud-prod")).toMatchObject({ kind: "Default", hubResourceId: null });
  });

  it.each([403, 404, 503])("falls back to ARM per subscription when Resource Graph answers %i, with the same workspaces and counts", async (status) => {
    const caller = (await personaContext("security")).caller;
    const fromGraph = await listWorkspaces({ kind: "delegated", caller });
    await testSandbox().faults.add({ method: "POST", path: "/providers/Microsoft.ResourceGraph/resources", status, times: 10 });
    const fromArm = await listWorkspaces({ kind: "delegated", caller });
    expect(fromArm.source).toBe("arm");
    const summary = (list: typeof fromArm) =>
      list.workspaces.filter((w) => !MUTATED_BY_OTHER_TESTS.has(w.name)).map((w) => [w.id, w.kind, w.hubResourceId, w.roleAssignmentCount]);
    expect(summary(fromArm)).toEqual(summary(fromGraph));
  });

  it("keeps the other subscriptions when one fails on the per-subscription path, with an inline reason", async () => {
    const caller = (await personaContext("security")).caller;
    const development = oracleWorkspaces.find((workspace) => workspace.name === "mlw-churn-dev")!;
    await testSandbox().faults.add({ method: "POST", path: "/providers/Microsoft.ResourceGraph/resources", status: 503, times: 10 });
    await testSandbox().faults.add({
      method: "GET",
      path: `/subscriptions/${development.subscriptionId}/providers/Microsoft.MachineLearningServices/workspaces`,
      status: 500,
      times: 10,
    });
    const { workspaces, failures } = await listWorkspaces({ kind: "delegated", caller });
    expect(failures).toEqual([
      expect.objectContaining({ subscriptionId: development.subscriptionId, message: expect.stringContaining("having problems") as string }),
    ]);
    expect(workspaces.length).toBeGreaterThan(0);
    expect(workspaces.some((workspace) => workspace.subscriptionId === development.subscriptionId)).toBe(false);
  });
});

describe("a resource group named in Unicode letters", () => {
  const munich = oracleWorkspaces.find((workspace) => workspace.name === UNICODE_RESOURCE_GROUP_WORKSPACE)!;

  it("lists its workspace, with its resource group and count, like any other", async () => {
    expect(munich.resourceGroup).toBe(UNICODE_RESOURCE_GROUP);
    const { workspaces, unreadableIds } = await listWorkspaces({ kind: "delegated", caller: (await personaContext("admin")).caller });
    expect(unreadableIds).toEqual([]);
    const listed = workspaces.find((workspace) => workspace.name === UNICODE_RESOURCE_GROUP_WORKSPACE);
    expect(listed).toMatchObject({ resourceGroup: UNICODE_RESOURCE_GROUP, roleAssignmentCount: applicable(munich.id).length });
    expect(listed!.id).toBe(munich.id);
  });

  it("reads its access, inherited from the resource group too", async () => {
    const access = await getWorkspaceAccess((await personaContext("admin")).caller, munich.id);
    expect(access.rows).toHaveLength(applicable(munich.id).length);
    // The workspace's own identity reads its resource group, as for every seeded workspace.
    expect(access.rows.some((row) => row.origin === "resourceGroup" && row.scope.endsWith(`/resourceGroups/${UNICODE_RESOURCE_GROUP}`))).toBe(true);
  });
});

describe("getWorkspaceAccess", () => {
  const target = oracleWorkspaces.find((workspace) => workspace.name === "mlw-fraud-prod")!;

  it("lists direct and inherited assignments with role names, principals and orphans", async () => {
    const access = await getWorkspaceAccess((await personaContext("security")).caller, target.id);
    const expected = applicable(target.id);
    expect(access.rows).toHaveLength(expected.length);
    expect(access.notice).toBeNull();
    expect(access.principalsResolved).toBe(true);
    expect(new Set(access.rows.map((row) => row.origin))).toEqual(new Set(["subscription", "resourceGroup", "workspace"]));
    const orphans = expected.filter((assignment) => !oracle.getDirectoryObject(assignment.principalId));
    expect(orphans.length).toBeGreaterThan(0);
    expect(
      access.rows
        .filter((row) => row.principal === null)
        .map((row) => row.principalId)
        .sort(),
    ).toEqual(orphans.map((assignment) => assignment.principalId).sort());
    const owner = access.rows.find((row) => row.principal?.displayName === "Avery Admin");
    expect(owner).toMatchObject({ roleName: "Owner", origin: "subscription", principal: { kind: "user", secondaryId: "admin@contosoml.onmicrosoft.com" } });
    expect(access.rows.every((row) => row.roleName !== row.roleDefinitionId)).toBe(true);
  });

  it("resolves principals in one getByIds call per 1,000 ids", async () => {
    const caller = (await personaContext("security")).caller;
    const network = watchOutgoingCalls();
    await getWorkspaceAccess(caller, target.id);
    // The ARM SDK joins its endpoint and a scope that starts with "/" into "//subscriptions/…", which ARM accepts.
    const paths = network.calls().map((call) => call.path.split("?")[0]!.replace(/^\/+/, "/").toLowerCase());
    expect(paths.filter((path) => path.endsWith("/directoryobjects/getbyids"))).toHaveLength(1);
    expect(paths.filter((path) => path.startsWith(target.id.toLowerCase()) && path.endsWith("/roleassignments"))).toHaveLength(1);
  });

  it("still lists the assignments, by object id, when Graph fails", async () => {
    const caller = (await personaContext("security")).caller;
    await testSandbox().faults.add({ method: "POST", path: "/v1.0/directoryObjects/getByIds", status: 503, times: 10 });
    const access = await getWorkspaceAccess(caller, target.id);
    expect(access.rows).toHaveLength(applicable(target.id).length);
    expect(access.principalsResolved).toBe(false);
    expect(access.rows.every((row) => row.principal === undefined)).toBe(true);
    expect(access.notice).toContain("Names could not be loaded from Microsoft Graph");
  });

  it("refuses something that is not a workspace before calling Azure", async () => {
    const caller = (await personaContext("security")).caller;
    const network = watchOutgoingCalls();
    for (const bad of [`/subscriptions/${target.subscriptionId}`, `${target.id}/../x`, "//subscriptions/x", `${target.id}%2F`]) {
      await expect(getWorkspaceAccess(caller, bad)).rejects.toMatchObject({ code: "invalid_input" } satisfies Partial<AppError>);
    }
    expect(network.calls()).toEqual([]);
  });
});
