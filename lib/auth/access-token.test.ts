import { createLocalJWKSet, exportJWK, generateKeyPair, type JWTPayload, SignJWT, type JWK } from "jose";
import { createHmac } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { beforeAll, describe, expect, it } from "vitest";

import { MAX_TOKEN_LENGTH, remoteSigningKeys, type TokenExpectations, validateAccessToken, withSigningKeyIssuerCheck } from "./access-token";

const TENANT = "72f988bf-0000-4000-8000-00000000c05a";
const OTHER_TENANT = "11111111-0000-4000-8000-000000000000";
const API = "0c0a5e11-a910-4000-8000-000000000002";
const SPA = "0c0a5e11-5a00-4000-8000-000000000001";
const USER = "aaaaaaaa-0000-4000-8000-000000000001";
const AUTHORITY = "https://login.example.test";
const NOW = new Date("2026-06-01T12:00:00Z");
const nowSeconds = NOW.getTime() / 1000;

const expectations: TokenExpectations = {
  issuerHosts: [AUTHORITY],
  allowedTenantIds: [TENANT],
  apiClientId: API,
  apiIdentifierUri: `api://${API}`,
  spaClientId: SPA,
};

type KeyPair = Awaited<ReturnType<typeof generateKeyPair>>;
let signing: KeyPair;
let stranger: KeyPair;
let publicJwk: JWK;
let strangerJwk: JWK;
let keys: ReturnType<typeof createLocalJWKSet>;

beforeAll(async () => {
  signing = await generateKeyPair("RS256", { extractable: true });
  stranger = await generateKeyPair("RS256", { extractable: true });
  publicJwk = { ...(await exportJWK(signing.publicKey)), kid: "key-1", alg: "RS256", use: "sig" };
  strangerJwk = { ...(await exportJWK(stranger.publicKey)), alg: "RS256" };
  keys = createLocalJWKSet({ keys: [publicJwk] });
});

function claims(overrides: JWTPayload = {}): JWTPayload {
  return {
    iss: `${AUTHORITY}/${TENANT}/v2.0`,
    aud: API,
    tid: TENANT,
    oid: USER,
    azp: SPA,
    scp: "access_as_user",
    roles: ["Console.Admin", "Something.Else"],
    name: "Ada Admin",
    preferred_username: "ada@contoso.test",
    ver: "2.0",
    iat: nowSeconds - 60,
    nbf: nowSeconds - 60,
    exp: nowSeconds + 3600,
    ...overrides,
  };
}

function sign(payload: JWTPayload, key = signing.privateKey, kid = "key-1"): Promise<string> {
  return new SignJWT(payload).setProtectedHeader({ alg: "RS256", kid, typ: "JWT" }).sign(key);
}

function signWithHeader(extra: Record<string, unknown>, kid: string): Promise<string> {
  return new SignJWT(claims()).setProtectedHeader({ alg: "RS256", kid, typ: "JWT", ...extra }).sign(stranger.privateKey);
}

const validate = (token: string | undefined) => validateAccessToken(token, expectations, keys, NOW);

describe("validateAccessToken", () => {
  it("accepts a user's token for the API and reads identity from tid and oid", async () => {
    const result = await validate(await sign(claims()));
    expect(result).toEqual({
      ok: true,
      principal: {
        tenantId: TENANT,
        objectId: USER,
        displayName: "Ada Admin",
        userPrincipalName: "ada@contoso.test",
        roles: ["Console.Admin"],
        authContexts: [],
        expiresAt: new Date((nowSeconds + 3600) * 1000),
      },
    });
  });

  it("reads the satisfied authentication contexts (acrs) into the principal, and junk as none", async () => {
    const contexts = async (acrs: unknown) => {
      const result = await validate(await sign(claims({ acrs })));
      if (!result.ok) throw new Error(result.reason);
      return result.principal.authContexts;
    };
    expect(await contexts(["c1"])).toEqual(["c1"]);
    expect(await contexts(["p1", "c42"])).toEqual(["p1", "c42"]);
    expect(await contexts("c1")).toEqual([]);
    expect(await contexts({ c1: true })).toEqual([]);
    expect(await contexts([1, null, "c1 c2", "x".repeat(200), { value: "c1" }])).toEqual([]);
    expect(await contexts(Array.from({ length: 101 }, () => "c1"))).toEqual([]);
  });

  it("accepts the App ID URI as audience", async () => {
    expect((await validate(await sign(claims({ aud: `api://${API}` })))).ok).toBe(true);
  });

  it("tolerates two minutes of clock skew, not more", async () => {
    expect((await validate(await sign(claims({ exp: nowSeconds - 119 })))).ok).toBe(true);
    expect(await validate(await sign(claims({ exp: nowSeconds - 121 })))).toMatchObject({ ok: false, reason: "expired" });
    expect((await validate(await sign(claims({ nbf: nowSeconds + 119 })))).ok).toBe(true);
    expect(await validate(await sign(claims({ nbf: nowSeconds + 121 })))).toMatchObject({ ok: false, reason: "not_yet_valid" });
  });

  const rejections: Array<[string, () => Promise<string>, string]> = [
    ["a Graph token", () => sign(claims({ aud: "https://graph.microsoft.com" })), "wrong_audience"],
    ["an ID token", () => sign(claims({ aud: SPA, nonce: "n-1" })), "wrong_audience"],
    ["an ID token with our audience", () => sign(claims({ nonce: "n-1" })), "not_a_user_token"],
    ["an app-only token", () => sign(claims({ idtyp: "app", scp: undefined })), "not_a_user_token"],
    ["another client", () => sign(claims({ azp: "99999999-0000-4000-8000-000000000000" })), "wrong_client"],
    ["no access_as_user scope", () => sign(claims({ scp: "User.Read" })), "missing_scope"],
    ["a v1 token", () => sign(claims({ ver: "1.0" })), "wrong_version"],
    ["a v1 issuer", () => sign(claims({ iss: `https://sts.windows.net/${TENANT}/` })), "wrong_issuer"],
    ["an issuer of another host", () => sign(claims({ iss: `https://evil.test/${TENANT}/v2.0` })), "wrong_issuer"],
    ["an issuer of another tenant", () => sign(claims({ iss: `${AUTHORITY}/${OTHER_TENANT}/v2.0` })), "wrong_issuer"],
    ["a tenant not on the allow list", () => sign(claims({ tid: OTHER_TENANT, iss: `${AUTHORITY}/${OTHER_TENANT}/v2.0` })), "tenant_not_allowed"],
    [
      "a tid that is not a GUID",
      () => sign(claims({ tid: "contoso.onmicrosoft.com", iss: `${AUTHORITY}/contoso.onmicrosoft.com/v2.0` })),
      "tenant_not_allowed",
    ],
    ["a tid of the allowed tenant with junk after it", () => sign(claims({ tid: `${TENANT}/x`, iss: `${AUTHORITY}/${TENANT}/x/v2.0` })), "tenant_not_allowed"],
    ["a tid that is not a string", () => sign(claims({ tid: 42 })), "tenant_not_allowed"],
    ["an expired token", () => sign(claims({ exp: nowSeconds - 3600 })), "expired"],
    ["a token not yet valid", () => sign(claims({ nbf: nowSeconds + 3600 })), "not_yet_valid"],
    ["a key the authority does not publish", () => sign(claims(), stranger.privateKey, "key-2"), "unknown_signing_key"],
    ["a foreign key claiming a known kid", () => sign(claims(), stranger.privateKey, "key-1"), "invalid_signature"],
    [
      "alg none",
      () => {
        const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
        return Promise.resolve(`${encode({ alg: "none", typ: "JWT" })}.${encode(claims())}.`);
      },
      "algorithm_not_allowed",
    ],
    [
      "HS256 signed with the public key",
      () => {
        const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
        const input = `${encode({ alg: "HS256", kid: "key-1", typ: "JWT" })}.${encode(claims())}`;
        const signature = createHmac("sha256", JSON.stringify(publicJwk)).update(input).digest("base64url");
        return Promise.resolve(`${input}.${signature}`);
      },
      "algorithm_not_allowed",
    ],
    [
      "a tampered payload",
      async () => {
        const [header, , signature] = (await sign(claims())).split(".");
        const forged = Buffer.from(JSON.stringify(claims({ roles: ["Console.Admin", "Console.SecurityReader"] }))).toString("base64url");
        return `${header}.${forged}.${signature}`;
      },
      "invalid_signature",
    ],
    ["an oversized token", () => sign(claims({ padding: "x".repeat(MAX_TOKEN_LENGTH) })), "oversized"],
    ["a token without exp", () => sign(claims({ exp: undefined })), "malformed"],
    ["a token without nbf", () => sign(claims({ nbf: undefined })), "malformed"],
    // Keys are only ever the authority's published ones: a key embedded in the header, or a URL pointing at one, is
    // ignored, so the attacker's signature fails against the published kid, or the kid is unknown.
    ["an attacker's key embedded in the header (jwk)", () => signWithHeader({ jwk: strangerJwk }, "key-1"), "invalid_signature"],
    ["an attacker's key set by URL (jku)", () => signWithHeader({ jku: "https://evil.test/keys" }, "attacker-1"), "unknown_signing_key"],
    ["an attacker's certificate by URL (x5u)", () => signWithHeader({ x5u: "https://evil.test/cert.pem" }, "key-1"), "invalid_signature"],
    ["something that is not a JWT", () => Promise.resolve("not-a-token"), "malformed"],
  ];

  it.each(rejections)("rejects %s", async (_name, makeToken, reason) => {
    const result = await validate(await makeToken());
    expect(result).toMatchObject({ ok: false, reason });
  });

  it("names a rejected algorithm only when it is a known one: the unverified header never reaches the detail", async () => {
    const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
    const withAlg = (alg: string) => `${encode({ alg, typ: "JWT" })}.${encode(claims())}.`;
    expect(await validate(withAlg("HS256"))).toEqual({ ok: false, reason: "algorithm_not_allowed", detail: "alg HS256" });
    expect(await validate(withAlg(`x\u2028${"A".repeat(4000)}`))).toEqual({ ok: false, reason: "algorithm_not_allowed", detail: "alg other" });
  });

  it("rejects a missing token", async () => {
    expect(await validate(undefined)).toMatchObject({ ok: false, reason: "missing" });
  });

  it("fetches the published keys at most once under a flood of 500 tokens with unknown kids", async () => {
    let fetches = 0;
    const server = createServer((_request, response) => {
      fetches += 1;
      response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ keys: [publicJwk] }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const remote = remoteSigningKeys(`http://127.0.0.1:${port}`, TENANT);
      expect((await validateAccessToken(await sign(claims()), expectations, remote, NOW)).ok).toBe(true);
      const flood = await Promise.all(
        Array.from({ length: 500 }, async (_, index) =>
          validateAccessToken(await sign(claims(), stranger.privateKey, `unknown-${index}`), expectations, remote, NOW),
        ),
      );
      expect(flood.every((result) => !result.ok && result.reason === "unknown_signing_key")).toBe(true);
      // The first load starts jose's 30 s cooldown: unknown kids inside it never reach the authority.
      expect(fetches).toBe(1);
    } finally {
      server.close();
    }
  });

  it("fails closed when the signing keys cannot be fetched", async () => {
    const unreachable = () => Promise.reject(new Error("connect ECONNREFUSED"));
    const result = await validateAccessToken(await sign(claims()), expectations, unreachable, NOW);
    expect(result).toMatchObject({ ok: false, reason: "keys_unavailable" });
  });
});

describe("the signing key's published issuer", () => {
  const withIssuer = (issuer: string | undefined) => {
    const published = { keys: [{ ...publicJwk, ...(issuer === undefined ? {} : { issuer }) }] };
    return withSigningKeyIssuerCheck(createLocalJWKSet(published), () => published);
  };
  const validateWith = async (issuer: string | undefined, payload: JWTPayload = claims()) =>
    validateAccessToken(await sign(payload), expectations, withIssuer(issuer), NOW);

  it("accepts a token whose iss is the key's issuer, with {tenantid} filled in from the token's tid", async () => {
    expect((await validateWith(`${AUTHORITY}/${TENANT}/v2.0`)).ok).toBe(true);
    expect((await validateWith(`${AUTHORITY}/{tenantid}/v2.0`)).ok).toBe(true);
    expect((await validateWith(undefined)).ok).toBe(true);
  });

  it("refuses a token signed by a key published for another issuer, even when iss is otherwise acceptable", async () => {
    expect(await validateWith(`${AUTHORITY}/${OTHER_TENANT}/v2.0`)).toMatchObject({ ok: false, reason: "wrong_key_issuer" });
    expect(await validateWith(`https://sts.windows.net/${TENANT}/`)).toMatchObject({ ok: false, reason: "wrong_key_issuer" });
  });

  it("fills {tenantid} from the token's own tid, so a token cannot borrow another tenant's issuer", async () => {
    const borrowed = claims({ tid: OTHER_TENANT });
    expect(await validateWith(`${AUTHORITY}/{tenantid}/v2.0`, borrowed)).toMatchObject({ ok: false, reason: "wrong_key_issuer" });
  });
});
