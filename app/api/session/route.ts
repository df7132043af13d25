import { cookies } from "next/headers";

import { recordSignIn } from "@/lib/auth/record-session";
import { getSession, MAX_SESSION_COOKIE_BYTES, SESSION_COOKIE, SESSION_COOKIE_ATTRIBUTES } from "@/lib/auth/session";
import { validateConsoleToken } from "@/lib/auth/token-validator";
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
 * The browser hands over its access token for the console's API (after sign-in and before each expiry); once valid,
 * it is kept in an HttpOnly cookie that lives no longer than the token, and is validated again on every request.
 */
export async function POST(request: Request): Promise<Response> {
  if (!isSameOriginRequest(request.headers)) return problem(403, "cross_origin", "Requests must come from the Gatehouse page itself.");
  // The token comes in the Authorization header; a body is never read, so none is accepted.
  if (declaresBodyOver(request, NO_BODY)) return payloadTooLarge(NO_BODY);
  // Before the token is looked at: a flood of guesses costs one counter update each, not a validation and a record.
  const throttled = await checkRateLimit("sign-in", requestSource(request.headers));
  if (!throttled.allowed) return tooManyRequestsResponse(throttled);

  const authorization = request.headers.get("authorization") ?? "";
  const token = /^Bearer ([A-Za-z0-9._~+/=-]+)$/.exec(authorization)?.[1];
  const result = await validateConsoleToken(token, { via: "sign-in" });
  if (!result.ok) {
    return problem(401, "invalid_token", "Your sign-in could not be verified. Sign in again.");
  }
  if (token!.length > MAX_SESSION_COOKIE_BYTES) {
    return problem(413, "token_too_large", "Your sign-in token is too large to keep (too many claims). Ask your admin to reduce group claims for Gatehouse.");
  }

  const { principal } = result;
  // A renewal of the same person's session is not a new sign-in.
  const previous = await getSession();
  if (previous?.principal.objectId !== principal.objectId) await recordSignIn(principal);
  const secondsLeft = Math.floor((principal.expiresAt.getTime() - Date.now()) / 1000);
  (await cookies()).set(SESSION_COOKIE, token!, { ...SESSION_COOKIE_ATTRIBUTES, maxAge: Math.max(0, secondsLeft) });
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

/** Ends the session on this browser (used when MSAL has no account left, e.g. after signing out elsewhere). */
export async function DELETE(request: Request): Promise<Response> {
  if (!isSameOriginRequest(request.headers)) return problem(403, "cross_origin", "Requests must come from the Gatehouse page itself.");
  if (declaresBodyOver(request, NO_BODY)) return payloadTooLarge(NO_BODY);
  (await cookies()).set(SESSION_COOKIE, "", { ...SESSION_COOKIE_ATTRIBUTES, maxAge: 0 });
  return new Response(null, { status: 204, headers: NO_STORE });
}
