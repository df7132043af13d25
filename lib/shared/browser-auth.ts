/** What the browser needs to sign people in with MSAL. Public values only: no secret ever goes here. */
export interface BrowserAuthSettings {
  readonly clientId: string;
  readonly authority: string;
  /** host:port of the authority, so MSAL trusts it without network instance discovery. */
  readonly knownAuthorities: readonly string[];
  /** The authority's OpenID configuration (sandbox mode): MSAL then needs no discovery request at all. */
  readonly authorityMetadata?: string;
  readonly redirectUri: string;
  readonly postLogoutRedirectUri: string;
  /** The console API's delegated scope, the only scope the browser ever asks for. */
  readonly apiScope: string;
}

/**
 * The redirect URI of popup and hidden-iframe sign-ins: a page that only hands Entra's answer to the window that asked
 * (msal-browser 5's redirect bridge). Registered on the SPA app next to the origin's root.
 */
export const REDIRECT_BRIDGE_PATH = "/auth/redirect";

/** A base no real origin uses: only the resolved path matters, the origin is compared with it. */
const RESOLVE_BASE = "https://return-path.invalid";

/**
 * Only same-origin, path-absolute return paths are followed after sign-in (no open redirects). The path is returned
 * normalised (dot segments, encoded ones included, resolved), so `/..//evil.example` cannot become `//evil.example`
 * in whatever later uses it as a URL.
 */
export function safeReturnPath(value: string | null | undefined): string {
  if (!value || !value.startsWith("/") || value.startsWith("//") || value.startsWith("/\\")) return "/";
  if (!/^[\x21-\x7e]*$/.test(value)) return "/";
  let resolved: URL;
  try {
    resolved = new URL(value, RESOLVE_BASE);
  } catch {
    return "/";
  }
  if (resolved.origin !== RESOLVE_BASE || resolved.pathname.startsWith("//") || resolved.pathname.startsWith("/\\")) return "/";
  return `${resolved.pathname}${resolved.search}${resolved.hash}`;
}
