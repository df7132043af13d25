/** Small HTTP helpers shared by the Entra and control parts (they answer HTML, redirects and forms, not just JSON). */

export interface HttpReply {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** Sent as-is; JSON replies are serialised by `jsonReply`. */
  readonly body?: string;
}

export interface EntraRequest {
  readonly method: string;
  /** Normalised path, e.g. `/<tenant>/oauth2/v2.0/token`. */
  readonly path: string;
  readonly query: URLSearchParams;
  /** Lower-cased header names. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  /** Form fields of a `application/x-www-form-urlencoded` POST (empty otherwise). */
  readonly form: URLSearchParams;
  /** `https://localhost:<port>` */
  readonly origin: string;
  /** The sandbox clock. */
  readonly now: Date;
  readonly requestId: string;
}

export function jsonReply(status: number, body: unknown, headers: Record<string, string> = {}): HttpReply {
  return {
    status,
    headers: { "content-type": "application/json; charset=utf-8", ...headers },
    body: JSON.stringify(body),
  };
}

export function htmlReply(status: number, html: string, headers: Record<string, string> = {}): HttpReply {
  return {
    status,
    headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-store", ...headers },
    body: html,
  };
}

export function redirectReply(location: string, headers: Record<string, string> = {}): HttpReply {
  return { status: 302, headers: { location, "cache-control": "no-store", ...headers } };
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}

/** Parses a `Cookie` header into name → value. */
export function parseCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const part of (header ?? "").split(";")) {
    const index = part.indexOf("=");
    if (index <= 0) continue;
    cookies.set(part.slice(0, index).trim(), part.slice(index + 1).trim());
  }
  return cookies;
}

/**
 * CORS as Entra answers it on discovery, keys and token: the caller's origin echoed (or `*` without one), with
 * `Vary: Origin`. MSAL avoids preflights, but an `OPTIONS` still gets a full answer.
 */
export function corsHeaders(request: Pick<EntraRequest, "headers">): Record<string, string> {
  const origin = request.headers["origin"];
  if (!origin) return { "access-control-allow-origin": "*" };
  return { "access-control-allow-origin": origin, vary: "Origin" };
}

export function preflightReply(request: Pick<EntraRequest, "headers">): HttpReply {
  return {
    status: 204,
    headers: {
      ...corsHeaders(request),
      "access-control-allow-methods": "GET, POST, OPTIONS",
      "access-control-allow-headers": request.headers["access-control-request-headers"] ?? "content-type",
      "access-control-max-age": "86400",
    },
  };
}
