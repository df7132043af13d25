import "server-only";

import type { AuditActor, AuditSessionOrigin } from "@/lib/audit";
import { getConfig } from "@/lib/config";
import { TOKEN_SHAPED } from "@/lib/shared/patterns";
import type { SignedInPrincipal } from "./access-token";
import { MAX_CLIENT_ADDRESS, MAX_USER_AGENT } from "./session-store";

/** A signed-in person as the audit trail names them. */
export type UserActor = Extract<AuditActor, { kind: "user" }>;

/** Where a person acted from: their console session's row id and what it recorded of the client at sign-in. */
export interface SessionOrigin {
  readonly id: string;
  readonly clientAddress: string;
  readonly userAgent: string;
}

/**
 * The audit trail's view of a signed-in person: ids identify them, names are kept for reading the trail, and the
 * session says where the action came from. Every person's event carries one (a required parameter, so no caller
 * can leave it out).
 */
export function auditActorOf(principal: SignedInPrincipal, session: SessionOrigin): UserActor {
  return {
    kind: "user",
    tenantId: principal.tenantId,
    objectId: principal.objectId,
    displayName: principal.displayName,
    userPrincipalName: principal.userPrincipalName,
    session: auditSessionOrigin(session),
  };
}

/**
 * The client's own words (its User-Agent) bounded as the session store bounds them, with control and line-separator
 * characters replaced, and never a token: the catalogue refuses token-shaped text, and a browser must not be able to
 * make its own events unrecordable by sending one.
 */
export function auditSessionOrigin(session: SessionOrigin): AuditSessionOrigin {
  return { id: session.id, clientAddress: clientText(session.clientAddress, MAX_CLIENT_ADDRESS), userAgent: clientText(session.userAgent, MAX_USER_AGENT) };
}

/**
 * C0 and C1 controls, DEL, U+2028/U+2029 (line breaks to JavaScript and some log viewers), and a surrogate left alone
 * (by the cut, or sent so): PostgreSQL refuses one in JSON, which would make the event, and the action, fail.
 */
function isUnprintable(codePoint: number): boolean {
  return (
    codePoint < 0x20 || (codePoint >= 0x7f && codePoint <= 0x9f) || codePoint === 0x2028 || codePoint === 0x2029 || (codePoint >= 0xd800 && codePoint <= 0xdfff)
  );
}

function clientText(text: string, maxLength: number): string {
  const printable = Array.from(text.slice(0, maxLength), (character) => (isUnprintable(character.codePointAt(0)!) ? "\ufffd" : character)).join("");
  return TOKEN_SHAPED.test(printable) ? "[token-shaped text removed]" : printable;
}

/**
 * The console's own identity, as the audit trail names it for unattended work, with the job doing it (a scheduled
 * job's name, or "reconcile-intents"). A scheduled run comes from no session; a run an admin started from the console
 * (`startedIn`) names theirs.
 */
export function systemActor(job: string, startedIn?: SessionOrigin): AuditActor {
  const { identity } = getConfig();
  return { kind: "system", appId: identity.apiClientId, tenantId: identity.tenantId, job, ...(startedIn ? { session: auditSessionOrigin(startedIn) } : {}) };
}
