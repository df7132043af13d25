import "server-only";

import { getConfig } from "@/lib/config";

/**
 * CSRF defence for route handlers that change state (Next checks Origin only for server actions). A browser always
 * sends `Origin` on a cross-origin POST/DELETE; requiring it to equal the console's public origin, and refusing
 * `Sec-Fetch-Site: cross-site`, stops another site from making a signed-in browser call us.
 */
export function isSameOriginRequest(headers: Headers): boolean {
  const origin = headers.get("origin");
  if (origin === null || origin !== getConfig().publicOrigin) return false;
  const site = headers.get("sec-fetch-site");
  return site === null || site === "same-origin";
}
