/**
 * Microsoft's first-party public clients (Azure CLI, Azure PowerShell, VS Code) sign in as in Entra: loopback redirect
 * URIs on any port, code and refresh-token redemption without a secret, delegated ARM/Graph tokens without consent.
 */
import { request as httpRequest } from "node:http";
import { type INetworkModule, type NetworkRequestOptions, type NetworkResponse, PublicClientApplication } from "@azure/msal-node";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ARM_AUDIENCE, CONSOLE_API_CLIENT_ID, GRAPH_AUDIENCE } from "../contract";
import { type RunningSandbox, startSandbox } from "../server";
import { AZURE_CLI_APP_ID, AZURE_POWERSHELL_APP_ID, PERSONAS, VISUAL_STUDIO_CODE_APP_ID } from "../tenant/index";
import { matchesLoopbackRedirectUri } from "./redirect-uris";
import { call, decodeJwtPayload, pkcePair, postForm, postJson, tempDataDir } from "./test-support";

const admin = PERSONAS.find((persona) => persona.key === "admin")!;
const ARM_SCOPE = "https://management.azure.com/.default";

let sandbox: RunningSandbox;
let tid: string;

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, dataDir: tempDataDir(), log: () => {} });
  tid = sandbox.tenant.tenantId;
});

afterAll(async () => {
  await sandbox.close();
});

beforeEach(async () => {
  await postJson(sandbox, "/_sandbox/reset", {});
});

/** The authorize request a native tool sends, signed in with the admin persona's password (form_post, as msal-node). */
async function signIn(clientId: string, redirectUri: string, extra: Record<string, string> = {}) {
  const { verifier, challenge } = pkcePair();
  const response = await postForm(sandbox, `/${tid}/oauth2/v2.0/authorize`, {
    client_id: clientId,
    redirect_uri: redirectUri,
    response_type: "code",
    response_mode: "query",
    scope: `${ARM_SCOPE} openid profile offline_access`,
    state: "s1",
    code_challenge: challenge,
    code_challenge_method: "S256",
    login: admin.userPrincipalName,
    passwd: admin.password,
    ...extra,
  });
  return { response, verifier };
}

function codeFrom(location: string | undefined): string {
  const code = new URL(location ?? "http://invalid/").searchParams.get("code");
  if (!code) throw new Error(`no code in ${location}`);
  return code;
}

function redeem(clientId: string, code: string, redirectUri: string, fields: Record<string, string> = {}, headers: Record<string, string> = {}) {
  return postForm(
    sandbox,
    `/${tid}/oauth2/v2.0/token`,
    { grant_type: "authorization_code", client_id: clientId, code, redirect_uri: redirectUri, scope: `${ARM_SCOPE} openid profile offline_access`, ...fields },
    headers,
  );
}

describe("loopback redirect URIs of public clients", () => {
  it("accept http://localhost on any port, redirect to the port asked for, and redeem without a secret", async () => {
    for (const clientId of [AZURE_CLI_APP_ID, AZURE_POWERSHELL_APP_ID, VISUAL_STUDIO_CODE_APP_ID]) {
      const redirectUri = "http://localhost:8400";
      const { response, verifier } = await signIn(clientId, redirectUri);
      expect(response.status).toBe(302);
      expect(response.header("location")).toMatch(/^http:\/\/localhost:8400\/?\?code=/);
      const token = await redeem(clientId, codeFrom(response.header("location")), redirectUri, { code_verifier: verifier });
      expect(token.status).toBe(200);
      const body = token.json<{ access_token: string; refresh_token: string }>();
      expect(decodeJwtPayload(body.access_token)).toMatchObject({
        aud: ARM_AUDIENCE,
        appid: clientId,
        appidacr: "0",
        oid: admin.objectId,
        scp: "user_impersonation",
      });
      expect(body.refresh_token).toBeTruthy();
    }
    const calls = sandbox.journal.list({ system: "entra" }).filter((entry) => entry.path.endsWith("/oauth2/v2.0/token"));
    expect(calls.map((entry) => entry.clientCredential)).toEqual(["none", "none", "none"]);
  });

  it("refuse another path, another host, 127.0.0.1 for a localhost registration, [::1], https and non-loopback http (AADSTS50011 on Entra's page)", async () => {
    for (const redirectUri of [
      "http://localhost:8400/callback",
      "http://127.0.0.1:8400",
      "http://[::1]:8400",
      "https://localhost:8400",
      "http://contoso.example:8400",
      "http://localhost.contoso.example:8400",
    ]) {
      const { response } = await signIn(AZURE_CLI_APP_ID, redirectUri);
      expect(response.status, redirectUri).toBe(400);
      expect(response.text, redirectUri).toContain('data-error-code="AADSTS50011"');
      expect(response.header("location")).toBeUndefined();
    }
  });

  it("check PKCE when it is sent and the redirect URI of the authorize request exactly, port included", async () => {
    const redirectUri = "http://localhost:51234";
    const first = await signIn(AZURE_CLI_APP_ID, redirectUri);
    const wrongVerifier = await redeem(AZURE_CLI_APP_ID, codeFrom(first.response.header("location")), redirectUri, { code_verifier: pkcePair().verifier });
    expect(wrongVerifier.json()).toMatchObject({ error: "invalid_grant", error_codes: [501481] });

    const second = await signIn(AZURE_CLI_APP_ID, redirectUri);
    const otherPort = await redeem(AZURE_CLI_APP_ID, codeFrom(second.response.header("location")), "http://localhost:51235", {
      code_verifier: second.verifier,
    });
    expect(otherPort.json()).toMatchObject({ error: "invalid_grant", error_codes: [500112] });
  });

  it("refuse a cross-origin redemption: a native client's code is not an SPA's (AADSTS9002326)", async () => {
    const redirectUri = "http://localhost:8401";
    const { response, verifier } = await signIn(AZURE_POWERSHELL_APP_ID, redirectUri);
    const token = await redeem(
      AZURE_POWERSHELL_APP_ID,
      codeFrom(response.header("location")),
      redirectUri,
      { code_verifier: verifier },
      { origin: "http://localhost:3000" },
    );
    expect(token.json()).toMatchObject({ error: "invalid_request", error_codes: [9002326] });
  });

  it("refresh without a secret, on another resource (Graph User.Read, pre-authorized), with a 90-day refresh token", async () => {
    const redirectUri = "http://localhost:8402";
    const { response, verifier } = await signIn(VISUAL_STUDIO_CODE_APP_ID, redirectUri);
    const first = (await redeem(VISUAL_STUDIO_CODE_APP_ID, codeFrom(response.header("location")), redirectUri, { code_verifier: verifier })).json<{
      refresh_token: string;
    }>();
    const refreshed = await postForm(sandbox, `/${tid}/oauth2/v2.0/token`, {
      grant_type: "refresh_token",
      client_id: VISUAL_STUDIO_CODE_APP_ID,
      refresh_token: first.refresh_token,
      scope: "https://graph.microsoft.com/User.Read offline_access",
    });
    expect(refreshed.status).toBe(200);
    const body = refreshed.json<{ access_token: string; refresh_token_expires_in: number }>();
    expect(decodeJwtPayload(body.access_token)).toMatchObject({ aud: GRAPH_AUDIENCE, appid: VISUAL_STUDIO_CODE_APP_ID, scp: "User.Read" });
    expect(body.refresh_token_expires_in).toBeGreaterThan(24 * 3600);

    const notPreAuthorized = await postForm(sandbox, `/${tid}/oauth2/v2.0/token`, {
      grant_type: "refresh_token",
      client_id: VISUAL_STUDIO_CODE_APP_ID,
      refresh_token: first.refresh_token,
      scope: "https://graph.microsoft.com/Directory.Read.All",
    });
    expect(notPreAuthorized.json()).toMatchObject({ error: "invalid_grant", suberror: "consent_required", error_codes: [65001] });
  });

  it("leave confidential clients as they were: a web redirect URI's code without a secret is refused (AADSTS7000218)", async () => {
    const application = sandbox.tenant.getApplicationByAppId(CONSOLE_API_CLIENT_ID)!;
    const redirectUri = "https://localhost:4000/auth/callback";
    application.webRedirectUris.push(redirectUri);
    const { response } = await postForm(sandbox, `/${tid}/oauth2/v2.0/authorize`, {
      client_id: CONSOLE_API_CLIENT_ID,
      redirect_uri: redirectUri,
      response_type: "code",
      response_mode: "query",
      scope: "openid offline_access",
      login: admin.userPrincipalName,
      passwd: admin.password,
    }).then((reply) => ({ response: reply }));
    const token = await postForm(sandbox, `/${tid}/oauth2/v2.0/token`, {
      grant_type: "authorization_code",
      client_id: CONSOLE_API_CLIENT_ID,
      code: codeFrom(response.header("location")),
      redirect_uri: redirectUri,
    });
    expect(token.status).toBe(401);
    expect(token.json()).toMatchObject({ error: "invalid_client", error_codes: [7000218] });
  });
});

describe("matchesLoopbackRedirectUri", () => {
  it("ignores only the port", () => {
    expect(matchesLoopbackRedirectUri("http://localhost:1234/MyApp", "http://localhost/MyApp")).toBe(true);
    expect(matchesLoopbackRedirectUri("http://127.0.0.1:1234/", "http://127.0.0.1")).toBe(true);
    expect(matchesLoopbackRedirectUri("http://localhost:1234/myapp", "http://localhost/MyApp")).toBe(false);
    expect(matchesLoopbackRedirectUri("http://localhost:1234/MyApp?x=1", "http://localhost/MyApp")).toBe(false);
    expect(matchesLoopbackRedirectUri("http://127.0.0.1:1234/MyApp", "http://localhost/MyApp")).toBe(false);
    expect(matchesLoopbackRedirectUri("http://[::1]:1234/MyApp", "http://[::1]/MyApp")).toBe(false);
    expect(matchesLoopbackRedirectUri("https://contoso.example:1234/", "https://contoso.example/")).toBe(false);
  });
});

/** msal-node's HTTP client, pointed at the sandbox's CA (a documented `system.networkClient` option). */
function sandboxNetworkClient(): INetworkModule {
  const send = async <T>(method: string, url: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> => {
    const target = new URL(url);
    const response = await call(sandbox, `${target.pathname}${target.search}`, { method, headers: options?.headers ?? {}, body: options?.body });
    const headers = Object.fromEntries(
      Object.entries(response.headers).map(([name, value]) => [name, Array.isArray(value) ? value.join(", ") : (value ?? "")]),
    );
    return { headers, body: JSON.parse(response.text) as T, status: response.status };
  };
  return {
    sendGetRequestAsync: (url, options) => send("GET", url, options),
    sendPostRequestAsync: (url, options) => send("POST", url, options),
  };
}

/** Plays the browser: loads the authorize URL, signs in on the page and posts the form_post answer to the loopback. */
async function browse(authorizeUrl: string): Promise<void> {
  const url = new URL(authorizeUrl);
  const page = await call(sandbox, `${url.pathname}${url.search}`);
  if (page.status !== 200) throw new Error(`authorize page: ${page.status}`);
  const answer = await postForm(sandbox, url.pathname, { ...Object.fromEntries(url.searchParams), login: admin.userPrincipalName, passwd: admin.password });
  const action = /action="([^"]+)"/.exec(answer.text)?.[1];
  if (!action) throw new Error(`no form_post in ${answer.text.slice(0, 300)}`);
  const fields = Object.fromEntries(
    [...answer.text.matchAll(/name="([^"]+)" value="([^"]*)"/g)].map((match) => [match[1]!, match[2]!.replaceAll("&amp;", "&")]),
  );
  const body = new URLSearchParams(fields).toString();
  await new Promise<void>((resolve, reject) => {
    const post = httpRequest(action, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" } }, (response) => {
      response.resume();
      response.on("end", resolve);
    });
    post.on("error", reject);
    post.end(body);
  });
}

describe("@azure/msal-node PublicClientApplication as the Azure CLI", () => {
  it("signs in interactively on a random loopback port, then gets a Graph token silently from the refresh token", async () => {
    const app = new PublicClientApplication({
      auth: { clientId: AZURE_CLI_APP_ID, authority: `${sandbox.origin}/${tid}`, knownAuthorities: [new URL(sandbox.origin).host] },
      system: { networkClient: sandboxNetworkClient() },
    });
    let redirectUri = "";
    const result = await app.acquireTokenInteractive({
      scopes: [ARM_SCOPE],
      openBrowser: async (url) => {
        redirectUri = new URL(url).searchParams.get("redirect_uri") ?? "";
        await browse(url);
      },
    });
    expect(redirectUri).toMatch(/^http:\/\/localhost:\d+$/);
    expect(result.account?.username).toBe(admin.userPrincipalName);
    expect(decodeJwtPayload(result.accessToken)).toMatchObject({ aud: ARM_AUDIENCE, appid: AZURE_CLI_APP_ID, appidacr: "0", scp: "user_impersonation" });

    const graph = await app.acquireTokenSilent({ account: result.account!, scopes: ["https://graph.microsoft.com/User.Read"] });
    expect(graph.fromCache).toBe(false);
    expect(decodeJwtPayload(graph.accessToken)).toMatchObject({ aud: GRAPH_AUDIENCE, appid: AZURE_CLI_APP_ID, scp: "User.Read" });
  });
});
