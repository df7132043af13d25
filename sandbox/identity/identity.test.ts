/**
 * The managed-identity endpoints (IMDS and App Service forms) over raw HTTP, and the token endpoint's federated
 * credential checks: a managed identity's token is the API app's client assertion only through a matching federated
 * identity credential, with Entra's AADSTS codes otherwise.
 */
import { request as httpRequest } from "node:http";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import {
  CONSOLE_API_CLIENT_ID,
  CONSOLE_API_CLIENT_SECRET,
  CONSOLE_MANAGED_IDENTITY_CLIENT_ID,
  CONSOLE_MANAGED_IDENTITY_PRINCIPAL_ID,
  TOKEN_EXCHANGE_APP_ID,
} from "../contract";
import { CLIENT_ASSERTION_TYPE } from "../entra/client-auth";
import { decodeJwtPayload, postForm, tempDataDir } from "../entra/test-support";
import { v2Issuer } from "../entra/tokens";
import { type RunningSandbox, startSandbox } from "../server";
import { CONSOLE_FEDERATED_CREDENTIAL_NAME, consoleFederatedCredential } from "../tenant/console-apps";

interface PlainResponse {
  readonly status: number;
  readonly text: string;
  json<T = Record<string, string>>(): T;
}

function get(sandbox: RunningSandbox, pathAndQuery: string, headers: Record<string, string> = {}, method = "GET"): Promise<PlainResponse> {
  return new Promise((resolve, reject) => {
    const request = httpRequest({ host: "127.0.0.1", port: sandbox.identity.port, path: pathAndQuery, method, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        resolve({ status: response.statusCode ?? 0, text, json: <T>() => JSON.parse(text) as T });
      });
    });
    request.on("error", reject);
    request.end();
  });
}

const EXCHANGE = encodeURIComponent("api://AzureADTokenExchange");
const imds = (query: string) => `/metadata/identity/oauth2/token?${query}`;
const appService = (query: string) => `/msi/token?${query}`;

let sandbox: RunningSandbox;

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, dataDir: tempDataDir(), log: () => {} });
});

afterAll(async () => {
  await sandbox?.close();
});

describe("IMDS (GET /metadata/identity/oauth2/token, api-version 2018-02-01)", () => {
  it("answers a token for the console's identity with the documented string fields", async () => {
    const response = await get(sandbox, imds(`api-version=2018-02-01&resource=${EXCHANGE}&client_id=${CONSOLE_MANAGED_IDENTITY_CLIENT_ID}`), {
      Metadata: "true",
    });
    expect(response.status).toBe(200);
    const body = response.json();
    expect(Object.keys(body).sort()).toEqual([
      "access_token",
      "client_id",
      "expires_in",
      "expires_on",
      "ext_expires_in",
      "not_before",
      "resource",
      "token_type",
    ]);
    expect(body).toMatchObject({ client_id: CONSOLE_MANAGED_IDENTITY_CLIENT_ID, resource: "api://AzureADTokenExchange", token_type: "Bearer" });
    for (const field of ["expires_in", "expires_on", "not_before"]) expect(body[field]).toMatch(/^\d+$/);
    const claims = decodeJwtPayload(body.access_token!);
    expect(claims).toMatchObject({
      aud: TOKEN_EXCHANGE_APP_ID,
      iss: v2Issuer(sandbox.origin, sandbox.tenant.tenantId),
      sub: CONSOLE_MANAGED_IDENTITY_PRINCIPAL_ID,
      oid: CONSOLE_MANAGED_IDENTITY_PRINCIPAL_ID,
      azp: CONSOLE_MANAGED_IDENTITY_CLIENT_ID,
      idtyp: "app",
      ver: "2.0",
    });
    expect(Number(body.expires_on)).toBe(claims.exp);
  });

  it("refuses a request without `Metadata: true` (400 bad_request_102), including any other value", async () => {
    for (const headers of [{}, { Metadata: "True" }, { Metadata: "false" }] as Record<string, string>[]) {
      const response = await get(sandbox, imds(`api-version=2018-02-01&resource=${EXCHANGE}`), headers);
      expect(response.status).toBe(400);
      expect(response.json()).toEqual({ error: "bad_request_102", error_description: "Required metadata header not specified" });
    }
  });

  it("names only identities assigned to the host; with one, it is the default", async () => {
    const other = [...sandbox.tenant.servicePrincipals.values()].find(
      (sp) => sp.servicePrincipalType === "ManagedIdentity" && sp.appId !== CONSOLE_MANAGED_IDENTITY_CLIENT_ID,
    )!;
    const foreign = await get(sandbox, imds(`api-version=2018-02-01&resource=${EXCHANGE}&client_id=${other.appId}`), { Metadata: "true" });
    expect(foreign.status).toBe(400);
    expect(foreign.json()).toMatchObject({ error: "invalid_request", error_description: "Identity not found" });
    const byObjectId = await get(sandbox, imds(`api-version=2018-02-01&resource=${EXCHANGE}&object_id=${CONSOLE_MANAGED_IDENTITY_PRINCIPAL_ID}`), {
      Metadata: "true",
    });
    expect(byObjectId.status).toBe(200);
    const implicit = await get(sandbox, imds(`api-version=2018-02-01&resource=${EXCHANGE}`), { Metadata: "true" });
    expect(implicit.json()).toMatchObject({ client_id: CONSOLE_MANAGED_IDENTITY_CLIENT_ID });
  });

  it("needs api-version and resource, and reports Entra's AADSTS500011 for an unknown resource", async () => {
    expect((await get(sandbox, imds(`resource=${EXCHANGE}`), { Metadata: "true" })).status).toBe(400);
    expect((await get(sandbox, imds("api-version=2018-02-01"), { Metadata: "true" })).status).toBe(400);
    const unknown = await get(sandbox, imds(`api-version=2018-02-01&resource=${encodeURIComponent("https://nothing.example.com")}`), { Metadata: "true" });
    expect(unknown.status).toBe(400);
    expect(unknown.json().error).toBe("invalid_resource");
    expect(unknown.json().error_description).toMatch(/^AADSTS500011: /);
    expect((await get(sandbox, imds(`api-version=2018-02-01&resource=${EXCHANGE}`), { Metadata: "true" }, "POST")).status).toBe(405);
  });

  it("gives an app token for Graph whose roles are the identity's own (none here)", async () => {
    const response = await get(sandbox, imds(`api-version=2018-02-01&resource=${encodeURIComponent("https://graph.microsoft.com/")}`), { Metadata: "true" });
    expect(response.status).toBe(200);
    const claims = decodeJwtPayload(response.json().access_token!);
    expect(claims).toMatchObject({
      aud: "https://graph.microsoft.com",
      appid: CONSOLE_MANAGED_IDENTITY_CLIENT_ID,
      oid: CONSOLE_MANAGED_IDENTITY_PRINCIPAL_ID,
      idtyp: "app",
    });
    expect(claims.roles).toBeUndefined();
  });
});

describe("App Service / Container Apps (IDENTITY_ENDPOINT + X-IDENTITY-HEADER, api-version 2019-08-01)", () => {
  it("answers with access_token, client_id, expires_on, not_before, resource and token_type", async () => {
    const response = await get(sandbox, appService(`api-version=2019-08-01&resource=${EXCHANGE}&client_id=${CONSOLE_MANAGED_IDENTITY_CLIENT_ID}`), {
      "X-IDENTITY-HEADER": sandbox.identity.identityHeader,
    });
    expect(response.status).toBe(200);
    const body = response.json();
    expect(Object.keys(body).sort()).toEqual(["access_token", "client_id", "expires_on", "not_before", "resource", "token_type"]);
    expect(sandbox.identity.identityEndpoint).toBe(`${sandbox.identity.origin}/msi/token`);
  });

  it("answers 403 with an empty body to a missing or wrong identity header", async () => {
    for (const headers of [{}, { "X-IDENTITY-HEADER": "not-the-header" }, { Metadata: "true" }] as Record<string, string>[]) {
      const response = await get(sandbox, appService(`api-version=2019-08-01&resource=${EXCHANGE}&client_id=${CONSOLE_MANAGED_IDENTITY_CLIENT_ID}`), headers);
      expect(response.status).toBe(403);
      expect(response.text).toBe("");
    }
  });

  it("uses the system-assigned identity without an id parameter (the host has none) and only api-version 2019-08-01", async () => {
    const header = { "X-IDENTITY-HEADER": sandbox.identity.identityHeader };
    const implicit = await get(sandbox, appService(`api-version=2019-08-01&resource=${EXCHANGE}`), header);
    expect(implicit.status).toBe(400);
    expect(implicit.json()).toMatchObject({ error_description: "Identity not found" });
    expect((await get(sandbox, appService(`api-version=2017-09-01&resource=${EXCHANGE}&clientid=${CONSOLE_MANAGED_IDENTITY_CLIENT_ID}`), header)).status).toBe(
      400,
    );
    const byPrincipal = await get(
      sandbox,
      appService(`api-version=2019-08-01&resource=${EXCHANGE}&principal_id=${CONSOLE_MANAGED_IDENTITY_PRINCIPAL_ID}`),
      header,
    );
    expect(byPrincipal.status).toBe(200);
  });

  it("records its calls in the journal as system `identity`", async () => {
    const since = sandbox.journal.lastSeq;
    await get(sandbox, appService(`api-version=2019-08-01&resource=${EXCHANGE}&client_id=${CONSOLE_MANAGED_IDENTITY_CLIENT_ID}`), {
      "X-IDENTITY-HEADER": sandbox.identity.identityHeader,
    });
    expect(sandbox.journal.list({ since })).toEqual([expect.objectContaining({ system: "identity", method: "GET", path: "/msi/token", status: 200 })]);
  });
});

describe("the token endpoint with a managed identity's token as the API app's client assertion", () => {
  const tokenPath = () => `/${sandbox.tenant.tenantId}/oauth2/v2.0/token`;
  async function exchangeToken(): Promise<string> {
    const response = await get(sandbox, imds(`api-version=2018-02-01&resource=${EXCHANGE}&client_id=${CONSOLE_MANAGED_IDENTITY_CLIENT_ID}`), {
      Metadata: "true",
    });
    return response.json().access_token!;
  }
  async function signed(overrides: Record<string, unknown>): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    return sandbox.keys.sign(
      {
        aud: TOKEN_EXCHANGE_APP_ID,
        iss: v2Issuer(sandbox.origin, sandbox.tenant.tenantId),
        sub: CONSOLE_MANAGED_IDENTITY_PRINCIPAL_ID,
        oid: CONSOLE_MANAGED_IDENTITY_PRINCIPAL_ID,
        idtyp: "app",
        iat: now,
        nbf: now,
        exp: now + 600,
        ...overrides,
      },
      { includeX5t: false },
    );
  }
  function clientCredentials(assertion: string, clientId = CONSOLE_API_CLIENT_ID) {
    return postForm(sandbox, tokenPath(), {
      grant_type: "client_credentials",
      client_id: clientId,
      scope: "https://graph.microsoft.com/.default",
      client_assertion_type: CLIENT_ASSERTION_TYPE,
      client_assertion: assertion,
    });
  }

  it("issues the API app's own token (its application permissions), journalled as a federated credential", async () => {
    const since = sandbox.journal.lastSeq;
    const response = await clientCredentials(await exchangeToken());
    expect(response.status, response.text).toBe(200);
    const claims = decodeJwtPayload(response.json<{ access_token: string }>().access_token);
    expect(claims).toMatchObject({ appid: CONSOLE_API_CLIENT_ID, appidacr: "2", idtyp: "app" });
    expect(claims.roles).toEqual(expect.arrayContaining(["Application.Read.All", "Mail.Send"]));
    const tokenCalls = sandbox.journal.list({ since, system: "entra" });
    expect(tokenCalls.map((entry) => entry.clientCredential)).toEqual(["federated"]);
  });

  it("a secret is journalled as one", async () => {
    const since = sandbox.journal.lastSeq;
    await postForm(sandbox, tokenPath(), {
      grant_type: "client_credentials",
      client_id: CONSOLE_API_CLIENT_ID,
      client_secret: CONSOLE_API_CLIENT_SECRET,
      scope: "https://graph.microsoft.com/.default",
    });
    expect(sandbox.journal.list({ since, system: "entra" }).map((entry) => entry.clientCredential)).toEqual(["secret"]);
  });

  it("refuses an assertion whose issuer, subject or audience no federated credential names, as Entra does", async () => {
    const wrongIssuer = await clientCredentials(await signed({ iss: "https://token.actions.githubusercontent.com" }));
    expect([wrongIssuer.status, codeOf(wrongIssuer)]).toEqual([401, 700211]);
    const wrongSubject = await clientCredentials(await signed({ sub: "11111111-1111-4111-8111-111111111111" }));
    expect([wrongSubject.status, codeOf(wrongSubject)]).toEqual([401, 700213]);
    const caseOnly = await clientCredentials(await signed({ sub: CONSOLE_MANAGED_IDENTITY_PRINCIPAL_ID.toUpperCase() }));
    expect(codeOf(caseOnly)).toBe(7002138);
    const wrongAudience = await clientCredentials(await signed({ aud: "api://SomethingElse" }));
    expect([wrongAudience.status, codeOf(wrongAudience)]).toEqual([401, 700212]);
    const body = wrongAudience.json<{ error: string; error_description: string }>();
    expect(body.error).toBe("invalid_client");
    expect(body.error_description).toMatch(
      /^AADSTS700212: No matching federated identity record found for presented assertion audience 'api:\/\/SomethingElse'/,
    );
  });

  it("refuses an expired assertion (AADSTS700024) and one with a forged signature", async () => {
    const past = Math.floor(Date.now() / 1000) - 7200;
    const expired = await clientCredentials(await signed({ iat: past, nbf: past, exp: past + 600 }));
    expect(codeOf(expired)).toBe(700024);
    const token = await exchangeToken();
    const [header, payload] = token.split(".");
    const forged = await clientCredentials(`${header}.${payload}.${Buffer.from("not the signature").toString("base64url")}`);
    expect([forged.status, codeOf(forged)]).toEqual([401, 700027]);
  });

  it("refuses the assertion for an app without a federated credential (AADSTS70021)", async () => {
    const other = [...sandbox.tenant.applications.values()].find(
      (app) => app.federatedIdentityCredentials.length === 0 && app.appId !== CONSOLE_API_CLIENT_ID && sandbox.tenant.getServicePrincipalByAppId(app.appId),
    )!;
    const response = await clientCredentials(await exchangeToken(), other.appId);
    expect([response.status, codeOf(response)]).toEqual([400, 70021]);
  });

  it("refuses a token of this tenant that is not a managed identity's, even when a credential names its subject", async () => {
    const app = sandbox.tenant.getApplicationByAppId(CONSOLE_API_CLIENT_ID)!;
    const userId = sandbox.tenant.personas()[0]!.objectId;
    sandbox.tenant.addFederatedIdentityCredential(CONSOLE_API_CLIENT_ID, {
      ...consoleFederatedCredential(v2Issuer(sandbox.origin, sandbox.tenant.tenantId)),
      id: "0c0a5e11-0000-4000-8000-0000000000ff",
      name: "user-subject",
      subject: userId,
    });
    try {
      const response = await clientCredentials(await signed({ sub: userId, oid: userId, idtyp: "user" }));
      expect(codeOf(response)).toBe(70021);
    } finally {
      app.federatedIdentityCredentials = app.federatedIdentityCredentials.filter((credential) => credential.name !== "user-subject");
    }
  });

  it("registers the federated credential with this sandbox's issuer, and again after a reset", () => {
    const expected = {
      name: CONSOLE_FEDERATED_CREDENTIAL_NAME,
      issuer: v2Issuer(sandbox.origin, sandbox.tenant.tenantId),
      subject: CONSOLE_MANAGED_IDENTITY_PRINCIPAL_ID,
      audiences: ["api://AzureADTokenExchange"],
    };
    expect(sandbox.tenant.getApplicationByAppId(CONSOLE_API_CLIENT_ID)!.federatedIdentityCredentials).toEqual([expect.objectContaining(expected)]);
    sandbox.reset();
    expect(sandbox.tenant.getApplicationByAppId(CONSOLE_API_CLIENT_ID)!.federatedIdentityCredentials).toEqual([expect.objectContaining(expected)]);
  });
});

describe("a secretless console API app (consoleCredentials: federated)", () => {
  let secretless: RunningSandbox;
  beforeAll(async () => {
    secretless = await startSandbox({ port: 0, dataDir: tempDataDir(), log: () => {}, consoleCredentials: "federated" });
  });
  afterAll(async () => {
    await secretless?.close();
  });

  it("has no secret or certificate on the API app or its service principal, so the sandbox secret is refused", async () => {
    const app = secretless.tenant.getApplicationByAppId(CONSOLE_API_CLIENT_ID)!;
    expect([app.passwordCredentials, app.keyCredentials]).toEqual([[], []]);
    expect(app.federatedIdentityCredentials).toHaveLength(1);
    const response = await postForm(secretless, `/${secretless.tenant.tenantId}/oauth2/v2.0/token`, {
      grant_type: "client_credentials",
      client_id: CONSOLE_API_CLIENT_ID,
      client_secret: CONSOLE_API_CLIENT_SECRET,
      scope: "https://graph.microsoft.com/.default",
    });
    expect([response.status, codeOf(response)]).toEqual([401, 7000215]);
  });
});

function codeOf(response: { json<T>(): T }): number | undefined {
  return response.json<{ error_codes: number[] }>().error_codes[0];
}
