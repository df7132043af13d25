/**
 * Which `aud` a Graph or ARM token carries for each way of naming the resource, in the public cloud and in a tenant
 * emulating Azure Government, and that the service then accepts it (or refuses a token for another service).
 */
import { request as httpRequest } from "node:http";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { SANDBOX_CLOUDS } from "../clouds";
import { CONSOLE_API_CLIENT_ID, CONSOLE_API_CLIENT_SECRET, CONSOLE_MANAGED_IDENTITY_CLIENT_ID, MICROSOFT_GRAPH_APP_ID } from "../contract";
import { CLIENT_ASSERTION_TYPE } from "./client-auth";
import { type RunningSandbox, startSandbox } from "../server";
import { Tenant } from "../tenant/tenant";
import { createTenant } from "../tenant/index";
import { call, decodeJwtPayload, postForm, tempDataDir } from "./test-support";

let publicCloud: RunningSandbox;
let usgov: RunningSandbox;

beforeAll(async () => {
  [publicCloud, usgov] = await Promise.all([
    startSandbox({ port: 0, dataDir: tempDataDir(), log: () => {} }),
    startSandbox({ port: 0, dataDir: tempDataDir(), log: () => {}, cloud: "usgov" }),
  ]);
});
afterAll(async () => {
  await Promise.all([publicCloud.close(), usgov.close()]);
});

async function appToken(sandbox: RunningSandbox, scope: string) {
  return postForm(sandbox, `/${sandbox.tenant.tenantId}/oauth2/v2.0/token`, {
    grant_type: "client_credentials",
    client_id: CONSOLE_API_CLIENT_ID,
    client_secret: CONSOLE_API_CLIENT_SECRET,
    scope,
  });
}

async function audienceOf(sandbox: RunningSandbox, scope: string): Promise<{ aud: unknown; iss: unknown; token: string }> {
  const response = await appToken(sandbox, scope);
  expect(response.status, response.text).toBe(200);
  const token = response.json<{ access_token: string }>().access_token;
  const claims = decodeJwtPayload(token);
  return { aud: claims.aud, iss: claims.iss, token };
}

/** The console's managed identity's token for `resource` from the sandbox's IMDS endpoint (plain HTTP on loopback). */
function managedIdentityToken(sandbox: RunningSandbox, resource: string): Promise<{ status: number; body: Record<string, string> }> {
  const path = `/metadata/identity/oauth2/token?api-version=2018-02-01&resource=${encodeURIComponent(resource)}&client_id=${CONSOLE_MANAGED_IDENTITY_CLIENT_ID}`;
  return new Promise((resolve, reject) => {
    const request = httpRequest({ host: "127.0.0.1", port: sandbox.identity.port, path, headers: { Metadata: "true" } }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () =>
        resolve({ status: response.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, string> }),
      );
    });
    request.on("error", reject);
    request.end();
  });
}

const armList = (sandbox: RunningSandbox, token: string) =>
  call(sandbox, "/subscriptions?api-version=2022-12-01", { headers: { authorization: `Bearer ${token}` } });
const graphRead = (sandbox: RunningSandbox, token: string) =>
  call(sandbox, "/v1.0/applications?$top=1&$select=appId", { headers: { authorization: `Bearer ${token}` } });

describe("public cloud", () => {
  it.each([
    ["https://management.azure.com/.default", "https://management.azure.com"],
    ["https://management.azure.com//.default", "https://management.azure.com/"],
    ["https://management.core.windows.net//.default", "https://management.core.windows.net/"],
    ["https://management.core.windows.net/.default", "https://management.core.windows.net"],
  ])("ARM scope %s gives aud %s, which ARM accepts", async (scope, audience) => {
    const token = await audienceOf(publicCloud, scope);
    expect(token.aud).toBe(audience);
    expect(token.iss).toBe(`https://sts.windows.net/${publicCloud.tenant.tenantId}/`);
    expect((await armList(publicCloud, token.token)).status).toBe(200);
  });

  it.each([
    ["https://graph.microsoft.com/.default", "https://graph.microsoft.com"],
    ["https://graph.microsoft.com//.default", "https://graph.microsoft.com/"],
    [`${MICROSOFT_GRAPH_APP_ID}/.default`, MICROSOFT_GRAPH_APP_ID],
  ])("Graph scope %s gives aud %s, which Graph accepts", async (scope, audience) => {
    const token = await audienceOf(publicCloud, scope);
    expect(token.aud).toBe(audience);
    expect((await graphRead(publicCloud, token.token)).status).toBe(200);
  });

  it("ARM refuses a Graph token, naming its allowed audiences", async () => {
    const graph = await audienceOf(publicCloud, "https://graph.microsoft.com/.default");
    const response = await armList(publicCloud, graph.token);
    expect(response.status).toBe(401);
    expect(response.json<{ error: { code: string; message: string } }>().error).toEqual({
      code: "InvalidAuthenticationTokenAudience",
      message:
        "The access token has been obtained for wrong audience or resource 'https://graph.microsoft.com'. It should exactly match with one of the allowed audiences 'https://management.core.windows.net/','https://management.core.windows.net','https://management.azure.com/','https://management.azure.com'.",
    });
  });
});

describe("a tenant emulating Azure Government", () => {
  it.each([
    ["https://management.usgovcloudapi.net/.default", "https://management.usgovcloudapi.net"],
    ["https://management.core.usgovcloudapi.net//.default", "https://management.core.usgovcloudapi.net/"],
  ])("ARM scope %s gives aud %s, which its ARM accepts", async (scope, audience) => {
    const token = await audienceOf(usgov, scope);
    expect(token.aud).toBe(audience);
    expect((await armList(usgov, token.token)).status).toBe(200);
  });

  it("issues Graph tokens for https://graph.microsoft.us, which its Graph accepts", async () => {
    const token = await audienceOf(usgov, "https://graph.microsoft.us/.default");
    expect(token.aud).toBe("https://graph.microsoft.us");
    expect((await graphRead(usgov, token.token)).status).toBe(200);
  });

  it.each(["https://graph.microsoft.com/.default", "https://management.azure.com/.default"])(
    "knows no public-cloud resource: %s is AADSTS500011",
    async (scope) => {
      const response = await appToken(usgov, scope);
      expect(response.status).toBe(400);
      const body = response.json<{ error: string; error_codes: number[] }>();
      expect(body.error).toBe("invalid_resource");
      expect(body.error_codes).toEqual([500011]);
    },
  );

  it("its ARM names Azure Government's audiences when it refuses a token", async () => {
    const graph = await audienceOf(usgov, "https://graph.microsoft.us/.default");
    const response = await armList(usgov, graph.token);
    expect(response.status).toBe(401);
    expect(response.json<{ error: { message: string } }>().error.message).toContain(
      "'https://management.core.usgovcloudapi.net/','https://management.core.usgovcloudapi.net','https://management.usgovcloudapi.net/','https://management.usgovcloudapi.net'",
    );
  });

  it("publishes the cloud's Graph host, ARM audiences and exchange audience", async () => {
    const discovery = (await call(usgov, `/${usgov.tenant.tenantId}/v2.0/.well-known/openid-configuration`)).json();
    expect(discovery.msgraph_host).toBe("graph.microsoft.us");
    const metadata = (await call(usgov, "/metadata/endpoints?api-version=2022-09-01")).json<{ authentication: { audiences: string[] } }>();
    expect(metadata.authentication.audiences).toEqual(["https://management.core.usgovcloudapi.net/", "https://management.usgovcloudapi.net/"]);
    const console = usgov.tenant.findApplication(CONSOLE_API_CLIENT_ID);
    expect(console?.federatedCredentials.map((credential) => credential.audiences)).toEqual([["api://AzureADTokenExchangeUSGov"]]);
  });

  it("the managed identity's token for the cloud's exchange audience is the API app's credential; the public one is unknown", async () => {
    const exchange = await managedIdentityToken(usgov, "api://AzureADTokenExchangeUSGov");
    expect(exchange.status).toBe(200);
    expect(decodeJwtPayload(exchange.body.access_token!).aud).toBe("api://AzureADTokenExchangeUSGov");
    const response = await postForm(usgov, `/${usgov.tenant.tenantId}/oauth2/v2.0/token`, {
      grant_type: "client_credentials",
      client_id: CONSOLE_API_CLIENT_ID,
      scope: "https://management.usgovcloudapi.net/.default",
      client_assertion_type: CLIENT_ASSERTION_TYPE,
      client_assertion: exchange.body.access_token!,
    });
    expect(response.status, response.text).toBe(200);
    expect((await managedIdentityToken(usgov, "api://AzureADTokenExchange")).status).toBe(400);
  });

  it("keeps its cloud in a saved snapshot", () => {
    const tenant = createTenant({ seed: 1, scale: "default", cloud: "china" });
    expect(Tenant.restore(tenant.snapshot()).cloud).toBe(SANDBOX_CLOUDS.china);
  });
});
