/**
 * Runs before every page request. It only sets security headers (CSP with a fresh nonce, HSTS): authentication and
 * authorization happen inside every server action, route handler and data-access function, never here.
 */
import { type NextRequest, NextResponse } from "next/server";

import { getConfig } from "@/lib/config";
import { modeSecurityHeaders } from "@/lib/security/headers";

export function proxy(request: NextRequest): NextResponse {
  const nonce = Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("base64");
  const settings = getConfig();
  const headers = modeSecurityHeaders(settings, nonce, !settings.production, request.nextUrl.pathname);
  const csp = headers["Content-Security-Policy"] ?? "";

  // Next reads the nonce from the request's CSP header and adds it to the scripts it renders.
  const requestHeaders = new Headers(request.headers);
  requestHeaders.set("x-nonce", nonce);
  requestHeaders.set("Content-Security-Policy", csp);

  const response = NextResponse.next({ request: { headers: requestHeaders } });
  for (const [name, value] of Object.entries(headers)) response.headers.set(name, value);
  return response;
}

export const config = {
  matcher: [
    {
      // Static files from public/ need no per-request CSP nonce.
      source: "/((?!_next/static|_next/image|favicon\\.ico|icon\\.svg|icon-[\\w-]+\\.png|apple-touch-icon\\.png|manifest\\.webmanifest).*)",
    },
  ],
};
