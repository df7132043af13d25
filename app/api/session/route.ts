import { cookies } from "next/headers";

import { recordAuditEvents } from "@/lib/audit";
import { auditActorOf } from "@/lib/auth/audit-actor";
import { recordSignIn, sessionEndedEvent, sessionOwnerActor, signedOutEvent } from "@/lib/auth/record-session";
import { getSessionKey, MAX_SESSION_TOKEN_BYTES, SESSION_COOKIE, SESSION_COOKIE_ATTRIBUTES, sessionCookieValue, sessionLifetimes } from "@/lib/auth/session";
import { createSession, endSession, findDeliberatelyEndedSession, findLiveSession, renewSessionToken } from "@/lib/auth/session-store";
import { validateConsoleToken } from "@/lib/auth/token-validator";
import { getDatabase } from "@/lib/db";
import { declaresBodyOver, NO_BODY, payloadTooLarge } from "@/lib/security/body-limit";
import { checkRateLimit, tooManyRequestsResponse } from "@/lib/security/rate-limit";
import { isSameOriginRequest } from "@/lib/security/same-origin";
import { requestSource } from "@/lib/security/client-address";

export const dynamic = "force-dynamic";

const NO_STORE = { "Cache-Control": "no-store" };

function problem(status: number, code: string, message: string): Response {
  return Response.json({ error: { code, message } }, { status, headers: NO_STORE });
}

/**
 * The browser hands over its access token for the console's API (after sign-in and before each expiry). Once valid,
 * it is kept, encrypted, in a server-side session; the cookie carries only the session's opaque id. A token for the
 * person whose live session the request already carries renews that session in place; any other starts a new one.
 */
export async function POST(request: Request): Promise<Response> {
  if (!isSameOriginRequest(request.headers)) return problem(403, "cross_origin", "Requests must come from the Gatehouse page itself.");
  // The token comes in the Authorization header; a body is never read, so none is accepted.
  if (declaresBodyOver(request, NO_BODY)) return payloadTooLarge(NO_BODY);
  // Before the token is looked at: a flood of guesses costs one counter update each, not a validation and a record.
  const source = requestSource(request.headers);
  const throttled = await checkRateLimit("sign-in", source);
  if (!throttled.allowed) return tooManyRequestsResponse(throttled);

  const authorization = request.headers.get("authorization") ?? "";
  const token = /^Bearer ([A-Za-z0-9._~+/=-]+)$/.exec(authorization)?.[1];
  const result = await validateConsoleToken(token, { via: "sign-in" });
  if (!result.ok || token === undefined) {
    return problem(401, "invalid_token", "Your sign-in could not be verified. Sign in again.");
  }
  if (token.length > MAX_SESSION_TOKEN_BYTES) {
    return problem(413, "token_too_large", "Your sign-in token is too large to keep (too many claims). Ask your admin to reduce group claims for Gatehouse.");
  }

  const { principal } = result;
  const db = await getDatabase();
  const key = await getSessionKey();
  const lifetimes = sessionLifetimes();
  const now = new Date();
  const cookieValue = await sessionCookieValue();
  const current = cookieValue ? await findLiveSession(db, cookieValue, { key, now, lifetimes }) : undefined;
  const jar = await cookies();
  if (!current && cookieValue && (await findDeliberatelyEndedSession(db, cookieValue))) {
    // Its owner or an admin ended this browser's session: the tokens MSAL still holds here must not start another one
    // silently. The browser drops them and the cookie, and the person signs in again (a new cookie, a new session).
    jar.set(SESSION_COOKIE, "", { ...SESSION_COOKIE_ATTRIBUTES, maxAge: 0 });
    return problem(401, "session_ended", "This session was ended. Sign in again to continue.");
  }
  const samePerson = current?.tenantId === principal.tenantId && current.objectId === principal.objectId;
  // A renewal of the same person's session is not a new sign-in: same row, same cookie, a new token.
  if (current && samePerson && (await renewSessionToken(db, current.id, { token, principal }, { key, now }))) {
    jar.set(SESSION_COOKIE, cookieValue!, { ...SESSION_COOKIE_ATTRIBUTES, maxAge: secondsUntil(current.absoluteExpiresAt, now) });
  } else {
    const client = { clientAddress: source, userAgent: request.headers.get("user-agent") ?? "" };
    // Made first so that ending the previous person's session is recorded as coming from the new one.
    const created = await createSession(db, { principal, token, ...client }, { key, now, lifetimes });
    const origin = { id: created.id, ...client };
    if (current && !samePerson) {
      // Another person signing in on this browser: the previous person's session ends, it is not taken over.
      await db.transaction(async (tx) => {
        const ended = await endSession(tx, current.id, { endedBy: `${principal.tenantId}/${principal.objectId}`, reason: "replaced", now });
        if (ended) await recordAuditEvents(tx, [sessionEndedEvent(auditActorOf(principal, origin), ended)]);
      });
    }
    await recordSignIn(principal, origin);
    jar.set(SESSION_COOKIE, created.cookieValue, { ...SESSION_COOKIE_ATTRIBUTES, maxAge: secondsUntil(created.absoluteExpiresAt, now) });
  }
  return Response.json(
    {
      displayName: principal.displayName,
      userPrincipalName: principal.userPrincipalName,
      tenantId: principal.tenantId,
      roles: principal.roles,
      expiresAt: principal.expiresAt.toISOString(),
    },
    { headers: NO_STORE },
  );
}

/** Ends this browser's session on the server, then drops the cookie (sign-out; or MSAL has no account left). */
export async function DELETE(request: Request): Promise<Response> {
  if (!isSameOriginRequest(request.headers)) return problem(403, "cross_origin", "Requests must come from the Gatehouse page itself.");
  if (declaresBodyOver(request, NO_BODY)) return payloadTooLarge(NO_BODY);
  const cookieValue = await sessionCookieValue();
  if (cookieValue) {
    const db = await getDatabase();
    const now = new Date();
    const current = await findLiveSession(db, cookieValue, { key: await getSessionKey(), now, lifetimes: sessionLifetimes() });
    if (current) {
      await db.transaction(async (tx) => {
        const ended = await endSession(tx, current.id, { endedBy: `${current.tenantId}/${current.objectId}`, reason: "signed_out", now });
        if (ended) await recordAuditEvents(tx, [signedOutEvent(sessionOwnerActor(ended), ended.id)]);
      });
    }
  }
  (await cookies()).set(SESSION_COOKIE, "", { ...SESSION_COOKIE_ATTRIBUTES, maxAge: 0 });
  return new Response(null, { status: 204, headers: NO_STORE });
}

function secondsUntil(end: Date, now: Date): number {
  return Math.max(0, Math.floor((end.getTime() - now.getTime()) / 1000));
}
