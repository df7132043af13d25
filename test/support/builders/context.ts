/**
 * A signed-in person as the console's operations receive them, without a sign-in: what `delegatedContextOf(session)`
 * builds from the session. For a real token from the sandbox tenant, use `personaContext()`
 * (test/support/persona-token.ts).
 */
import { randomUUID } from "node:crypto";

import type { DelegatedContext } from "@/lib/auth/caller";
import type { ConsoleRole } from "@/lib/shared/console-roles";
import { SecretToken } from "@/lib/auth/secret-token";

/** The sandbox tenant's id, which the console's own tests use for their people. */
export const TEST_TENANT_ID = "72f988bf-0000-4000-8000-00000000c05a";

/**
 * The on-behalf-of caller (its token a placeholder: for code that never reaches Azure), the audit actor, the person
 * and a fresh request id. `name` is the display name, and `<name>@contoso.test` the UPN.
 */
export function makeDelegatedContext(
  name = "alice",
  overrides: { tenantId?: string; objectId?: string; assertion?: string; authContexts?: readonly string[]; roles?: readonly ConsoleRole[] } = {},
): DelegatedContext {
  const tenantId = overrides.tenantId ?? TEST_TENANT_ID;
  const objectId = overrides.objectId ?? randomUUID();
  const person = { tenantId, objectId, displayName: name, userPrincipalName: `${name}@contoso.test` };
  return {
    caller: { tenantId, objectId, assertion: new SecretToken(overrides.assertion ?? "unused") },
    actor: { kind: "user", ...person },
    person,
    requestId: randomUUID(),
    authContexts: overrides.authContexts ?? [],
    // An admin unless told otherwise: most tests decide requests, which Console.Admin holders may always do.
    roles: overrides.roles ?? ["Console.Admin"],
  };
}
