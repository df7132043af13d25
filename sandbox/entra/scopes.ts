/**
 * Entra's scope → resource mapping: a token request names scopes of exactly one resource (plus the OIDC scopes).
 * Graph and ARM get v1-shaped tokens; the tenant's own APIs (the console API) get v2 tokens.
 */
import {
  ARM_AUDIENCE,
  AZURE_RESOURCE_MANAGER_APP_ID,
  type AppRegistrationForAuth,
  GRAPH_AUDIENCE,
  MICROSOFT_GRAPH_APP_ID,
  MONITOR_AUDIENCE,
  type TenantAuthView,
} from "../contract";
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

const GRAPH_PREFIXES = ["https://graph.microsoft.com/", "https://graph.microsoft.com//", `${MICROSOFT_GRAPH_APP_ID}/`];
const ARM_PREFIXES = [
  "https://management.azure.com/",
  "https://management.azure.com//",
  "https://management.core.windows.net/",
  "https://management.core.windows.net//",
  `${AZURE_RESOURCE_MANAGER_APP_ID}/`,
];

// `@azure/monitor-ingestion` asks for `https://monitor.azure.com//.default` (its audience plus `/.default`).
const MONITOR_PREFIXES = [`${MONITOR_AUDIENCE}/`, `${MONITOR_AUDIENCE}//`];

const graph: ResolvedResource = { kind: "graph", appId: MICROSOFT_GRAPH_APP_ID, audience: GRAPH_AUDIENCE, tokenVersion: 1 };
const arm: ResolvedResource = { kind: "arm", appId: AZURE_RESOURCE_MANAGER_APP_ID, audience: ARM_AUDIENCE, tokenVersion: 1 };
// No service principal of Azure Monitor is seeded: only app-only tokens (client credentials, managed identity) are
// asked for, and those carry the audience, not an app id.
const monitor: ResolvedResource = { kind: "monitor", appId: MONITOR_AUDIENCE, audience: MONITOR_AUDIENCE, tokenVersion: 1 };

function stripLongestPrefix(scope: string, prefixes: readonly string[]): string | undefined {
  const match = prefixes.filter((prefix) => scope.toLowerCase().startsWith(prefix.toLowerCase())).sort((a, b) => b.length - a.length)[0];
  return match === undefined ? undefined : scope.slice(match.length);
}

function resolveOne(scope: string, tenant: TenantAuthView): { resource: ResolvedResource; name: string } {
  const graphName = stripLongestPrefix(scope, GRAPH_PREFIXES);
  if (graphName !== undefined) return { resource: graph, name: graphName };
  const armName = stripLongestPrefix(scope, ARM_PREFIXES);
  if (armName !== undefined) return { resource: arm, name: armName };
  const monitorName = stripLongestPrefix(scope, MONITOR_PREFIXES);
  if (monitorName !== undefined) return { resource: monitor, name: monitorName };
  const slash = scope.lastIndexOf("/");
  // A bare permission name (`User.Read`) is a Graph scope.
  if (slash < 0) return { resource: graph, name: scope };
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
      `The scope '${scopes.join(" ")}' does not exist on Azure Resource Manager; use 'https://management.azure.com/.default' or 'user_impersonation'.`,
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

export const GRAPH_RESOURCE = graph;
