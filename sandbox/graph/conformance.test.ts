/**
 * Conformance: for each Graph example in sandbox/conformance/fixtures/graph, the sandbox's answer to the same request
 * has the same status, the same fields and the same JSON types. Live recordings compare key for key; doc examples
 * (trimmed by their authors) compare as subsets.
 */
import { beforeAll, describe, expect, it } from "vitest";

import type { Caller, SandboxResponse } from "../contract";
import { createTenant, type Tenant } from "../tenant/index";
import { persona } from "../tenant/personas";
import {
  appCaller,
  buildRequest,
  readReference,
  readReferenceText,
  type ShapeOptions,
  shapeDifferences,
  TEST_NOW,
  testSettings,
  userCaller,
} from "../tenant/testing/support";
import { createGraphHandler } from "./index";

let tenant: Tenant;
let handler: ReturnType<typeof createGraphHandler>;
const EVENTUAL = { consistencylevel: "eventual" };

beforeAll(() => {
  tenant = createTenant({ seed: 9, scale: "default", now: TEST_NOW });
  handler = createGraphHandler(tenant, testSettings());
});

async function call(
  method: string,
  path: string,
  options: { caller?: Caller; body?: unknown; headers?: Record<string, string> } = {},
): Promise<SandboxResponse> {
  return handler(buildRequest(method, path, { caller: options.caller ?? userCaller("admin"), body: options.body, headers: options.headers }));
}

function expectSameShape(expected: unknown, actual: unknown, options: ShapeOptions): void {
  expect(shapeDifferences(expected, actual, options)).toEqual([]);
}

const EXACT: ShapeOptions = { mode: "exact" };
const SUBSET: ShapeOptions = { mode: "subset" };

function appNamed(name: string) {
  const app = [...tenant.applications.values()].find((a) => a.displayName === name);
  if (!app) throw new Error(name);
  return app;
}

describe("Graph conformance: live recordings", () => {
  it("users?$filter=userPrincipalName eq '…'", async () => {
    const expected = readReference("graph/recorded/users_list_filter_upn.200.json");
    const response = await call("GET", `/v1.0/users?$filter=userPrincipalName eq '${persona("security").userPrincipalName}'`);
    expect(response.status).toBe(200);
    expectSameShape(expected, response.body, EXACT);
    const [expectedUser] = (expected as { value: object[] }).value;
    expect(Object.keys((response.body as { value: object[] }).value[0] ?? {})).toEqual(Object.keys(expectedUser ?? {}));
  });

  it("applications?$filter=appId eq '…' with two password credentials", async () => {
    const expected = readReference("graph/recorded/applications_list_filter_appId.with_two_passwordCredentials.json");
    const app = appNamed("notebook-scheduler");
    expect(app.passwordCredentials).toHaveLength(2);
    const response = await call("GET", `/v1.0/applications?$filter=appId eq '${app.appId}'`);
    expect(response.status).toBe(200);
    expectSameShape(expected, response.body, EXACT);
  });

  it("applications?$filter=appId eq '…' with no match", async () => {
    const expected = readReference("graph/recorded/applications_list_filter_appId.empty.json");
    const response = await call("GET", "/v1.0/applications?$filter=appId eq '00000000-0000-4000-8000-000000000000'");
    expectSameShape(expected, response.body, EXACT);
  });

  it("an application entity has the fields of the recorded POST /applications response", async () => {
    const expected = readReference("graph/recorded/applications_POST_create.201.json");
    const response = await call("GET", `/v1.0/applications/${appNamed("notebook-scheduler").id}`);
    expect(response.status).toBe(200);
    expectSameShape(expected, response.body, EXACT);
  });

  it("federatedIdentityCredentials list and entity (beta recordings, same shape on v1.0)", async () => {
    const app = appNamed("github-mlops-deployer");
    const list = await call("GET", `/beta/applications/${app.id}/federatedIdentityCredentials`);
    expectSameShape(readReference("graph/recorded/federatedIdentityCredentials_list.200.beta.json"), list.body, EXACT);
    const ficId = (list.body as { value: { id: string }[] }).value[0]?.id ?? "";
    const one = await call("GET", `/v1.0/applications/${app.id}/federatedIdentityCredentials/${ficId}`);
    expectSameShape(readReference("graph/recorded/federatedIdentityCredentials_POST.201.beta.json"), one.body, EXACT);
  });

  it("a SAML app's service principal holds its token-signing certificate as addTokenSigningCertificate stores it", async () => {
    // https://learn.microsoft.com/graph/api/serviceprincipal-addtokensigningcertificate: a Sign key, a Verify key and a
    // passwordCredential, all with one customKeyIdentifier; the password and the Sign key with one keyId.
    const app = appNamed("expense-portal-saml");
    const response = await call("GET", `/v1.0/servicePrincipals(appId='${app.appId}')`, { caller: appCaller() });
    expect(response.status).toBe(200);
    const sp = response.body as {
      preferredSingleSignOnMode: string | null;
      preferredTokenSigningKeyThumbprint: string | null;
      keyCredentials: { keyId: string; usage: string; customKeyIdentifier: string; endDateTime: string }[];
      passwordCredentials: { keyId: string; customKeyIdentifier: string | null; secretText: string | null }[];
    };
    expect(sp.preferredSingleSignOnMode).toBe("saml");
    const sign = sp.keyCredentials.find((key) => key.usage === "Sign")!;
    const verify = sp.keyCredentials.find((key) => key.usage === "Verify")!;
    expect(sp.keyCredentials).toHaveLength(2);
    expect(verify.keyId).not.toBe(sign.keyId);
    expect(verify.customKeyIdentifier).toBe(sign.customKeyIdentifier);
    expect(sp.passwordCredentials).toEqual([expect.objectContaining({ keyId: sign.keyId, customKeyIdentifier: sign.customKeyIdentifier, secretText: null })]);
    // The thumbprint in hex is the customKeyIdentifier's bytes (the doc's example: 2iD8…= and DA20FC…).
    expect(Buffer.from(sign.customKeyIdentifier, "base64").toString("hex").toUpperCase()).toBe(sp.preferredTokenSigningKeyThumbprint);
    expect(Date.parse(sign.endDateTime) - TEST_NOW.getTime()).toBeLessThan(30 * 86_400_000);
  });

  it("a flexible federated credential: subject null, its claimsMatchingExpression on beta only", async () => {
    const app = appNamed("release-publisher");
    const v1 = (await call("GET", `/v1.0/applications/${app.id}/federatedIdentityCredentials`)).body as { value: Record<string, unknown>[] };
    expect(v1.value).toHaveLength(1);
    expect(v1.value[0]).toMatchObject({ name: "github-release-tags", subject: null });
    expect(v1.value[0]).not.toHaveProperty("claimsMatchingExpression");
    const beta = (await call("GET", `/beta/applications/${app.id}/federatedIdentityCredentials`)).body as { value: Record<string, unknown>[] };
    expect(beta.value[0]?.subject).toBeNull();
    const expression = beta.value[0]?.claimsMatchingExpression as { value: string; languageVersion: number };
    expect(expression.languageVersion).toBe(1);
    expect(expression.value).toMatch(/^claims\['sub'\] matches '/);
  });

  it("addPassword (200 with secretText once) and removePassword (204, empty)", async () => {
    const expected = readReference("graph/recorded/applications_addPassword.200.json");
    const request = readReference("graph/recorded/applications_addPassword.request.json");
    const app = appNamed("churn-retrain-job");
    const writer = appCaller(["Application.ReadWrite.All"]);
    const added = await call("POST", `/v1.0/applications/${app.id}/addPassword`, { caller: writer, body: request });
    expect(added.status).toBe(200);
    expectSameShape(expected, added.body, EXACT);
    const secret = added.body as { keyId: string; secretText: string; hint: string; endDateTime: string };
    expect(secret.hint).toBe(secret.secretText.slice(0, 3));
    expect(secret.endDateTime).toBe("2024-05-07T06:52:43Z");
    const listed = await call("GET", `/v1.0/applications/${app.id}?$select=passwordCredentials`);
    const stored = (listed.body as { passwordCredentials: { keyId: string; secretText: unknown }[] }).passwordCredentials;
    expect(stored.find((c) => c.keyId === secret.keyId)?.secretText).toBeNull();
    const removed = await call("POST", `/v1.0/applications/${app.id}/removePassword`, { caller: writer, body: { keyId: secret.keyId } });
    expect(removed.status).toBe(204);
    expect(removed.body).toBeUndefined();
    // The console's own identity only reads applications.
    expect((await call("POST", `/v1.0/applications/${app.id}/addPassword`, { caller: appCaller(), body: request })).status).toBe(403);
  });

  it("403 Authorization_RequestDenied", async () => {
    const expected = readReference("graph/recorded/error_403_Authorization_RequestDenied.json") as { error: { code: string; message: string } };
    const response = await call("GET", "/v1.0/applications", { caller: userCaller("admin", ["User.Read"]) });
    expect(response.status).toBe(403);
    expectSameShape(expected, response.body, EXACT);
    expect((response.body as typeof expected).error.code).toBe(expected.error.code);
    expect((response.body as typeof expected).error.message).toBe(expected.error.message);
    expect(response.headers?.["content-type"]).toBe("application/json");
  });
});

describe("Graph conformance: documented errors", () => {
  const cases: [string, string, Record<string, string> | undefined, number][] = [
    ["graph/docs/error_400_count_without_consistencylevel.json", "/v1.0/users/$count", undefined, 400],
    ["graph/docs/error_400_search_without_consistencylevel.json", '/v1.0/users?$search="displayName:avery"', undefined, 400],
    ["graph/docs/error_400_endswith_without_advanced_params.json", "/v1.0/users?$filter=endswith(mail,'@contosoml.onmicrosoft.com')", undefined, 400],
    ["graph/docs/error_400_unindexed_filter_property.json", "/v1.0/groups?$filter=createdDateTime ge 2021-01-01T00:00:00Z", undefined, 400],
    ["graph/docs/error_400_top_out_of_range.json", "/v1.0/users?$top=1000", undefined, 400],
    [
      "graph/docs/error_400_cast_transitive_without_advanced_params.json",
      `/v1.0/users/${persona("team-lead").objectId}/transitiveMemberOf/microsoft.graph.group?$count=true&$orderby=displayName&$filter=startswith(displayName, 'a')`,
      undefined,
      400,
    ],
    [
      "graph/docs/error_400_keyCredentials_complex_query.json",
      "/v1.0/applications?$filter=keyCredentials/any(x:x/endDateTime le 2021-01-02T12:00:00Z)",
      EVENTUAL,
      400,
    ],
  ];
  for (const [fixture, path, headers, status] of cases) {
    it(fixture.split("/").pop() ?? fixture, async () => {
      const expected = readReference(fixture) as { error: { code: string; message: string } };
      const response = await call("GET", path, { headers });
      expect(response.status).toBe(status);
      expectSameShape(expected, response.body, EXACT);
      const actual = (response.body as typeof expected).error;
      expect(actual.code).toBe(expected.error.code);
      expect(actual.message).toBe(expected.error.message);
    });
  }

  it("error_404_Request_ResourceNotFound.json (newer responses add client-request-id)", async () => {
    const expected = readReference("graph/docs/error_404_Request_ResourceNotFound.json") as { error: { code: string; message: string } };
    const id = "8c14a998-3c8d-4c52-ad09-c9032671ea31";
    const response = await call("GET", `/v1.0/users/${id}`);
    expect(response.status).toBe(404);
    expectSameShape(expected, response.body, SUBSET);
    expect((response.body as typeof expected).error).toMatchObject({ code: expected.error.code, message: expected.error.message });
  });
});

describe("Graph conformance: documented responses", () => {
  it("directoryObjects/getByIds", async () => {
    const expected = readReference("graph/docs/directoryObjects_getByIds.200.json");
    const users = [...tenant.users.values()].slice(0, 2).map((u) => u.id);
    const response = await call("POST", "/v1.0/directoryObjects/getByIds", { body: { ids: users, types: ["user"] } });
    expect(response.status).toBe(200);
    expectSameShape(expected, response.body, SUBSET);
  });

  it("groups/{id}/transitiveMembers", async () => {
    const expected = readReference("graph/docs/groups_transitiveMembers.200.json");
    const group = [...tenant.groups.values()].find((g) => g.displayName === "All ML Staff");
    const response = await call("GET", `/v1.0/groups/${group?.id ?? ""}/transitiveMembers/microsoft.graph.user?$count=true`, { headers: EVENTUAL });
    // The doc example shows a user with its @odata.type: an uncast list carries it on every item.
    const uncast = await call("GET", `/v1.0/groups/${group?.id ?? ""}/transitiveMembers?$top=999`);
    const onlyUsers = { value: (uncast.body as { value: { "@odata.type": string }[] }).value.filter((m) => m["@odata.type"] === "#microsoft.graph.user") };
    expect(response.status).toBe(200);
    expectSameShape(expected, onlyUsers, SUBSET);
  });

  it("transitiveMembers/microsoft.graph.user with $count, $search and $select", async () => {
    const expected = readReference("graph/docs/groups_transitiveMembers_user_cast_search.200.json");
    const group = [...tenant.groups.values()].find((g) => g.displayName === "All ML Staff");
    const response = await call(
      "GET",
      `/v1.0/groups/${group?.id ?? ""}/transitiveMembers/microsoft.graph.user?$count=true&$search="displayName:a"&$select=displayName,id&$top=999`,
      { headers: EVENTUAL },
    );
    expect(response.status).toBe(200);
    expectSameShape(expected, response.body, EXACT);
  });

  it("transitiveMembers/microsoft.graph.group with $count", async () => {
    // The doc's JSON has trailing commas; strip them. `@odata.id`/`organizationId` come from an older doc revision.
    const text = readReferenceText("graph/docs/groups_transitiveMembers_group_cast.200.txt");
    const expected = JSON.parse(text.replace(/,(\s*[}\]])/g, "$1")) as unknown;
    const group = [...tenant.groups.values()].find((g) => g.displayName === "All ML Staff");
    const response = await call("GET", `/v1.0/groups/${group?.id ?? ""}/transitiveMembers/microsoft.graph.group?$count=true`, { headers: EVENTUAL });
    // Security groups have no mail address (Graph returns null for them).
    expectSameShape(expected, response.body, { mode: "subset", ignore: ["value[].@odata.id", "value[].organizationId"], nullable: ["value[].mail"] });
  });

  it("$batch response envelope and items", async () => {
    const expected = readReference("graph/docs/batch_response.200.json") as { responses: unknown[] };
    const response = await call("POST", "/v1.0/$batch", {
      body: {
        requests: [
          { id: "1", method: "GET", url: "/me/memberOf?$top=1" },
          {
            id: "5",
            method: "GET",
            url: "users?$select=id,displayName,userPrincipalName&$filter=startswith(displayName,'a')&$count=true",
            headers: { ConsistencyLevel: "eventual" },
          },
        ],
      },
    });
    expect(response.status).toBe(200);
    const items = (response.body as { responses: unknown[] }).responses;
    // Item 1 lists directory roles in the doc and groups here: compare the envelope, not the objects.
    expectSameShape(expected.responses[0], items[0], { mode: "exact", ignore: ["body.value"] });
    expectSameShape(expected.responses[4], items[1], EXACT);
  });
});
