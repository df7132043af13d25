/**
 * Signs a sandbox persona in the way the browser does (authorize with password → code + PKCE → token) and returns its
 * access token for the console's API: the same assertion the console's session cookie holds.
 */
import { createHash, randomBytes, randomUUID } from "node:crypto";

import { decodeJwt } from "jose";

import { SecretToken } from "@/lib/auth/secret-token";
import { CONSOLE_ROLES, type ConsoleRole } from "@/lib/shared/console-roles";
import { CONSOLE_API_SCOPE, CONSOLE_SPA_CLIENT_ID, SANDBOX_TENANT_ID } from "@/sandbox/contract";
import { testSandboxOrigin } from "./test-env";

export const PERSONA_LOGINS = {
  admin: ["admin@contosoml.onmicrosoft.com", "Admin-Sandbox-2026!"],
  "limited-admin": ["limited-admin@contosoml.onmicrosoft.com", "LimitedAdmin-Sandbox-2026!"],
  "team-lead": ["team-lead@contosoml.onmicrosoft.com", "TeamLead-Sandbox-2026!"],
  security: ["security@contosoml.onmicrosoft.com", "Security-Sandbox-2026!"],
  "no-role": ["no-role@contosoml.onmicrosoft.com", "NoRole-Sandbox-2026!"],
  "step-up-admin": ["step-up-admin@contosoml.onmicrosoft.com", "StepUpAdmin-Sandbox-2026!"],
  "fraud-owner": ["fraud-owner@contosoml.onmicrosoft.com", "FraudOwner-Sandbox-2026!"],
} as const;

export interface PersonaSignIn {
  /** Claims (JSON) the sign-in is asked for, as MSAL sends them after a claims challenge; the sandbox then counts it as MFA. */
  readonly claims?: string;
}

const REDIRECT_URI = "http://localhost:3000/";

export function sandboxOrigin(): string {
  const origin = testSandboxOrigin();
  if (!origin) throw new Error("the shared test sandbox is not running (see test/support/global-sandbox.ts)");
  return origin;
}

export async function personaApiToken(persona: keyof typeof PERSONA_LOGINS, signIn: PersonaSignIn = {}): Promise<string> {
  const [login, password] = PERSONA_LOGINS[persona];
  const origin = sandboxOrigin();
  const verifier = randomBytes(32).toString("base64url");
  const challenge = createHash("sha256").update(verifier).digest("base64url");
  const scope = `${CONSOLE_API_SCOPE} openid profile offline_access`;
  const authorize = await fetch(`${origin}/${SANDBOX_TENANT_ID}/oauth2/v2.0/authorize`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      client_id: CONSOLE_SPA_CLIENT_ID,
      redirect_uri: REDIRECT_URI,
      response_type: "code",
      response_mode: "query",
      scope,
      state: "test",
      nonce: randomBytes(8).toString("hex"),
      code_challenge: challenge,
      code_challenge_method: "S256",
      ...(signIn.claims ? { claims: signIn.claims } : {}),
      login,
      passwd: password,
    }),
  });
  const location = authorize.headers.get("location") ?? "";
  const code = new URL(location, REDIRECT_URI).searchParams.get("code");
  if (!code) throw new Error(`sign-in of ${persona} failed: ${authorize.status} ${location}`);
  const token = await fetch(`${origin}/${SANDBOX_TENANT_ID}/oauth2/v2.0/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", origin: "http://localhost:3000" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      client_id: CONSOLE_SPA_CLIENT_ID,
      code,
      redirect_uri: REDIRECT_URI,
      code_verifier: verifier,
      scope,
    }),
  });
  const body = (await token.json()) as { access_token?: string; error_description?: string };
  if (!body.access_token) throw new Error(`token for ${persona} failed: ${body.error_description ?? token.status}`);
  return body.access_token;
}

/**
 * A persona signed in, as a domain operation sees it: the on-behalf-of caller (with the persona's real API token),
 * the audit actor, the person and a fresh request id — what `delegatedContext` builds in a server action.
 */
export async function personaContext(persona: keyof typeof PERSONA_LOGINS, signIn: PersonaSignIn = {}) {
  const assertion = await personaApiToken(persona, signIn);
  const claims = decodeJwt(assertion);
  const person = {
    tenantId: String(claims.tid),
    objectId: String(claims.oid),
    displayName: String(claims.name),
    userPrincipalName: String(claims.preferred_username),
  };
  return {
    caller: { tenantId: person.tenantId, objectId: person.objectId, assertion: new SecretToken(assertion) },
    actor: { kind: "user" as const, ...person },
    person,
    requestId: randomUUID(),
    // What validateAccessToken reads into the principal: the satisfied authentication contexts.
    authContexts: Array.isArray(claims.acrs) ? claims.acrs.filter((value): value is string => typeof value === "string") : [],
    roles: (Array.isArray(claims.roles) ? claims.roles : []).filter((role): role is ConsoleRole => (CONSOLE_ROLES as readonly unknown[]).includes(role)),
  };
}

/**
 * A persona signed in as `POST /api/session` leaves it: a session in the console's database holding the persona's
 * token, and the opaque value of its cookie (what a test's stand-in for `next/headers` hands to `getSession`).
 */
export async function personaSessionCookie(persona: keyof typeof PERSONA_LOGINS, signIn: PersonaSignIn = {}): Promise<string> {
  // Imported here: most users of this file never open the console's database.
  const [{ getDatabase }, { getSessionKey, sessionLifetimes }, { createSession }, { validateConsoleToken }] = await Promise.all([
    import("@/lib/db"),
    import("@/lib/auth/session"),
    import("@/lib/auth/session-store"),
    import("@/lib/auth/token-validator"),
  ]);
  const token = await personaApiToken(persona, signIn);
  const validation = await validateConsoleToken(token, { via: "sign-in" });
  if (!validation.ok) throw new Error(`the token of ${persona} was refused: ${validation.reason}`);
  const created = await createSession(
    await getDatabase(),
    { principal: validation.principal, token, clientAddress: "127.0.0.1", userAgent: "vitest" },
    { key: await getSessionKey(), now: new Date(), lifetimes: sessionLifetimes() },
  );
  return created.cookieValue;
}
