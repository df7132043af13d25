import "server-only";

import type { AuditActor } from "@/lib/audit";
import type { SignedInPrincipal } from "./access-token";

/** The audit trail's view of a signed-in person: ids identify them, names are kept for reading the trail. */
export function auditActorOf(principal: SignedInPrincipal): AuditActor {
  return {
    kind: "user",
    tenantId: principal.tenantId,
    objectId: principal.objectId,
    displayName: principal.displayName,
    userPrincipalName: principal.userPrincipalName,
  };
}
