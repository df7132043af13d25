/**
 * A signed-in person as the console's operations receive them, without a sign-in: what a server action builds from
 * the session. For a real token from the sandbox tenant, use `personaContext()` (test/support/persona-token.ts).
 */
import { randomUUID } from "node:crypto";

import type { AuditActor } from "@/lib/audit/events";
import { SecretToken } from "@/lib/auth/secret-token";

/** The sandbox tenant's id, which the console's own tests use for their people. */
export const TEST_TENANT_ID = "72f988bf-0000-4000-8000-00000000c05a";

type UserActor = Extract<AuditActor, { kind: "user" }>;

/**
 * The on-behalf-of caller (its token a placeholder: for code that never reaches Azure), the audit actor, the UPN and
 * a fresh request id. `name` is the display name, and `<name>@contoso.test` the UPN.
 */
export function makeDelegatedContext(name = "alice", overrides: { tenantId?: string; objectId?: string; assertion?: string } = {}) {
  const tenantId = overrides.tenantId ?? TEST_TENANT_ID;
  const objectId = overrides.objectId ?? randomUUID();
  const userPrincipalName = `${name}@contoso.test`;
  const actor: UserActor = { kind: "user", tenantId, objectId, displayName: name, userPrincipalName };
  return {
    caller: { tenantId, objectId, assertion: new SecretToken(overrides.assertion ?? "unused") },
    actor,
    userPrincipalName,
    requestId: randomUUID(),
  };
}

/** A delegated context, built here or signed in through the sandbox (`personaContext`). */
export interface DelegatedTestContext {
  readonly caller: { readonly tenantId: string; readonly objectId: string; readonly assertion: SecretToken };
  readonly actor: UserActor;
  readonly userPrincipalName: string;
  readonly requestId: string;
}

/**
 * The same person as the requests feature takes them, as requester or decider: who they are, and (`grant`) the
 * context its ARM calls run with — what app/actions/requests.ts builds from the session.
 */
export function asRequestContext(context: DelegatedTestContext) {
  const { actor } = context;
  return {
    person: { tenantId: actor.tenantId, objectId: actor.objectId, displayName: actor.displayName, userPrincipalName: context.userPrincipalName },
    actor,
    requestId: context.requestId,
    grant: context,
  };
}
