import "server-only";

import { isIP } from "node:net";

import { headers } from "next/headers";

import { getConfig } from "@/lib/config";

/**
 * The address a request came from, for rate limits and refusal tallies. Next.js gives route handlers and server
 * actions no socket address (`NextRequest.ip` is gone); its server copies the socket's address into
 * `X-Forwarded-For` only when the request has none (`x-forwarded-for ??= socket.remoteAddress` in Next's
 * base-server), so the header is all there is, and its left-hand entries are whatever the client wrote.
 *
 * Each trusted reverse proxy appends the address it saw: with `trustedProxyHops` proxies in front, the client is the
 * entry that many places from the right, and everything left of it is ignored. Azure Container Apps' ingress appends
 * the sender's address and "only provides the right-most IP" (learn.microsoft.com/azure/container-apps/
 * ingress-overview, HTTP headers), so one hop there. With no proxy (0), the right-most entry is used: Next's own
 * socket address when the client sent no header, the client's choice when it did (docs/deploy.md says to run behind
 * a proxy that appends).
 */
export function clientAddress(headers: Pick<Headers, "get">, trustedProxyHops: number): string {
  const entries = (headers.get("x-forwarded-for") ?? "")
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "");
  const entry = entries[entries.length - Math.max(1, trustedProxyHops)];
  return entry === undefined ? "unknown" : normalizeAddress(entry);
}

/** An IP address in one spelling per host (IPv4-mapped IPv6 as IPv4, IPv6 lower case), or "unknown" for anything else. */
function normalizeAddress(value: string): string {
  const bare = value.replace(/^\[(.*)\](?::\d+)?$/, "$1");
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(bare)?.[1];
  if (mapped && isIP(mapped) === 4) return mapped;
  const version = isIP(bare);
  if (version === 4) return bare;
  if (version === 6) return bare.toLowerCase();
  return "unknown";
}

/** The client address of a request, by the configured trusted proxy hops. */
export function requestSource(requestHeaders: Pick<Headers, "get">): string {
  return clientAddress(requestHeaders, getConfig().limits.trustedProxyHops);
}

/**
 * The client address of the request being handled (by the configured trusted proxy hops), or "unknown" outside one
 * (a job, a script).
 */
export async function currentRequestSource(): Promise<string> {
  try {
    return requestSource(await headers());
  } catch {
    return "unknown";
  }
}
