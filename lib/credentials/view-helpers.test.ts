import { describe, expect, it } from "vitest";

import type { CredentialRow, WorkspaceRole } from "@/lib/shared/credentials";
import { type CredentialView, distinctRoles, distinctWorkspaces, formatUtcMinute, matchingFirst, parseView, singleValueParams, viewQuery } from "./view";

function role(workspace: string, roleName: string, overrides: Partial<WorkspaceRole> = {}): WorkspaceRole {
  return {
    workspace,
    workspaceScope: `/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/${workspace}`,
    roleId: roleName,
    roleName,
    privileged: false,
    assignmentScope: "/subscriptions/s",
    ...overrides,
  };
}

function rowWith(roles: WorkspaceRole[]): CredentialRow {
  return {
    id: `application:a:${roles.length}`,
    identityKey: "app:a",
    identityName: "app",
    appId: "a",
    objectType: "application",
    objectId: "a",
    kind: "secret",
    keyId: "k",
    credentialName: null,
    startDateTime: null,
    endDateTime: null,
    bucket: "healthy",
    risk: 10,
    owners: [],
    roles,
  };
}

const view = (filters: Partial<CredentialView> = {}): CredentialView => ({ sort: "risk", ...filters });

describe("the credentials page's view helpers", () => {
  it("keeps the first value of each search parameter and drops absent ones", () => {
    const params = singleValueParams({ bucket: "expired", owner: ["ada", "grace"], q: undefined, role: [] });
    expect([...params]).toEqual([
      ["bucket", "expired"],
      ["owner", "ada"],
    ]);
  });

  it("lists the workspaces and roles any row holds, once each and sorted", () => {
    const rows = [rowWith([role("mlw-b", "Reader"), role("mlw-a", "AzureML Data Scientist")]), rowWith([role("mlw-b", "Contributor")]), rowWith([])];
    expect(distinctWorkspaces(rows)).toEqual(["mlw-a", "mlw-b"]);
    expect(distinctRoles(rows)).toEqual(["AzureML Data Scientist", "Contributor", "Reader"]);
    expect(distinctWorkspaces([])).toEqual([]);
  });

  it("puts the roles a workspace or role filter asked for first, keeping the order otherwise", () => {
    const roles = [role("mlw-a", "Reader"), role("mlw-b", "Contributor", { privileged: true }), role("mlw-b", "Reader"), role("mlw-c", "Reader")];
    const names = (list: readonly WorkspaceRole[]) => list.map((entry) => `${entry.roleName}@${entry.workspace}`);

    expect(matchingFirst(roles, view())).toBe(roles);
    expect(names(matchingFirst(roles, view({ workspace: "MLW-B" })))).toEqual(["Contributor@mlw-b", "Reader@mlw-b", "Reader@mlw-a", "Reader@mlw-c"]);
    expect(names(matchingFirst(roles, view({ role: "reader" })))).toEqual(["Reader@mlw-a", "Reader@mlw-b", "Reader@mlw-c", "Contributor@mlw-b"]);
    // Both filters: only roles that match both come first.
    expect(names(matchingFirst(roles, view({ workspace: "mlw-b", role: "Reader" })))).toEqual([
      "Reader@mlw-b",
      "Reader@mlw-a",
      "Contributor@mlw-b",
      "Reader@mlw-c",
    ]);
  });

  it("keeps the table's page in links that stay on the view, and starts again at the first page when a filter or the sort changes", () => {
    const parsed = parseView(new URLSearchParams("bucket=expired&sort=name&page=3"));
    if (!parsed.ok) throw new Error(parsed.messages.join());
    expect(parsed.view.page).toBe(3);
    expect(viewQuery(parsed.view)).toBe("bucket=expired&sort=name&page=3");
    expect(viewQuery(parsed.view, { identity: "app:a" })).toBe("bucket=expired&sort=name&page=3&identity=app%3Aa");
    expect(viewQuery(parsed.view, { page: "4" })).toBe("bucket=expired&sort=name&page=4");
    expect(viewQuery(parsed.view, { sort: "end", dir: "desc" })).toBe("bucket=expired&sort=end&dir=desc");
    expect(viewQuery(parsed.view, { bucket: undefined })).toBe("sort=name");
    expect(parseView(new URLSearchParams("page=0")).ok).toBe(false);
    expect(parseView(new URLSearchParams("page=two")).ok).toBe(false);
  });

  it("shows timestamps to the minute in UTC, and a dash for none", () => {
    expect(formatUtcMinute("2026-07-01T09:30:59Z")).toBe("2026-07-01 09:30 UTC");
    expect(formatUtcMinute("2026-07-01T09:30:59.123Z")).toBe("2026-07-01 09:30 UTC");
    expect(formatUtcMinute(null)).toBe("—");
  });
});
