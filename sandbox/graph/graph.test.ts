import { beforeEach, describe, expect, it } from "vitest";

import { type Caller, CONSOLE_API_CLIENT_ID, type SandboxResponse } from "../contract";
import { createTenant, type Tenant } from "../tenant/index";
import { persona } from "../tenant/personas";
import { FRESH_PRINCIPAL_REPLICATION_LAG_MS, SEEDED_PARTNER } from "../tenant/seed";
import { appCaller, buildRequest, TEST_NOW, TEST_ORIGIN, testSettings, userCaller } from "../tenant/testing/support";
import { createGraphHandler } from "./index";

let tenant: Tenant;
let handler: ReturnType<typeof createGraphHandler>;

beforeEach(() => {
  tenant = createTenant({ seed: 5, scale: "default", now: TEST_NOW });
  handler = createGraphHandler(tenant, testSettings());
});

interface CallOptions {
  caller?: Caller;
  body?: unknown;
  headers?: Record<string, string>;
}

async function call(method: string, path: string, options: CallOptions = {}): Promise<SandboxResponse> {
  return handler(buildRequest(method, path, { caller: options.caller ?? userCaller("admin"), body: options.body, headers: options.headers }));
}

const get = (path: string, options?: CallOptions) => call("GET", path, options);
type Collection = { "@odata.context": string; "@odata.nextLink"?: string; "@odata.count"?: number; value: Record<string, unknown>[] };
const collection = (response: SandboxResponse) => response.body as Collection;
const errorOf = (response: SandboxResponse) => (response.body as { error: { code: string; message: string; innerError: Record<string, string> } }).error;
const EVENTUAL = { consistencylevel: "eventual" };

describe("users and me", () => {
  it("returns the signed-in user with the default projection and an entity context", async () => {
    const response = await get("/v1.0/me");
    expect(response.status).toBe(200);
    const body = response.body as Record<string, unknown>;
    expect(body["@odata.context"]).toBe(`${TEST_ORIGIN}/v1.0/$metadata#users/$entity`);
    expect(body.userPrincipalName).toBe(persona("admin").userPrincipalName);
    expect(Object.keys(body)).toEqual([
      "@odata.context",
      "businessPhones",
      "displayName",
      "givenName",
      "jobTitle",
      "mail",
      "mobilePhone",
      "officeLocation",
      "preferredLanguage",
      "surname",
      "userPrincipalName",
      "id",
    ]);
    expect(response.headers?.["request-id"]).toBeDefined();
    expect(body).not.toHaveProperty("password");
  });

  it("refuses /me for app-only callers", async () => {
    const response = await get("/v1.0/me", { caller: appCaller() });
    expect(response.status).toBe(400);
    expect(errorOf(response).message).toBe("/me request is only valid with delegated authentication flow.");
  });

  it("gets users by id or UPN and supports $select", async () => {
    const admin = persona("admin");
    const byUpn = await get(`/v1.0/users/${admin.userPrincipalName}?$select=id,accountEnabled,department`);
    expect(byUpn.body).toEqual({
      "@odata.context": `${TEST_ORIGIN}/v1.0/$metadata#users(id,accountEnabled,department)/$entity`,
      id: admin.objectId,
      accountEnabled: true,
      department: "ML Platform",
    });
    const badSelect = await get(`/v1.0/users/${admin.objectId}?$select=shoeSize`);
    expect(badSelect.status).toBe(400);
    const missing = await get("/v1.0/users/00000000-0000-4000-8000-000000000000");
    expect(missing.status).toBe(404);
    expect(errorOf(missing).code).toBe("Request_ResourceNotFound");
    expect(errorOf(missing).innerError["request-id"]).toBe(missing.headers?.["request-id"]);
    expect(errorOf(missing).innerError.date).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
  });

  it("pages with $top and an absolute @odata.nextLink that keeps the query", async () => {
    const first = collection(await get("/v1.0/users?$top=50&$select=id,displayName"));
    expect(first.value).toHaveLength(50);
    expect(first["@odata.nextLink"]?.startsWith(`${TEST_ORIGIN}/v1.0/users?`)).toBe(true);
    expect(first["@odata.nextLink"]).toContain("%24select=id%2CdisplayName");
    const ids = new Set(first.value.map((u) => u.id));
    let next = first["@odata.nextLink"];
    while (next) {
      const page = collection(await get(next));
      page.value.forEach((u) => ids.add(u.id));
      next = page["@odata.nextLink"];
    }
    expect(ids.size).toBe(tenant.users.size);
    const defaultPage = collection(await get("/v1.0/users"));
    expect(defaultPage.value).toHaveLength(100);
  });

  it("uses the graphDefaultPageSize setting when no $top is named, on directory and plain collections, and $top still wins", async () => {
    const settings = testSettings({ graphDefaultPageSize: 2 });
    handler = createGraphHandler(tenant, settings);
    const users = collection(await get("/v1.0/users?$select=id"));
    expect(users.value).toHaveLength(2);
    expect(users["@odata.nextLink"]).toBeDefined();
    const following = collection(await get(users["@odata.nextLink"]!));
    expect(following.value).toHaveLength(2);
    expect(following.value.map((u) => u.id)).not.toContain(users.value[0]?.id);
    expect(collection(await get("/v1.0/users?$top=5")).value).toHaveLength(5);
    const grants = collection(await get("/v1.0/oauth2PermissionGrants", { caller: appCaller() }));
    expect(grants.value).toHaveLength(2);
    expect(grants["@odata.nextLink"]).toBeDefined();
    // A filtered list keeps its filter on every page.
    const counts = new Map<string, number>();
    for (const grant of tenant.oauth2PermissionGrants.values()) counts.set(grant.clientId, (counts.get(grant.clientId) ?? 0) + 1);
    const [clientId, mine] = [...counts].sort((a, b) => b[1] - a[1])[0]!;
    expect(mine).toBeGreaterThan(1);
    settings.graphDefaultPageSize = 1;
    let filtered = collection(await get(`/v1.0/oauth2PermissionGrants?$filter=clientId eq '${clientId}'`, { caller: appCaller() }));
    const seen = [...filtered.value];
    while (filtered["@odata.nextLink"]) {
      filtered = collection(await get(filtered["@odata.nextLink"], { caller: appCaller() }));
      seen.push(...filtered.value);
    }
    expect(seen).toHaveLength(mine);
    expect(seen.every((grant) => grant.clientId === clientId)).toBe(true);
    // Read at each request: a change through the control API applies at once.
    settings.graphDefaultPageSize = 100;
    expect(collection(await get("/v1.0/users")).value).toHaveLength(100);
  });

  it("encodes next links so guest UPNs (with '#EXT#') survive", async () => {
    const guest = [...tenant.users.values()].find((u) => u.userType === "Guest");
    for (const group of [...tenant.groups.values()].slice(0, 2)) tenant.addGroupMember(group.id, guest?.id ?? "");
    const page = collection(await get(`/v1.0/users/${guest?.userPrincipalName ?? ""}/memberOf?$top=1`));
    const next = page["@odata.nextLink"] ?? "";
    expect(next).toContain("%23EXT%23");
    expect(next).not.toContain("#");
    const second = await get(next);
    expect(second.status).toBe(200);
    expect(collection(second).value).toHaveLength(1);
  });

  it("rejects $top outside 1..999 with Graph's error", async () => {
    for (const top of ["0", "1000", "abc"]) {
      const response = await get(`/v1.0/users?$top=${top}`);
      expect(response.status).toBe(400);
      expect(errorOf(response)).toMatchObject({
        code: "Request_UnsupportedQuery",
        message: `Invalid page size specified: '${top}'. Must be between 1 and 999 inclusive.`,
      });
    }
    expect((await get("/v1.0/users?$top=999")).status).toBe(200);
  });

  it("filters users by userPrincipalName eq, startswith and id in (...)", async () => {
    const admin = persona("admin");
    const byUpn = collection(await get(`/v1.0/users?$filter=userPrincipalName eq '${admin.userPrincipalName.toUpperCase()}'`));
    expect(byUpn.value.map((u) => u.id)).toEqual([admin.objectId]);
    const starts = collection(await get("/v1.0/users?$filter=startswith(displayName,'avery')&$select=displayName"));
    expect(starts.value.every((u) => String(u.displayName).toLowerCase().startsWith("avery"))).toBe(true);
    expect(starts.value.length).toBeGreaterThan(0);
    const ids = [persona("admin").objectId, persona("security").objectId];
    const byIds = collection(await get(`/v1.0/users?$filter=id in ('${ids[0]}','${ids[1]}')`));
    expect(byIds.value.map((u) => u.id).sort()).toEqual([...ids].sort());
  });

  it("lists memberOf and transitiveMemberOf with @odata.type on each object", async () => {
    const teamLead = persona("team-lead").objectId;
    const direct = collection(await get(`/v1.0/users/${teamLead}/memberOf`));
    expect(direct["@odata.context"]).toBe(`${TEST_ORIGIN}/v1.0/$metadata#directoryObjects`);
    expect(direct.value.map((g) => g.displayName).sort()).toEqual(["DS - Fraud", "ML Team Leads"]);
    expect(direct.value.every((g) => g["@odata.type"] === "#microsoft.graph.group")).toBe(true);
    const transitive = collection(await get(`/v1.0/me/transitiveMemberOf`, { caller: userCaller("team-lead") }));
    expect(transitive.value.map((g) => g.displayName)).toEqual(expect.arrayContaining(["DS - Fraud", "Data Scientists", "All ML Staff", "ML Team Leads"]));
  });
});

describe("advanced queries: $count and $search with ConsistencyLevel", () => {
  it("/$count needs ConsistencyLevel: eventual and answers text", async () => {
    const refused = await get("/v1.0/users/$count");
    expect(refused.status).toBe(400);
    expect(errorOf(refused)).toMatchObject({ code: "Request_BadRequest", message: "$count is not currently supported." });
    const counted = await get("/v1.0/users/$count", { headers: EVENTUAL });
    expect(counted.status).toBe(200);
    expect(counted.headers?.["content-type"]).toBe("text/plain");
    expect(counted.body).toBe(tenant.users.size);
  });

  it("ignores $count=true without the header and adds @odata.count with it, on the first page only", async () => {
    expect(collection(await get("/v1.0/groups?$count=true"))).not.toHaveProperty("@odata.count");
    const first = collection(await get("/v1.0/users?$count=true&$top=10", { headers: EVENTUAL }));
    expect(first["@odata.count"]).toBe(tenant.users.size);
    const second = collection(await get(first["@odata.nextLink"] ?? "", { headers: EVENTUAL }));
    expect(second).not.toHaveProperty("@odata.count");
  });

  it("requires the header for $search, and $count=true as well for endsWith/ne", async () => {
    const search = await get('/v1.0/users?$search="displayName:avery"');
    expect(errorOf(search).message).toBe(
      "Request with $search query parameter only works through MSGraph with a special request header: 'ConsistencyLevel: eventual'",
    );
    const found = collection(await get('/v1.0/users?$search="displayName:avery"', { headers: EVENTUAL }));
    expect(found.value.map((u) => u.id)).toContain(persona("admin").objectId);
    const endsWith = await get("/v1.0/users?$filter=endswith(mail,'@contosoml.onmicrosoft.com')", { headers: EVENTUAL });
    expect(errorOf(endsWith).message).toContain("Operator 'endsWith' is not supported because the required parameters might be missing.");
    const allowed = await get("/v1.0/users?$filter=endswith(mail,'@contosoml.onmicrosoft.com')&$count=true", { headers: EVENTUAL });
    expect(allowed.status).toBe(200);
    expect(collection(allowed)["@odata.count"]).toBeGreaterThan(200);
    expect((await get("/v1.0/users?$filter=accountEnabled ne true")).status).toBe(400);
    expect((await get("/v1.0/users?$filter=accountEnabled ne true&$count=true", { headers: EVENTUAL })).status).toBe(200);
  });

  it("rejects unsupported filter properties and credential lambda queries", async () => {
    const group = await get("/v1.0/groups?$filter=createdDateTime ge 2021-01-01T00:00:00Z");
    expect(errorOf(group)).toMatchObject({
      code: "Request_UnsupportedQuery",
      message: "Unsupported or invalid query filter clause specified for property 'createdDateTime' of resource 'Group'.",
    });
    const keys = await get("/v1.0/applications?$filter=keyCredentials/any(k:k/endDateTime le 2021-01-02T12:00:00Z)");
    expect(errorOf(keys).message).toBe("Complex query on property keyCredentials is not supported.");
    const secrets = await get("/v1.0/servicePrincipals?$filter=passwordCredentials/any(p:p/endDateTime le 2021-01-02T12:00:00Z)");
    expect(errorOf(secrets).code).toBe("Request_UnsupportedQuery");
  });
});

describe("groups", () => {
  const groupId = (name: string) => [...tenant.groups.values()].find((g) => g.displayName === name)?.id ?? "";

  it("lists members, transitive members and OData casts", async () => {
    const members = collection(await get(`/v1.0/groups/${groupId("Data Scientists")}/members`));
    expect(members.value.some((m) => m["@odata.type"] === "#microsoft.graph.group")).toBe(true);
    const transitive = collection(await get(`/v1.0/groups/${groupId("All ML Staff")}/transitiveMembers?$top=999`));
    const users = collection(
      await get(`/v1.0/groups/${groupId("All ML Staff")}/transitiveMembers/microsoft.graph.user?$count=true&$top=999`, { headers: EVENTUAL }),
    );
    expect(users["@odata.context"]).toBe(`${TEST_ORIGIN}/v1.0/$metadata#users`);
    expect(users.value.every((u) => !("@odata.type" in u) && "userPrincipalName" in u)).toBe(true);
    expect(users.value.length).toBeLessThan(transitive.value.length);
    expect(users.value.map((u) => u.id)).toContain(persona("team-lead").objectId);
    const groups = collection(await get(`/v1.0/groups/${groupId("All ML Staff")}/transitiveMembers/microsoft.graph.group?$count=true`, { headers: EVENTUAL }));
    expect(groups.value.map((g) => g.displayName)).toContain("DS - Fraud");
    const count = await get(`/v1.0/groups/${groupId("All ML Staff")}/transitiveMembers/microsoft.graph.user/$count`, { headers: EVENTUAL });
    expect(count.body).toBe(users.value.length);
    const sps = collection(
      await get(`/v1.0/groups/${groupId("Automation Identities")}/members/microsoft.graph.servicePrincipal?$count=true`, { headers: EVENTUAL }),
    );
    expect(sps.value.length).toBeGreaterThan(0);
  });

  it("refuses an OData cast on a membership list without ConsistencyLevel: eventual and $count=true", async () => {
    const group = groupId("All ML Staff");
    for (const [path, headers] of [
      [`/v1.0/groups/${group}/transitiveMembers/microsoft.graph.user`, {}],
      [`/v1.0/groups/${group}/transitiveMembers/microsoft.graph.user?$count=true`, {}],
      [`/v1.0/groups/${group}/transitiveMembers/microsoft.graph.user`, EVENTUAL],
      [`/v1.0/groups/${group}/members/microsoft.graph.user`, EVENTUAL],
      [`/v1.0/groups/${groupId("DS - Fraud")}/transitiveMemberOf/microsoft.graph.group`, {}],
      [`/v1.0/groups/${group}/transitiveMembers/microsoft.graph.user/$count`, {}],
    ] as const) {
      const response = await get(path, { headers });
      expect(response.status, path).toBe(400);
      expect((response.body as { error: { code: string; message: string } }).error).toMatchObject({
        code: "Request_UnsupportedQuery",
        message: "The specified filter to the reference property query is currently not supported.",
      });
    }
    // The uncast list needs neither.
    expect((await get(`/v1.0/groups/${group}/transitiveMembers`)).status).toBe(200);
  });

  it("refuses the cast inside $batch unless the inner request carries the header", async () => {
    const group = groupId("Automation Identities");
    const url = `/groups/${group}/transitiveMembers/microsoft.graph.servicePrincipal?$select=id&$count=true`;
    const response = await handler(
      buildRequest("POST", "/v1.0/$batch", {
        caller: userCaller("admin"),
        body: {
          requests: [
            { id: "bare", method: "GET", url },
            { id: "eventual", method: "GET", url, headers: { ConsistencyLevel: "eventual" } },
          ],
        },
      }),
    );
    const items = (response.body as { responses: { id: string; status: number; body: { error?: { code: string }; value?: unknown[] } }[] }).responses;
    expect(items.find((r) => r.id === "bare")).toMatchObject({ status: 400, body: { error: { code: "Request_UnsupportedQuery" } } });
    const ok = items.find((r) => r.id === "eventual");
    expect(ok?.status).toBe(200);
    expect(ok?.body.value?.length).toBeGreaterThan(0);
  });

  it("lists a group's memberOf and owners", async () => {
    const parents = collection(await get(`/v1.0/groups/${groupId("DS - Fraud")}/memberOf`));
    expect(parents.value.map((g) => g.displayName)).toEqual(["Data Scientists"]);
    const owners = collection(await get(`/v1.0/groups/${groupId("DS - Fraud")}/owners`));
    expect(owners.value.every((o) => o["@odata.type"] === "#microsoft.graph.user")).toBe(true);
  });
});

describe("applications and service principals", () => {
  it("filters by appId, exposes app and SP credentials without secret text", async () => {
    const sp = [...tenant.servicePrincipals.values()].find((s) => s.displayName === "fraud-scoring-batch");
    const apps = collection(
      await get(`/v1.0/applications?$filter=appId eq '${sp?.appId ?? ""}'&$select=id,appId,displayName,passwordCredentials,keyCredentials`),
    );
    expect(apps.value).toHaveLength(1);
    expect(apps.value[0]?.passwordCredentials).toEqual([]);
    const sps = collection(await get(`/v1.0/servicePrincipals?$filter=appId eq '${sp?.appId ?? ""}'&$select=id,passwordCredentials`));
    const secrets = sps.value[0]?.passwordCredentials as Record<string, unknown>[];
    expect(secrets).toHaveLength(1);
    expect(secrets[0]?.secretText).toBeNull();
    expect(String(secrets[0]?.hint)).toHaveLength(3);
    const byKey = await get(`/v1.0/servicePrincipals(appId='${sp?.appId ?? ""}')`);
    expect((byKey.body as { id: string }).id).toBe(sp?.id);
  });

  it("filters service principals by servicePrincipalType", async () => {
    const managed = collection(await get("/v1.0/servicePrincipals?$filter=servicePrincipalType eq 'ManagedIdentity'&$top=999"));
    expect(managed.value.length).toBeGreaterThanOrEqual(13);
    expect(managed.value.every((s) => s.servicePrincipalType === "ManagedIdentity")).toBe(true);
  });

  it("lists federated identity credentials and owners of an application", async () => {
    const app = [...tenant.applications.values()].find((a) => a.displayName === "github-mlops-deployer");
    const fics = collection(await get(`/v1.0/applications/${app?.id ?? ""}/federatedIdentityCredentials`));
    expect(fics.value).toHaveLength(1);
    expect(fics.value[0]?.audiences).toEqual(["api://AzureADTokenExchange"]);
    const one = await get(`/v1.0/applications/${app?.id ?? ""}/federatedIdentityCredentials/${String(fics.value[0]?.id)}`);
    expect(one.status).toBe(200);
    const consoleApi = tenant.getApplicationByAppId(CONSOLE_API_CLIENT_ID);
    const owners = collection(await get(`/v1.0/applications(appId='${CONSOLE_API_CLIENT_ID}')/owners`));
    expect(owners.value.map((o) => o.id)).toEqual(consoleApi?.ownerIds);
    expect(owners.value[0]?.["@odata.type"]).toBe("#microsoft.graph.user");
  });
});

describe("app role assignments", () => {
  it("lists who holds the console's app roles, and a principal's own assignments", async () => {
    const api = tenant.getServicePrincipalByAppId(CONSOLE_API_CLIENT_ID);
    const assigned = collection(await get(`/v1.0/servicePrincipals/${api?.id ?? ""}/appRoleAssignedTo`));
    expect(assigned.value.map((a) => a.principalDisplayName)).toEqual(
      expect.arrayContaining([
        persona("admin").displayName,
        persona("limited-admin").displayName,
        "ML Team Leads",
        persona("security").displayName,
        persona("step-up-admin").displayName,
        "Data Scientists",
        persona("fraud-owner").displayName,
      ]),
    );
    expect(assigned.value).toHaveLength(7);
    const own = collection(
      await get(`/v1.0/servicePrincipals/${api?.id ?? ""}/appRoleAssignments?$select=appRoleId,resourceDisplayName`, { caller: appCaller() }),
    );
    expect(own.value).toHaveLength(5);
    expect(own.value.every((a) => a.resourceDisplayName === "Microsoft Graph" && Object.keys(a).length === 2)).toBe(true);
  });
});

describe("permissions: scp for delegated calls, roles for app calls", () => {
  it("denies a delegated token without Application.Read.All on applications", async () => {
    const caller = userCaller("admin", ["User.Read"]);
    const response = await get("/v1.0/applications", { caller });
    expect(response.status).toBe(403);
    expect(errorOf(response)).toMatchObject({ code: "Authorization_RequestDenied", message: "Insufficient privileges to complete the operation." });
    expect((await get("/v1.0/me", { caller })).status).toBe(200);
    expect((await get("/v1.0/users", { caller })).status).toBe(403);
    expect((await get("/v1.0/me/memberOf", { caller })).status).toBe(200);
  });

  it("limits app-only calls to the granted application permissions", async () => {
    expect((await get("/v1.0/applications", { caller: appCaller() })).status).toBe(200);
    expect((await get("/v1.0/applications", { caller: appCaller(["User.Read.All"]) })).status).toBe(403);
    expect((await get("/v1.0/users", { caller: appCaller(["User.Read.All"]) })).status).toBe(200);
    expect((await get("/v1.0/groups", { caller: appCaller([]) })).status).toBe(403);
  });
});

describe("directoryObjects/getByIds", () => {
  it("returns known objects with @odata.type, filtered by types, omitting unknown ids", async () => {
    const group = [...tenant.groups.values()][0];
    const ids = [persona("admin").objectId, group?.id ?? "", "00000000-0000-4000-8000-000000000000"];
    const all = collection(await call("POST", "/v1.0/directoryObjects/getByIds", { body: { ids } }));
    expect(all.value.map((o) => o["@odata.type"])).toEqual(["#microsoft.graph.user", "#microsoft.graph.group"]);
    expect(all.value[0]?.accountEnabled).toBe(true);
    // $select narrows each object to what it names: accountEnabled only when named.
    const selected = collection(await call("POST", "/v1.0/directoryObjects/getByIds?$select=id,accountEnabled", { body: { ids } }));
    expect(selected.value[0]).toEqual({ "@odata.type": "#microsoft.graph.user", id: persona("admin").objectId, accountEnabled: true });
    expect(selected.value[1]).toEqual({ "@odata.type": "#microsoft.graph.group", id: group?.id });
    const withoutIt = collection(await call("POST", "/v1.0/directoryObjects/getByIds?$select=id,displayName", { body: { ids } }));
    expect(withoutIt.value[0]).not.toHaveProperty("accountEnabled");
    expect((await call("POST", "/v1.0/directoryObjects/getByIds?$select=id,shoeSize", { body: { ids } })).status).toBe(400);
    const usersOnly = collection(await call("POST", "/v1.0/directoryObjects/getByIds", { body: { ids, types: ["user"] } }));
    expect(usersOnly.value).toHaveLength(1);
  });

  it("returns a CSP partner reference only when types names directoryObjectPartnerReference", async () => {
    const ids = [SEEDED_PARTNER.reference, persona("admin").objectId];
    const byDefault = collection(await call("POST", "/v1.0/directoryObjects/getByIds", { body: { ids } }));
    expect(byDefault.value.map((o) => o.id)).toEqual([persona("admin").objectId]);
    const principalTypes = collection(await call("POST", "/v1.0/directoryObjects/getByIds", { body: { ids, types: ["user", "group", "servicePrincipal"] } }));
    expect(principalTypes.value.map((o) => o.id)).toEqual([persona("admin").objectId]);
    const withPartners = collection(
      await call("POST", "/v1.0/directoryObjects/getByIds", { body: { ids, types: ["user", "group", "servicePrincipal", "directoryObjectPartnerReference"] } }),
    );
    expect(withPartners.value[0]).toEqual({
      "@odata.type": "#microsoft.graph.directoryObjectPartnerReference",
      id: SEEDED_PARTNER.reference,
      deletedDateTime: null,
      description: "Partner organisation's admin agents (GDAP)",
      displayName: SEEDED_PARTNER.referenceName,
      externalPartnerTenantId: SEEDED_PARTNER.partnerTenantId,
      objectType: "Group",
    });
    expect(withPartners.value.map((o) => o.id)).toEqual(ids);
    const partnersOnly = collection(
      await call("POST", "/v1.0/directoryObjects/getByIds", { body: { ids, types: ["microsoft.graph.directoryObjectPartnerReference"] } }),
    );
    expect(partnersOnly.value.map((o) => o.id)).toEqual([SEEDED_PARTNER.reference]);
  });

  it("reads a partner reference by id, polymorphic, with $select checked against its properties", async () => {
    const response = await get(`/v1.0/directoryObjects/${SEEDED_PARTNER.reference}?$select=id,displayName`);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      "@odata.context": `${TEST_ORIGIN}/v1.0/$metadata#directoryObjects(id,displayName)/$entity`,
      "@odata.type": "#microsoft.graph.directoryObjectPartnerReference",
      id: SEEDED_PARTNER.reference,
      displayName: SEEDED_PARTNER.referenceName,
    });
    expect((await get(`/v1.0/directoryObjects/${SEEDED_PARTNER.reference}?$select=userPrincipalName`)).status).toBe(400);
  });

  it("misses a principal created moments ago until its replication lag has passed on the sandbox clock", async () => {
    const ids = [SEEDED_PARTNER.freshUser];
    const at = (ms: number) => new Date(TEST_NOW.getTime() + ms);
    const lookup = (now: Date) => handler(buildRequest("POST", "/v1.0/directoryObjects/getByIds", { caller: userCaller("admin"), body: { ids }, now }));
    const read = (now: Date) => handler(buildRequest("GET", `/v1.0/directoryObjects/${SEEDED_PARTNER.freshUser}`, { caller: userCaller("admin"), now }));
    // It exists (an admin sees it in the tenant), yet reads by id do not return it yet.
    expect(tenant.getUser(SEEDED_PARTNER.freshUser)?.displayName).toBe(SEEDED_PARTNER.freshUserName);
    expect(collection(await lookup(TEST_NOW)).value).toEqual([]);
    expect((await read(at(FRESH_PRINCIPAL_REPLICATION_LAG_MS - 1000))).status).toBe(404);
    expect(collection(await lookup(at(FRESH_PRINCIPAL_REPLICATION_LAG_MS))).value.map((o) => o.id)).toEqual(ids);
    expect((await read(at(FRESH_PRINCIPAL_REPLICATION_LAG_MS))).status).toBe(200);
  });

  it("rejects more than 1000 ids and malformed ids", async () => {
    const tooMany = Array.from({ length: 1001 }, (_, i) => `00000000-0000-4000-8000-${i.toString().padStart(12, "0")}`);
    expect((await call("POST", "/v1.0/directoryObjects/getByIds", { body: { ids: tooMany } })).status).toBe(400);
    expect((await call("POST", "/v1.0/directoryObjects/getByIds", { body: { ids: tooMany.slice(0, 1000) } })).status).toBe(200);
    expect((await call("POST", "/v1.0/directoryObjects/getByIds", { body: { ids: ["nope"] } })).status).toBe(400);
  });
});

describe("checkMemberGroups", () => {
  const groupNamed = (name: string) => [...tenant.groups.values()].find((group) => group.displayName === name)!.id;

  it("answers which of the given groups an object is in, transitively, for /me, users, groups and directoryObjects", async () => {
    // The team lead is in DS - Fraud, which is in Data Scientists, which is in All ML Staff.
    const asked = [groupNamed("All ML Staff"), groupNamed("DS - Churn"), groupNamed("DS - Fraud")];
    const me = await call("POST", "/v1.0/me/checkMemberGroups", { caller: userCaller("team-lead"), body: { groupIds: asked } });
    expect(me.status).toBe(200);
    expect((me.body as { value: string[] }).value.sort()).toEqual([groupNamed("All ML Staff"), groupNamed("DS - Fraud")].sort());
    expect((me.body as Record<string, unknown>)["@odata.context"]).toBe(`${TEST_ORIGIN}/v1.0/$metadata#Collection(Edm.String)`);
    const viaObject = await call("POST", `/v1.0/directoryObjects/${persona("team-lead").objectId}/checkMemberGroups`, {
      caller: appCaller(),
      body: { groupIds: asked },
    });
    expect((viaObject.body as { value: string[] }).value).toHaveLength(2);
    const group = await call("POST", `/v1.0/groups/${groupNamed("DS - Fraud")}/checkMemberGroups`, { body: { groupIds: [groupNamed("Data Scientists")] } });
    expect((group.body as { value: string[] }).value).toEqual([groupNamed("Data Scientists")]);
  });

  it("takes 1 to 20 group ids, by POST only", async () => {
    const ids = Array.from({ length: 21 }, (_, i) => `00000000-0000-4000-8000-${i.toString().padStart(12, "0")}`);
    expect((await call("POST", "/v1.0/me/checkMemberGroups", { body: { groupIds: ids } })).status).toBe(400);
    expect((await call("POST", "/v1.0/me/checkMemberGroups", { body: { groupIds: [] } })).status).toBe(400);
    expect((await call("POST", "/v1.0/me/checkMemberGroups", { body: { groupIds: ["nope"] } })).status).toBe(400);
    expect((await call("POST", "/v1.0/me/checkMemberGroups", { body: { groupIds: ids.slice(0, 20) } })).status).toBe(200);
    expect((await call("GET", "/v1.0/me/checkMemberGroups")).status).toBe(405);
  });
});

describe("$batch", () => {
  it("dispatches up to 20 requests with per-item status, headers and ConsistencyLevel", async () => {
    const response = await call("POST", "/v1.0/$batch", {
      body: {
        requests: [
          { id: "1", method: "GET", url: "/me/memberOf?$top=1" },
          {
            id: "2",
            method: "GET",
            url: "users?$select=id,displayName&$filter=startswith(displayName,'a')&$count=true",
            headers: { ConsistencyLevel: "eventual" },
          },
          { id: "3", method: "GET", url: "/users/00000000-0000-4000-8000-000000000000" },
          { id: "4", method: "GET", url: "/me", dependsOn: ["3"] },
          { id: "5", method: "DELETE", url: "/users/" + persona("no-role").objectId },
        ],
      },
    });
    expect(response.status).toBe(200);
    const items = (response.body as { responses: { id: string; status: number; body?: Record<string, unknown> }[] }).responses;
    expect(items.map((i) => [i.id, i.status])).toEqual([
      ["1", 200],
      ["2", 200],
      ["3", 404],
      ["4", 424],
      ["5", 405],
    ]);
    expect(items[0]?.body?.["@odata.nextLink"]).toBeDefined();
    expect(items[1]?.body?.["@odata.count"]).toBeGreaterThan(0);
  });

  it("refuses more than 20 requests and duplicate ids", async () => {
    const requests = Array.from({ length: 21 }, (_, i) => ({ id: String(i), method: "GET", url: "/me" }));
    expect((await call("POST", "/v1.0/$batch", { body: { requests } })).status).toBe(400);
    expect((await call("POST", "/v1.0/$batch", { body: { requests: requests.slice(0, 20) } })).status).toBe(200);
    const duplicate = [
      { id: "1", method: "GET", url: "/me" },
      { id: "1", method: "GET", url: "/me" },
    ];
    expect((await call("POST", "/v1.0/$batch", { body: { requests: duplicate } })).status).toBe(400);
  });
});

describe("sendMail", () => {
  const message = {
    message: {
      subject: "Access request approved",
      body: { contentType: "HTML", content: "<p>Granted</p>" },
      toRecipients: [{ emailAddress: { address: "team-lead@contosoml.onmicrosoft.com" } }],
    },
    saveToSentItems: false,
  };

  it("keeps mail in the tenant outbox (202) for app callers with Mail.Send", async () => {
    const sender = persona("admin");
    const response = await call("POST", `/v1.0/users/${sender.userPrincipalName}/sendMail`, { caller: appCaller(), body: message });
    expect(response.status).toBe(202);
    expect(response.body).toBeUndefined();
    expect(tenant.outbox).toHaveLength(1);
    expect(tenant.outbox[0]).toMatchObject({
      fromUserId: sender.objectId,
      to: ["team-lead@contosoml.onmicrosoft.com"],
      subject: "Access request approved",
      bodyContentType: "html",
      sentByAppId: CONSOLE_API_CLIENT_ID,
    });
  });

  it("requires Mail.Send, lets delegated callers send only as themselves, and validates recipients", async () => {
    expect((await call("POST", "/v1.0/me/sendMail", { body: message })).status).toBe(403); // no Mail.Send in scp
    const withMail = userCaller("admin", ["Mail.Send"]);
    expect((await call("POST", "/v1.0/me/sendMail", { caller: withMail, body: message })).status).toBe(202);
    expect((await call("POST", `/v1.0/users/${persona("security").objectId}/sendMail`, { caller: withMail, body: message })).status).toBe(403);
    expect((await call("POST", "/v1.0/me/sendMail", { caller: withMail, body: { message: { subject: "x" } } })).status).toBe(400);
    expect(tenant.outbox).toHaveLength(1);
  });
});

describe("routing errors", () => {
  it("answers unknown segments, wrong methods and unknown versions in Graph's error shape", async () => {
    const unknown = await get("/v1.0/planets");
    expect(unknown.status).toBe(400);
    expect(errorOf(unknown).message).toBe("Resource not found for the segment 'planets'.");
    const method = await call("DELETE", "/v1.0/users");
    expect(method.status).toBe(405);
    expect((await get("/beta/me")).status).toBe(200);
  });
});
