/**
 * `GET|POST /{tenant}/oauth2/v2.0/authorize`: validates the client and redirect URI, shows a sign-in page listing the
 * personas (password sign-in), keeps an SSO session cookie, and replies with a code by fragment, query or form_post.
 */
import { randomBytes } from "node:crypto";
import type { AppRegistrationForAuth, SignInUser, TenantAuthView } from "../contract";
import { EntraError, entraTimestamp } from "./errors";
import { type EntraRequest, type HttpReply, escapeHtml, htmlReply, parseCookies, redirectReply } from "./http";
import { matchesPublicClientRedirectUri } from "./redirect-uris";
import { parseScopes } from "./scopes";
import { AUTHORIZATION_CODE_LIFETIME_MS, type EntraState } from "./state";
import { delegatedScopes, parseClaimsRequest, unassignedUserError } from "./token";
import { type AuthMethods, clientInfo, PASSWORD_ONLY, WITH_MFA } from "./tokens";

export const SESSION_COOKIE = "gatehouse_sandbox_session";

const AUTHORIZE_PARAMETERS = [
  "client_id",
  "redirect_uri",
  "response_type",
  "response_mode",
  "scope",
  "state",
  "nonce",
  "code_challenge",
  "code_challenge_method",
  "prompt",
  "login_hint",
  "domain_hint",
  "client_info",
  "claims",
  "sid",
] as const;

type AuthorizeParameters = Partial<Record<(typeof AUTHORIZE_PARAMETERS)[number], string>>;

export interface AuthorizeContext {
  readonly tenant: TenantAuthView;
  readonly state: EntraState;
}

function readParameters(source: URLSearchParams): AuthorizeParameters {
  const parameters: AuthorizeParameters = {};
  for (const name of AUTHORIZE_PARAMETERS) {
    const value = source.get(name);
    if (value !== null) parameters[name] = value;
  }
  return parameters;
}

/** An error Entra shows on its own page, because the redirect URI cannot be trusted yet. */
function errorPage(request: EntraRequest, error: EntraError, headers: Record<string, string> = {}): HttpReply {
  const { code, message } = error.details;
  return htmlReply(
    400,
    page(
      "Sign in — error",
      `<h1>Sorry, but we're having trouble signing you in.</h1>
<p class="error" data-error-code="AADSTS${code}">AADSTS${code}: ${escapeHtml(message)}</p>
<p class="meta">Request Id: ${escapeHtml(request.requestId)}<br>Timestamp: ${escapeHtml(entraTimestamp(request.now))}</p>`,
    ),
    headers,
  );
}

type Delivery = { readonly redirectUri: string; readonly responseMode: "query" | "fragment" | "form_post"; readonly state: string | undefined };

/** Sends parameters back to the client's redirect URI the way `response_mode` asks. */
function deliver(delivery: Delivery, values: Record<string, string>, headers: Record<string, string> = {}): HttpReply {
  const parameters = new URLSearchParams(values);
  if (delivery.state !== undefined) parameters.set("state", delivery.state);
  if (delivery.responseMode === "form_post") {
    const inputs = [...parameters].map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`).join("\n");
    return htmlReply(
      200,
      `<!doctype html><html><head><title>Working...</title></head><body onload="document.forms[0].submit()">
<form method="POST" action="${escapeHtml(delivery.redirectUri)}">${inputs}<noscript><button type="submit">Continue</button></noscript></form></body></html>`,
      headers,
    );
  }
  if (delivery.responseMode === "fragment") return redirectReply(`${delivery.redirectUri}#${parameters.toString()}`, headers);
  const separator = delivery.redirectUri.includes("?") ? "&" : "?";
  return redirectReply(`${delivery.redirectUri}${separator}${parameters.toString()}`, headers);
}

function deliverError(delivery: Delivery, error: EntraError, request: EntraRequest): HttpReply {
  const { details } = error;
  return deliver(delivery, {
    error: details.error,
    error_description: `AADSTS${details.code}: ${details.message}\r\nTrace ID: ${request.requestId}\r\nTimestamp: ${entraTimestamp(request.now)}`,
    error_uri: `https://login.microsoftonline.com/error?code=${details.code}`,
    ...(details.suberror ? { suberror: details.suberror } : {}),
    ...(details.claims ? { claims: details.claims } : {}),
  });
}

/** The platform of the redirect URI that matched: it decides PKCE, CORS and whether redemption needs a credential. */
export type RedirectPlatform = "spa" | "web" | "publicClient";

interface ValidatedAuthorize {
  readonly parameters: AuthorizeParameters;
  readonly client: AppRegistrationForAuth;
  readonly isSpa: boolean;
  readonly platform: RedirectPlatform;
  readonly delivery: Delivery;
}

function redirectPlatform(client: AppRegistrationForAuth, redirectUri: string): RedirectPlatform | undefined {
  if (client.spaRedirectUris.includes(redirectUri)) return "spa";
  if (client.webRedirectUris.includes(redirectUri)) return "web";
  if (matchesPublicClientRedirectUri(redirectUri, client.publicClientRedirectUris)) return "publicClient";
  return undefined;
}

function validateClientAndRedirect(
  parameters: AuthorizeParameters,
  tenant: TenantAuthView,
): { client: AppRegistrationForAuth; platform: RedirectPlatform; redirectUri: string } {
  const clientId = parameters.client_id;
  if (!clientId) {
    throw new EntraError({ error: "invalid_request", code: 900144, message: "The request body must contain the following parameter: 'client_id'." });
  }
  const client = tenant.findApplication(clientId);
  if (!client || client.appId.toLowerCase() !== clientId.toLowerCase()) {
    throw new EntraError({
      error: "unauthorized_client",
      code: 700016,
      message: `Application with identifier '${clientId}' was not found in the directory '${tenant.tenantId}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
    });
  }
  const redirectUri = parameters.redirect_uri;
  if (!redirectUri) {
    throw new EntraError({ error: "invalid_request", code: 900144, message: "The request body must contain the following parameter: 'redirect_uri'." });
  }
  const platform = redirectPlatform(client, redirectUri);
  if (!platform) {
    throw new EntraError({
      error: "invalid_request",
      code: 50011,
      message: `The redirect URI '${redirectUri}' specified in the request does not match the redirect URIs configured for the application '${client.appId}'. Make sure the redirect URI sent in the request matches one added to your application in the Azure portal. Navigate to https://aka.ms/redirectUriMismatchError to learn more about how to fix this.`,
    });
  }
  return { client, platform, redirectUri };
}

/** Checks after which errors go back to the client (response type, PKCE, scopes). */
function validateRequest(validated: ValidatedAuthorize, tenant: TenantAuthView): void {
  const { parameters, client, isSpa } = validated;
  if (parameters.response_type !== "code") {
    throw new EntraError({
      error: "unsupported_response_type",
      code: 700054,
      message: `response_type '${parameters.response_type ?? ""}' is not enabled for the application; the sandbox supports 'code'.`,
    });
  }
  if (isSpa && !parameters.code_challenge) {
    throw new EntraError({
      error: "invalid_request",
      code: 9002325,
      message: "Proof Key for Code Exchange is required for cross-origin authorization code redemption.",
    });
  }
  if (parameters.code_challenge) {
    const method = parameters.code_challenge_method ?? "plain";
    if (isSpa ? method !== "S256" : method !== "S256" && method !== "plain") {
      throw new EntraError({
        error: "invalid_request",
        code: 5002738,
        message: `Invalid code_challenge_method '${method}'; the sandbox requires S256 for single-page applications.`,
      });
    }
  }
  delegatedScopes(tenant, client, parseScopes(parameters.scope ?? null, tenant));
  parseClaimsRequest(parameters.claims);
}

export function handleAuthorize(request: EntraRequest, context: AuthorizeContext): HttpReply {
  const isSubmit = request.method === "POST";
  const parameters = readParameters(isSubmit ? request.form : request.query);
  let validated: ValidatedAuthorize;
  try {
    const { client, platform, redirectUri } = validateClientAndRedirect(parameters, context.tenant);
    const mode = parameters.response_mode ?? "query";
    const responseMode = mode === "fragment" || mode === "form_post" ? mode : "query";
    validated = { parameters, client, isSpa: platform === "spa", platform, delivery: { redirectUri, responseMode, state: parameters.state } };
  } catch (error) {
    if (error instanceof EntraError) return errorPage(request, error);
    throw error;
  }
  try {
    validateRequest(validated, context.tenant);
  } catch (error) {
    if (error instanceof EntraError) return deliverError(validated.delivery, error, request);
    throw error;
  }
  return isSubmit ? signIn(request, context, validated) : continueOrShowPage(request, context, validated);
}

function sessionUser(request: EntraRequest, context: AuthorizeContext): { user: SignInUser; authTime: Date; authMethods: AuthMethods } | undefined {
  const sessionId = parseCookies(request.headers["cookie"]).get(SESSION_COOKIE);
  const session = sessionId ? context.state.sessions.get(sessionId) : undefined;
  const user = session ? context.tenant.findUser(session.userObjectId) : undefined;
  return session && user?.accountEnabled ? { user, authTime: session.authTime, authMethods: session.authMethods } : undefined;
}

function continueOrShowPage(request: EntraRequest, context: AuthorizeContext, validated: ValidatedAuthorize): HttpReply {
  const prompt = validated.parameters.prompt ?? "";
  const loginHint = validated.parameters.login_hint?.toLowerCase();
  const session = sessionUser(request, context);
  const sessionMatchesHint =
    session !== undefined && (loginHint === undefined || session.user.userPrincipalName.toLowerCase() === loginHint || session.user.objectId === loginHint);
  const demanded = session !== undefined && context.state.interactionDemands.has(session.user.objectId);
  const mustShowPage = prompt === "login" || prompt === "select_account" || prompt === "consent" || prompt === "create";

  if (prompt === "none") {
    if (!session || !sessionMatchesHint) {
      return deliverError(
        validated.delivery,
        new EntraError({ error: "login_required", code: 50058, message: "A silent sign-in request was sent but no user is signed in." }),
        request,
      );
    }
    if (demanded) {
      return deliverError(
        validated.delivery,
        new EntraError({
          error: "interaction_required",
          code: context.state.interactionDemands.get(session.user.objectId)?.errorCode ?? 50076,
          message:
            "Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access this resource.",
        }),
        request,
      );
    }
  }
  // msal-browser sends a claims request with every sign-in (optional ID-token claims such as login_hint); like Entra,
  // SSO goes on unless the claims ask for more than the session proved (MFA, a step-up), which needs the page.
  // https://learn.microsoft.com/entra/identity-platform/v2-oauth2-auth-code-flow#request-an-authorization-code
  const claimsNeedSignIn = parseClaimsRequest(validated.parameters.claims).needsMfa;
  if (session && sessionMatchesHint && !demanded && !mustShowPage && !claimsNeedSignIn) {
    return issueCode(request, context, validated, session.user, session.authTime, session.authMethods, {});
  }
  return signInPage(request, context, validated, undefined);
}

function signIn(request: EntraRequest, context: AuthorizeContext, validated: ValidatedAuthorize): HttpReply {
  const login = (request.form.get("login") ?? "").trim();
  const password = request.form.get("passwd") ?? "";
  const user = context.tenant.findUser(login);
  if (!user) {
    return signInPage(request, context, validated, `AADSTS50034: We couldn't find an account with that username (${login}).`);
  }
  if (!user.accountEnabled) return signInPage(request, context, validated, "AADSTS50057: The user account is disabled.");
  if (user.password !== password) {
    return signInPage(request, context, validated, "AADSTS50126: Error validating credentials due to invalid username or password.");
  }
  // Signing in on a page that asked for a step-up (a forced demand, or claims asking for MFA) stands for completing
  // the second factor: the sandbox has no authenticator, so the password page is the whole "MFA".
  const steppedUp = context.state.interactionDemands.delete(user.objectId) || parseClaimsRequest(validated.parameters.claims).needsMfa;
  const authMethods = steppedUp ? WITH_MFA : PASSWORD_ONLY;
  const sessionId = randomBytes(24).toString("base64url");
  context.state.sessions.set(sessionId, { userObjectId: user.objectId, authTime: request.now, authMethods });
  const cookie = `${SESSION_COOKIE}=${sessionId}; Path=/; Secure; HttpOnly; SameSite=None`;
  return issueCode(request, context, validated, user, request.now, authMethods, { "set-cookie": cookie });
}

function issueCode(
  request: EntraRequest,
  context: AuthorizeContext,
  validated: ValidatedAuthorize,
  user: SignInUser,
  authTime: Date,
  authMethods: AuthMethods,
  headers: Record<string, string>,
): HttpReply {
  const { parameters, client, isSpa, platform, delivery } = validated;
  const resource = parseScopes(parameters.scope ?? null, context.tenant).resource;
  const refusal = unassignedUserError(context.tenant, user, resource?.kind === "app" ? [client, resource.app] : [client], "access_denied");
  if (refusal) {
    // An interactive sign-in ends on Entra's own error page and never returns to the app (AzureAD/microsoft-
    // authentication-library-for-js#4529: "that error screen as well as the navigation are handled on the service
    // side"); a silent one (prompt=none) gets `error=access_denied` with AADSTS50105 at the redirect URI
    // (AzureAD/azure-activedirectory-library-for-js#219).
    return parameters.prompt === "none" ? deliverError(delivery, refusal, request) : errorPage(request, refusal, headers);
  }
  // Entra puts an authentication context in `acrs` only when the app asked for it and its policy was met (here: the
  // MFA sign-in); a session reused without claims carries none.
  // https://learn.microsoft.com/entra/identity-platform/developer-guide-conditional-access-authentication-context
  const acrs = authMethods.includes("mfa") ? parseClaimsRequest(parameters.claims).acrs : [];
  const code = context.state.issueCode({
    clientId: client.appId,
    redirectUri: delivery.redirectUri,
    isSpa,
    isPublicClient: platform === "publicClient",
    codeChallenge: parameters.code_challenge,
    codeChallengeMethod: parameters.code_challenge ? (parameters.code_challenge_method ?? "plain") : undefined,
    userObjectId: user.objectId,
    scope: parameters.scope ?? "",
    nonce: parameters.nonce,
    authTime,
    authMethods,
    ...(acrs.length > 0 ? { acrs } : {}),
    expiresAt: new Date(request.now.getTime() + AUTHORIZATION_CODE_LIFETIME_MS),
  });
  const values: Record<string, string> = { code };
  if (parameters.client_info === "1") values.client_info = clientInfo(user.objectId, context.tenant.tenantId);
  values.session_state = randomBytes(16).toString("hex");
  return deliver(delivery, values, headers);
}

function signInPage(request: EntraRequest, context: AuthorizeContext, validated: ValidatedAuthorize, problem: string | undefined): HttpReply {
  const { parameters, client } = validated;
  const hidden = Object.entries(parameters)
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
    .join("\n");
  const login = request.form.get("login") ?? parameters.login_hint ?? "";
  const stepUp = parseClaimsRequest(parameters.claims).needsMfa;
  const personas = context.tenant
    .personas()
    .map(
      (
        persona,
      ) => `<li><button type="button" class="persona" data-login="${escapeHtml(persona.userPrincipalName)}" data-password="${escapeHtml(persona.password)}">
<strong>${escapeHtml(persona.displayName)}</strong> <code>${escapeHtml(persona.userPrincipalName)}</code></button>
<span>${escapeHtml(persona.description)}${persona.consoleRoles.length ? ` — ${escapeHtml(persona.consoleRoles.join(", "))}` : ""}</span></li>`,
    )
    .join("\n");
  const body = `<h1>Sign in</h1>
<p class="meta">to <strong>${escapeHtml(client.displayName)}</strong> — Gatehouse sandbox tenant <code>${escapeHtml(context.tenant.tenantId)}</code></p>
${problem ? `<p class="error" role="alert">${escapeHtml(problem)}</p>` : ""}
${stepUp ? `<p class="meta" id="step-up">Your organisation needs you to verify your identity with multi-factor authentication. In the sandbox, signing in here counts as completing it.</p>` : ""}
<form method="POST" action="${escapeHtml(request.path)}" id="signin">
${hidden}
<label>Email or UPN <input name="login" id="login" type="email" autocomplete="username" value="${escapeHtml(login)}" required></label>
<label>Password <input name="passwd" id="passwd" type="password" autocomplete="current-password" required></label>
<button type="submit" id="submit">Sign in</button>
</form>
<h2>Sandbox personas</h2>
<ul class="personas">${personas}</ul>
<script>
for (const button of document.querySelectorAll("button.persona")) {
  button.addEventListener("click", () => {
    document.getElementById("login").value = button.dataset.login;
    document.getElementById("passwd").value = button.dataset.password;
    document.getElementById("signin").requestSubmit();
  });
}
</script>`;
  return htmlReply(200, page("Sign in to your account", body), { "x-frame-options": "DENY" });
}

export function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font-family:system-ui,sans-serif;max-width:44rem;margin:2rem auto;padding:0 1rem;color:#1b1b1b}
label{display:block;margin:.6rem 0}input{display:block;width:100%;padding:.4rem;font-size:1rem}
button{padding:.45rem .9rem;font-size:1rem;cursor:pointer}.error{color:#a80000;border-left:4px solid #a80000;padding-left:.6rem}
.meta{color:#555}.personas{list-style:none;padding:0}.personas li{margin:.5rem 0}.personas span{display:block;color:#555;font-size:.9rem}
code{font-size:.9em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.25rem .5rem;text-align:left}
</style></head><body>${body}</body></html>`;
}
