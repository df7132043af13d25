import "server-only";

import type { DelegatedCaller } from "@/lib/azure/tokens";
import type { ConsoleRole } from "@/lib/shared/console-roles";
import type { SignedInPrincipal } from "./access-token";
import { auditActorOf, type UserActor } from "./audit-actor";
import type { Session } from "./session";

/** The signed-in person, as requests and messages name them. */
export interface SignedInPerson {
  readonly tenantId: string;
  readonly objectId: string;
  readonly displayName: string;
  readonly userPrincipalName: string;
}

/**
 * Everything a domain operation needs to act as the signed-in person: the on-behalf-of caller (Graph and ARM are
 * called as them), the audit actor, the person (names for messages and requests) and Gatehouse's id for the call.
 * The one shape every operation takes; build it with `delegatedContextOf`, never by hand.
 */
export interface DelegatedContext {
  readonly caller: DelegatedCaller;
  readonly actor: UserActor;
  readonly person: SignedInPerson;
  readonly requestId: string;
  /** The authentication contexts the person's sign-in satisfied (`acrs` of their token): what step-up checks. */
  readonly authContexts: readonly string[];
  /**
   * The console roles of the person's token. The permission matrix is checked before an operation runs; operations
   * that authorize per object (who may decide a routed access request) read them again here.
   */
  readonly roles: readonly ConsoleRole[];
}

/** The on-behalf-of caller of a session: the person's ids and their token for the console's API. */
export function callerOf(session: Session): DelegatedCaller {
  return { tenantId: session.principal.tenantId, objectId: session.principal.objectId, assertion: session.assertion };
}

export function personOf(principal: SignedInPrincipal): SignedInPerson {
  return { tenantId: principal.tenantId, objectId: principal.objectId, displayName: principal.displayName, userPrincipalName: principal.userPrincipalName };
}

/** The audit actor of a session's person, with the session as where their actions come from. */
export function sessionActorOf(session: Session): UserActor {
  return auditActorOf(session.principal, { id: session.sessionId, clientAddress: session.clientAddress, userAgent: session.userAgent });
}

export function delegatedContextOf(session: Session, requestId: string): DelegatedContext {
  return {
    caller: callerOf(session),
    actor: sessionActorOf(session),
    person: personOf(session.principal),
    requestId,
    authContexts: session.principal.authContexts,
    roles: session.principal.roles,
  };
}
