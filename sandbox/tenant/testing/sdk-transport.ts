/**
 * In-process transports so the real Azure SDKs can drive the Graph and ARM handlers without a network: an
 * `HttpClient` for @azure/core-rest-pipeline (ARM clients) and a terminal middleware for the Graph client.
 * They do what the sandbox server does to a request: decode the path once and collapse leading slashes.
 */
import { createHttpHeaders, type HttpClient, type PipelineRequest, type PipelineResponse } from "@azure/core-rest-pipeline";

import type { Caller, SandboxHandler, SandboxResponse } from "../../contract";
import { buildRequest, TEST_NOW } from "./support";

function toSandboxPath(url: URL): string {
  return `${url.pathname}${url.search}`;
}

function parseBody(text: string | undefined): unknown {
  if (text === undefined || text === "") return undefined;
  return JSON.parse(text) as unknown;
}

function serialise(response: SandboxResponse): string | undefined {
  if (response.body === undefined) return undefined;
  return JSON.stringify(response.body);
}

export function inProcessHttpClient(handler: SandboxHandler, caller: () => Caller, now: () => Date = () => TEST_NOW): HttpClient {
  return {
    async sendRequest(request: PipelineRequest): Promise<PipelineResponse> {
      const url = new URL(request.url);
      const headers: Record<string, string> = {};
      for (const [name, value] of request.headers) headers[name] = value;
      const body = typeof request.body === "string" ? request.body : undefined;
      const response = await handler(buildRequest(request.method, toSandboxPath(url), { caller: caller(), body: parseBody(body), headers, now: now() }));
      return {
        request,
        status: response.status,
        headers: createHttpHeaders(response.headers ?? {}),
        bodyAsText: serialise(response),
      };
    },
  };
}

interface GraphMiddlewareContext {
  request: string | { url: string };
  options?: { method?: string; headers?: unknown; body?: unknown };
  response?: Response;
}

/** The last (and only) middleware of a Graph client: answers from the handler instead of fetching. */
export function inProcessGraphMiddleware(handler: SandboxHandler, caller: () => Caller) {
  return {
    async execute(context: GraphMiddlewareContext): Promise<void> {
      const url = new URL(typeof context.request === "string" ? context.request : context.request.url);
      const headers: Record<string, string> = {};
      const raw = context.options?.headers;
      if (raw instanceof Headers) raw.forEach((value, name) => (headers[name] = value));
      else if (raw && typeof raw === "object") for (const [name, value] of Object.entries(raw)) headers[name] = String(value);
      const body = typeof context.options?.body === "string" ? context.options.body : undefined;
      const response = await handler(buildRequest(context.options?.method ?? "GET", toSandboxPath(url), { caller: caller(), body: parseBody(body), headers }));
      context.response = new Response(serialise(response) ?? null, { status: response.status, headers: response.headers });
    },
  };
}
