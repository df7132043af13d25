import { createHash, createPrivateKey, randomUUID } from "node:crypto";
import { SignJWT, createLocalJWKSet, jwtVerify } from "jose";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ARM_AUDIENCE, CONSOLE_API_CLIENT_ID, CONSOLE_API_CLIENT_SECRET, CONSOLE_API_SCOPE, CONSOLE_SPA_CLIENT_ID, GRAPH_AUDIENCE } from "../contract";
import { type RunningSandbox, startSandbox } from "../server";
import { PERSONAS } from "../tenant/index";
import { describeClientCertificate } from "../tls";
import { SPA_ORIGIN, SPA_REDIRECT_URI, call, decodeJwtPayload, pkcePair, postForm, postJson, redeemSpaCode, signInSpa, tempDataDir } from "./test-support";

const admin = PERSONAS.find((persona) => persona.key === "admin")!;
const teamLead = PERSONAS.find((persona) => persona.key === "team-lead")!;
const noRole = PERSONAS.find((persona) => persona.key === "no-role")!;
const WEB_REDIRECT_URI = "https://localhost:4000/auth/callback";

let sandbox: RunningSandbox;
let tid: string;
let tokenPath: string;

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, dataDir: tempDataDir(), log: () => {} });
  tid = sandbox.tenant.tenantId;
  tokenPath = `/${tid}/oauth2/v2.0/token`;
});
afterAll(async () => {
  await sandbox.close();
});
beforeEach(async () => {
  // Every test starts from the seed with no faults, demands or clock offset.
  await postJson(sandbox, "/_sandbox/reset", {});
});

function errorCode(body: Record<string, unknown>): number | undefined {
  return (body.error_codes as number[] | undefined)?.[0];
}

async function clientCredentials(scope: string, fields: Record<string, string> = {}) {
  return postForm(sandbox, tokenPath, {
    grant_type: "client_credentials",
    client_id: CONSOLE_API_CLIENT_ID,
    client_secret: CONSOLE_API_CLIENT_SECRET,
    scope,
    ...fields,
  });
}

async function userAccessTokenForApi(persona = admin): Promise<string> {
  const signIn = await signInSpa(sandbox, persona.userPrincipalName, persona.password);
  const response = await redeemSpaCode(sandbox, signIn);
  expect(response.status).toBe(200);
  return response.json<{ access_token: string }>().access_token;
}

describe("discovery", () => {
  it("serves the v2 openid-configuration with the sandbox issuer and endpoints", async () => {
    const response = await call(sandbox, `/${tid}/v2.0/.well-known/openid-configuration`);
    expect(response.status).toBe(200);
    const body = response.json();
    expect(body.issuer).toBe(`${sandbox.origin}/${tid}/v2.0`);
    expect(body.token_endpoint).toBe(`${sandbox.origin}/${tid}/oauth2/v2.0/token`);
    expect(body.authorization_endpoint).toBe(`${sandbox.origin}/${tid}/oauth2/v2.0/authorize`);
    expect(body.jwks_uri).toBe(`${sandbox.origin}/${tid}/discovery/v2.0/keys`);
    expect(body.end_session_endpoint).toBe(`${sandbox.origin}/${tid}/oauth2/v2.0/logout`);
    expect(body.response_modes_supported).toEqual(["query", "fragment", "form_post"]);
    expect(response.header("cache-control")).toBe("max-age=86400, private");
  });

  it("uses the {tenantid} placeholder issuer for common and organizations", async () => {
    for (const segment of ["common", "organizations"]) {
      const body = (await call(sandbox, `/${segment}/v2.0/.well-known/openid-configuration`)).json();
      expect(body.issuer).toBe(`${sandbox.origin}/{tenantid}/v2.0`);
    }
  });

  it("answers instance discovery with the sandbox host as its own alias", async () => {
    const authorizationEndpoint = `${sandbox.origin}/${tid}/oauth2/v2.0/authorize`;
    const response = await call(sandbox, `/common/discovery/instance?api-version=1.1&authorization_endpoint=${encodeURIComponent(authorizationEndpoint)}`);
    const body = response.json<{ tenant_discovery_endpoint: string; metadata: { aliases: string[] }[] }>();
    expect(body.tenant_discovery_endpoint).toBe(`${sandbox.origin}/${tid}/v2.0/.well-known/openid-configuration`);
    expect(body.metadata[0]?.aliases).toContain(`localhost:${sandbox.port}`);
  });

  it("publishes two RSA keys with kid and issuer", async () => {
    const body = (await call(sandbox, `/${tid}/discovery/v2.0/keys`)).json<{ keys: Record<string, string>[] }>();
    expect(body.keys).toHaveLength(2);
    for (const key of body.keys) {
      expect(key).toMatchObject({ kty: "RSA", use: "sig", issuer: `${sandbox.origin}/${tid}/v2.0` });
      expect(key.kid).toBeTruthy();
      expect(key.n).toBeTruthy();
    }
  });

  it("refuses an unknown tenant with AADSTS90002", async () => {
    const response = await call(sandbox, `/${randomUUID()}/v2.0/.well-known/openid-configuration`);
    expect(response.status).toBe(400);
    expect(errorCode(response.json())).toBe(90002);
  });
});

describe("CORS", () => {
  it("echoes the origin on discovery, keys and token, with Vary: Origin", async () => {
    for (const path of [`/${tid}/v2.0/.well-known/openid-configuration`, `/${tid}/discovery/v2.0/keys`]) {
      const response = await call(sandbox, path, { headers: { origin: SPA_ORIGIN } });
      expect(response.header("access-control-allow-origin")).toBe(SPA_ORIGIN);
      expect(response.header("vary")).toBe("Origin");
    }
    const token = await postForm(
      sandbox,
      tokenPath,
      { grant_type: "refresh_token", client_id: CONSOLE_SPA_CLIENT_ID, refresh_token: "nope" },
      { origin: SPA_ORIGIN },
    );
    expect(token.header("access-control-allow-origin")).toBe(SPA_ORIGIN);
  });

  it("answers a preflight", async () => {
    const response = await call(sandbox, tokenPath, {
      method: "OPTIONS",
      headers: { origin: SPA_ORIGIN, "access-control-request-method": "POST", "access-control-request-headers": "content-type" },
    });
    expect(response.status).toBe(204);
    expect(response.header("access-control-allow-origin")).toBe(SPA_ORIGIN);
    expect(response.header("access-control-allow-methods")).toContain("POST");
    expect(response.header("access-control-allow-headers")).toBe("content-type");
  });
});

/** An authorization request from the console SPA (code flow with PKCE); `overrides` change or add parameters. */
const authorizeQuery = (overrides: Record<string, string> = {}) =>
  new URLSearchParams({
    client_id: CONSOLE_SPA_CLIENT_ID,
    redirect_uri: SPA_REDIRECT_URI,
    response_type: "code",
    response_mode: "fragment",
    scope: `${CONSOLE_API_SCOPE} openid profile offline_access`,
    state: "s1",
    nonce: "n1",
    code_challenge: pkcePair().challenge,
    code_challenge_method: "S256",
    ...overrides,
  }).toString();

describe("authorize", () => {
  it("shows a sign-in page listing the personas, with login_hint prefilled", async () => {
    const response = await call(sandbox, `/${tid}/oauth2/v2.0/authorize?${authorizeQuery({ login_hint: teamLead.userPrincipalName })}`);
    expect(response.status).toBe(200);
    expect(response.header("content-type")).toContain("text/html");
    for (const persona of PERSONAS) expect(response.text).toContain(persona.userPrincipalName);
    expect(response.text).toContain(`value="${teamLead.userPrincipalName}"`);
  });

  it("shows AADSTS700016 for an unknown client instead of redirecting", async () => {
    const response = await call(sandbox, `/${tid}/oauth2/v2.0/authorize?${authorizeQuery({ client_id: randomUUID() })}`);
    expect(response.status).toBe(400);
    expect(response.header("location")).toBeUndefined();
    expect(response.text).toContain("AADSTS700016");
  });

  it("shows AADSTS50011 for an unregistered redirect URI", async () => {
    const response = await call(sandbox, `/${tid}/oauth2/v2.0/authorize?${authorizeQuery({ redirect_uri: "https://evil.example/" })}`);
    expect(response.status).toBe(400);
    expect(response.header("location")).toBeUndefined();
    expect(response.text).toContain("AADSTS50011");
  });

  it("requires PKCE (S256) for the SPA and reports it to the redirect URI", async () => {
    const missing = await call(sandbox, `/${tid}/oauth2/v2.0/authorize?${authorizeQuery({ code_challenge: "", code_challenge_method: "" })}`);
    expect(missing.status).toBe(302);
    const fragment = new URLSearchParams(missing.header("location")?.split("#")[1]);
    expect(fragment.get("error")).toBe("invalid_request");
    expect(fragment.get("error_description")).toContain("AADSTS9002325");
    expect(fragment.get("state")).toBe("s1");
    const plain = await call(sandbox, `/${tid}/oauth2/v2.0/authorize?${authorizeQuery({ code_challenge_method: "plain" })}`);
    expect(new URLSearchParams(plain.header("location")?.split("#")[1]).get("error")).toBe("invalid_request");
  });

  it("redirects invalid scopes back with AADSTS70011", async () => {
    const response = await call(sandbox, `/${tid}/oauth2/v2.0/authorize?${authorizeQuery({ scope: `api://${CONSOLE_API_CLIENT_ID}/no_such_scope openid` })}`);
    const fragment = new URLSearchParams(response.header("location")?.split("#")[1]);
    expect(fragment.get("error")).toBe("invalid_scope");
    expect(fragment.get("error_description")).toContain("AADSTS70011");
  });

  it("signs in with a password and replies with code, state and client_info in the fragment", async () => {
    const signIn = await signInSpa(sandbox, admin.userPrincipalName, admin.password);
    const fragment = new URLSearchParams(signIn.location.split("#")[1]);
    expect(signIn.location.startsWith(`${SPA_REDIRECT_URI}#`)).toBe(true);
    expect(fragment.get("state")).toBe("state-123");
    expect(JSON.parse(Buffer.from(fragment.get("client_info") ?? "", "base64url").toString())).toEqual({ uid: admin.objectId, utid: tid });
  });

  it("supports response_mode=query and form_post", async () => {
    const query = await signInSpa(sandbox, admin.userPrincipalName, admin.password, { responseMode: "query" });
    expect(query.location.startsWith(`${SPA_REDIRECT_URI}?code=`)).toBe(true);
    const { challenge } = pkcePair();
    const formPost = await postForm(sandbox, `/${tid}/oauth2/v2.0/authorize`, {
      client_id: CONSOLE_SPA_CLIENT_ID,
      redirect_uri: SPA_REDIRECT_URI,
      response_type: "code",
      response_mode: "form_post",
      scope: "openid profile",
      state: "fp",
      code_challenge: challenge,
      code_challenge_method: "S256",
      login: admin.userPrincipalName,
      passwd: admin.password,
    });
    expect(formPost.status).toBe(200);
    expect(formPost.text).toContain(`action="${SPA_REDIRECT_URI}"`);
    expect(formPost.text).toContain('name="code"');
    expect(formPost.text).toContain('name="state" value="fp"');
  });

  it("rejects a wrong password on the page with AADSTS50126", async () => {
    const response = await postForm(sandbox, `/${tid}/oauth2/v2.0/authorize`, {
      client_id: CONSOLE_SPA_CLIENT_ID,
      redirect_uri: SPA_REDIRECT_URI,
      response_type: "code",
      scope: "openid",
      code_challenge: pkcePair().challenge,
      code_challenge_method: "S256",
      login: admin.userPrincipalName,
      passwd: "wrong",
    });
    expect(response.status).toBe(200);
    expect(response.header("location")).toBeUndefined();
    expect(response.text).toContain("AADSTS50126");
  });

  it("keeps an SSO session: prompt=none succeeds with the cookie, fails with login_required without it", async () => {
    const signIn = await signInSpa(sandbox, admin.userPrincipalName, admin.password);
    expect(signIn.cookie).toBeTruthy();
    const silent = await call(sandbox, `/${tid}/oauth2/v2.0/authorize?${authorizeQuery({ prompt: "none" })}`, { headers: { cookie: signIn.cookie ?? "" } });
    expect(new URLSearchParams(silent.header("location")?.split("#")[1]).get("code")).toBeTruthy();
    const anonymous = await call(sandbox, `/${tid}/oauth2/v2.0/authorize?${authorizeQuery({ prompt: "none" })}`);
    const fragment = new URLSearchParams(anonymous.header("location")?.split("#")[1]);
    expect(fragment.get("error")).toBe("login_required");
    // prompt=login always shows the page, even with a session.
    const forced = await call(sandbox, `/${tid}/oauth2/v2.0/authorize?${authorizeQuery({ prompt: "login" })}`, { headers: { cookie: signIn.cookie ?? "" } });
    expect(forced.status).toBe(200);
    // login_hint for another user shows the page instead of reusing the session.
    const otherUser = await call(sandbox, `/${tid}/oauth2/v2.0/authorize?${authorizeQuery({ login_hint: teamLead.userPrincipalName })}`, {
      headers: { cookie: signIn.cookie ?? "" },
    });
    expect(otherUser.status).toBe(200);
  });

  it("answers a silent renewal (prompt=none with login_hint, as ssoSilent sends) from the session only for the hinted user", async () => {
    // https://learn.microsoft.com/entra/identity-platform/v2-oauth2-auth-code-flow#request-an-authorization-code
    // (prompt=none: "if the user isn't signed in… the request returns an error"; AADSTS50058, login_required).
    const signIn = await signInSpa(sandbox, admin.userPrincipalName, admin.password);
    const cookie = { headers: { cookie: signIn.cookie ?? "" } };
    const fragmentOf = (response: { header(name: string): string | undefined }) => new URLSearchParams(response.header("location")?.split("#")[1]);
    const hinted = await call(
      sandbox,
      `/${tid}/oauth2/v2.0/authorize?${authorizeQuery({ prompt: "none", login_hint: admin.userPrincipalName.toUpperCase() })}`,
      cookie,
    );
    expect(fragmentOf(hinted).get("code")).toBeTruthy();
    for (const [label, response] of [
      [
        "another user",
        await call(sandbox, `/${tid}/oauth2/v2.0/authorize?${authorizeQuery({ prompt: "none", login_hint: teamLead.userPrincipalName })}`, cookie),
      ],
      ["no session", await call(sandbox, `/${tid}/oauth2/v2.0/authorize?${authorizeQuery({ prompt: "none", login_hint: admin.userPrincipalName })}`)],
    ] as const) {
      expect(fragmentOf(response).get("error"), label).toBe("login_required");
      expect(fragmentOf(response).get("error_description"), label).toContain("AADSTS50058");
    }
  });

  it("signs in by SSO when the claims ask only for optional ID-token claims (as msal-browser always sends), not when they ask for MFA", async () => {
    const signIn = await signInSpa(sandbox, admin.userPrincipalName, admin.password);
    const optional = JSON.stringify({ id_token: { signin_state: { essential: false }, login_hint: { essential: false } } });
    const sso = await call(sandbox, `/${tid}/oauth2/v2.0/authorize?${authorizeQuery({ claims: optional })}`, { headers: { cookie: signIn.cookie ?? "" } });
    expect(new URLSearchParams(sso.header("location")?.split("#")[1]).get("code")).toBeTruthy();
    const mfa = JSON.stringify({ access_token: { acrs: { essential: true, values: ["p1"] } } });
    const stepUp = await call(sandbox, `/${tid}/oauth2/v2.0/authorize?${authorizeQuery({ claims: mfa })}`, { headers: { cookie: signIn.cookie ?? "" } });
    expect(stepUp.status).toBe(200);
    expect(stepUp.header("location")).toBeUndefined();
  });
});

describe("authorization code redemption", () => {
  it("returns Entra-shaped tokens: v2 API token with roles, ID token with nonce, refresh token, client_info", async () => {
    const signIn = await signInSpa(sandbox, admin.userPrincipalName, admin.password);
    const response = await redeemSpaCode(sandbox, signIn);
    expect(response.status).toBe(200);
    expect(response.header("cache-control")).toContain("no-store");
    const body = response.json<Record<string, string | number>>();
    expect(body.token_type).toBe("Bearer");
    expect(body.expires_in).toBe(3600);
    expect(body.ext_expires_in).toBe(3600);
    expect(typeof body.refresh_token).toBe("string");
    expect(body.scope).toContain(CONSOLE_API_SCOPE);
    expect(JSON.parse(Buffer.from(String(body.client_info), "base64url").toString())).toEqual({ uid: admin.objectId, utid: tid });

    const jwks = createLocalJWKSet((await call(sandbox, `/${tid}/discovery/v2.0/keys`)).json());
    const { payload: access, protectedHeader } = await jwtVerify(String(body.access_token), jwks, {
      issuer: `${sandbox.origin}/${tid}/v2.0`,
      audience: CONSOLE_API_CLIENT_ID,
      algorithms: ["RS256"],
    });
    expect(protectedHeader.typ).toBe("JWT");
    expect(access).toMatchObject({ ver: "2.0", tid, oid: admin.objectId, azp: CONSOLE_SPA_CLIENT_ID, scp: "access_as_user", roles: ["Console.Admin"] });
    const { payload: id } = await jwtVerify(String(body.id_token), jwks, { audience: CONSOLE_SPA_CLIENT_ID });
    expect(id).toMatchObject({
      nonce: signIn.nonce,
      oid: admin.objectId,
      tid,
      preferred_username: admin.userPrincipalName,
      name: admin.displayName,
      ver: "2.0",
    });
  });

  it("puts app roles from a group the user is a direct member of into roles", async () => {
    expect(decodeJwtPayload(await userAccessTokenForApi(teamLead)).roles).toEqual(["Console.Requester"]);
  });

  it("redeems a code only once (AADSTS54005)", async () => {
    const signIn = await signInSpa(sandbox, admin.userPrincipalName, admin.password);
    expect((await redeemSpaCode(sandbox, signIn)).status).toBe(200);
    const again = await redeemSpaCode(sandbox, signIn);
    expect(again.status).toBe(400);
    expect(again.json().error).toBe("invalid_grant");
    expect(errorCode(again.json())).toBe(54005);
  });

  it("expires codes after five minutes of sandbox time (AADSTS70008)", async () => {
    const signIn = await signInSpa(sandbox, admin.userPrincipalName, admin.password);
    await postJson(sandbox, "/_sandbox/clock/advance", { seconds: 301 });
    const response = await redeemSpaCode(sandbox, signIn);
    expect(errorCode(response.json())).toBe(70008);
  });

  it("checks the PKCE verifier (AADSTS501481)", async () => {
    const signIn = await signInSpa(sandbox, admin.userPrincipalName, admin.password);
    const response = await redeemSpaCode(sandbox, signIn, { code_verifier: pkcePair().verifier });
    expect(response.status).toBe(400);
    expect(errorCode(response.json())).toBe(501481);
  });

  it("checks the redirect URI against the one used at authorize", async () => {
    const signIn = await signInSpa(sandbox, admin.userPrincipalName, admin.password);
    const response = await redeemSpaCode(sandbox, signIn, { redirect_uri: "http://localhost:3000/other" });
    expect(response.json().error).toBe("invalid_grant");
    expect(errorCode(response.json())).toBe(500112);
  });

  it("refuses SPA redemption without an Origin header (AADSTS9002327)", async () => {
    const signIn = await signInSpa(sandbox, admin.userPrincipalName, admin.password);
    const response = await redeemSpaCode(sandbox, signIn, {}, {});
    expect(response.status).toBe(400);
    expect(errorCode(response.json())).toBe(9002327);
  });

  it("refuses cross-origin redemption of a web (confidential) code (AADSTS9002326) and accepts it server-side", async () => {
    sandbox.tenant.getApplicationByAppId(CONSOLE_API_CLIENT_ID)?.webRedirectUris.push(WEB_REDIRECT_URI);
    const authorize = await postForm(sandbox, `/${tid}/oauth2/v2.0/authorize`, {
      client_id: CONSOLE_API_CLIENT_ID,
      redirect_uri: WEB_REDIRECT_URI,
      response_type: "code",
      scope: "https://graph.microsoft.com/User.Read openid offline_access",
      login: admin.userPrincipalName,
      passwd: admin.password,
    });
    expect(authorize.status).toBe(302);
    const code = new URLSearchParams(authorize.header("location")?.split("?")[1]).get("code") ?? "";
    const fields = {
      grant_type: "authorization_code",
      client_id: CONSOLE_API_CLIENT_ID,
      client_secret: CONSOLE_API_CLIENT_SECRET,
      code,
      redirect_uri: WEB_REDIRECT_URI,
    };
    const crossOrigin = await postForm(sandbox, tokenPath, fields, { origin: SPA_ORIGIN });
    expect(errorCode(crossOrigin.json())).toBe(9002326);
    const serverSide = await postForm(sandbox, tokenPath, fields);
    expect(serverSide.status).toBe(200);
    const graphToken = decodeJwtPayload(serverSide.json<{ access_token: string }>().access_token);
    expect(graphToken).toMatchObject({ aud: GRAPH_AUDIENCE, iss: `https://sts.windows.net/${tid}/`, appid: CONSOLE_API_CLIENT_ID, ver: "1.0" });
    expect(String(graphToken.scp).split(" ")).toContain("User.Read");
  });
});

describe("refresh tokens", () => {
  const refreshSpa = (refreshToken: string) =>
    postForm(
      sandbox,
      tokenPath,
      {
        grant_type: "refresh_token",
        client_id: CONSOLE_SPA_CLIENT_ID,
        refresh_token: refreshToken,
        scope: `${CONSOLE_API_SCOPE} openid profile offline_access`,
      },
      { origin: SPA_ORIGIN },
    );

  it("gives an SPA a 24-hour refresh token that does not slide, then refuses it with AADSTS700084", async () => {
    const signIn = await signInSpa(sandbox, admin.userPrincipalName, admin.password);
    const first = (await redeemSpaCode(sandbox, signIn)).json<{ refresh_token: string; refresh_token_expires_in: number }>();
    expect(first.refresh_token_expires_in).toBe(24 * 3600);
    await postJson(sandbox, "/_sandbox/clock/advance", { seconds: 20 * 3600 });
    const renewed = await refreshSpa(first.refresh_token);
    expect(renewed.status).toBe(200);
    const second = renewed.json<{ refresh_token: string; refresh_token_expires_in: number }>();
    // The new refresh token keeps the first one's end: about 4 hours left, not another 24.
    expect(second.refresh_token_expires_in).toBeGreaterThan(3 * 3600);
    expect(second.refresh_token_expires_in).toBeLessThanOrEqual(4 * 3600);
    await postJson(sandbox, "/_sandbox/clock/advance", { seconds: 4 * 3600 + 1 });
    const expired = await refreshSpa(second.refresh_token);
    expect(expired.status).toBe(400);
    expect(expired.json().error).toBe("invalid_grant");
    expect(errorCode(expired.json())).toBe(700084);
  });

  it("gives a confidential web client a 90-day refresh token", async () => {
    sandbox.tenant.getApplicationByAppId(CONSOLE_API_CLIENT_ID)?.webRedirectUris.push(WEB_REDIRECT_URI);
    const { verifier, challenge } = pkcePair();
    const authorize = await postForm(sandbox, `/${tid}/oauth2/v2.0/authorize`, {
      client_id: CONSOLE_API_CLIENT_ID,
      redirect_uri: WEB_REDIRECT_URI,
      response_type: "code",
      response_mode: "query",
      scope: "openid offline_access https://graph.microsoft.com/User.Read",
      code_challenge: challenge,
      code_challenge_method: "S256",
      login: admin.userPrincipalName,
      passwd: admin.password,
    });
    const code = new URL(authorize.header("location") ?? "").searchParams.get("code") ?? "";
    const redeemed = await postForm(sandbox, tokenPath, {
      grant_type: "authorization_code",
      client_id: CONSOLE_API_CLIENT_ID,
      client_secret: CONSOLE_API_CLIENT_SECRET,
      code,
      redirect_uri: WEB_REDIRECT_URI,
      code_verifier: verifier,
      scope: "openid offline_access https://graph.microsoft.com/User.Read",
    });
    expect(redeemed.status).toBe(200);
    expect(redeemed.json().refresh_token_expires_in).toBe(90 * 24 * 3600);
  });

  it("renews tokens and switches resource with the same refresh token", async () => {
    const signIn = await signInSpa(sandbox, admin.userPrincipalName, admin.password);
    const first = (await redeemSpaCode(sandbox, signIn)).json<{ refresh_token: string }>();
    const renewed = await postForm(
      sandbox,
      tokenPath,
      {
        grant_type: "refresh_token",
        client_id: CONSOLE_SPA_CLIENT_ID,
        refresh_token: first.refresh_token,
        scope: `${CONSOLE_API_SCOPE} openid profile offline_access`,
      },
      { origin: SPA_ORIGIN },
    );
    expect(renewed.status).toBe(200);
    expect(decodeJwtPayload(renewed.json<{ access_token: string }>().access_token).aud).toBe(CONSOLE_API_CLIENT_ID);
    expect(renewed.json().refresh_token).toBeTruthy();
  });

  it("refuses an SPA refresh without Origin and an unknown refresh token", async () => {
    const signIn = await signInSpa(sandbox, admin.userPrincipalName, admin.password);
    const first = (await redeemSpaCode(sandbox, signIn)).json<{ refresh_token: string }>();
    const noOrigin = await postForm(sandbox, tokenPath, {
      grant_type: "refresh_token",
      client_id: CONSOLE_SPA_CLIENT_ID,
      refresh_token: first.refresh_token,
      scope: CONSOLE_API_SCOPE,
    });
    expect(errorCode(noOrigin.json())).toBe(9002327);
    const unknown = await postForm(
      sandbox,
      tokenPath,
      { grant_type: "refresh_token", client_id: CONSOLE_SPA_CLIENT_ID, refresh_token: "not-a-token", scope: CONSOLE_API_SCOPE },
      { origin: SPA_ORIGIN },
    );
    expect(unknown.json().error).toBe("invalid_grant");
  });

  it("answers interaction_required with claims when control demands step-up, until the user signs in again", async () => {
    const signIn = await signInSpa(sandbox, admin.userPrincipalName, admin.password);
    const first = (await redeemSpaCode(sandbox, signIn)).json<{ refresh_token: string }>();
    const demand = await postJson(sandbox, "/_sandbox/interaction-required", { user: admin.userPrincipalName });
    expect(demand.status).toBe(201);
    const refresh = () =>
      postForm(
        sandbox,
        tokenPath,
        { grant_type: "refresh_token", client_id: CONSOLE_SPA_CLIENT_ID, refresh_token: first.refresh_token, scope: CONSOLE_API_SCOPE },
        { origin: SPA_ORIGIN },
      );
    const refused = await refresh();
    expect(refused.status).toBe(400);
    expect(refused.json().error).toBe("interaction_required");
    expect(errorCode(refused.json())).toBe(50076);
    expect(JSON.parse(String(refused.json().claims))).toHaveProperty("access_token");
    await signInSpa(sandbox, admin.userPrincipalName, admin.password);
    expect((await refresh()).status).toBe(200);
  });
});

describe("client credentials", () => {
  it("issues a v1 Graph app token with roles and idtyp=app", async () => {
    const response = await clientCredentials("https://graph.microsoft.com/.default");
    expect(response.status).toBe(200);
    const body = response.json<Record<string, unknown>>();
    expect(body).toMatchObject({ token_type: "Bearer", expires_in: 3600, ext_expires_in: 3600 });
    expect(body.refresh_token).toBeUndefined();
    const claims = decodeJwtPayload(String(body.access_token));
    expect(claims).toMatchObject({ aud: GRAPH_AUDIENCE, iss: `https://sts.windows.net/${tid}/`, appid: CONSOLE_API_CLIENT_ID, idtyp: "app", ver: "1.0" });
    expect(claims.roles).toContain("Application.Read.All");
    expect(claims.scp).toBeUndefined();
  });

  it("issues an ARM app token", async () => {
    const claims = decodeJwtPayload((await clientCredentials("https://management.azure.com/.default")).json<{ access_token: string }>().access_token);
    expect(claims.aud).toBe(ARM_AUDIENCE);
  });

  it("honours the token lifetime setting", async () => {
    await postJson(sandbox, "/_sandbox/settings", { accessTokenLifetimeSeconds: 120 }, "PATCH");
    const body = (await clientCredentials("https://graph.microsoft.com/.default")).json<{ access_token: string; expires_in: number }>();
    expect(body.expires_in).toBe(120);
    const claims = decodeJwtPayload(body.access_token);
    expect(Number(claims.exp) - Number(claims.iat)).toBe(120);
  });

  it("refuses an unknown client (AADSTS700016) and a bad secret (AADSTS7000215)", async () => {
    const unknown = await clientCredentials("https://graph.microsoft.com/.default", { client_id: randomUUID() });
    expect(unknown.status).toBe(400);
    expect(unknown.json().error).toBe("unauthorized_client");
    expect(errorCode(unknown.json())).toBe(700016);
    const badSecret = await clientCredentials("https://graph.microsoft.com/.default", { client_secret: "wrong" });
    expect(badSecret.status).toBe(401);
    expect(badSecret.json().error).toBe("invalid_client");
    expect(errorCode(badSecret.json())).toBe(7000215);
    const body = badSecret.json<Record<string, unknown>>();
    expect(String(body.error_description)).toMatch(/^AADSTS7000215: /);
    expect(body).toHaveProperty("trace_id");
    expect(body).toHaveProperty("correlation_id");
    expect(body).toHaveProperty("timestamp");
  });

  it("refuses scopes that are not <resource>/.default and unknown resources", async () => {
    expect(errorCode((await clientCredentials("User.Read")).json())).toBe(1002012);
    expect(errorCode((await clientCredentials("api://no-such-app/.default")).json())).toBe(500011);
    expect(errorCode((await clientCredentials("https://graph.microsoft.com/.default https://management.azure.com/.default")).json())).toBe(70011);
  });

  it("accepts a PS256 certificate assertion with x5t#S256 and aud = token URL", async () => {
    const privateKey = createPrivateKey(sandbox.tls.clientKeyPem);
    const certificate = describeClientCertificate(sandbox.tls.clientCertPem, "k");
    const now = Math.floor(Date.now() / 1000);
    const assertion = (audience: string, header: Record<string, string>) =>
      new SignJWT({ jti: randomUUID() })
        .setProtectedHeader({ alg: "PS256", typ: "JWT", ...header })
        .setIssuer(CONSOLE_API_CLIENT_ID)
        .setSubject(CONSOLE_API_CLIENT_ID)
        .setAudience(audience)
        .setIssuedAt(now)
        .setNotBefore(now)
        .setExpirationTime(now + 600)
        .sign(privateKey);
    const withAssertion = async (jwt: string) =>
      postForm(sandbox, tokenPath, {
        grant_type: "client_credentials",
        client_id: CONSOLE_API_CLIENT_ID,
        client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        client_assertion: jwt,
        scope: "https://graph.microsoft.com/.default",
      });
    const good = await withAssertion(await assertion(`${sandbox.origin}${tokenPath}`, { "x5t#S256": certificate.thumbprintSha256 }));
    expect(good.status).toBe(200);
    expect(decodeJwtPayload(good.json<{ access_token: string }>().access_token).appidacr).toBe("2");
    const sha1 = await withAssertion(await assertion(`${sandbox.origin}${tokenPath}`, { x5t: certificate.thumbprintSha1 }));
    expect(sha1.status).toBe(200);
    const wrongAudience = await withAssertion(
      await assertion("https://login.microsoftonline.com/x/oauth2/v2.0/token", { "x5t#S256": certificate.thumbprintSha256 }),
    );
    expect(wrongAudience.status).toBe(401);
    const unknownCertificate = await withAssertion(
      await assertion(`${sandbox.origin}${tokenPath}`, { "x5t#S256": createHash("sha256").update("other").digest("base64url") }),
    );
    expect(errorCode(unknownCertificate.json())).toBe(700027);
  });
});

describe("on-behalf-of", () => {
  const obo = (assertion: string, scope = "https://management.azure.com/.default openid profile offline_access") =>
    postForm(sandbox, tokenPath, {
      grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer",
      requested_token_use: "on_behalf_of",
      client_id: CONSOLE_API_CLIENT_ID,
      client_secret: CONSOLE_API_CLIENT_SECRET,
      assertion,
      scope,
    });

  it("exchanges a user's API token for a delegated ARM token and a Graph token", async () => {
    const userToken = await userAccessTokenForApi(admin);
    const arm = await obo(userToken);
    expect(arm.status).toBe(200);
    const armClaims = decodeJwtPayload(arm.json<{ access_token: string }>().access_token);
    expect(armClaims).toMatchObject({
      aud: ARM_AUDIENCE,
      oid: admin.objectId,
      appid: CONSOLE_API_CLIENT_ID,
      scp: "user_impersonation",
      ver: "1.0",
      upn: admin.userPrincipalName,
    });
    expect(arm.json().refresh_token).toBeTruthy();
    const graph = await obo(userToken, "https://graph.microsoft.com/.default");
    expect(String(decodeJwtPayload(graph.json<{ access_token: string }>().access_token).scp).split(" ")).toContain("User.Read");
  });

  it("refuses an assertion for another audience (AADSTS50013)", async () => {
    const graphToken = (await clientCredentials("https://graph.microsoft.com/.default")).json<{ access_token: string }>().access_token;
    const response = await obo(graphToken);
    expect(response.json().error).toBe("invalid_grant");
    expect(errorCode(response.json())).toBe(50013);
    const forged = await obo(`${(await userAccessTokenForApi()).slice(0, -4)}AAAA`);
    expect(errorCode(forged.json())).toBe(50013);
  });

  it("refuses an expired assertion (AADSTS500133)", async () => {
    const userToken = await userAccessTokenForApi();
    await postJson(sandbox, "/_sandbox/clock/advance", { seconds: 3601 });
    const response = await obo(userToken);
    expect(errorCode(response.json())).toBe(500133);
  });

  it("surfaces a forced step-up as interaction_required with claims", async () => {
    const userToken = await userAccessTokenForApi();
    await postJson(sandbox, "/_sandbox/interaction-required", { user: admin.objectId, errorCode: 50079, suberror: "basic_action" });
    const response = await obo(userToken);
    expect(response.json()).toMatchObject({ error: "interaction_required", suberror: "basic_action" });
    expect(errorCode(response.json())).toBe(50079);
    expect(typeof response.json().claims).toBe("string");
  });

  it("answers an MFA claims request on a password-only assertion with AADSTS50076 and the claims, and honours it after an MFA sign-in", async () => {
    const stepUp = PERSONAS.find((persona) => persona.key === "step-up-admin")!;
    const claims = JSON.stringify({ access_token: { acrs: { essential: true, values: ["p1"] } } });
    const withClaims = (assertion: string) =>
      postForm(sandbox, tokenPath, {
        grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer",
        requested_token_use: "on_behalf_of",
        client_id: CONSOLE_API_CLIENT_ID,
        client_secret: CONSOLE_API_CLIENT_SECRET,
        assertion,
        scope: "https://management.azure.com/.default",
        claims,
      });
    const passwordOnly = await userAccessTokenForApi(stepUp);
    const plain = await obo(passwordOnly);
    expect(decodeJwtPayload(plain.json<{ access_token: string }>().access_token)).toMatchObject({ amr: ["pwd"] });
    const refused = await withClaims(passwordOnly);
    expect(refused.status).toBe(400);
    expect(refused.json()).toMatchObject({ error: "interaction_required", suberror: "basic_action", claims });
    expect(errorCode(refused.json())).toBe(50076);

    const signIn = await signInSpa(sandbox, stepUp.userPrincipalName, stepUp.password, { claims });
    const mfaToken = (await redeemSpaCode(sandbox, signIn)).json<{ access_token: string }>().access_token;
    expect(decodeJwtPayload(mfaToken)).not.toHaveProperty("amr");
    const granted = await withClaims(mfaToken);
    expect(granted.status).toBe(200);
    expect(decodeJwtPayload(granted.json<{ access_token: string }>().access_token)).toMatchObject({ amr: ["pwd", "mfa"], acrs: ["p1"] });
    expect(decodeJwtPayload((await obo(mfaToken)).json<{ access_token: string }>().access_token)).toMatchObject({ amr: ["pwd", "mfa"] });
  });

  it("puts an authentication context asked for as essential (c1..c99) in the access token's acrs after the MFA sign-in, and only then", async () => {
    const claims = JSON.stringify({ access_token: { acrs: { essential: true, value: "c7" } } });
    const signIn = await signInSpa(sandbox, admin.userPrincipalName, admin.password, { claims, scope: `${CONSOLE_API_SCOPE} openid profile offline_access` });
    const redeemed = (await redeemSpaCode(sandbox, signIn)).json<{ access_token: string; refresh_token: string }>();
    const stepped = decodeJwtPayload(redeemed.access_token);
    expect(stepped).toMatchObject({ acrs: ["c7"] });
    // v2 access tokens carry no amr; the acrs is the evidence.
    expect(stepped).not.toHaveProperty("amr");

    // A sign-in without the claims request gets none, and neither do tokens not asked for it (Entra adds acrs only to
    // a token request that asks for it, unless the resource opted in to the optional claim).
    expect(decodeJwtPayload(await userAccessTokenForApi(admin))).not.toHaveProperty("acrs");
    expect(decodeJwtPayload((await obo(redeemed.access_token)).json<{ access_token: string }>().access_token)).not.toHaveProperty("acrs");
    const refreshed = await postForm(
      sandbox,
      tokenPath,
      {
        grant_type: "refresh_token",
        client_id: CONSOLE_SPA_CLIENT_ID,
        refresh_token: redeemed.refresh_token,
        scope: `${CONSOLE_API_SCOPE} openid profile offline_access`,
      },
      { origin: SPA_ORIGIN },
    );
    expect(decodeJwtPayload(refreshed.json<{ access_token: string }>().access_token)).not.toHaveProperty("acrs");
    // An acrs asked for without `essential` is voluntary: no MFA, nothing added.
    const voluntary = await signInSpa(sandbox, admin.userPrincipalName, admin.password, {
      claims: JSON.stringify({ access_token: { acrs: { value: "c7" } } }),
    });
    expect(decodeJwtPayload((await redeemSpaCode(sandbox, voluntary)).json<{ access_token: string }>().access_token)).not.toHaveProperty("acrs");
  });

  it("refuses a claims parameter that is not JSON", async () => {
    const response = await postForm(sandbox, tokenPath, {
      grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer",
      requested_token_use: "on_behalf_of",
      client_id: CONSOLE_API_CLIENT_ID,
      client_secret: CONSOLE_API_CLIENT_SECRET,
      assertion: await userAccessTokenForApi(),
      scope: "https://management.azure.com/.default",
      claims: "{not json",
    });
    expect(response.json().error).toBe("invalid_request");
  });

  it("requires a client credential", async () => {
    const response = await postForm(sandbox, tokenPath, {
      grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer",
      requested_token_use: "on_behalf_of",
      client_id: CONSOLE_API_CLIENT_ID,
      assertion: await userAccessTokenForApi(),
      scope: "https://management.azure.com/.default",
    });
    expect(response.status).toBe(401);
    expect(errorCode(response.json())).toBe(7000218);
  });
});

describe("logout", () => {
  it("clears the session and redirects to a registered post_logout_redirect_uri", async () => {
    const signIn = await signInSpa(sandbox, admin.userPrincipalName, admin.password);
    const response = await call(
      sandbox,
      `/${tid}/oauth2/v2.0/logout?post_logout_redirect_uri=${encodeURIComponent(SPA_REDIRECT_URI)}&client_id=${CONSOLE_SPA_CLIENT_ID}&state=x`,
      {
        headers: { cookie: signIn.cookie ?? "" },
      },
    );
    expect(response.status).toBe(302);
    expect(response.header("location")).toBe(`${SPA_REDIRECT_URI}?state=x`);
    expect(response.header("set-cookie")).toContain("Max-Age=0");
    const silent = await call(
      sandbox,
      `/${tid}/oauth2/v2.0/authorize?${new URLSearchParams({ client_id: CONSOLE_SPA_CLIENT_ID, redirect_uri: SPA_REDIRECT_URI, response_type: "code", response_mode: "fragment", scope: "openid", prompt: "none", code_challenge: pkcePair().challenge, code_challenge_method: "S256" })}`,
      { headers: { cookie: signIn.cookie ?? "" } },
    );
    expect(new URLSearchParams(silent.header("location")?.split("#")[1]).get("error")).toBe("login_required");
  });

  it("does not redirect to an unregistered URI", async () => {
    const response = await call(
      sandbox,
      `/${tid}/oauth2/v2.0/logout?post_logout_redirect_uri=${encodeURIComponent("https://evil.example/")}&client_id=${CONSOLE_SPA_CLIENT_ID}`,
    );
    expect(response.status).toBe(200);
    expect(response.header("location")).toBeUndefined();
  });
});

describe("app-role assignment (Assignment required on the console API)", () => {
  it("gives no role through a nested group and refuses that user's interactive sign-in on Entra's page (AADSTS50105)", async () => {
    // The no-role persona is in DS - Churn, a member of Data Scientists, which holds Console.Requester.
    expect(sandbox.tenant.userAppRoles(noRole.objectId, CONSOLE_API_CLIENT_ID)).toEqual([]);
    const response = await postForm(sandbox, `/${tid}/oauth2/v2.0/authorize`, {
      client_id: CONSOLE_SPA_CLIENT_ID,
      redirect_uri: SPA_REDIRECT_URI,
      response_type: "code",
      scope: `${CONSOLE_API_SCOPE} openid`,
      code_challenge: pkcePair().challenge,
      code_challenge_method: "S256",
      login: noRole.userPrincipalName,
      passwd: noRole.password,
    });
    expect(response.status).toBe(400);
    expect(response.header("location")).toBeUndefined();
    expect(response.text).toContain('data-error-code="AADSTS50105"');
    expect(response.text).toContain("not a direct member of a group with access");
  });

  it("returns access_denied with AADSTS50105 to the redirect URI for a silent request, and invalid_grant at the token endpoint", async () => {
    // Signing in for Graph alone is allowed: the SPA's own service principal does not require assignment.
    const signIn = await signInSpa(sandbox, noRole.userPrincipalName, noRole.password, { scope: "openid profile offline_access" });
    const silent = await call(sandbox, `/${tid}/oauth2/v2.0/authorize?${authorizeQuery({ prompt: "none" })}`, { headers: { cookie: signIn.cookie ?? "" } });
    expect(silent.status).toBe(302);
    const fragment = new URLSearchParams(silent.header("location")?.split("#")[1]);
    expect(fragment.get("error")).toBe("access_denied");
    expect(fragment.get("error_description")).toMatch(/^AADSTS50105: /);
    expect(fragment.get("code")).toBeNull();

    const graphTokens = await redeemSpaCode(sandbox, signIn, { scope: "openid profile offline_access" });
    expect(graphTokens.status).toBe(200);
    const forApi = await postForm(
      sandbox,
      tokenPath,
      {
        grant_type: "refresh_token",
        client_id: CONSOLE_SPA_CLIENT_ID,
        refresh_token: graphTokens.json<{ refresh_token: string }>().refresh_token,
        scope: `${CONSOLE_API_SCOPE} openid profile offline_access`,
      },
      { origin: SPA_ORIGIN },
    );
    expect(forApi.status).toBe(400);
    expect(forApi.json().error).toBe("invalid_grant");
    expect(errorCode(forApi.json())).toBe(50105);
  });

  it("assigns the user once they are a direct member of the assigned group", async () => {
    const tenant = sandbox.tenant;
    const groupId = tenant
      .transitiveGroupIds(noRole.objectId)
      .find((id) => (tenant.getDirectoryObject(id) as { displayName?: string } | undefined)?.displayName === "Data Scientists");
    expect(groupId).toBeTruthy();
    expect(tenant.directGroupIds(noRole.objectId)).not.toContain(groupId);
    sandbox.tenant.addGroupMember(groupId as string, noRole.objectId);
    expect(decodeJwtPayload(await userAccessTokenForApi(noRole)).roles).toEqual(["Console.Requester"]);
  });
});
