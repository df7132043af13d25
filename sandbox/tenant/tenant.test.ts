import { describe, expect, it } from "vitest";

import {
  AZURE_RESOURCE_MANAGER_APP_ID,
  CONSOLE_API_CLIENT_ID,
  CONSOLE_API_CLIENT_SECRET,
  CONSOLE_API_IDENTIFIER_URI,
  CONSOLE_SPA_CLIENT_ID,
  MICROSOFT_GRAPH_APP_ID,
} from "../contract";
import { subscriptionOfScope, workspaceArmId } from "./arm-ids";
import { CONSOLE_API_SERVICE_PRINCIPAL_ID } from "./console-apps";
import { createTenant, PERSONAS, ROLE_IDS, Tenant } from "./index";
import { persona } from "./personas";
import { ESTATE_SUBSCRIPTIONS, ESTATE_WORKSPACES, FRESH_PRINCIPAL_REPLICATION_LAG_MS, SEEDED_PARTNER } from "./seed";
import { TEST_NOW } from "./testing/support";

const DAY = 86_400_000;
const tenant = createTenant({ seed: 7, scale: "default", now: TEST_NOW });

function daysUntil(iso: string): number {
  return (Date.parse(iso) - TEST_NOW.getTime()) / DAY;
}

describe("seed counts (Contoso ML)", () => {
  it("has the directory the issue asks for", () => {
    expect(tenant.users.size).toBeGreaterThanOrEqual(200);
    expect(tenant.groups.size).toBe(30);
    const nonConsoleApps = [...tenant.applications.values()].filter((a) => a.appId !== CONSOLE_API_CLIENT_ID && a.appId !== CONSOLE_SPA_CLIENT_ID);
    expect(nonConsoleApps.length).toBeGreaterThanOrEqual(60);
    // Every app has its service principal, except the one whose SP was deleted to leave orphaned assignments.
    const withoutSp = [...tenant.applications.values()].filter((app) => !tenant.getServicePrincipalByAppId(app.appId));
    expect(withoutSp.map((app) => app.displayName)).toEqual(["retired-scoring-app"]);
    const managed = [...tenant.servicePrincipals.values()].filter((sp) => sp.servicePrincipalType === "ManagedIdentity");
    expect(managed.length).toBeGreaterThanOrEqual(13);
    expect(managed.every((mi) => mi.keyCredentials.length > 0)).toBe(true);
  });

  it("has nested groups", () => {
    const nested = [...tenant.groups.values()].filter((g) => g.memberIds.some((id) => tenant.groups.has(id)));
    expect(nested.length).toBeGreaterThanOrEqual(5);
    const allStaff = [...tenant.groups.values()].find((g) => g.displayName === "All ML Staff");
    const fraud = [...tenant.groups.values()].find((g) => g.displayName === "DS - Fraud");
    expect(allStaff && fraud).toBeTruthy();
    expect(tenant.transitiveMemberIds(allStaff?.id ?? "")).toContain(fraud?.id);
    // The team lead reaches All ML Staff through DS - Fraud → Data Scientists → All ML Staff.
    expect(tenant.transitiveGroupIds(persona("team-lead").objectId)).toContain(allStaff?.id);
  });

  it("has ARM data: 3 subscriptions, ≥ 12 workspaces, ≥ 400 assignments at every scope level, some orphaned", () => {
    expect(tenant.subscriptions.size).toBe(3);
    expect(tenant.resourceGroups.size).toBeGreaterThanOrEqual(6);
    expect(tenant.workspaces.size).toBeGreaterThanOrEqual(12);
    expect(tenant.roleAssignments.size).toBeGreaterThanOrEqual(400);
    const depth = (scope: string) => scope.split("/").length;
    const scopes = [...tenant.roleAssignments.values()].map((a) => a.scope);
    expect(scopes.some((s) => depth(s) === 3)).toBe(true); // /subscriptions/x
    expect(scopes.some((s) => depth(s) === 5)).toBe(true); // …/resourceGroups/y
    expect(scopes.some((s) => s.includes("/providers/Microsoft.MachineLearningServices/workspaces/"))).toBe(true);
    expect(tenant.orphanedRoleAssignments().length).toBeGreaterThanOrEqual(3);
    expect(tenant.roleDefinitions.size).toBe(23); // 15 AML built-in, 6 companion built-in (linked resources), 2 custom
  });

  it("spreads credentials over every expiry bucket, on applications and on service principals", () => {
    const appSecrets = [...tenant.applications.values()].flatMap((a) => [...a.passwordCredentials, ...a.keyCredentials]);
    const spSecrets = [...tenant.servicePrincipals.values()].filter((sp) => sp.servicePrincipalType === "Application").flatMap((sp) => sp.passwordCredentials);
    const all = [...appSecrets, ...spSecrets];
    const ends = all.map((c) => daysUntil(c.endDateTime));
    expect(ends.some((d) => d < 0)).toBe(true);
    expect(ends.some((d) => d >= 0 && d <= 7)).toBe(true);
    expect(ends.some((d) => d > 7 && d <= 30)).toBe(true);
    expect(ends.some((d) => d > 30 && d <= 90)).toBe(true);
    const lifetimes = all.map((c) => (Date.parse(c.endDateTime) - Date.parse(c.startDateTime)) / DAY);
    expect(lifetimes.some((days) => days > 730)).toBe(true);
    expect(spSecrets.length).toBeGreaterThan(0);
    const federatedOnly = [...tenant.applications.values()].filter(
      (a) => a.federatedIdentityCredentials.length > 0 && a.passwordCredentials.length === 0 && a.keyCredentials.length === 0,
    );
    expect(federatedOnly.length).toBeGreaterThan(0);
  });

  it("has an SP with an SP-object secret expiring within 7 days that is AzureML Data Scientist on a workspace", () => {
    const risky = [...tenant.servicePrincipals.values()].filter((sp) =>
      sp.passwordCredentials.some((c) => daysUntil(c.endDateTime) >= 0 && daysUntil(c.endDateTime) < 7),
    );
    const holdsDataScientist = risky.filter((sp) =>
      tenant.roleAssignmentsOfPrincipal(sp.id).some((a) => a.roleDefinitionName === ROLE_IDS.dataScientist && a.scope.includes("/workspaces/")),
    );
    expect(holdsDataScientist.map((sp) => sp.displayName)).toContain("fraud-scoring-batch");
  });
});

describe("determinism", () => {
  it("produces the same tenant for the same seed and clock", () => {
    const again = createTenant({ seed: 7, scale: "default", now: TEST_NOW });
    expect(JSON.stringify(again.snapshot())).toBe(JSON.stringify(tenant.snapshot()));
  });

  it("keeps everything but credential dates when only the clock differs", () => {
    const later = createTenant({ seed: 7, scale: "default", now: new Date(TEST_NOW.getTime() + 30 * DAY) });
    expect([...later.users.keys()]).toEqual([...tenant.users.keys()]);
    expect([...later.roleAssignments.keys()]).toEqual([...tenant.roleAssignments.keys()]);
    const first = [...tenant.applications.values()][3];
    const shifted = later.getApplicationByAppId(first?.appId ?? "");
    const original = first?.passwordCredentials[0];
    const moved = shifted?.passwordCredentials[0];
    if (original && moved) expect(Date.parse(moved.endDateTime) - Date.parse(original.endDateTime)).toBe(30 * DAY);
  });

  it("differs for another seed", () => {
    const other = createTenant({ seed: 8, scale: "default", now: TEST_NOW });
    expect([...other.users.keys()].slice(10, 20)).not.toEqual([...tenant.users.keys()].slice(10, 20));
  });
});

describe("TenantAuthView", () => {
  it("lists the seven personas in the contosoml domain with working sign-ins", () => {
    expect(tenant.personas().map((p) => p.key)).toEqual(["admin", "limited-admin", "team-lead", "security", "no-role", "step-up-admin", "fraud-owner"]);
    for (const p of PERSONAS) {
      expect(p.userPrincipalName.endsWith("@contosoml.onmicrosoft.com")).toBe(true);
      const user = tenant.findUser(p.userPrincipalName.toUpperCase());
      expect(user?.objectId).toBe(p.objectId);
      expect(user?.password).toBe(p.password);
      expect(tenant.findUser(p.objectId)?.userPrincipalName).toBe(p.userPrincipalName);
    }
    expect(tenant.findUser("nobody@contosoml.onmicrosoft.com")).toBeUndefined();
  });

  it("resolves console app roles, including through a group", () => {
    for (const p of PERSONAS) expect([...tenant.userAppRoles(p.objectId, CONSOLE_API_CLIENT_ID)].sort()).toEqual([...p.consoleRoles].sort());
  });

  it("lets exactly the personas with a console role use the console API, which requires assignment", () => {
    for (const p of PERSONAS) expect(tenant.userMayUseApp(p.objectId, CONSOLE_API_CLIENT_ID)).toBe(p.consoleRoles.length > 0);
    // The no-role persona is in a group inside an assigned group: nesting counts for neither roles nor assignment.
    const noRole = persona("no-role").objectId;
    const direct = new Set(tenant.directGroupIds(noRole));
    const nestedOnly = tenant.transitiveGroupIds(noRole).filter((id) => !direct.has(id));
    const api = tenant.getServicePrincipalByAppId(CONSOLE_API_CLIENT_ID)!;
    const assignedThroughNesting = [...tenant.appRoleAssignments.values()].filter(
      (assignment) => assignment.resourceId === api.id && nestedOnly.includes(assignment.principalId.toLowerCase()),
    );
    expect(assignedThroughNesting).toHaveLength(1);
  });

  it("finds the console apps by app id and identifier URI, and Graph/ARM by their resource URIs", () => {
    const api = tenant.findApplication(CONSOLE_API_IDENTIFIER_URI);
    expect(api?.appId).toBe(CONSOLE_API_CLIENT_ID);
    expect(api?.servicePrincipalId).toBe(CONSOLE_API_SERVICE_PRINCIPAL_ID);
    expect(api?.secrets.map((s) => s.secretText)).toContain(CONSOLE_API_CLIENT_SECRET);
    expect(api?.exposedScopes).toEqual(["access_as_user"]);
    expect(api?.appRoles).toEqual(["Console.Admin", "Console.Requester", "Console.SecurityReader"]);
    expect(tenant.findApplication(CONSOLE_SPA_CLIENT_ID)?.spaRedirectUris).toEqual(["http://localhost:3000/auth/redirect", "http://localhost:3000/"]);
    expect(tenant.findApplication("https://graph.microsoft.com")?.appId).toBe(MICROSOFT_GRAPH_APP_ID);
    expect(tenant.findApplication("https://management.azure.com/")?.appId).toBe(AZURE_RESOURCE_MANAGER_APP_ID);
    expect(tenant.findApplication("https://management.core.windows.net/")?.exposedScopes).toEqual(["user_impersonation"]);
  });

  it("exposes SP-object secrets as usable client secrets", () => {
    const sp = [...tenant.servicePrincipals.values()].find((s) => s.displayName === "fraud-scoring-batch");
    const secret = sp?.passwordCredentials[0];
    expect(secret).toBeDefined();
    expect(tenant.findApplication(sp?.appId ?? "")?.secrets.map((s) => s.keyId)).toContain(secret?.keyId);
  });

  it("reports consented permissions", () => {
    expect([...tenant.appPermissions(CONSOLE_API_CLIENT_ID, MICROSOFT_GRAPH_APP_ID)].sort()).toEqual(
      ["Application.Read.All", "Directory.Read.All", "GroupMember.Read.All", "Mail.Send", "User.Read.All"].sort(),
    );
    expect([...tenant.delegatedPermissions(CONSOLE_API_CLIENT_ID, MICROSOFT_GRAPH_APP_ID)].sort()).toEqual(
      ["Application.Read.All", "Directory.Read.All", "GroupMember.Read.All", "User.Read", "User.ReadBasic.All"].sort(),
    );
    expect(tenant.delegatedPermissions(CONSOLE_API_CLIENT_ID, AZURE_RESOURCE_MANAGER_APP_ID)).toEqual(["user_impersonation"]);
    expect(tenant.delegatedPermissions(CONSOLE_SPA_CLIENT_ID, CONSOLE_API_CLIENT_ID)).toEqual(["access_as_user"]);
    expect(tenant.appPermissions(CONSOLE_SPA_CLIENT_ID, MICROSOFT_GRAPH_APP_ID)).toEqual([]);
  });

  it("registers a certificate for the console API", () => {
    const local = createTenant({ seed: 7, scale: "default", now: TEST_NOW });
    local.addApplicationCertificate(CONSOLE_API_CLIENT_ID, {
      keyId: "11111111-2222-4333-8444-555555555555",
      thumbprintSha1: "q83vEjRWeJq83vEjRWeJq83vEjQ",
      thumbprintSha256: "abc",
      publicKeyPem: "-----BEGIN PUBLIC KEY-----\nMFk=\n-----END PUBLIC KEY-----\n",
      endDateTime: "2027-11-24T00:00:00Z",
    });
    const certificates = local.findApplication(CONSOLE_API_CLIENT_ID)?.certificates ?? [];
    expect(certificates.map((c) => c.keyId)).toEqual(["11111111-2222-4333-8444-555555555555"]);
    expect(local.getApplicationByAppId(CONSOLE_API_CLIENT_ID)?.keyCredentials).toHaveLength(1);
    expect(() => local.addApplicationCertificate("00000000-0000-0000-0000-00000000dead", certificates[0] as never)).toThrow();
  });
});

describe("persona ARM access", () => {
  const assignmentsOf = (key: Parameters<typeof persona>[0]) => tenant.roleAssignmentsOfPrincipal(persona(key).objectId);

  it("makes admin Owner on one subscription and the limited admin Reader only", () => {
    const owner = assignmentsOf("admin").filter((a) => a.roleDefinitionName === ROLE_IDS.owner);
    expect(owner).toHaveLength(1);
    expect(owner[0]?.scope.split("/")).toHaveLength(3);
    const limited = [persona("limited-admin").objectId, ...tenant.transitiveGroupIds(persona("limited-admin").objectId)].flatMap((id) =>
      tenant.roleAssignmentsOfPrincipal(id),
    );
    expect(limited.length).toBeGreaterThan(0);
    expect(limited.every((a) => a.roleDefinitionName === ROLE_IDS.reader)).toBe(true);
  });

  it("gives the API identity RBAC Administrator on every workspace and Reader on every subscription", () => {
    const api = tenant.roleAssignmentsOfPrincipal(CONSOLE_API_SERVICE_PRINCIPAL_ID);
    for (const w of tenant.workspaces.values()) {
      const scope = workspaceArmId(w.subscriptionId, w.resourceGroup, w.name);
      expect(api.some((a) => a.scope === scope && a.roleDefinitionName === ROLE_IDS.rbacAdministrator)).toBe(true);
    }
    for (const s of tenant.subscriptions.values()) {
      expect(api.some((a) => a.scope === `/subscriptions/${s.subscriptionId}` && a.roleDefinitionName === ROLE_IDS.reader)).toBe(true);
    }
  });
});

describe("deletion leaves orphans", () => {
  it("removes a user from the directory and its groups but keeps its role assignments", () => {
    const local = createTenant({ seed: 7, scale: "default", now: TEST_NOW });
    const victim = [...local.users.values()].find(
      (u) => local.roleAssignmentsOfPrincipal(u.id).length > 0 && local.directGroupIds(u.id).length > 0 && !PERSONAS.some((p) => p.objectId === u.id),
    );
    expect(victim).toBeDefined();
    const id = victim?.id ?? "";
    const before = local.roleAssignmentsOfPrincipal(id).length;
    const groups = local.directGroupIds(id);
    expect(local.deleteDirectoryObject(id)).toBe(true);
    expect(local.getDirectoryObject(id)).toBeUndefined();
    expect(local.findUser(victim?.userPrincipalName ?? "")).toBeUndefined();
    expect(local.roleAssignmentsOfPrincipal(id)).toHaveLength(before);
    for (const g of groups) expect(local.groups.get(g)?.memberIds).not.toContain(id);
    expect(local.orphanedRoleAssignments().some((a) => a.principalId === id)).toBe(true);
    expect(local.deleteDirectoryObject(id)).toBe(false);
  });

  it("deletes groups and service principals the same way", () => {
    const local = createTenant({ seed: 7, scale: "default", now: TEST_NOW });
    const group = [...local.groups.values()].find((g) => local.roleAssignmentsOfPrincipal(g.id).length > 0);
    const sp = [...local.servicePrincipals.values()].find((s) => s.displayName === "fraud-scoring-batch");
    local.deleteDirectoryObject(group?.id ?? "");
    local.deleteDirectoryObject(sp?.id ?? "");
    expect(local.getServicePrincipalByAppId(sp?.appId ?? "")).toBeUndefined();
    const orphanIds = new Set(local.orphanedRoleAssignments().map((a) => a.principalId));
    expect(orphanIds.has(group?.id ?? "")).toBe(true);
    expect(orphanIds.has(sp?.id ?? "")).toBe(true);
  });
});

describe("snapshot and restore", () => {
  it("round-trips through JSON", () => {
    const json = JSON.parse(JSON.stringify(tenant.snapshot())) as unknown;
    const restored = Tenant.restore(json);
    expect(JSON.stringify(restored.snapshot())).toBe(JSON.stringify(tenant.snapshot()));
    expect([...restored.userAppRoles(persona("team-lead").objectId, CONSOLE_API_CLIENT_ID)]).toEqual(["Console.Requester"]);
    expect(restored.transitiveGroupIds(persona("team-lead").objectId).sort()).toEqual(tenant.transitiveGroupIds(persona("team-lead").objectId).sort());
    // The partner reference and the fresh user's replication lag survive a restart of the sandbox.
    expect(restored.getPartnerReference(SEEDED_PARTNER.reference)?.displayName).toBe(SEEDED_PARTNER.referenceName);
    expect(restored.replicatedDirectoryObject(SEEDED_PARTNER.freshUser, TEST_NOW)).toBeUndefined();
    expect(restored.replicatedDirectoryObject(SEEDED_PARTNER.freshUser, new Date(TEST_NOW.getTime() + FRESH_PRINCIPAL_REPLICATION_LAG_MS))?.id).toBe(
      SEEDED_PARTNER.freshUser,
    );
    expect(restored.orphanedRoleAssignments().some((assignment) => assignment.principalId === SEEDED_PARTNER.reference)).toBe(false);
  });

  it("rejects something that is not a snapshot", () => {
    expect(() => Tenant.restore({ version: 99 })).toThrow();
    expect(() => Tenant.restore(null)).toThrow();
  });
});

describe("large scale", () => {
  it("seeds 20,000 users, 5,000 apps, 51 workspaces over 3 subscriptions, 4,000 assignments in one and a 2,000-assignment workspace", () => {
    // How long this takes is in `npm run bench` (the sandbox's start-up line), not asserted here.
    const large = createTenant({ seed: 7, scale: "large", now: TEST_NOW });
    expect(large.users.size).toBe(20_000);
    expect(large.workspaces.size).toBe(51);
    expect(new Set([...large.workspaces.values()].map((w) => w.subscriptionId)).size).toBe(3);
    expect(large.subscriptions.size).toBe(3);
    expect(large.applications.size).toBe(5_000);
    const production = [...large.subscriptions.values()].find((s) => s.displayName === "Contoso ML Production");
    expect(large.countRoleAssignmentsInSubscription(production?.subscriptionId ?? "")).toBe(4_000);
    const scale = [...large.workspaces.values()].find((w) => w.name === "mlw-scale-prod");
    expect(scale).toBeDefined();
    const scope = workspaceArmId(scale?.subscriptionId ?? "", scale?.resourceGroup ?? "", scale?.name ?? "").toLowerCase();
    const applicable = [...large.roleAssignments.values()].filter((a) => {
      const s = a.scope.toLowerCase();
      return s === "/" || scope === s || scope.startsWith(`${s}/`);
    });
    expect(applicable).toHaveLength(2_000);
    const principals = new Set(applicable.map((a) => a.principalId));
    expect(principals.size).toBeGreaterThan(1_400);
    expect(principals.size).toBeLessThan(1_600);
    expect(applicable.every((a) => subscriptionOfScope(a.scope) === production?.subscriptionId.toLowerCase())).toBe(true);
  });
});

describe("large-estate scale", () => {
  it("is the large tenant grown to 1,000 subscriptions and 10,000 workspaces, each readable by the security persona and the console", () => {
    const estate = createTenant({ seed: 7, scale: "large-estate", now: TEST_NOW });
    expect(estate.subscriptions.size).toBe(ESTATE_SUBSCRIPTIONS);
    expect(estate.workspaces.size).toBe(ESTATE_WORKSPACES);
    expect(estate.users.size).toBe(20_000);
    const production = [...estate.subscriptions.values()].find((s) => s.displayName === "Contoso ML Production")!;
    expect(estate.countRoleAssignmentsInSubscription(production.subscriptionId)).toBe(4_000);
    const readers = (principalId: string) =>
      new Set(
        estate
          .roleAssignmentsOfPrincipal(principalId)
          .filter((a) => a.roleDefinitionName === ROLE_IDS.reader && subscriptionOfScope(a.scope) !== undefined && a.scope.split("/").length === 3)
          .map((a) => subscriptionOfScope(a.scope)),
      );
    expect(readers(persona("security").objectId).size).toBe(ESTATE_SUBSCRIPTIONS);
    const perSubscription = new Map<string, number>();
    for (const w of estate.workspaces.values()) perSubscription.set(w.subscriptionId, (perSubscription.get(w.subscriptionId) ?? 0) + 1);
    expect(perSubscription.size).toBe(ESTATE_SUBSCRIPTIONS);
  });
});

describe("the AI Foundry hub and its projects", () => {
  it("has a hub with two projects pointing at it, and a project member holding Reader on the hub as the Foundry portal adds", () => {
    const tenant = createTenant({ seed: 1, scale: "default", now: TEST_NOW });
    const hub = [...tenant.workspaces.values()].find((w) => w.kind === "Hub")!;
    const hubId = workspaceArmId(hub.subscriptionId, hub.resourceGroup, hub.name);
    const projects = [...tenant.workspaces.values()].filter((w) => w.kind === "Project");
    expect(projects.map((p) => p.name).sort()).toEqual(["proj-genai", "proj-nlp"]);
    expect(projects.every((p) => p.hubResourceId === hubId && p.resourceGroup === hub.resourceGroup)).toBe(true);
    const at = (scope: string) => [...tenant.roleAssignments.values()].filter((a) => a.scope.toLowerCase() === scope.toLowerCase());
    const hubReaders = new Set(
      at(hubId)
        .filter((a) => a.roleDefinitionName === ROLE_IDS.reader)
        .map((a) => a.principalId),
    );
    const members = projects.flatMap((p) => at(workspaceArmId(p.subscriptionId, p.resourceGroup, p.name)).map((a) => a.principalId));
    expect(members.some((member) => hubReaders.has(member))).toBe(true);
  });
});
