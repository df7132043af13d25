import "server-only";

import type { AuditActor } from "@/lib/audit";
import { getConfig } from "@/lib/config";
import type { SignedInPrincipal } from "./access-token";

/** A signed-in person as the audit trail names them. */
export type UserActor = Extract<AuditActor, { kind: "user" }>;

/** The audit trail's view of a signed-in person: ids identify them, names are kept for reading the trail. */
export function auditActorOf(principal: SignedInPrincipal): UserActor {
  return {
    kind: "user",
    tenantId: principal.tenantId,
    objectId: principal.objectId,
    displayName: principal.displayName,
    userPrincipalName: principal.userPrincipalName,
  };
}

/** The console's own identity, as the audit trail names it for unattended work (scheduled jobs, the reconciler). */
export function systemActor(): AuditActor {
  const { identity } = getConfig();
  return { kind: "system", appId: identity.apiClientId, tenantId: identity.tenantId };
}
