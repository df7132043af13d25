import "server-only";

import type { GatehouseConfig } from "@/lib/config";

import { REDIRECT_BRIDGE_PATH } from "@/lib/shared/browser-auth";

import { CSP_REPORT_PATH } from "./csp-reports";

export interface ContentSecurityPolicyOptions {
  readonly nonce: string;
  /** Origins the browser talks to directly: the Entra authority (MSAL's token and discovery requests). */
  readonly identityOrigin: string;
  /** Next's dev server needs eval for fast refresh; a production build never gets it. */
  readonly development: boolean;
  readonly upgradeInsecureRequests: boolean;
  /**
   * Only the redirect bridge: MSAL's silent renewal (ssoSilent) loads it in a hidden iframe of the console's own page,
   * so that one page may be framed by its own origin; every other page by none.
   */
  readonly framedBySelf?: boolean;
}

/** The Content-Security-Policy for HTML responses: scripts only with this request's nonce. */
export function contentSecurityPolicy(options: ContentSecurityPolicyOptions): string {
  const scriptSources = ["'self'", `'nonce-${options.nonce}'`, "'strict-dynamic'"];
  if (options.development) scriptSources.push("'unsafe-eval'");
  const directives = [
    "default-src 'self'",
    `script-src ${scriptSources.join(" ")}`,
    // Radix positions popovers with inline style attributes, which only 'unsafe-inline' permits for styles.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    `connect-src 'self' ${options.identityOrigin}`,
    // The hidden iframe of a silent renewal starts at the identity origin and ends on the console's redirect bridge.
    `frame-src 'self' ${options.identityOrigin}`,
    `form-action 'self' ${options.identityOrigin}`,
    options.framedBySelf ? "frame-ancestors 'self'" : "frame-ancestors 'none'",
    "base-uri 'none'",
    "object-src 'none'",
    // report-uri rather than report-to: browsers send these at once, while Reporting API delivery is batched and late.
    `report-uri ${CSP_REPORT_PATH}`,
  ];
  if (options.upgradeInsecureRequests) directives.push("upgrade-insecure-requests");
  return directives.join("; ");
}

/** Headers that depend on the running mode, set per request by `proxy.ts`. */
export function modeSecurityHeaders(config: GatehouseConfig, nonce: string, development: boolean, pathname = "/"): Record<string, string> {
  const azure = config.mode === "azure";
  const headers: Record<string, string> = {
    "Content-Security-Policy": contentSecurityPolicy({
      nonce,
      identityOrigin: new URL(config.identity.authorityHost).origin,
      development,
      upgradeInsecureRequests: azure,
      framedBySelf: pathname === REDIRECT_BRIDGE_PATH,
    }),
  };
  // Browsers remember HSTS per host, so it is only sent where the console is served over https for real.
  if (azure) headers["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains";
  return headers;
}
