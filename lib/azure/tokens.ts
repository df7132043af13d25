import "server-only";

import { createHash, X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";

import { ManagedIdentityCredential } from "@azure/identity";
import {
  AuthError,
  ConfidentialClientApplication,
  type Configuration,
  type INetworkModule,
  InteractionRequiredAuthError,
  type NetworkResponse,
} from "@azure/msal-node";

import { SecretToken } from "@/lib/auth/secret-token";
import { DelegatedTokenCache, type DelegatedTokenKey } from "@/lib/azure/delegated-token-cache";
import { getConfig, type GatehouseConfig } from "@/lib/config";
import { AppError } from "@/lib/errors";
import { describeError, log } from "@/lib/log";

/**
 * Tokens for Microsoft Graph and ARM. Delegated ones come from on-behalf-of with the signed-in person's token for
 * our API, so Azure checks that person's own rights; app-only ones (client credentials) serve unattended jobs.
 * Neither ever leaves the server.
 */

export type Resource = "graph" | "arm" | "monitor";

/** The configured cloud's `.default` scope of each resource (`lib/config/clouds.mjs`). */
export function resourceScope(resource: Resource): string {
  const { upstream } = getConfig();
  return resource === "graph" ? upstream.graphScope : resource === "arm" ? upstream.armScope : upstream.monitorScope;
}

/** Each user gets a client of their own so that token caches never mix; the oldest are dropped past this many. */
const MAX_CACHED_USERS = 500;
const usersClients = new Map<string, ConfidentialClientApplication>();
let appClient: ConfidentialClientApplication | undefined;

function clientCredential(identity: GatehouseConfig["identity"]): Pick<Configuration["auth"], "clientSecret" | "clientCertificate" | "clientAssertion"> {
  const credential = identity.credential;
  switch (credential.kind) {
    case "secret":
      return { clientSecret: credential.secret };
    case "certificate": {
      const pem = readFileSync(credential.path, "utf8");
      const certificate = new X509Certificate(pem);
      const privateKey = /-----BEGIN (?:RSA )?PRIVATE KEY-----[\s\S]+?-----END (?:RSA )?PRIVATE KEY-----/.exec(pem)?.[0];
      if (!privateKey) {
        throw new AppError({
          code: "configuration",
          message: `AZURE_CLIENT_CERTIFICATE_PATH ${credential.path} holds no private key`,
          userMessage: "Gatehouse is not configured correctly. Ask your administrator to check its certificate.",
        });
      }
      return {
        clientCertificate: {
          thumbprintSha256: createHash("sha256").update(certificate.raw).digest("hex"),
          privateKey,
          x5c: certificate.toString(),
        },
      };
    }
    case "managed-identity": {
      // Workload identity federation: the managed identity's token for the exchange audience is the API app's client
      // assertion, so no secret exists anywhere.
      const managedIdentity = new ManagedIdentityCredential({ clientId: credential.clientId });
      const exchangeScope = identity.tokenExchangeScope;
      return {
        clientAssertion: async () => {
          // Each cloud has its own exchange audience; the federated credential names the same one.
          const token = await managedIdentity.getToken(exchangeScope);
          return token.token;
        },
      };
    }
  }
}

let authorityMetadata: Promise<string | undefined> | undefined;

/**
 * The authority's OpenID configuration, read once per process and handed to every client: without it each per-user
 * client would fetch it on first use, one more request (and failure point) per person.
 */
function sharedAuthorityMetadata(authority: string): Promise<string | undefined> {
  authorityMetadata ??= fetch(`${authority}/v2.0/.well-known/openid-configuration`, { signal: AbortSignal.timeout(10_000) })
    .then(async (response) => {
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      return JSON.stringify(await response.json());
    })
    .catch((error: unknown) => {
      authorityMetadata = undefined; // let MSAL discover it itself this time, and try again next time
      log("warn", "auth", "authority metadata unavailable", { error: describeError(error) });
      return undefined;
    });
  return authorityMetadata;
}

/**
 * MSAL's own HTTP client sends token requests with no time limit, so a token endpoint that accepts the connection and
 * never answers would hold an admin's action (and its on-behalf-of exchange) for ever. This one gives every request
 * the upstream timeout; MSAL turns any failure here into its `network_error`, which is retried once and then reported
 * as the sign-in service being unavailable.
 */
function timeLimitedNetworkClient(timeoutMs: number): INetworkModule {
  async function send<T>(url: string, method: "GET" | "POST", headers: Record<string, string> | undefined, body: string | undefined, limitMs: number) {
    const response = await fetch(url, { method, headers, ...(method === "POST" ? { body: body ?? "" } : {}), signal: AbortSignal.timeout(limitMs) });
    const responseHeaders: Record<string, string> = {};
    response.headers.forEach((value, name) => {
      responseHeaders[name] = value;
    });
    return { headers: responseHeaders, body: (await response.json()) as T, status: response.status } satisfies NetworkResponse<T>;
  }
  return {
    sendGetRequestAsync: (url, options, timeout) => send(url, "GET", options?.headers, undefined, Math.min(timeout ?? timeoutMs, timeoutMs)),
    sendPostRequestAsync: (url, options) => send(url, "POST", options?.headers, options?.body, timeoutMs),
  };
}

async function newClient(): Promise<ConfidentialClientApplication> {
  const { identity } = getConfig();
  const metadata = await sharedAuthorityMetadata(identity.authority);
  return new ConfidentialClientApplication({
    auth: {
      clientId: identity.apiClientId,
      authority: identity.authority,
      // host:port of the authority; keeps MSAL from network instance discovery, which a sovereign cloud or the
      // sandbox would fail, and which login.microsoftonline.com does not need.
      knownAuthorities: [new URL(identity.authorityHost).host],
      ...(metadata ? { authorityMetadata: metadata } : {}),
      ...clientCredential(identity),
    },
    system: {
      networkClient: timeLimitedNetworkClient(getConfig().upstream.timeoutMs),
      loggerOptions: {
        piiLoggingEnabled: false,
        logLevel: 1, // warnings and errors only
        loggerCallback: (_level, message) => log("warn", "msal", message),
      },
    },
  });
}

async function clientFor(userKey: string): Promise<ConfidentialClientApplication> {
  let client = usersClients.get(userKey);
  if (client) {
    // Re-insert to mark as most recently used.
    usersClients.delete(userKey);
  } else {
    client = await newClient();
    if (usersClients.size >= MAX_CACHED_USERS) {
      const oldest = usersClients.keys().next().value;
      if (oldest !== undefined) usersClients.delete(oldest);
    }
  }
  usersClients.set(userKey, client);
  return client;
}

export interface DelegatedCaller {
  readonly tenantId: string;
  readonly objectId: string;
  /** The person's access token for the console's API. */
  readonly assertion: SecretToken;
}

/**
 * Runs a token request again, once, when the connection to the token endpoint failed before any answer (MSAL's
 * `network_error`, e.g. a kept-alive socket the server had just closed). A token request changes nothing, so a second
 * try is always safe; an answer that is an error is never retried here.
 */
async function retryingNetworkErrorOnce<T>(request: () => Promise<T>): Promise<T> {
  try {
    return await request();
  } catch (error) {
    if (!(error instanceof AuthError) || error.errorCode !== "network_error") throw error;
    await new Promise((resolve) => setTimeout(resolve, 200));
    return request();
  }
}

export interface TokenRequestOptions {
  /** A resource's claims challenge (JSON), passed to Entra as is; MSAL then skips its cache. */
  readonly claims?: string | undefined;
}

const delegatedTokens = new DelegatedTokenCache();

/**
 * A token for Graph or ARM that acts as the signed-in person, wrapped so it can only be read at the SDK boundary
 * (`reveal()`): it cannot be serialized to a browser, logged or put into an error message by mistake. A claims
 * challenge always goes to Entra (a cached token is what the resource just refused); its answer then replaces the
 * cached token, as it does in MSAL's cache.
 */
export async function getDelegatedToken(caller: DelegatedCaller, resource: Resource, options: TokenRequestOptions = {}): Promise<SecretToken> {
  const key = { tenantId: caller.tenantId, objectId: caller.objectId, resource, assertion: caller.assertion };
  if (!options.claims) {
    const cached = delegatedTokens.find(key);
    if (cached) return cached;
    return delegatedTokens.exchangeOnce(key, () => exchangeOnBehalfOf(caller, resource, key, options));
  }
  return exchangeOnBehalfOf(caller, resource, key, options);
}

async function exchangeOnBehalfOf(caller: DelegatedCaller, resource: Resource, key: DelegatedTokenKey, options: TokenRequestOptions): Promise<SecretToken> {
  try {
    const client = await clientFor(`${caller.tenantId}.${caller.objectId}`);
    const result = await retryingNetworkErrorOnce(() =>
      client.acquireTokenOnBehalfOf({
        oboAssertion: caller.assertion.reveal(),
        scopes: [resourceScope(resource)],
        ...(options.claims ? { claims: options.claims } : {}),
      }),
    );
    if (!result?.accessToken) throw new Error("on-behalf-of returned no token");
    const token = new SecretToken(result.accessToken);
    if (result.expiresOn) delegatedTokens.remember(key, token, result.expiresOn.getTime());
    return token;
  } catch (error) {
    throw tokenError(error, resource);
  }
}

/** A token for Graph, ARM or Azure Monitor as the console's own identity, for scheduled jobs (and shipping the audit trail). */
export async function getAppToken(resource: Resource, options: TokenRequestOptions = {}): Promise<SecretToken> {
  appClient ??= await newClient();
  try {
    const client = appClient;
    const result = await retryingNetworkErrorOnce(() =>
      client.acquireTokenByClientCredential({
        scopes: [resourceScope(resource)],
        // The sandbox tenant's clock can be moved forward (to test expiry), which makes a token MSAL still trusts by the
        // wall clock expired to the tenant; app tokens serve only scheduled jobs, so fetching each one fresh costs little.
        skipCache: getConfig().mode === "sandbox",
        ...(options.claims ? { claims: options.claims } : {}),
      }),
    );
    if (!result?.accessToken) throw new Error("client credentials returned no token");
    return new SecretToken(result.accessToken);
  } catch (error) {
    throw tokenError(error, resource);
  }
}

const RESOURCE_NAMES: Record<Resource, string> = { graph: "Microsoft Graph", arm: "Azure Resource Manager", monitor: "Azure Monitor" };

function tokenError(error: unknown, resource: Resource): AppError {
  if (error instanceof AppError) return error;
  const name = RESOURCE_NAMES[resource];
  if (error instanceof InteractionRequiredAuthError) {
    const consent = /AADSTS65001|consent_required/.test(`${error.errorCode} ${error.errorMessage}`);
    return new AppError({
      code: "interaction_required",
      message: `on-behalf-of for ${name} needs interaction: ${error.errorCode} ${error.errorMessage}`,
      userMessage: consent
        ? `Gatehouse needs your consent to call ${name} for you. Continue to give it, then try again.`
        : `Your organisation requires you to sign in again (for example with multi-factor authentication) before Gatehouse can call ${name} for you.`,
      claims: error.claims || undefined,
      cause: error,
    });
  }
  if (error instanceof AuthError && /AADSTS500133|AADSTS50013/.test(error.errorMessage)) {
    return new AppError({
      code: "unauthenticated",
      message: `on-behalf-of assertion rejected: ${error.errorMessage}`,
      userMessage: "Your session has ended. Gatehouse will renew it — if this persists, sign in again.",
      cause: error,
    });
  }
  // AADSTS500011: the tenant's Entra knows no resource by the scope's id, which is what another cloud's resource id
  // gets (a US Government tenant has no https://graph.microsoft.com). Retrying cannot help; the setting must change.
  if (error instanceof AuthError && /AADSTS500011\b/.test(`${error.errorCode} ${error.errorMessage}`)) {
    return new AppError({
      code: "configuration",
      message: `token for ${name} refused, resource ${resourceScope(resource)} unknown to the tenant (is AZURE_CLOUD right?): ${error.errorMessage}`,
      userMessage: `Gatehouse is not set up for this tenant's Azure cloud, so it cannot call ${name}. Ask your administrator to check its AZURE_CLOUD setting.`,
      cause: error,
    });
  }
  return new AppError({
    code: "upstream_unavailable",
    message: `token for ${name} failed: ${error instanceof AuthError ? `${error.errorCode} ${error.errorMessage}` : String(error)}`,
    userMessage: `Gatehouse could not get a token to call ${name}. Try again in a minute; if it persists, ask your administrator to check the sign-in service.`,
    cause: error,
  });
}
