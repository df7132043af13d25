import "server-only";

import { cookies } from "next/headers";
import { cache } from "react";

import { getConfig } from "@/lib/config";
import { getDatabase } from "@/lib/db";
import type { SignedInPrincipal } from "./access-token";
import { SecretToken } from "./secret-token";
import { isCookieValue, loadSessionKey } from "./session-crypto";
import { findLiveSession, type SessionLifetimes, SessionRowCache } from "./session-store";
import { validateConsoleToken } from "./token-validator";

/**
 * The session cookie carries an opaque random id; the session itself (who, until when, the person's token for the
 * console's API, encrypted) is kept on the server (`session-store.ts`), so ending it there ends every copy of the
 * cookie at once. `__Host-` binds the cookie to this exact origin (Secure, Path=/, no Domain); SameSite=Strict keeps
 * it off cross-site requests; HttpOnly keeps it from scripts.
 */
export const SESSION_COOKIE = "__Host-gatehouse-session";

export const SESSION_COOKIE_ATTRIBUTES = {
  httpOnly: true,
  secure: true,
  sameSite: "strict",
  path: "/",
} as const;

/** A token larger than this is refused with a clear reason (it was the cookie's cap, and keeps rows bounded). */
export const MAX_SESSION_TOKEN_BYTES = 4000;

export interface Session {
  /** The session's row id (never the cookie's value): shown on the account page, named in the audit trail. */
  readonly sessionId: string;
  readonly principal: SignedInPrincipal;
  /** The user's token for the console's API: the assertion for on-behalf-of. Never sent back to the browser. */
  readonly assertion: SecretToken;
  /** What the session recorded of its client at sign-in: the "where" of every audit event made in it. */
  readonly clientAddress: string;
  readonly userAgent: string;
}

let sessionKey: Promise<Buffer> | undefined;

/** The key that encrypts sessions' tokens, read (or in the sandbox made) once per process. */
export function getSessionKey(): Promise<Buffer> {
  sessionKey ??= loadSessionKey(getConfig().sessions).catch((error: unknown) => {
    sessionKey = undefined;
    throw error;
  });
  return sessionKey;
}

export function sessionLifetimes(): SessionLifetimes {
  const { idleMs, absoluteMs } = getConfig().sessions;
  return { idleMs, absoluteMs };
}

/** The cookie's value on this request, when it has the shape of one Gatehouse made. */
export async function sessionCookieValue(): Promise<string | undefined> {
  const value = (await cookies()).get(SESSION_COOKIE)?.value;
  return value && isCookieValue(value) ? value : undefined;
}

let sessionRows: SessionRowCache | undefined;

/**
 * Session rows kept between requests when the database is PGlite, whose only writer is this process (see
 * SessionRowCache); none with PostgreSQL, which other instances write.
 */
function sessionRowCache(): SessionRowCache | undefined {
  if (getConfig().database.kind !== "pglite") return undefined;
  return (sessionRows ??= new SessionRowCache());
}

/** The signed-in person for this request, or null. Looked up and validated once per request (React cache). */
export const getSession = cache(async (): Promise<Session | null> => {
  const cookieValue = await sessionCookieValue();
  if (!cookieValue) return null;
  const now = new Date();
  const found = await findLiveSession(await getDatabase(), cookieValue, {
    key: await getSessionKey(),
    now,
    lifetimes: sessionLifetimes(),
    cache: sessionRowCache(),
  });
  // A session whose token ran out waits for the browser's renewal; until then it grants nothing (and is not counted
  // as a rejected token: nobody presented it).
  if (!found || found.tokenExpiresAt.getTime() <= now.getTime()) return null;
  const result = await validateConsoleToken(found.token, { via: "session-cookie" });
  if (!result.ok) return null;
  // The token is the session's own person's: a row's ciphertext is bound to it, and this is checked as well.
  if (result.principal.tenantId !== found.tenantId || result.principal.objectId !== found.objectId) return null;
  return {
    sessionId: found.id,
    principal: result.principal,
    assertion: new SecretToken(found.token),
    clientAddress: found.clientAddress,
    userAgent: found.userAgent,
  };
});
