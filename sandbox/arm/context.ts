import type { SandboxResponse, SandboxSettings } from "../contract";
import type { Tenant } from "../tenant/tenant";
import { callerDisplayForErrors, isAuthorized } from "./authorize";
import { ARM_MESSAGES, armError, type ArmResponseContext } from "./responses";

/** What every ARM route handler gets: the request, the tenant, live settings and response helpers' context. */
export interface ArmContext extends ArmResponseContext {
  readonly tenant: Tenant;
  readonly settings: SandboxSettings;
}

/** Returns a 403 AuthorizationFailed response when the caller may not perform `action` at `scope`. */
export function denyUnlessAuthorized(context: ArmContext, action: string, scope: string, scopeInMessage = scope): SandboxResponse | undefined {
  const { tenant, settings, request } = context;
  if (isAuthorized(tenant, settings, request.caller, request.now, action, scope)) return undefined;
  return armError(
    context,
    403,
    "AuthorizationFailed",
    ARM_MESSAGES.authorizationFailed(callerDisplayForErrors(tenant, request.caller), request.caller.objectId, action, scopeInMessage),
  );
}
