import "server-only";

import { Agent, request as httpsRequest } from "node:https";
import { promisify } from "node:util";
import { gunzip } from "node:zlib";

import type { Context, Middleware } from "@microsoft/microsoft-graph-client";

/**
 * The Graph SDK's last middleware, in place of its `HTTPMessageHandler` (Node's `fetch`): one request over `node:https`
 * with a keep-alive agent, the answer read whole into a `Response` for the SDK. `fetch` cost the console about three
 * times the CPU per call (its Request and Response objects, web streams and an abort signal per call), and a check of
 * a principal's access makes three Graph calls. The SDK reads the answer as before (`json()`, `text()`, `headers`).
 *
 * What `fetch` did that this does differently: only gzip is asked for (`Accept-Encoding: gzip`: a page of 999
 * applications with their credentials is megabytes of JSON, which compresses several times over); a redirect is not
 * followed but returned, which the SDK reports as a failure (no Graph call Gatehouse makes answers with one); a body may only be text or bytes (the SDK serialises
 * JSON to text; Gatehouse sends no forms or streams).
 */

/**
 * One pool for every Graph client in the process, connections kept open between calls. Idle ones are closed after
 * 4 s, as Node's `fetch` does, so a connection the server is about to drop is not picked for the next request.
 */
const agent = new Agent({ keepAlive: true, timeout: 4_000 });

type Body = string | Uint8Array | ArrayBuffer | null | undefined;

function headersOf(headers: unknown): Record<string, string> {
  if (headers === undefined || headers === null) return {};
  if (headers instanceof Headers) return Object.fromEntries(headers.entries());
  if (Array.isArray(headers)) return Object.fromEntries(headers as [string, string][]);
  return { ...(headers as Record<string, string>) };
}

function bytesOf(body: unknown): Buffer | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === "string") return Buffer.from(body, "utf8");
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (body instanceof ArrayBuffer) return Buffer.from(body);
  throw new TypeError(`a Graph request body must be text or bytes, not ${Object.prototype.toString.call(body)}`);
}

const gunzipAsync = promisify(gunzip);

/**
 * An answer's body as sent, or decompressed when Graph compressed it. Only gzip is asked for; any other encoding is an
 * error rather than bytes the SDK would misread as JSON.
 */
export async function decodedBody(body: Buffer<ArrayBuffer>, contentEncoding: string | null): Promise<Buffer<ArrayBuffer>> {
  const encoding = contentEncoding?.trim().toLowerCase();
  if (!encoding || encoding === "identity") return body;
  if (encoding === "gzip" || encoding === "x-gzip") return await gunzipAsync(body);
  throw new TypeError(`Graph answered with content encoding '${contentEncoding}', which was not asked for`);
}

/** Status codes whose `Response` may not carry a body. */
const NO_BODY = new Set([101, 103, 204, 205, 304]);

/**
 * Sends one request and resolves to the whole answer. Fails (as `fetch` did) when the connection fails, or when no
 * whole answer arrived within `timeoutMs`: a `TimeoutError`, the name `fetch` gave its timeout.
 */
export async function sendOverHttps(url: string, init: { method?: string; headers?: unknown; body?: Body }, timeoutMs: number): Promise<Response> {
  const target = new URL(url);
  if (target.protocol !== "https:") throw new TypeError(`Graph is only called over https, not ${target.protocol}`);
  const payload = bytesOf(init.body);
  const headers = headersOf(init.headers);
  if (!Object.keys(headers).some((name) => name.toLowerCase() === "accept-encoding")) headers["accept-encoding"] = "gzip";
  if (payload !== undefined) headers["content-length"] = String(payload.byteLength);
  return await new Promise<Response>((resolve, reject) => {
    const outgoing = httpsRequest(target, { method: init.method ?? "GET", headers, agent }, (incoming) => {
      const chunks: Buffer[] = [];
      incoming.on("data", (chunk: Buffer) => chunks.push(chunk));
      incoming.on("error", fail);
      incoming.on("end", () => {
        clearTimeout(timer);
        const status = incoming.statusCode ?? 0;
        const responseHeaders = new Headers();
        for (let index = 0; index < incoming.rawHeaders.length; index += 2) {
          responseHeaders.append(incoming.rawHeaders[index]!, incoming.rawHeaders[index + 1]!);
        }
        const encoding = responseHeaders.get("content-encoding");
        // The body handed on is decoded: its headers no longer describe an encoding or the length as sent.
        responseHeaders.delete("content-encoding");
        responseHeaders.delete("content-length");
        (NO_BODY.has(status) ? Promise.resolve(null) : decodedBody(Buffer.concat(chunks), encoding))
          .then((body) => resolve(new Response(body, { status, statusText: incoming.statusMessage ?? "", headers: responseHeaders })))
          .catch((error: unknown) => reject(error instanceof Error ? error : new Error(String(error))));
      });
    });
    function fail(error: Error): void {
      clearTimeout(timer);
      outgoing.destroy();
      reject(error);
    }
    const timer = setTimeout(() => {
      const timeout = new Error(`Graph did not answer within ${timeoutMs} ms`);
      timeout.name = "TimeoutError";
      fail(timeout);
    }, timeoutMs);
    outgoing.on("error", fail);
    outgoing.end(payload);
  });
}

/** The terminal middleware: each attempt (the retry middleware above it decides on more) gets `timeoutMs`. */
export class HttpsMessageHandler implements Middleware {
  constructor(private readonly timeoutMs: number) {}

  async execute(context: Context): Promise<void> {
    if (typeof context.request !== "string") throw new TypeError("the Graph SDK passed a Request object; Gatehouse builds its requests from URLs");
    const options = (context.options ?? {}) as { method?: string; headers?: unknown; body?: Body };
    context.response = await sendOverHttps(context.request, options, this.timeoutMs);
  }
}
