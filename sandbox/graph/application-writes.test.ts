/** Graph writes on app registrations, service principals and federated credentials, with Graph's own refusals. */
import { randomUUID } from "node:crypto";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { CONSOLE_API_CLIENT_ID, CONSOLE_API_CLIENT_SECRET, SANDBOX_DEPLOYER_CLIENT_ID, SANDBOX_DEPLOYER_CLIENT_SECRET } from "../contract";
import { call, postForm, tempDataDir, type TestResponse } from "../entra/test-support";
import { type RunningSandbox, startSandbox } from "../server";

let sandbox: RunningSandbox;
let deployer: string;
let reader: string;

async function appToken(clientId: string, secret: string): Promise<string> {
  const response = await postForm(sandbox, `/${sandbox.tenant.tenantId}/oauth2/v2.0/token`, {
    grant_type: "client_credentials",
    client_id: clientId,
    client_secret: secret,
    scope: "https://graph.microsoft.com/.default",
  });
  return response.json<{ access_token: string }>().access_token;
}

function graph(method: string, path: string, body?: unknown, token = deployer): Promise<TestResponse> {
  return call(sandbox, `/v1.0${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

const errorOf = (response: TestResponse) => response.json<{ error: { code: string; message: string } }>().error;

const scope = (id: string, value = "access_as_user", isEnabled = true) => ({
  id,
  value,
  type: "User",
  isEnabled,
  adminConsentDisplayName: "Access the API",
  adminConsentDescription: "Access the API as the signed-in user.",
  userConsentDisplayName: "Access the API",
  userConsentDescription: "Access the API as you.",
});

async function newApplication(displayName = `test-app-${randomUUID().slice(0, 8)}`): Promise<{ id: string; appId: string }> {
  const response = await graph("POST", "/applications", { displayName, signInAudience: "AzureADMyOrg" });
  expect(response.status, response.text).toBe(201);
  return response.json<{ id: string; appId: string }>();
}

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, dataDir: tempDataDir(), log: () => {} });
  deployer = await appToken(SANDBOX_DEPLOYER_CLIENT_ID, SANDBOX_DEPLOYER_CLIENT_SECRET);
  reader = await appToken(CONSOLE_API_CLIENT_ID, CONSOLE_API_CLIENT_SECRET);
});

afterAll(async () => {
  await sandbox?.close();
});

describe("applications", () => {
  it("creates an app (201, owned by the caller) and refuses the same without Application.ReadWrite.All", async () => {
    const created = await graph("POST", "/applications", { displayName: "Created", tags: ["x"] });
    expect(created.status).toBe(201);
    const body = created.json<Record<string, unknown>>();
    expect(body).toMatchObject({ displayName: "Created", tags: ["x"], identifierUris: [], signInAudience: "AzureADMyOrg" });
    expect(sandbox.tenant.applications.get(String(body.id))?.ownerIds).toEqual(["0c0a5e11-de90-4000-8000-00000000b004"]);
    const denied = await graph("POST", "/applications", { displayName: "Nope" }, reader);
    expect([denied.status, errorOf(denied).code]).toEqual([403, "Authorization_RequestDenied"]);
  });

  it("sets api://{appId} only once the app exists; other identifier URIs need a verified domain", async () => {
    const refused = await graph("POST", "/applications", { displayName: "Early", identifierUris: [`api://${randomUUID()}`] });
    expect([refused.status, errorOf(refused).code]).toEqual([400, "HostNameNotOnVerifiedDomain"]);
    const app = await newApplication();
    expect((await graph("PATCH", `/applications/${app.id}`, { identifierUris: [`api://${app.appId}`] })).status).toBe(204);
    expect((await graph("GET", `/applications/${app.id}`)).json<{ identifierUris: string[] }>().identifierUris).toEqual([`api://${app.appId}`]);
    const foreign = await graph("PATCH", `/applications/${app.id}`, { identifierUris: ["https://gatehouse.example.com"] });
    expect(errorOf(foreign).code).toBe("HostNameNotOnVerifiedDomain");
    expect((await graph("PATCH", `/applications/${app.id}`, { identifierUris: ["https://gatehouse.contosoml.onmicrosoft.com"] })).status).toBe(204);
  });

  it("refuses preAuthorizedApplications naming a scope defined in the same request; accepts it once the scope exists", async () => {
    const app = await newApplication();
    const scopeId = randomUUID();
    const client = randomUUID();
    const together = await graph("PATCH", `/applications/${app.id}`, {
      api: { oauth2PermissionScopes: [scope(scopeId)], preAuthorizedApplications: [{ appId: client, delegatedPermissionIds: [scopeId] }] },
    });
    expect(together.status).toBe(400);
    expect(errorOf(together).message).toBe(
      "Property api.preAuthorizedApplications.delegatedPermissionIds has a Permission Id that cannot be found in the AppPermissions sets.",
    );
    // The refused request changed nothing.
    expect(sandbox.tenant.applications.get(app.id)?.oauth2PermissionScopes).toEqual([]);
    expect(
      (await graph("PATCH", `/applications/${app.id}`, { api: { requestedAccessTokenVersion: 2, oauth2PermissionScopes: [scope(scopeId)] } })).status,
    ).toBe(204);
    expect(
      (await graph("PATCH", `/applications/${app.id}`, { api: { preAuthorizedApplications: [{ appId: client, delegatedPermissionIds: [scopeId] }] } })).status,
    ).toBe(204);
    const api = (await graph("GET", `/applications/${app.id}?$select=api`)).json<{ api: Record<string, unknown> }>().api;
    expect(api).toMatchObject({ requestedAccessTokenVersion: 2, preAuthorizedApplications: [{ appId: client, delegatedPermissionIds: [scopeId] }] });
  });

  it("refuses to delete or rename an enabled scope or app role until it is disabled", async () => {
    const app = await newApplication();
    const scopeId = randomUUID();
    await graph("PATCH", `/applications/${app.id}`, { api: { oauth2PermissionScopes: [scope(scopeId)] } });
    const removed = await graph("PATCH", `/applications/${app.id}`, { api: { oauth2PermissionScopes: [] } });
    expect([removed.status, errorOf(removed).code]).toEqual([400, "CannotDeleteOrUpdateEnabledEntitlement"]);
    const renamed = await graph("PATCH", `/applications/${app.id}`, { api: { oauth2PermissionScopes: [scope(scopeId, "renamed")] } });
    expect(errorOf(renamed).code).toBe("CannotDeleteOrUpdateEnabledEntitlement");
    expect((await graph("PATCH", `/applications/${app.id}`, { api: { oauth2PermissionScopes: [scope(scopeId, "access_as_user", false)] } })).status).toBe(204);
    expect((await graph("PATCH", `/applications/${app.id}`, { api: { oauth2PermissionScopes: [] } })).status).toBe(204);

    const role = { id: randomUUID(), value: "Console.Admin", displayName: "Admin", description: "Admin", allowedMemberTypes: ["User"], isEnabled: true };
    expect((await graph("PATCH", `/applications/${app.id}`, { appRoles: [role] })).status).toBe(204);
    expect(errorOf(await graph("PATCH", `/applications/${app.id}`, { appRoles: [] })).code).toBe("CannotDeleteOrUpdateEnabledEntitlement");
  });

  it("refuses unknown and read-only properties, and bad redirect URIs", async () => {
    const app = await newApplication();
    const unknown = await graph("PATCH", `/applications/${app.id}`, { colour: "blue" });
    expect([unknown.status, errorOf(unknown).message]).toEqual([
      400,
      expect.stringContaining("Property 'colour' does not exist on type 'microsoft.graph.application'"),
    ]);
    expect(errorOf(await graph("PATCH", `/applications/${app.id}`, { appId: randomUUID() })).message).toBe("Property 'appId' is read-only and cannot be set.");
    expect((await graph("PATCH", `/applications/${app.id}`, { spa: { redirectUris: ["http://gatehouse.example.com/"] } })).status).toBe(400);
    expect(
      (await graph("PATCH", `/applications/${app.id}`, { spa: { redirectUris: ["https://gatehouse.example.com/", "http://localhost:3000/"] } })).status,
    ).toBe(204);
  });

  it("finds apps by tag with a lambda filter", async () => {
    const tag = `gatehouse-test:${randomUUID().slice(0, 8)}`;
    await graph("POST", "/applications", { displayName: "Tagged", tags: [tag] });
    const found = await graph("GET", `/applications?$filter=${encodeURIComponent(`tags/any(t:t eq '${tag}')`)}&$select=id,displayName,tags`);
    expect(found.status, found.text).toBe(200);
    expect(found.json<{ value: { displayName: string }[] }>().value.map((app) => app.displayName)).toEqual(["Tagged"]);
  });
});

describe("service principals", () => {
  it("creates one per existing app, and updates it", async () => {
    const app = await newApplication();
    const created = await graph("POST", "/servicePrincipals", { appId: app.appId });
    expect(created.status).toBe(201);
    const sp = created.json<{ id: string; appId: string; servicePrincipalType: string }>();
    expect(sp).toMatchObject({ appId: app.appId, servicePrincipalType: "Application" });
    expect((await graph("POST", "/servicePrincipals", { appId: app.appId })).status).toBe(409);
    expect((await graph("POST", "/servicePrincipals", { appId: randomUUID() })).status).toBe(400);
    expect((await graph("PATCH", `/servicePrincipals/${sp.id}`, { appRoleAssignmentRequired: true })).status).toBe(204);
    expect(sandbox.tenant.servicePrincipals.get(sp.id)?.appRoleAssignmentRequired).toBe(true);
  });
});

describe("federated identity credentials", () => {
  const credential = (name: string, subject: string = randomUUID()) => ({
    name,
    issuer: `https://login.microsoftonline.com/${sandbox.tenant.tenantId}/v2.0`,
    subject,
    audiences: ["api://AzureADTokenExchange"],
  });

  it("adds one (201) with a unique name, a unique issuer and subject, and exactly one audience", async () => {
    const app = await newApplication();
    const first = await graph("POST", `/applications/${app.id}/federatedIdentityCredentials`, credential("managed-identity", "subject-1"));
    expect(first.status).toBe(201);
    expect(first.json()).toMatchObject({ name: "managed-identity", subject: "subject-1", audiences: ["api://AzureADTokenExchange"] });
    const sameName = await graph("POST", `/applications/${app.id}/federatedIdentityCredentials`, credential("managed-identity"));
    expect([sameName.status, errorOf(sameName).code, errorOf(sameName).message]).toEqual([
      409,
      "Request_MultipleObjectsWithSameKeyValue",
      "FederatedIdentityCredential with name managed-identity already exists.",
    ]);
    const sameSubject = await graph("POST", `/applications/${app.id}/federatedIdentityCredentials`, credential("other", "subject-1"));
    expect([sameSubject.status, errorOf(sameSubject).code]).toEqual([400, "InvalidFederatedIdentityCredentialValue"]);
    const twoAudiences = await graph("POST", `/applications/${app.id}/federatedIdentityCredentials`, { ...credential("two"), audiences: ["a", "b"] });
    expect(errorOf(twoAudiences).code).toBe("InvalidFederatedIdentityCredentialValue");
    const id = first.json<{ id: string }>().id;
    expect((await graph("PATCH", `/applications/${app.id}/federatedIdentityCredentials/${id}`, { subject: "subject-2" })).status).toBe(204);
    expect((await graph("GET", `/applications/${app.id}/federatedIdentityCredentials/${id}`)).json()).toMatchObject({ subject: "subject-2" });
  });

  it("adds a flexible one on beta: subject null with a claimsMatchingExpression, never both, and v1.0 shows only the null subject", async () => {
    const app = await newApplication();
    const beta = (method: string, path: string, body?: unknown) =>
      call(sandbox, `/beta${path}`, {
        method,
        headers: { authorization: `Bearer ${deployer}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    const expression = { value: "claims['sub'] matches 'repo:contoso/app:ref:refs/heads/*'", languageVersion: 1 };
    const github = { issuer: "https://token.actions.githubusercontent.com", audiences: ["api://AzureADTokenExchange"] };
    const both = await beta("POST", `/applications/${app.id}/federatedIdentityCredentials`, {
      ...github,
      name: "both",
      subject: "repo:contoso/app:ref:refs/heads/main",
      claimsMatchingExpression: expression,
    });
    expect([both.status, errorOf(both).code]).toEqual([400, "InvalidFederatedIdentityCredentialValue"]);
    const neither = await beta("POST", `/applications/${app.id}/federatedIdentityCredentials`, { ...github, name: "neither", subject: null });
    expect(neither.status).toBe(400);
    const badVersion = await beta("POST", `/applications/${app.id}/federatedIdentityCredentials`, {
      ...github,
      name: "version-two",
      subject: null,
      claimsMatchingExpression: { ...expression, languageVersion: 2 },
    });
    expect(badVersion.status).toBe(400);
    const onV1 = await graph("POST", `/applications/${app.id}/federatedIdentityCredentials`, {
      ...github,
      name: "on-v1",
      claimsMatchingExpression: expression,
    });
    expect([onV1.status, errorOf(onV1).message]).toEqual([400, expect.stringContaining("'claimsMatchingExpression' does not exist")]);

    const created = await beta("POST", `/applications/${app.id}/federatedIdentityCredentials`, {
      ...github,
      name: "branches",
      subject: null,
      claimsMatchingExpression: expression,
    });
    expect(created.status, created.text).toBe(201);
    expect(created.json()).toMatchObject({ name: "branches", subject: null, claimsMatchingExpression: expression });
    // A second flexible credential on the same issuer is not an issuer+subject duplicate.
    const second = await beta("POST", `/applications/${app.id}/federatedIdentityCredentials`, {
      ...github,
      name: "tags",
      subject: null,
      claimsMatchingExpression: { ...expression, value: "claims['sub'] matches 'repo:contoso/app:ref:refs/tags/*'" },
    });
    expect(second.status, second.text).toBe(201);
    const betaList = (await beta("GET", `/applications/${app.id}/federatedIdentityCredentials`)).json<{ value: Record<string, unknown>[] }>().value;
    expect(betaList.find((item) => item.name === "branches")).toMatchObject({ subject: null, claimsMatchingExpression: expression });
    const v1List = (await graph("GET", `/applications/${app.id}/federatedIdentityCredentials`)).json<{ value: Record<string, unknown>[] }>().value;
    const v1Item = v1List.find((item) => item.name === "branches");
    expect(v1Item).toMatchObject({ subject: null });
    expect(v1Item).not.toHaveProperty("claimsMatchingExpression");
  });
});
