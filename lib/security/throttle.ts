import "server-only";

import type { AuditActor } from "@/lib/audit";
import { sessionActorOf } from "@/lib/auth/caller";
import { recordRefusal } from "@/lib/auth/record-refusal";
import type { Session } from "@/lib/auth/session";
import type { Permission } from "@/lib/shared/permissions";
import { requestSource } from "./client-address";
import { checkRateLimit, type RateLimitDecision } from "./rate-limit";

/** Operations that walk or write a lot per call: limited per person on top of the action limit. */
export const EXPENSIVE_OPERATIONS: ReadonlySet<Permission> = new Set<Permission>([
  "verifyAuditChain",
  "refreshCredentialInventory",
  "importMappings",
  "exportAudit",
  "exportCredentials",
]);

/** The subject of a person's buckets: tenant and object id, the identifiers that never change. */
function personSubject(session: Session): string {
  return `${session.principal.tenantId}/${session.principal.objectId}`.toLowerCase();
}

/**
 * Counts a call to `permission` against the limits that apply: per client address without a session, per person
 * (and per person for expensive operations) with one. Returns the refusing decision, or undefined to go on. A signed-in
 * person's first refusal in a window is audited as `authz.denied` (`rate_limited`); later ones in that window only
 * count, so a loop cannot grow the trail.
 */
export async function throttle(
  permission: Permission,
  session: Session | null,
  requestHeaders: Pick<Headers, "get">,
  requestId: string,
  options: { readonly counted: "every call" | "expensive only" } = { counted: "every call" },
): Promise<RateLimitDecision | undefined> {
  if (!session) {
    const decision = await checkRateLimit("anonymous", requestSource(requestHeaders));
    return decision.allowed ? undefined : decision;
  }
  const kinds = [
    ...(options.counted === "every call" ? (["actions"] as const) : []),
    ...(EXPENSIVE_OPERATIONS.has(permission) ? (["expensive"] as const) : []),
  ];
  for (const kind of kinds) {
    const decision = await checkRateLimit(kind, personSubject(session));
    if (!decision.allowed) {
      if (decision.firstRefusal) {
        const actor: AuditActor = sessionActorOf(session);
        await recordRefusal(permission, actor, "rate_limited", requestId);
      }
      return decision;
    }
  }
  return undefined;
}
