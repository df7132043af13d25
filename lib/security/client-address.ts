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

/** The eight 16-bit groups of a valid IPv6 address (as `isIP` accepts it, an IPv4 tail included). */
function ipv6Groups(address: string): number[] {
  const [head = "", tail] = address.split("::");
  const parse = (part: string) =>
    part === ""
      ? []
      : part.split(":").flatMap((group) => {
          if (!group.includes(".")) return [Number.parseInt(group, 16)];
          const [a = 0, b = 0, c = 0, d = 0] = group.split(".").map(Number);
          return [(a << 8) | b, (c << 8) | d];
        });
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  return [...left, ...Array<number>(8 - left.length - right.length).fill(0), ...right];
}

/**
 * The network a limit counts an address in: an IPv4 address by itself, an IPv6 address by its /64. One subscriber is
 * routinely given a whole /64 (RFC 6177) and a host picks new addresses in it at will (privacy extensions, RFC
 * 8981), so counting single IPv6 addresses would let one client dodge every limit by rotating through its prefix.
 */
export function addressNetwork(address: string): string {
  if (isIP(address) !== 6) return address;
  const prefix = ipv6Groups(address)
    .slice(0, 4)
    .map((group) => group.toString(16))
    .join(":");
  return `${prefix}::/64`;
}

/**
 * Where a request came from, as limits and refusal tallies count it: the client address by the configured trusted
 * proxy hops, IPv6 grouped by /64.
 */
export function requestSource(requestHeaders: Pick<Headers, "get">): string {
  return addressNetwork(clientAddress(requestHeaders, getConfig().limits.trustedProxyHops));
}

/** `requestSource` of the request being handled, or "unknown" outside one (a job, a script). */
export async function currentRequestSource(): Promise<string> {
  try {
    return requestSource(await headers());
  } catch {
    return "unknown";
  }
}
