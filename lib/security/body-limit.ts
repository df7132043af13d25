import "server-only";

/**
 * Caps on request bodies for route handlers. Server actions are capped by Next itself (`serverActions.bodySizeLimit`
 * in next.config.mjs: 413 before the action is decoded); route handlers read their bodies themselves, so each reads
 * through these: the declared length is checked first, then the bytes as they arrive (a missing or false
 * `Content-Length`, or a chunked body, cannot get around it).
 */

/** The console's routes that take no body (the session endpoint, exports): anything sent is refused. */
export const NO_BODY = 0;

/** True when the request declares, or announces by chunked transfer, more than `maxBytes`. */
export function declaresBodyOver(request: Request, maxBytes: number): boolean {
  const declared = request.headers.get("content-length");
  if (declared !== null && (!/^\d+$/.test(declared) || Number(declared) > maxBytes)) return true;
  return maxBytes === NO_BODY && request.headers.has("transfer-encoding");
}

/** The body as text, or undefined once it runs past `maxBytes` (reading stops there). */
export async function readBodyWithin(request: Request, maxBytes: number): Promise<string | undefined> {
  if (declaresBodyOver(request, maxBytes)) return undefined;
  if (!request.body) return "";
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** 413, in the route handlers' error shape. */
export function payloadTooLarge(maxBytes: number): Response {
  const message = maxBytes === NO_BODY ? "This request takes no body." : `The request body is larger than ${maxBytes} bytes.`;
  return Response.json({ error: { code: "payload_too_large", message } }, { status: 413, headers: { "Cache-Control": "no-store" } });
}
