import { describe, expect, it } from "vitest";

import { assignmentOrigin, parseScope, sameScope, scopeApplies, workspaceScope } from "./arm-scope";

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
});
