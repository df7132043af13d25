import "server-only";

import { cookies } from "next/headers";
import { cache } from "react";

import type { SignedInPrincipal } from "./access-token";
import { SecretToken } from "./secret-token";
import { validateConsoleToken } from "./token-validator";

/**
 * The session is the browser's access token for the console's API, kept in an HttpOnly cookie and validated on every
 * request. `__Host-` binds it to this exact origin (Secure, Path=/, no Domain); SameSite=Strict keeps it off
 * cross-site requests.
 */
export const SESSION_COOKIE = "__Host-gatehouse-session";

export const SESSION_COOKIE_ATTRIBUTES = {
  httpOnly: true,
  secure: true,
  sameSite: "strict",
  path: "/",
} as const;

/** Browsers cap a cookie at about 4 KB; a token that large cannot be kept and is refused with a clear reason. */
export const MAX_SESSION_COOKIE_BYTES = 4000;

export interface Session {
  readonly principal: SignedInPrincipal;
  /** The user's token for the console's API: the assertion for on-behalf-of. Never sent back to the browser. */
  readonly assertion: SecretToken;
}

/** The signed-in person for this request, or null. Validated once per request (React cache). */
export const getSession = cache(async (): Promise<Session | null> => {
  const token = (await cookies()).get(SESSION_COOKIE)?.value;
  if (!token) return null;
  const result = await validateConsoleToken(token, { via: "session-cookie" });
  return result.ok ? { principal: result.principal, assertion: new SecretToken(token) } : null;
});
