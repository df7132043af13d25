/**
 * Entra ID v2 for the sandbox tenant: discovery, JWKS, authorize, token, logout, instance discovery.
 * Routes are `/{tenant}/…` where tenant is the sandbox tenant id, `common` or `organizations`.
 */
import { decodeJwt } from "jose";
import type { SandboxCloud, SandboxSettings, TenantAuthView } from "../contract";
import { handleAuthorize, page, SESSION_COOKIE } from "./authorize";
import { EntraError, entraErrorReply } from "./errors";
import { type EntraRequest, type HttpReply, corsHeaders, escapeHtml, htmlReply, jsonReply, parseCookies, preflightReply, redirectReply } from "./http";
import type { SigningKeys } from "./keys";
import type { EntraState } from "./state";
import { handleTokenRequest } from "./token";

export interface EntraOptions {
  /** The current tenant (it is re-created on reset). */
  readonly tenant: () => TenantAuthView;
  readonly keys: SigningKeys;
  readonly state: EntraState;
  readonly settings: SandboxSettings;
}

export type EntraHandler = (request: EntraRequest) => Promise<HttpReply>;

const MULTI_TENANT_SEGMENTS = new Set(["common", "organizations"]);

/** First path segments that belong to Entra (a tenant id, a verified domain, or a multi-tenant alias). */
export function isEntraSegment(segment: string): boolean {
  return (
    MULTI_TENANT_SEGMENTS.has(segment.toLowerCase()) ||
    segment.toLowerCase() === "consumers" ||
    /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(segment) ||
    /\.onmicrosoft\.com$/i.test(segment)
  );
}

export function openIdConfiguration(origin: string, tenantSegment: string, cloud: SandboxCloud): Record<string, unknown> {
  const base = `${origin}/${tenantSegment}`;
  const issuerTenant = MULTI_TENANT_SEGMENTS.has(tenantSegment.toLowerCase()) ? "{tenantid}" : tenantSegment;
  return {
    token_endpoint: `${base}/oauth2/v2.0/token`,
    token_endpoint_auth_methods_supported: ["client_secret_post", "private_key_jwt", "client_secret_basic"],
    jwks_uri: `${base}/discovery/v2.0/keys`,
    response_modes_supported: ["query", "fragment", "form_post"],
    subject_types_supported: ["pairwise"],
    id_token_signing_alg_values_supported: ["RS256"],
    response_types_supported: ["code", "id_token", "code id_token", "id_token token"],
    scopes_supported: ["openid", "profile", "email", "offline_access"],
    issuer: `${origin}/${issuerTenant}/v2.0`,
    request_uri_parameter_supported: false,
    userinfo_endpoint: `https://${cloud.msGraphHost}/oidc/userinfo`,
    authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
    device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
    http_logout_supported: true,
    frontchannel_logout_supported: true,
    end_session_endpoint: `${base}/oauth2/v2.0/logout`,
    claims_supported: [
      "sub",
      "iss",
      "cloud_instance_name",
      "cloud_instance_host_name",
      "cloud_graph_host_name",
      "msgraph_host",
      "aud",
      "exp",
      "iat",
      "auth_time",
      "acr",
      "nonce",
      "preferred_username",
      "name",
      "tid",
      "ver",
      "at_hash",
      "c_hash",
      "email",
    ],
    kerberos_endpoint: `${base}/kerberos`,
    tenant_region_scope: "WW",
    cloud_instance_name: "microsoftonline.com",
    cloud_graph_host_name: "graph.windows.net",
    msgraph_host: cloud.msGraphHost,
    rbac_url: "https://pas.windows.net",
  };
}

const DISCOVERY_CACHE = { "cache-control": "max-age=86400, private" };

export function createEntraHandler(options: EntraOptions): EntraHandler {
  return async (request) => {
    const [, tenantSegment = "", ...rest] = request.path.split("/");
    const route = rest.join("/").toLowerCase();
    const tenant = options.tenant();
    const knownTenant = tenantSegment.toLowerCase() === tenant.tenantId.toLowerCase() || MULTI_TENANT_SEGMENTS.has(tenantSegment.toLowerCase());
    const cors = corsHeaders(request);

    if (request.method === "OPTIONS") return preflightReply(request);

    if (route === "discovery/instance") {
      // MSAL's instance discovery: the sandbox host is its own (only) alias.
      const host = new URL(request.origin).host;
      const authorizationEndpoint = request.query.get("authorization_endpoint") ?? `${request.origin}/${tenant.tenantId}/oauth2/v2.0/authorize`;
      const discoveredTenant = /\/\/[^/]+\/([^/]+)\//.exec(authorizationEndpoint)?.[1] ?? tenant.tenantId;
      return jsonReply(
        200,
        {
          tenant_discovery_endpoint: `${request.origin}/${discoveredTenant}/v2.0/.well-known/openid-configuration`,
          "api-version": "1.1",
          metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host, new URL(request.origin).hostname] }],
        },
        { ...DISCOVERY_CACHE, ...cors },
      );
    }

    if (!knownTenant) {
      return entraErrorReply(
        {
          error: "invalid_tenant",
          code: 90002,
          message: `Tenant '${tenantSegment}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. This sandbox only knows tenant '${tenant.tenantId}'.`,
        },
        request.now,
        cors,
      );
    }

    try {
      switch (route) {
        case "v2.0/.well-known/openid-configuration":
          return jsonReply(200, openIdConfiguration(request.origin, tenantSegment, tenant.cloud), { ...DISCOVERY_CACHE, ...cors });
        case "discovery/v2.0/keys":
        case "discovery/keys": {
          const keyIssuer = MULTI_TENANT_SEGMENTS.has(tenantSegment.toLowerCase())
            ? `${request.origin}/{tenantid}/v2.0`
            : `${request.origin}/${tenant.tenantId}/v2.0`;
          return jsonReply(200, options.keys.jwks(keyIssuer), { ...DISCOVERY_CACHE, ...cors });
        }
        case "oauth2/v2.0/authorize":
          if (request.method !== "GET" && request.method !== "POST") break;
          return handleAuthorize(request, { tenant, state: options.state });
        case "oauth2/v2.0/token": {
          if (request.method !== "POST") break;
          const endpoints = [
            `${request.origin}/${tenant.tenantId}/oauth2/v2.0/token`,
            `${request.origin}/${tenantSegment}/oauth2/v2.0/token`,
            `${request.origin}/${tenant.tenantId}/oauth2/token`,
          ];
          const body = await handleTokenRequest(
            request,
            { tenant, keys: options.keys, state: options.state, accessTokenLifetimeSeconds: options.settings.accessTokenLifetimeSeconds },
            endpoints,
          );
          return jsonReply(200, body, { "cache-control": "no-store, no-cache", pragma: "no-cache", expires: "-1", ...cors });
        }
        case "oauth2/v2.0/logout":
          return logout(request, tenant, options);
        default:
          break;
      }
    } catch (error) {
      if (error instanceof EntraError) return entraErrorReply(error.details, request.now, cors, request.headers["client-request-id"]);
      throw error;
    }
    return entraErrorReply(
      {
        error: "invalid_request",
        code: 900561,
        status: 404,
        message: `The endpoint '${request.method} ${request.path}' is not served by the sandbox's Entra ID.`,
      },
      request.now,
      cors,
    );
  };
}

function logout(request: EntraRequest, tenant: TenantAuthView, options: EntraOptions): HttpReply {
  const parameters = request.method === "POST" ? request.form : request.query;
  const sessionId = parseCookies(request.headers["cookie"]).get(SESSION_COOKIE);
  if (sessionId) options.state.sessions.delete(sessionId);
  const clearCookie = { "set-cookie": `${SESSION_COOKIE}=; Path=/; Secure; HttpOnly; SameSite=None; Max-Age=0` };
  const target = parameters.get("post_logout_redirect_uri");
  if (target && isAllowedLogoutRedirect(target, parameters, tenant)) {
    const state = parameters.get("state");
    const location = state ? `${target}${target.includes("?") ? "&" : "?"}state=${encodeURIComponent(state)}` : target;
    return redirectReply(location, clearCookie);
  }
  return htmlReply(
    200,
    page(
      "Signed out",
      `<h1>You signed out of your account</h1><p>It's a good idea to close all browser windows.</p>${target ? `<p class="error">The post-logout redirect URI <code>${escapeHtml(target)}</code> is not registered for this application.</p>` : ""}`,
    ),
    clearCookie,
  );
}

/** Entra only returns to a registered redirect URI of the client named by `client_id` or the ID token hint. */
function isAllowedLogoutRedirect(target: string, parameters: URLSearchParams, tenant: TenantAuthView): boolean {
  let clientId = parameters.get("client_id");
  const hint = parameters.get("id_token_hint");
  if (!clientId && hint) {
    try {
      const audience = decodeJwt(hint).aud;
      clientId = typeof audience === "string" ? audience : null;
    } catch {
      clientId = null;
    }
  }
  if (clientId) {
    const client = tenant.findApplication(clientId);
    return client !== undefined && [...client.spaRedirectUris, ...client.webRedirectUris].some((uri) => sameOriginAndPath(uri, target));
  }
  // MSAL sends neither when it has no account: accept the loopback origins the console runs on.
  try {
    const url = new URL(target);
    return url.hostname === "localhost" || url.hostname === "127.0.0.1";
  } catch {
    return false;
  }
}

function sameOriginAndPath(registered: string, target: string): boolean {
  try {
    const a = new URL(registered);
    const b = new URL(target);
    return a.origin === b.origin && (b.pathname === a.pathname || b.pathname.startsWith(a.pathname));
  } catch {
    return false;
  }
}
