import { describe, expect, it } from "vitest";

import { assignmentOrigin, parseResourceId, parseScope, sameScope, scopeApplies, workspaceScope } from "./arm-scope";

const SUB = "1f0c0a11-0000-4000-8000-000000000001";
const WS = workspaceScope(SUB, "rg-ml", "mlw-fraud-prod");

describe("parseScope", () => {
  it("reads every level Gatehouse works with", () => {
    expect(parseScope("/")).toEqual({ level: "root", scope: "/" });
    expect(parseScope("/providers/Microsoft.Management/managementGroups/contoso")).toMatchObject({ level: "managementGroup", managementGroup: "contoso" });
    expect(parseScope(`/subscriptions/${SUB.toUpperCase()}`)).toMatchObject({ level: "subscription", subscriptionId: SUB });
    expect(parseScope(`/subscriptions/${SUB}/resourceGroups/rg-ml`)).toMatchObject({ level: "resourceGroup", resourceGroup: "rg-ml" });
    expect(parseScope(WS)).toMatchObject({ level: "workspace", subscriptionId: SUB, resourceGroup: "rg-ml", workspaceName: "mlw-fraud-prod" });
  });

  it("reads resource-group names with Unicode letters and digits, as Azure allows them", () => {
    for (const name of ["rg-ml-münchen", "rg-研究", "Ресурсы_(prod)", "rg-\u0661\u0662", "rg-e\u0301t\u00e9"]) {
      expect(parseScope(workspaceScope(SUB, name, "mlw-1"))).toMatchObject({ level: "workspace", resourceGroup: name, workspaceName: "mlw-1" });
      expect(parseScope(`/subscriptions/${SUB}/resourceGroups/${name}`)).toMatchObject({ level: "resourceGroup", resourceGroup: name });
    }
    expect(parseScope(`/subscriptions/${SUB}/resourceGroups/${"ü".repeat(90)}`)?.level).toBe("resourceGroup");
    expect(parseScope(`/subscriptions/${SUB}/resourceGroups/${"ü".repeat(91)}`)).toBeUndefined();
  });

  it("is case-insensitive and tolerates one trailing slash", () => {
    expect(parseScope(`${WS.toLowerCase()}/`)).toMatchObject({ level: "workspace", workspaceName: "mlw-fraud-prod" });
  });

  it.each([
    ["empty", ""],
    ["relative", `subscriptions/${SUB}`],
    ["double slash", `//subscriptions/${SUB}`],
    ["dot-dot", `/subscriptions/${SUB}/resourceGroups/../x`],
    ["encoded slash", `/subscriptions/${SUB}/resourceGroups/rg%2Fx`],
    ["not a GUID", "/subscriptions/not-a-guid"],
    ["another provider", `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/sa`],
    ["trailing path", `${WS}/computes/x`],
    ["query string", `${WS}?api-version=1`],
    ["whitespace", `/subscriptions/${SUB} `],
    ["too long", `/subscriptions/${SUB}/resourceGroups/${"a".repeat(600)}`],
    ["a Unicode resource-group name ending in a dot", `/subscriptions/${SUB}/resourceGroups/rg-münchen.`],
    ["a letter outside the Basic Multilingual Plane (two non-letters to Azure's pattern)", `/subscriptions/${SUB}/resourceGroups/rg-\u{1d400}`],
    ["a Unicode punctuation mark in a resource-group name", `/subscriptions/${SUB}/resourceGroups/rg\u2010ml`],
    ["a long s in a fixed segment (upper-cases to S)", `/\u017fubscriptions/${SUB}`],
    [
      "a Kelvin sign in a fixed segment (lower-cases to k)",
      `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.MachineLearningServices/wor\u212aspaces/mlw`,
    ],
    ["a Unicode letter in a workspace name", workspaceScope(SUB, "rg", "mlw-münchen")],
    ["a Unicode letter in a management-group name", "/providers/Microsoft.Management/managementGroups/münchen"],
  ])("rejects %s", (_name, value) => {
    expect(parseScope(value)).toBeUndefined();
  });
});

describe("scopeApplies and assignmentOrigin", () => {
  it("applies assignments at the workspace and above, not below or beside", () => {
    expect(scopeApplies("/", WS)).toBe(true);
    expect(scopeApplies(`/subscriptions/${SUB}`, WS)).toBe(true);
    expect(scopeApplies(`/subscriptions/${SUB}/resourceGroups/RG-ML`, WS)).toBe(true);
    expect(scopeApplies(WS, WS)).toBe(true);
    expect(scopeApplies(`/subscriptions/${SUB}/resourceGroups/rg-ml-2`, WS)).toBe(false);
    expect(scopeApplies(`${WS}/computes/x`, WS)).toBe(false);
  });

  it("labels where an applicable assignment comes from", () => {
    expect(assignmentOrigin(WS.toUpperCase(), WS)).toBe("workspace");
    expect(assignmentOrigin(`/subscriptions/${SUB}/resourceGroups/rg-ml`, WS)).toBe("resourceGroup");
    expect(assignmentOrigin(`/subscriptions/${SUB}`, WS)).toBe("subscription");
    expect(assignmentOrigin("/providers/Microsoft.Management/managementGroups/contoso", WS)).toBe("managementGroup");
    expect(assignmentOrigin("/", WS)).toBe("root");
    expect(sameScope(`${WS}/`, WS.toLowerCase())).toBe(true);
  });

  it("compares Unicode names ignoring case, but never folds a lookalike into an ASCII letter", () => {
    const munich = workspaceScope(SUB, "rg-MÜNCHEN", "mlw-1");
    expect(sameScope(munich, workspaceScope(SUB, "rg-münchen", "mlw-1"))).toBe(true);
    expect(scopeApplies(`/subscriptions/${SUB}/resourceGroups/RG-münchen`, munich)).toBe(true);
    expect(sameScope(`/subscriptions/${SUB}/resourceGroups/rg-\u212a`, `/subscriptions/${SUB}/resourceGroups/rg-k`)).toBe(false);
    expect(scopeApplies(`/subscriptions/${SUB}/resourceGroups/rg-\u212a`, workspaceScope(SUB, "rg-k", "mlw-1"))).toBe(false);
    expect(sameScope(`/subscriptions/${SUB}/resourceGroups/rg-\u017f`, `/subscriptions/${SUB}/resourceGroups/rg-s`)).toBe(false);
  });
});

describe("parseResourceId", () => {
  const STORAGE = `/subscriptions/${SUB}/resourceGroups/rg-ml/providers/Microsoft.Storage/storageAccounts/stmlwfraudprod`;

  it("reads a provider's top-level resource in a resource group, keeping the casing it was given", () => {
    expect(parseResourceId(STORAGE)).toEqual({
      id: STORAGE,
      subscriptionId: SUB,
      resourceGroup: "rg-ml",
      namespace: "Microsoft.Storage",
      type: "storageAccounts",
      name: "stmlwfraudprod",
    });
    expect(parseResourceId(`/subscriptions/${SUB.toUpperCase()}/resourcegroups/rg-münchen/providers/microsoft.insights/components/appi-ml(prod)/`)).toEqual({
      id: `/subscriptions/${SUB.toUpperCase()}/resourcegroups/rg-münchen/providers/microsoft.insights/components/appi-ml(prod)`,
      subscriptionId: SUB,
      resourceGroup: "rg-münchen",
      namespace: "microsoft.insights",
      type: "components",
      name: "appi-ml(prod)",
    });
    expect(parseResourceId(WS)).toMatchObject({ namespace: "Microsoft.MachineLearningServices", type: "workspaces", name: "mlw-fraud-prod" });
  });

  it("leaves parseScope's levels as they were: a storage account is still no scope Gatehouse grants at", () => {
    expect(parseScope(STORAGE)).toBeUndefined();
  });

  it.each([
    ["a resource group", `/subscriptions/${SUB}/resourceGroups/rg-ml`],
    ["a nested type", `${STORAGE}/blobServices/default`],
    ["a namespace without a dot", `/subscriptions/${SUB}/resourceGroups/rg-ml/providers/Storage/storageAccounts/sa`],
    ["dot-dot", `/subscriptions/${SUB}/resourceGroups/rg-ml/providers/Microsoft.Storage/storageAccounts/..`],
    ["a name ending in a dot", `${STORAGE}.`],
    ["an encoded slash", `/subscriptions/${SUB}/resourceGroups/rg-ml/providers/Microsoft.Storage/storageAccounts/sa%2Fx`],
    ["a query string", `${STORAGE}?api-version=2023-05-01`],
    ["a double slash", `/subscriptions/${SUB}/resourceGroups/rg-ml/providers/Microsoft.Storage//sa`],
    ["a long s in a fixed segment (upper-cases to S)", STORAGE.replace("/subscriptions/", "/\u017fubscriptions/")],
    ["a name too long", `/subscriptions/${SUB}/resourceGroups/rg-ml/providers/Microsoft.Storage/storageAccounts/${"a".repeat(261)}`],
  ])("refuses %s", (_label, input) => {
    expect(parseResourceId(input)).toBeUndefined();
  });
});
