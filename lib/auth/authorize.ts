import "server-only";

import { randomUUID } from "node:crypto";

import { isAllowed, type Permission } from "@/lib/shared/permissions";
import { sessionActorOf } from "./caller";
import { type DeniedBecause, recordRefusal } from "./record-refusal";
import { getSession, type Session } from "./session";

/**
 * Authorization for pages and route handlers, the counterpart of `serverAction()` for actions. Each page and route
 * calls it itself (proxy.ts never decides), and every refusal is logged and recorded as `authz.denied`.
 */

type PageDeniedBecause = Exclude<DeniedBecause, "cross_origin">;

export type PageAuthorization = { ok: true; session: Session } | { ok: false; reason: "no_session" | "forbidden" };

export type RequestAuthorization = { ok: true; session: Session } | { ok: false; reason: "no_session" | "forbidden"; response: Response };

type Decision = { ok: true; session: Session } | { ok: false; deniedBecause: PageDeniedBecause; requestId: string };

async function decide(permission: Permission): Promise<Decision> {
  const session = await getSession();
  if (session && isAllowed(permission, session.principal.roles)) return { ok: true, session };
  const requestId = randomUUID();
  const deniedBecause: PageDeniedBecause = session ? "console_role_missing" : "no_session";
  await recordRefusal(permission, session ? sessionActorOf(session) : { kind: "anonymous" }, deniedBecause, requestId);
  return { ok: false, deniedBecause, requestId };
}

/**
 * For server components: the session when the person may see the page. On `no_session` render nothing (the console
 * layout already shows the sign-in flow); on `forbidden` render `<Forbidden permission=… />`.
 */
export async function authorizePage(permission: Permission): Promise<PageAuthorization> {
  const decision = await decide(permission);
  if (decision.ok) return decision;
  return { ok: false, reason: decision.deniedBecause === "no_session" ? "no_session" : "forbidden" };
}

const NO_STORE = { "Cache-Control": "no-store" };

/**
 * For route handlers: the session, or the response to send — 401 without a session, 403 without the role. The session
 * comes from the request's cookie (via next/headers, so `getSession()`'s per-request cache is shared).
 */
export async function authorizeRequest(_request: Request, permission: Permission): Promise<RequestAuthorization> {
  const decision = await decide(permission);
  if (decision.ok) return decision;
  const [status, code, message] =
    decision.deniedBecause === "no_session"
      ? ([401, "unauthenticated", "Your session has ended. Sign in again to continue."] as const)
      : ([403, "forbidden", "Your Gatehouse role does not allow this. Ask an admin if you need it."] as const);
  return {
    ok: false,
    reason: decision.deniedBecause === "no_session" ? "no_session" : "forbidden",
    response: Response.json({ error: { code, message, reference: decision.requestId } }, { status, headers: NO_STORE }),
  };
}
