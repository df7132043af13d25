/**
 * Entra's scope → resource mapping: a token request names scopes of exactly one resource (plus the OIDC scopes).
 * Graph and ARM get v1-shaped tokens; the tenant's own APIs (the console API) get v2 tokens.
 *
 * A v1 token's `aud` is the resource as the scope named it: "Azure AD parses the desired audience from the requested
 * scope by taking everything before the last slash and using it as the resource identifier", which is why ARM's
 * classic scope is written `https://management.core.windows.net//.default` (its audience has a trailing slash)
 * (https://learn.microsoft.com/entra/identity-platform/msal-v1-app-scopes). Which resource ids a scope may name is
 * the tenant's cloud's (clouds.ts): a US Government tenant knows no `https://graph.microsoft.com`.
 */
import { armScopePrefixes, graphScopePrefixes, monitorScopePrefixes } from "../clouds";
import { AZURE_RESOURCE_MANAGER_APP_ID, type AppRegistrationForAuth, MICROSOFT_GRAPH_APP_ID, type SandboxCloud, type TenantAuthView } from "../contract";
import { EntraError, invalidScope } from "./errors";

export const OIDC_SCOPES = new Set(["openid", "profile", "email", "offline_access"]);

export type ResolvedResource =
  | { readonly kind: "graph" | "arm" | "monitor"; readonly appId: string; readonly audience: string; readonly tokenVersion: 1 }
  | { readonly kind: "app"; readonly appId: string; readonly audience: string; readonly tokenVersion: 2; readonly app: AppRegistrationForAuth };

export interface ScopeRequest {
  /** Undefined when only OIDC scopes were asked for (Entra then issues a Graph token). */
  readonly resource: ResolvedResource | undefined;
  /** Scope names on the resource without its prefix, e.g. `User.Read`, `access_as_user`, `.default`. */
  readonly names: readonly string[];
  readonly isDefault: boolean;
  readonly oidc: ReadonlySet<string>;
}

/** Graph with the cloud's resource id as audience: a bare permission name, or only OIDC scopes, are Graph's. */
export function graphResource(cloud: SandboxCloud): ResolvedResource {
  return { kind: "graph", appId: MICROSOFT_GRAPH_APP_ID, audience: cloud.graphResource, tokenVersion: 1 };
}

function stripLongestPrefix(scope: string, prefixes: readonly string[]): string | undefined {
  const match = prefixes.filter((prefix) => scope.toLowerCase().startsWith(prefix.toLowerCase())).sort((a, b) => b.length - a.length)[0];
  return match === undefined ? undefined : scope.slice(match.length);
}

/** The audience a v1 token for `scope` carries: the scope up to its last slash, as written. */
function requestedResource(scope: string): string {
  return scope.slice(0, scope.lastIndexOf("/"));
}

function resolveOne(scope: string, tenant: TenantAuthView): { resource: ResolvedResource; name: string } {
  const graphName = stripLongestPrefix(scope, graphScopePrefixes(tenant.cloud));
  if (graphName !== undefined) {
    return { resource: { kind: "graph", appId: MICROSOFT_GRAPH_APP_ID, audience: requestedResource(scope), tokenVersion: 1 }, name: graphName };
  }
  const armName = stripLongestPrefix(scope, armScopePrefixes(tenant.cloud));
  if (armName !== undefined) {
    return { resource: { kind: "arm", appId: AZURE_RESOURCE_MANAGER_APP_ID, audience: requestedResource(scope), tokenVersion: 1 }, name: armName };
  }
  const monitorName = stripLongestPrefix(scope, monitorScopePrefixes(tenant.cloud));
  if (monitorName !== undefined) {
    // No service principal of Azure Monitor is seeded: only app-only tokens (client credentials, managed identity) are
    // asked for, and those carry the audience, not an app id.
    return { resource: { kind: "monitor", appId: tenant.cloud.monitorResource, audience: requestedResource(scope), tokenVersion: 1 }, name: monitorName };
  }
  const slash = scope.lastIndexOf("/");
  // A bare permission name (`User.Read`) is a Graph scope: "scope=User.Read is equivalent to
  // https://graph.microsoft.com/User.Read" (https://learn.microsoft.com/entra/identity-platform/scopes-oidc).
  if (slash < 0) return { resource: graphResource(tenant.cloud), name: scope };
  const resourceId = scope.slice(0, slash);
  const name = scope.slice(slash + 1);
  const app = tenant.findApplication(resourceId) ?? tenant.findApplication(resourceId.replace(/\/+$/, ""));
  if (!app) {
    throw new EntraError({
      error: "invalid_resource",
      code: 500011,
      message: `The resource principal named ${resourceId} was not found in the tenant named ${tenant.tenantId}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.`,
    });
  }
  return { resource: { kind: "app", appId: app.appId, audience: app.appId, tokenVersion: 2, app }, name };
}

/** Parses a `scope` parameter; throws AADSTS70011/500011 in Entra's shape. */
export function parseScopes(scopeParameter: string | null, tenant: TenantAuthView): ScopeRequest {
  const scopes = (scopeParameter ?? "").split(/\s+/).filter(Boolean);
  if (scopes.length === 0) throw invalidScope("The scope parameter is empty.");
  const oidc = new Set(scopes.filter((scope) => OIDC_SCOPES.has(scope.toLowerCase())).map((scope) => scope.toLowerCase()));
  const resolved = scopes.filter((scope) => !OIDC_SCOPES.has(scope.toLowerCase())).map((scope) => resolveOne(scope, tenant));
  const first = resolved[0];
  if (!first) return { resource: undefined, names: [], isDefault: false, oidc };
  if (resolved.some((entry) => entry.resource.appId !== first.resource.appId)) {
    throw invalidScope(`The scope '${scopes.join(" ")}' names more than one resource; request a token for one resource at a time.`);
  }
  const names = resolved.map((entry) => entry.name);
  const isDefault = names.some((name) => name === ".default");
  if (isDefault && names.length > 1) throw invalidScope(`The scope '${scopes.join(" ")}' mixes '.default' with other scopes of the same resource.`);
  if (names.some((name) => name === "")) throw invalidScope(`The scope '${scopes.join(" ")}' is not valid.`);
  if (first.resource.kind === "app" && !isDefault) {
    const exposed = new Set(first.resource.app.exposedScopes.map((scope) => scope.toLowerCase()));
    const unknown = names.find((name) => !exposed.has(name.toLowerCase()));
    if (unknown) throw invalidScope(`The scope '${scopes.join(" ")}' does not exist on the resource '${first.resource.app.appId}'.`);
  }
  if (first.resource.kind === "arm" && !isDefault && names.some((name) => name.toLowerCase() !== "user_impersonation")) {
    throw invalidScope(
      `The scope '${scopes.join(" ")}' does not exist on Azure Resource Manager; use '${tenant.cloud.armResources[0]}/.default' or 'user_impersonation'.`,
    );
  }
  return { resource: first.resource, names, isDefault, oidc };
}

/** Client credentials accept exactly one `<resource>/.default`. */
export function requireDefaultScope(request: ScopeRequest, scopeParameter: string): ResolvedResource {
  if (!request.resource || !request.isDefault || request.oidc.size > 0) {
    throw new EntraError({
      error: "invalid_scope",
      code: 1002012,
      message: `The provided value for scope ${scopeParameter} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
    });
  }
  return request.resource;
}
