/**
 * HTTP requests made by this test process, however a client library reached the network: Node's HTTP client (the
 * ARM SDK) and undici (fetch: MSAL, the Graph client) announce each request on a diagnostics channel. Spying on
 * `https.request` misses clients that bound it at import.
 *
 * Counting here rather than in the shared sandbox's journal keeps a count to the calls of the test that made them:
 * test files run in parallel against one sandbox, so the journal also holds other files' calls.
 */
import diagnostics from "node:diagnostics_channel";

export interface OutgoingCall {
  readonly method: string;
  /** Host with port, e.g. `127.0.0.1:8443`. */
  readonly host: string;
  /** Path with query string. */
  readonly path: string;
}

interface NodeClientRequest {
  readonly method: string;
  readonly host: string;
  readonly path: string;
  getHeader(name: string): unknown;
}

interface UndiciRequest {
  readonly method: string;
  readonly origin: string;
  readonly path: string;
}

/** A request leaving, or (Node's HTTP client only) its answer read to the end: for tests of what overlaps what. */
export interface OutgoingEvent {
  readonly kind: "start" | "finish";
  readonly call: OutgoingCall;
}

const calls: OutgoingCall[] = [];
const events: OutgoingEvent[] = [];
const nodeCalls = new WeakMap<object, OutgoingCall>();

function started(call: OutgoingCall): OutgoingCall {
  calls.push(call);
  events.push({ kind: "start", call });
  return call;
}

function onNodeRequest(message: unknown): void {
  const request = (message as { request: NodeClientRequest }).request;
  const host = request.getHeader("host");
  nodeCalls.set(request, started({ method: request.method, host: typeof host === "string" ? host : request.host, path: request.path }));
}

function onNodeResponseFinish(message: unknown): void {
  const call = nodeCalls.get((message as { request: object }).request);
  if (call) events.push({ kind: "finish", call });
}

function onUndiciRequest(message: unknown): void {
  const request = (message as { request: UndiciRequest }).request;
  started({ method: request.method, host: new URL(request.origin).host, path: request.path });
}

let subscribed = false;

/**
 * Starts recording; `calls()` returns what this process sent since, `events()` the same starts with the ends of the
 * answers Node's HTTP client read (the ARM SDK's and the Graph client's), in the order they happened.
 */
export function watchOutgoingCalls(): { calls: () => OutgoingCall[]; events: () => OutgoingEvent[] } {
  if (!subscribed) {
    diagnostics.subscribe("http.client.request.start", onNodeRequest);
    diagnostics.subscribe("http.client.response.finish", onNodeResponseFinish);
    diagnostics.subscribe("undici:request:create", onUndiciRequest);
    subscribed = true;
  }
  const [callsFrom, eventsFrom] = [calls.length, events.length];
  return { calls: () => calls.slice(callsFrom), events: () => events.slice(eventsFrom) };
}
