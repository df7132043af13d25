/**
 * The sandbox tenant's HTTPS server: one port on loopback serving Entra ID (`/{tenant}/…`), Microsoft Graph
 * (`/v1.0`, `/beta`), ARM (`/subscriptions`, `/providers`) and the control API (`/_sandbox/…`).
 * It verifies Graph/ARM bearer tokens, applies faults and latency, and records every call in the journal.
 * `state.ts` saves and restores the tenant, `tenant-file.ts` writes `tenant.json`, `index-page.ts` renders `/`.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { mkdir } from "node:fs/promises";
import type { Server as HttpServer, IncomingMessage, ServerResponse } from "node:http";
import { type Server, createServer } from "node:https";
import { createServer as createHttpServer } from "node:http";
import type { AddressInfo, Server as NetServer } from "node:net";
import { resolve } from "node:path";
import type { TLSSocket } from "node:tls";
import { createArmHandler } from "./arm/index";
import { type ProtectedService, unauthorizedReply, verifyBearerToken } from "./auth";
import { isLoopbackHost } from "./config";
import {
  CONSOLE_API_CLIENT_ID,
  CONSOLE_MANAGED_IDENTITY_CLIENT_ID,
  CONSOLE_SPA_CLIENT_ID,
  type Caller,
  FAULT_SCOPE_HEADER,
  type SandboxHandler,
  type SandboxRequest,
  type SandboxResponse,
  type SandboxCloud,
  type SandboxCloudName,
  type SandboxSettings,
} from "./contract";
import {
  type ControlTarget,
  handleControl,
  type TlsConnectionCount,
  isLoopbackAddress,
  refuseBrowserControl,
  refuseWithoutControlToken,
} from "./control/index";
import { FaultInjector } from "./control/faults";
import { cloudMetadata, METADATA_API_VERSIONS } from "./arm/generic-resources";
import { ARM_MESSAGES } from "./arm/responses";
import { Journal, type SandboxSystem } from "./control/journal";
import { type HttpReply, corsHeaders, htmlReply, jsonReply } from "./entra/http";
import { type EntraHandler, createEntraHandler, isEntraSegment } from "./entra/index";
import { SigningKeys } from "./entra/keys";
import { EntraState } from "./entra/state";
import { entraErrorBody } from "./entra/errors";
import { clientCredentialKind } from "./entra/client-auth";
import { v2Issuer } from "./entra/tokens";
import { chatFaultReply, handleChat, isChatPath } from "./chat/receivers";
import { APP_SERVICE_TOKEN_PATH, handleIdentityRequest } from "./identity/index";
import { indexPage } from "./index-page";
import { handleIngestion } from "./monitor/ingestion";
import { persistState, restoreState } from "./state";
import { consoleFederatedCredential, consoleSpaRedirectUris } from "./tenant/console-apps";
import { createGraphHandler } from "./graph/index";
import { type Tenant, createTenant } from "./tenant/index";
import { type TlsMaterial, describeClientCertificate, ensureTlsMaterial } from "./tls";

export interface StartSandboxOptions {
  /** 0 picks a free port (tests). Default 8443. */
  readonly port?: number;
  /** Must be a loopback address. Default 127.0.0.1. */
  readonly host?: string;
  /** Where TLS material, signing keys and `state.json` live. */
  readonly dataDir: string;
  readonly seed?: number;
  readonly scale?: "default" | "large" | "large-estate";
  /** Load `state.json` at start if present (and allow `persist()`). */
  readonly persist?: boolean;
  /** Fixed latency added to every Graph and ARM call. */
  readonly latencyMs?: number;
  readonly settings?: Partial<SandboxSettings>;
  /** Where to report handler crashes (never given tokens). Default: console.error. */
  readonly log?: (message: string) => void;
  /** Origins the console is served from besides http://localhost:3000, registered as SPA redirect URIs. */
  readonly consoleOrigins?: readonly string[];
  /** Port of the managed-identity endpoint (plain HTTP on loopback, like 169.254.169.254). Default 0: any free port. */
  readonly identityPort?: number;
  /**
   * The console API app's credentials. `all` (default): its sandbox secret, the generated certificate and the federated
   * credential for its managed identity. `federated`: only the federated credential — no secret or certificate exists,
   * so a console configured with one is refused (AADSTS7000215 / AADSTS700027).
   */
  readonly consoleCredentials?: "all" | "federated";
  /** The Azure cloud the tenant emulates (Graph's and ARM's resource ids, exchange audience, v1 issuer). Default public. */
  readonly cloud?: SandboxCloudName;
}

/** The managed-identity endpoint a workload on this "host" uses (see identity/index.ts). */
export interface SandboxIdentityEndpoint {
  /** `http://127.0.0.1:<port>` */
  readonly origin: string;
  readonly port: number;
  /** IDENTITY_ENDPOINT for the App Service / Container Apps form. */
  readonly identityEndpoint: string;
  /** IDENTITY_HEADER: a random value per start, as the platform's is. */
  readonly identityHeader: string;
  /** AZURE_POD_IDENTITY_AUTHORITY_HOST: where SDKs find IMDS instead of 169.254.169.254. */
  readonly imdsAuthorityHost: string;
}

export interface RunningSandbox {
  /** `https://localhost:<port>` */
  readonly origin: string;
  readonly port: number;
  /** The current tenant (a reset replaces it). */
  readonly tenant: Tenant;
  readonly settings: SandboxSettings;
  readonly journal: Journal;
  readonly faults: FaultInjector;
  readonly keys: SigningKeys;
  readonly tls: TlsMaterial;
  readonly dataDir: string;
  /** The underlying HTTPS server (bound to loopback only). */
  readonly server: Server;
  /** The managed-identity endpoint (its own loopback HTTP port). */
  readonly identity: SandboxIdentityEndpoint;
  readonly consoleCredentials: "all" | "federated";
  /**
   * The secret a control API write must carry (`x-sandbox-control-token`); random per start, written to tenant.json.
   * A page in the developer's browser cannot read it, so it cannot drive the sandbox.
   */
  readonly controlToken: string;
  /** TLS handshakes on the main port so far: a client that reuses its connections opens few (tests count them). */
  readonly tlsConnections: Readonly<TlsConnectionCount>;
  reset(options?: { seed?: number; scale?: "default" | "large" }): void;
  /** Writes `state.json` in the data dir and returns its path. */
  persist(): Promise<string>;
  close(): Promise<void>;
}

export const DEFAULT_SETTINGS: Readonly<SandboxSettings> = {
  propagationDelaySeconds: 0,
  roleAssignmentLimitPerSubscription: 4000,
  accessTokenLifetimeSeconds: 3600,
  clockOffsetMs: 0,
  resourceGraphQuotaPerWindow: 15,
  resourceGraphQuotaWindowSeconds: 5,
  graphDefaultPageSize: 100,
};

/** Key id under which the console API's generated certificate is registered. */
export const CONSOLE_CERTIFICATE_KEY_ID = "0c0a5e11-a910-4000-8000-00000000c003";

const MAX_BODY_BYTES = 10 * 1024 * 1024;

interface ServiceHandlers {
  graph: SandboxHandler;
  arm: SandboxHandler;
}

/** What the request handlers read on every call. Getters, because a reset replaces the tenant and its handlers. */
interface Wiring {
  readonly tenant: () => Tenant;
  readonly handlers: () => ServiceHandlers;
  /** `https://localhost:<port>`, known once the server listens. */
  readonly origin: () => string;
  readonly entra: EntraHandler;
  readonly control: ControlTarget;
  /** What a control API write must carry (see RunningSandbox.controlToken). */
  readonly controlToken: string;
  readonly keys: SigningKeys;
  readonly journal: Journal;
  readonly faults: FaultInjector;
  readonly now: () => Date;
  /** Fixed latency added to every Graph and ARM call. */
  readonly latencyMs: number;
  readonly log: (message: string) => void;
}

/** What the journal learns about a call while it is answered. */
interface CallFacts {
  caller: Caller | undefined;
  /** For Entra calls: the client named in the token request, so the journal can count token requests per app. */
  entraClientId: string | null;
  faultId: string | null;
  /** For Entra token requests: how the client authenticated (the journal proves "no secret" with it). */
  clientCredential: "none" | "secret" | "certificate" | "federated" | null;
}

/** Collapses leading slashes (`//subscriptions/…` from an ARM scope) and percent-decodes once. Never uses `new URL`. */
export function normalisePath(rawUrl: string): { path: string; rawQuery: string } | undefined {
  const questionMark = rawUrl.indexOf("?");
  const rawPath = questionMark < 0 ? rawUrl : rawUrl.slice(0, questionMark);
  const rawQuery = questionMark < 0 ? "" : rawUrl.slice(questionMark + 1);
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawPath);
  } catch {
    return undefined;
  }
  return { path: `/${decoded.replace(/^\/+/, "")}`, rawQuery };
}

/** Which part of the sandbox serves a path. */
export function classifyPath(path: string): SandboxSystem {
  const first = path.split("/")[1] ?? "";
  const lower = first.toLowerCase();
  if (path === "/") return "index";
  if (lower === "_sandbox") return "control";
  if (lower === "v1.0" || lower === "beta") return "graph";
  if (lower === "subscriptions" || lower === "providers") return "arm";
  if (lower === "metadata") return "metadata";
  if (lower === "datacollectionrules") return "monitor";
  if (isChatPath(first)) return "chat";
  if (isEntraSegment(first)) return "entra";
  return "unknown";
}

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolveBody, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error("request body too large"));
        request.destroy();
        return;
      }
      chunks.push(chunk);
    });
    request.on("end", () => resolveBody(Buffer.concat(chunks)));
    request.on("error", reject);
  });
}

function lowerCaseHeaders(request: IncomingMessage): Record<string, string | undefined> {
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(request.headers)) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : value;
  return headers;
}

const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));
/** Waits until `performance.now()` reaches `at` (at once when it has). */
const sleepUntil = async (at: number) => {
  const left = at - performance.now();
  if (left > 0) await sleep(Math.ceil(left));
};

/** Error bodies for injected faults and crashes, in each system's own shape. */
function systemErrorReply(
  system: SandboxSystem,
  status: number,
  requestId: string,
  now: Date,
  retryAfterSeconds?: number,
  wording: { readonly errorCode?: string | undefined; readonly errorMessage?: string | undefined } = {},
): HttpReply {
  const retryHeaders: Record<string, string> = retryAfterSeconds !== undefined ? { "retry-after": String(retryAfterSeconds) } : {};
  const code =
    status === 429
      ? "TooManyRequests"
      : status === 503
        ? "ServiceUnavailable"
        : status === 504
          ? "GatewayTimeout"
          : status >= 500
            ? "InternalServerError"
            : "BadRequest";
  if (system === "graph") {
    const graphCode =
      wording.errorCode ?? (status === 429 ? "TooManyRequests" : status === 503 ? "serviceNotAvailable" : status >= 500 ? "generalException" : "badRequest");
    const message =
      wording.errorMessage ?? (status === 429 ? "Please retry again later." : status === 503 ? "Service unavailable." : "An unexpected error occurred.");
    return jsonReply(
      status,
      {
        error: {
          code: graphCode,
          message,
          innerError: { code: String(status), date: now.toISOString().slice(0, 19), message, "request-id": requestId, status: String(status) },
        },
      },
      retryHeaders,
    );
  }
  if (system === "arm") {
    if (wording.errorCode !== undefined || wording.errorMessage !== undefined) {
      return jsonReply(status, { error: { code: wording.errorCode ?? code, message: wording.errorMessage ?? "Sandbox fault." } }, retryHeaders);
    }
    // A fault of 401 or 403 stands for ARM refusing the caller, with the codes ARM uses for that.
    if (status === 401) return jsonReply(status, { error: { code: "InvalidAuthenticationToken", message: "The access token is invalid." } }, retryHeaders);
    if (status === 403) {
      return jsonReply(
        status,
        {
          error: {
            code: "AuthorizationFailed",
            message: "The client does not have authorization to perform this action over this scope, or the scope is invalid.",
          },
        },
        retryHeaders,
      );
    }
    const message =
      status === 429
        ? "The request is being throttled as the limit has been reached for operation type - 'List'. For more information, see - https://aka.ms/msdn-throttling"
        : status === 503
          ? "The service is unavailable. Please retry the request later."
          : "The server encountered an internal error. Please retry the request.";
    return jsonReply(status, { error: { code, message } }, retryHeaders);
  }
  if (system === "entra") {
    const aadsts = status === 429 ? 90055 : 90033;
    return jsonReply(
      status,
      entraErrorBody(
        {
          error: "temporarily_unavailable",
          code: aadsts,
          message: status === 429 ? "The request is being throttled." : "A transient error has occurred. Please try again.",
        },
        now,
      ),
      { "cache-control": "no-store, no-cache", ...retryHeaders },
    );
  }
  return jsonReply(status, { error: { code, message: "Sandbox error." } }, retryHeaders);
}

function parseJsonBody(body: Buffer): { ok: true; value: unknown } | { ok: false } {
  if (body.length === 0) return { ok: true, value: undefined };
  try {
    return { ok: true, value: JSON.parse(body.toString("utf8")) as unknown };
  } catch {
    return { ok: false };
  }
}

function respond(response: ServerResponse, reply: HttpReply, extraHeaders: Record<string, string>): void {
  if (response.writableEnded || response.destroyed) return;
  const headers: Record<string, string> = { ...extraHeaders, ...reply.headers };
  if (reply.body !== undefined) headers["content-length"] = String(Buffer.byteLength(reply.body));
  response.writeHead(reply.status, headers);
  response.end(reply.body);
}

/** Starts listening (loopback only) and resolves once bound; rejects when the port cannot be had. */
function listen(server: NetServer, port: number, host: string): Promise<void> {
  return new Promise<void>((listening, failed) => {
    server.once("error", failed);
    server.listen(port, host, () => {
      server.off("error", failed);
      listening();
    });
  });
}

/** Cloud metadata needs no token in Azure either; the api-version is checked as ARM checks it. */
function metadataReply(method: string, path: string, query: URLSearchParams, origin: string, cloud: SandboxCloud): HttpReply {
  if (path.toLowerCase().replace(/\/+$/, "") !== "/metadata/endpoints") {
    return jsonReply(404, { error: { code: "NotFound", message: `The sandbox serves nothing at '${path}'.` } });
  }
  if (method !== "GET") {
    return jsonReply(405, { error: { code: "MethodNotAllowed", message: `The requested method '${method}' is not allowed for this resource.` } });
  }
  const version = query.get("api-version");
  if (!version) return jsonReply(400, { error: { code: "MissingApiVersionParameter", message: ARM_MESSAGES.missingApiVersion } });
  if (!METADATA_API_VERSIONS.includes(version)) {
    return jsonReply(400, {
      error: {
        code: "InvalidApiVersionParameter",
        message: `The api-version '${version}' is invalid. The supported versions are '${METADATA_API_VERSIONS.join(",")}'.`,
      },
    });
  }
  return jsonReply(200, cloudMetadata(origin, version, cloud));
}

/** Each service's request-id headers, as the real one sends them. */
function idHeadersFor(system: SandboxSystem, requestId: string, headers: Record<string, string | undefined>): Record<string, string> {
  if (system === "graph") return { "request-id": requestId, "client-request-id": headers["client-request-id"] ?? requestId };
  if (system === "arm") return { "x-ms-request-id": requestId, "x-ms-correlation-request-id": headers["x-ms-correlation-request-id"] ?? requestId };
  if (system === "entra") {
    return {
      "x-ms-request-id": requestId,
      "x-ms-ests-server": "gatehouse-sandbox",
      ...(headers["client-request-id"] ? { "client-request-id": headers["client-request-id"] } : {}),
    };
  }
  return {};
}

/** One call on the HTTPS port: routing, the control API's loopback check, faults and latency, then the service. */
async function serve(wiring: Wiring, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const startedAt = performance.now();
  const requestId = randomUUID();
  const requestTime = wiring.now();
  const method = (request.method ?? "GET").toUpperCase();
  const normalised = normalisePath(request.url ?? "/");
  const path = normalised?.path ?? "/";
  const system = normalised ? classifyPath(path) : "unknown";
  const headers = lowerCaseHeaders(request);
  const facts: CallFacts = { caller: undefined, entraClientId: null, faultId: null, clientCredential: null };
  let recorded = false;
  const record = () => {
    if (recorded || system === "control") return;
    recorded = true;
    wiring.journal.record({
      at: requestTime.toISOString(),
      method,
      path,
      // A Teams webhook's signature stays out of the journal, as a URL's secret stays out of logs.
      query: system === "chat" ? (normalised?.rawQuery ?? "").replace(/(^|&)sig=[^&]*/i, "$1sig=REDACTED") : (normalised?.rawQuery ?? ""),
      system,
      // 0: the client went away before an answer (e.g. an injected hang).
      status: response.headersSent ? response.statusCode : 0,
      callerObjectId: facts.caller?.objectId ?? null,
      callerAppId: facts.caller?.appId ?? facts.entraClientId,
      durationMs: Math.round(performance.now() - startedAt),
      requestId,
      faultId: facts.faultId,
      clientCredential: facts.clientCredential,
    });
  };
  response.on("close", record);
  const idHeaders = idHeadersFor(system, requestId, headers);

  try {
    if (!normalised) {
      respond(response, jsonReply(400, { error: { code: "BadRequest", message: "The request path is not valid percent-encoding." } }), idHeaders);
      return;
    }
    const body = await readBody(request);

    if (system === "control") {
      if (!isLoopbackAddress(request.socket.remoteAddress)) {
        respond(response, jsonReply(403, { error: { code: "Forbidden", message: "The sandbox control API only answers loopback callers." } }), {});
        return;
      }
      const refused = refuseBrowserControl(method, headers, body.length) ?? refuseWithoutControlToken(method, headers, wiring.controlToken);
      if (refused) {
        respond(response, refused, {});
        return;
      }
      const parsed = parseJsonBody(body);
      if (!parsed.ok) {
        respond(response, jsonReply(400, { error: { code: "BadRequest", message: "The body is not valid JSON." } }), {});
        return;
      }
      respond(response, await handleControl({ method, path, query: new URLSearchParams(normalised.rawQuery), body: parsed.value }, wiring.control), {});
      return;
    }

    if (system === "index") {
      respond(response, htmlReply(200, indexPage(wiring.origin(), wiring.tenant())), {});
      return;
    }
    if (system === "metadata") {
      respond(response, metadataReply(method, path, new URLSearchParams(normalised.rawQuery), wiring.origin(), wiring.tenant().cloud), idHeaders);
      return;
    }
    if (system === "unknown") {
      respond(response, jsonReply(404, { error: { code: "NotFound", message: `The sandbox serves nothing at '${path}'.` } }), {});
      return;
    }

    const decision = wiring.faults.decide(method, path, false, headers[FAULT_SCOPE_HEADER]);
    // A fault's delay is an upstream slow to take the call at all, waited out first. The base latency stands for the
    // whole time Azure takes to answer, its own work included: the emulator works within it, so a call answers after
    // the latency or when the emulator is done, whichever is later, not after their sum (which would charge the
    // emulator's CPU to whatever is measured against the latency floor).
    const answerAt = performance.now() + decision.delayMs + (system === "graph" || system === "arm" ? wiring.latencyMs : 0);
    if (decision.delayMs > 0) await sleep(decision.delayMs);
    if (decision.outcome) {
      facts.faultId = decision.rule?.id ?? null;
      if (decision.outcome.kind === "hang") return; // never answered; close() or the client ends it
      await sleepUntil(answerAt);
      if (system === "chat") {
        respond(response, chatFaultReply(path, decision.outcome.status, decision.outcome.retryAfterSeconds), {});
        return;
      }
      // Entra answers cross-origin: without CORS headers a browser would see a network error, not the 429/5xx.
      const cors = system === "entra" ? corsHeaders({ headers }) : {};
      respond(response, systemErrorReply(system, decision.outcome.status, requestId, wiring.now(), decision.outcome.retryAfterSeconds, decision.outcome), {
        ...idHeaders,
        ...cors,
      });
      return;
    }

    const query = new URLSearchParams(normalised.rawQuery);
    if (system === "entra") {
      const isForm = (headers["content-type"] ?? "").toLowerCase().includes("application/x-www-form-urlencoded");
      const form = new URLSearchParams(isForm ? body.toString("utf8") : "");
      facts.entraClientId = form.get("client_id") ?? query.get("client_id");
      if (method === "POST" && path.toLowerCase().endsWith("/token")) facts.clientCredential = clientCredentialKind(form, headers);
      const reply = await wiring.entra({ method, path, query, headers, form, origin: wiring.origin(), now: wiring.now(), requestId });
      respond(response, reply, idHeaders);
      return;
    }

    if (system === "chat") {
      // A webhook authenticates by its URL (a signature or token), not a bearer token.
      respond(response, handleChat({ method, path, query, headers, body, tenant: wiring.tenant(), now: wiring.now() }), {});
      return;
    }

    if (system === "monitor") {
      await serveIngestion(wiring, { service: "monitor", method, path, query, headers, body, requestId, facts }, response);
      return;
    }

    await serveGraphOrArm(
      wiring,
      { service: system === "graph" ? "graph" : "arm", method, path, query, headers, body, requestId, facts, answerAt },
      response,
      idHeaders,
    );
  } catch (error) {
    wiring.log(`sandbox: ${method} ${path} failed: ${error instanceof Error ? error.message : String(error)}`);
    respond(response, systemErrorReply(system, 500, requestId, wiring.now()), idHeaders);
  }
}

interface ServiceCall {
  readonly service: ProtectedService;
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: Record<string, string | undefined>;
  readonly body: Buffer;
  readonly requestId: string;
  readonly facts: CallFacts;
  /** When the answer may be sent: not before the base latency has passed since the call arrived (`performance.now()`). */
  readonly answerAt?: number;
}

/** Graph and ARM: the bearer token is verified and the body parsed before the handler sees the call. */
async function serveGraphOrArm(wiring: Wiring, call: ServiceCall, response: ServerResponse, idHeaders: Record<string, string>): Promise<void> {
  const { service, method, path, query, headers, requestId } = call;
  const answer = async (reply: HttpReply, extraHeaders: Record<string, string>) => {
    await sleepUntil(call.answerAt ?? 0);
    respond(response, reply, extraHeaders);
  };
  const armHeaders: Record<string, string> =
    service === "arm" ? { "x-ms-ratelimit-remaining-subscription-reads": "11999", "x-ms-ratelimit-remaining-subscription-writes": "1199" } : {};
  const verified = await verifyBearerToken(headers["authorization"], service, wiring.keys, wiring.tenant(), wiring.now());
  if (!verified.ok) {
    const challenge = unauthorizedReply(service, verified.problem, {
      origin: wiring.origin(),
      tenantId: wiring.tenant().tenantId,
      requestId,
      clientRequestId: headers["client-request-id"],
      now: wiring.now(),
    });
    await answer(jsonReply(401, challenge.body, challenge.headers), { ...idHeaders, ...armHeaders });
    return;
  }
  const caller = verified.caller;
  call.facts.caller = caller;
  const parsed = parseJsonBody(call.body);
  if (!parsed.ok) {
    const invalidJson =
      service === "graph"
        ? {
            error: {
              code: "BadRequest",
              message: "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.",
            },
          }
        : { error: { code: "InvalidRequestContent", message: "The request content was invalid and could not be deserialized." } };
    await answer(jsonReply(400, invalidJson), { ...idHeaders, ...armHeaders });
    return;
  }
  const handler = service === "graph" ? wiring.handlers().graph : wiring.handlers().arm;
  const result = await handler({ method, path, query, headers, body: parsed.value, caller, requestId, now: wiring.now(), origin: wiring.origin() });
  const reply: HttpReply =
    result.body === undefined ? { status: result.status, headers: { ...result.headers } } : jsonReply(result.status, result.body, { ...result.headers });
  // ARM's handler reports its own x-ms-ratelimit-* headers.
  await answer(reply, idHeaders);
}

/** The Logs Ingestion endpoint: token checked for Azure Monitor's audience, then monitor/ingestion.ts. */
async function serveIngestion(wiring: Wiring, call: ServiceCall, response: ServerResponse): Promise<void> {
  const verified = await verifyBearerToken(call.headers["authorization"], "monitor", wiring.keys, wiring.tenant(), wiring.now());
  if (!verified.ok) {
    const challenge = unauthorizedReply("monitor", verified.problem, {
      origin: wiring.origin(),
      tenantId: wiring.tenant().tenantId,
      requestId: call.requestId,
      clientRequestId: call.headers["x-ms-client-request-id"],
      now: wiring.now(),
    });
    respond(response, jsonReply(401, challenge.body, challenge.headers), {});
    return;
  }
  call.facts.caller = verified.caller;
  const { method, path, query, headers, body } = call;
  respond(response, handleIngestion({ method, path, query, headers, body, caller: verified.caller, tenant: wiring.tenant(), now: wiring.now() }), {});
}

/** One call on the managed-identity port (plain HTTP): faults apply, and it is journaled as system `identity`. */
async function serveIdentity(wiring: Wiring, identityHeader: string, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const startedAt = performance.now();
  const requestId = randomUUID();
  const requestTime = wiring.now();
  const method = (request.method ?? "GET").toUpperCase();
  const normalised = normalisePath(request.url ?? "/");
  const path = normalised?.path ?? "/";
  let faultId: string | null = null;
  response.on("close", () =>
    wiring.journal.record({
      at: requestTime.toISOString(),
      method,
      path,
      query: normalised?.rawQuery ?? "",
      system: "identity",
      status: response.headersSent ? response.statusCode : 0,
      callerObjectId: null,
      callerAppId: null,
      durationMs: Math.round(performance.now() - startedAt),
      requestId,
      faultId,
      clientCredential: null,
    }),
  );
  try {
    const decision = wiring.faults.decide(method, path, false, lowerCaseHeaders(request)[FAULT_SCOPE_HEADER]);
    if (decision.delayMs > 0) await sleep(decision.delayMs);
    if (decision.outcome) {
      faultId = decision.rule?.id ?? null;
      if (decision.outcome.kind === "hang") return;
      respond(response, systemErrorReply("identity", decision.outcome.status, requestId, wiring.now(), decision.outcome.retryAfterSeconds), {});
      return;
    }
    const reply = await handleIdentityRequest(
      { method, path, query: new URLSearchParams(normalised?.rawQuery ?? ""), headers: lowerCaseHeaders(request) },
      {
        tenant: wiring.tenant,
        keys: wiring.keys,
        issuerOrigin: wiring.origin,
        now: wiring.now,
        identityHeader,
        assignedIdentities: () => [CONSOLE_MANAGED_IDENTITY_CLIENT_ID],
      },
    );
    respond(response, reply, {});
  } catch (error) {
    wiring.log(`sandbox identity endpoint: ${method} ${path} failed: ${error instanceof Error ? error.message : String(error)}`);
    respond(response, systemErrorReply("identity", 500, requestId, wiring.now()), {});
  }
}

/** The managed-identity endpoint: its own plain-HTTP port on the same loopback host, with a random header per start. */
async function startIdentityEndpoint(wiring: Wiring, port: number, bindHost: string): Promise<{ server: HttpServer; identity: SandboxIdentityEndpoint }> {
  const identityHeader = randomBytes(24).toString("base64url");
  const server = createHttpServer((request, response) => {
    void serveIdentity(wiring, identityHeader, request, response);
  });
  await listen(server, port, bindHost);
  const identityPort = (server.address() as AddressInfo).port;
  const identityOrigin = `http://${bindHost.includes(":") ? `[${bindHost}]` : bindHost}:${identityPort}`;
  return {
    server,
    identity: {
      origin: identityOrigin,
      port: identityPort,
      identityEndpoint: `${identityOrigin}${APP_SERVICE_TOKEN_PATH}`,
      identityHeader,
      imdsAuthorityHost: identityOrigin,
    },
  };
}

export async function startSandbox(options: StartSandboxOptions): Promise<RunningSandbox> {
  const host = options.host ?? "127.0.0.1";
  if (!isLoopbackHost(host)) throw new Error(`The sandbox only listens on loopback; refusing host '${host}'.`);
  const bindHost = host === "localhost" ? "127.0.0.1" : host;
  const dataDir = resolve(options.dataDir);
  await mkdir(dataDir, { recursive: true });
  const log = options.log ?? ((message: string) => console.error(message));
  const tls = await ensureTlsMaterial(dataDir);
  const keys = SigningKeys.load(dataDir);

  let seed = options.seed ?? 1;
  let scale = options.scale ?? "default";
  const settings: SandboxSettings = { ...DEFAULT_SETTINGS, ...options.settings };
  const journal = new Journal();
  const faults = new FaultInjector(seed);
  const entraState = new EntraState();

  const restored = options.persist ? await restoreState(dataDir, entraState) : undefined;
  if (restored) {
    seed = restored.seed;
    scale = restored.scale;
    Object.assign(settings, restored.settings);
  }
  const cloud = options.cloud ?? "public";
  if (restored && restored.tenant.cloud.name !== cloud) {
    throw new Error(
      `The saved sandbox state is of the ${restored.tenant.cloud.name} cloud, not ${cloud}; start it with that cloud or without the saved state.`,
    );
  }
  let tenant: Tenant = restored?.tenant ?? createTenant({ seed, scale, cloud });

  const consoleCredentials = options.consoleCredentials ?? "all";
  let origin = "";
  /** What an admin registers for the console on top of the seed; the issuer of the federated credential is this origin. */
  const registerConsoleCredentials = (target: Tenant) => {
    if (consoleCredentials === "federated") {
      target.removeApplicationSecretsAndCertificates(CONSOLE_API_CLIENT_ID);
    } else {
      target.addApplicationCertificate(CONSOLE_API_CLIENT_ID, describeClientCertificate(tls.clientCertPem, CONSOLE_CERTIFICATE_KEY_ID));
    }
    if (origin) {
      target.addFederatedIdentityCredential(
        CONSOLE_API_CLIENT_ID,
        consoleFederatedCredential(v2Issuer(origin, target.tenantId), target.cloud.tokenExchangeAudience),
      );
    }
    // Each origin the console is served from registers its SPA redirect URIs (http://localhost:3000's are seeded): the
    // redirect bridge its popups and silent renewals return to, and the root its sign-out returns under.
    for (const consoleOrigin of options.consoleOrigins ?? []) {
      for (const uri of consoleSpaRedirectUris(consoleOrigin)) target.addSpaRedirectUri(CONSOLE_SPA_CLIENT_ID, uri);
    }
  };
  registerConsoleCredentials(tenant);
  // Faults with `batchItems` answer single requests inside `$batch`, in Graph's error shape (hangs and latency stay
  // with the outer call).
  const batchItemFault = (inner: SandboxRequest, outer: SandboxRequest): SandboxResponse | undefined => {
    const decision = faults.decide(inner.method, inner.path, true, outer.headers[FAULT_SCOPE_HEADER]);
    if (decision.outcome?.kind !== "status") return undefined;
    const reply = systemErrorReply("graph", decision.outcome.status, inner.requestId, now(), decision.outcome.retryAfterSeconds, decision.outcome);
    return { status: reply.status, headers: reply.headers, body: reply.body === undefined ? undefined : (JSON.parse(reply.body) as unknown) };
  };
  const buildHandlers = (target: Tenant): ServiceHandlers => ({
    graph: createGraphHandler(target, settings, batchItemFault),
    arm: createArmHandler(target, settings),
  });
  let handlers = buildHandlers(tenant);

  const now = () => new Date(Date.now() + settings.clockOffsetMs);

  const reset = (resetOptions: { seed?: number; scale?: "default" | "large" } = {}) => {
    seed = resetOptions.seed ?? seed;
    scale = resetOptions.scale ?? scale;
    tenant = createTenant({ seed, scale, cloud });
    registerConsoleCredentials(tenant);
    Object.assign(settings, DEFAULT_SETTINGS, options.settings);
    handlers = buildHandlers(tenant);
    faults.reset(seed);
    journal.clear();
    entraState.clear();
  };
  const persist = () => persistState(dataDir, { seed, scale, settings, tenant }, entraState);
  const tlsConnections: TlsConnectionCount = { opened: 0, resumed: 0 };

  const wiring: Wiring = {
    tenant: () => tenant,
    handlers: () => handlers,
    origin: () => origin,
    entra: createEntraHandler({ tenant: () => tenant, keys, state: entraState, settings }),
    control: {
      tenant: () => tenant,
      seed: () => seed,
      scale: () => scale,
      settings,
      faults,
      journal,
      keys,
      entraState,
      now,
      origin: () => origin,
      reset,
      persist,
      tlsConnections,
    },
    controlToken: randomBytes(32).toString("base64url"),
    keys,
    journal,
    faults,
    now,
    latencyMs: options.latencyMs ?? 0,
    log,
  };

  const server = createServer({ cert: tls.serverCertPem, key: tls.serverKeyPem }, (request, response) => {
    void serve(wiring, request, response);
  });
  // Idle connections are closed by the client first, as Azure's front ends allow: with Node's 5 s a busy machine could
  // let a client's pool (undici keeps sockets 4 s) reuse a socket the server had just closed, and a POST is not
  // retried after ECONNRESET.
  server.keepAliveTimeout = 65_000;
  server.on("secureConnection", (socket: TLSSocket) => {
    tlsConnections.opened += 1;
    if (socket.isSessionReused()) tlsConnections.resumed += 1;
  });
  await listen(server, options.port ?? 8443, bindHost);
  const address = server.address() as AddressInfo;
  origin = `https://localhost:${address.port}`;
  registerConsoleCredentials(tenant);

  const { server: identityServer, identity } = await startIdentityEndpoint(wiring, options.identityPort ?? 0, bindHost);

  return {
    origin,
    port: address.port,
    get tenant() {
      return tenant;
    },
    settings,
    journal,
    faults,
    keys,
    tls,
    dataDir,
    server,
    identity,
    consoleCredentials,
    controlToken: wiring.controlToken,
    tlsConnections,
    reset,
    persist,
    close: async () => {
      await Promise.all([
        new Promise<void>((closed) => {
          server.close(() => closed());
          server.closeAllConnections();
        }),
        new Promise<void>((closed) => {
          identityServer.close(() => closed());
          identityServer.closeAllConnections();
        }),
      ]);
    },
  };
}
