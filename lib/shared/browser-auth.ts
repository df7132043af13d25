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

/** Only same-origin, path-absolute return paths are followed after sign-in (no open redirects). */
export function safeReturnPath(value: string | null | undefined): string {
  if (!value || !value.startsWith("/") || value.startsWith("//") || value.startsWith("/\\")) return "/";
  return /^[\x21-\x7e]*$/.test(value) ? value : "/";
}
