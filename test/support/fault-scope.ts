/**
 * Each test file's fault scope on the shared test sandbox. Two workers run files against one sandbox at once; a fault
 * rule one file adds must not answer the other file's calls. So every request this process sends to a test sandbox
 * carries the running file's scope (`x-sandbox-fault-scope`), and the rules a file adds through `testSandbox()` name
 * it: the sandbox applies them to that file's calls only.
 *
 * The header is added below the SDKs, where every client in the process sends its requests: Node's `fetch` (MSAL's
 * network client, the Graph SDK, webhooks) through undici's `undici:request:create` channel, and `node:http(s)` (the
 * ARM SDK's pipeline, JWKS fetches) through `http.Agent.prototype.addRequest`, the last step before a request's
 * headers are written. (Node 20's `http.client.request.start` channel fires after they are written.)
 * A child process a test starts sends no scope: only rules without one (a private sandbox's own control) reach it.
 */
import { randomUUID } from "node:crypto";
import diagnosticsChannel from "node:diagnostics_channel";
import http, { type ClientRequest, type RequestOptions } from "node:http";

import { FAULT_SCOPE_HEADER } from "@/sandbox/contract";
import { testSandboxOrigin } from "./test-env";

interface ScopeState {
  /** The running file's scope. A worker process runs one file at a time. */
  scope: string;
  /** `host:port` of the sandbox the file started with (the shared one), besides the current one. */
  sharedAddress: string | undefined;
}

// On globalThis: Vitest evaluates this module afresh for each file, but the hooks are the process's and go in once.
const STATE = Symbol.for("gatehouse.test.faultScope");
type GlobalWithScope = typeof globalThis & { [STATE]?: ScopeState };

function state(): ScopeState | undefined {
  return (globalThis as GlobalWithScope)[STATE];
}

function address(host: string | null | undefined, port: string | number | null | undefined): string {
  const bare = (host ?? "").replace(/^\[|\]$/g, "").toLowerCase();
  const loopback = bare === "localhost" || bare === "::1" || bare.startsWith("127.");
  return `${loopback ? "loopback" : bare}:${port ?? ""}`;
}

function originAddress(origin: string | undefined): string | undefined {
  if (!origin) return undefined;
  const url = new URL(origin);
  return address(url.hostname, url.port || (url.protocol === "https:" ? 443 : 80));
}

/** The scope to send to `host:port`, if it is a test sandbox. */
function scopeFor(host: string | null | undefined, port: string | number | null | undefined): string | undefined {
  const current = state();
  if (!current) return undefined;
  const target = address(host, port);
  return target === current.sharedAddress || target === originAddress(testSandboxOrigin()) ? current.scope : undefined;
}

function hasHeader(headers: unknown): boolean {
  if (Array.isArray(headers)) return headers.some((entry, index) => index % 2 === 0 && String(entry).toLowerCase() === FAULT_SCOPE_HEADER);
  return typeof headers === "string" && headers.toLowerCase().includes(`${FAULT_SCOPE_HEADER}:`);
}

function installHooks(): void {
  diagnosticsChannel.subscribe("undici:request:create", (message) => {
    const { request } = message as { request: { origin: string | URL; headers: unknown; addHeader(name: string, value: string): void } };
    const origin = new URL(String(request.origin));
    const scope = scopeFor(origin.hostname, origin.port || (origin.protocol === "https:" ? 443 : 80));
    if (scope !== undefined && !hasHeader(request.headers)) request.addHeader(FAULT_SCOPE_HEADER, scope);
  });
  // https.Agent inherits addRequest, so this covers both; `agent: false` requests get a fresh Agent, which does too.
  const agentPrototype = http.Agent.prototype as unknown as { addRequest: (this: unknown, request: ClientRequest, options: RequestOptions) => void };
  const addRequest = agentPrototype.addRequest;
  agentPrototype.addRequest = function (this: unknown, request: ClientRequest, options: RequestOptions) {
    const scope = scopeFor(options.hostname ?? options.host, options.port);
    if (scope !== undefined && !request.headersSent && request.getHeader(FAULT_SCOPE_HEADER) === undefined) request.setHeader(FAULT_SCOPE_HEADER, scope);
    return addRequest.call(this, request, options);
  };
}

/** Gives the file about to run a scope of its own (worker-setup.ts, once per file). */
export function startFileFaultScope(): void {
  const global = globalThis as GlobalWithScope;
  if (!global[STATE]) installHooks();
  global[STATE] = { scope: `file-${randomUUID()}`, sharedAddress: originAddress(testSandboxOrigin()) };
}

/** The running file's scope: what its calls to a test sandbox carry, and what its fault rules name. */
export function fileFaultScope(): string {
  const current = state();
  if (!current) throw new Error("no fault scope: test/support/worker-setup.ts did not run");
  return current.scope;
}

/** Runs `action` as if another file were running: its calls carry `scope` (to prove one file's rules spare another's calls). */
export async function asFaultScope<T>(scope: string, action: () => Promise<T>): Promise<T> {
  const current = state();
  if (!current) throw new Error("no fault scope: test/support/worker-setup.ts did not run");
  const own = current.scope;
  current.scope = scope;
  try {
    return await action();
  } finally {
    current.scope = own;
  }
}
