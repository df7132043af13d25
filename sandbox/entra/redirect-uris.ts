/**
 * How Entra matches a requested redirect URI against an app's registered ones.
 *
 * Loopback exception (learn.microsoft.com/entra/identity-platform/reply-url, "Localhost exceptions", after RFC 8252
 * §7.3 and §8.3): for `localhost` / `127.0.0.1` redirect URIs "the port component … is ignored for the purposes of
 * matching", while the path still tells them apart ("`http://localhost/MyWebApp` doesn't match
 * `http://localhost/MyNativeApp`"); "the IPv6 loopback address (`[::1]`) is not currently supported"; and
 * `127.0.0.1` must be registered as such, so it and `localhost` are different hosts. A URI without a path is the same
 * as one ending in `/` (Entra returns it with the slash).
 *
 * Entra documents the exception for every platform; the sandbox applies it to public-client ("Mobile and desktop")
 * redirect URIs only, the ones native tools use with an ephemeral port, and keeps SPA and web URIs exact: stricter,
 * so a console origin works in the sandbox only once it is registered.
 */

const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1"]);

function parse(uri: string): URL | undefined {
  try {
    return new URL(uri);
  } catch {
    return undefined;
  }
}

function isLoopback(url: URL): boolean {
  return (url.protocol === "http:" || url.protocol === "https:") && LOOPBACK_HOSTS.has(url.hostname) && url.username === "" && url.password === "";
}

/** True when `requested` matches `registered` under the loopback rule: same scheme, host, path and query; any port. */
export function matchesLoopbackRedirectUri(requested: string, registered: string): boolean {
  const wanted = parse(requested);
  const known = parse(registered);
  if (!wanted || !known || !isLoopback(wanted) || !isLoopback(known)) return false;
  return (
    wanted.protocol === known.protocol &&
    wanted.hostname === known.hostname &&
    wanted.pathname === known.pathname &&
    wanted.search === known.search &&
    wanted.hash === "" &&
    known.hash === ""
  );
}

/** Exact match, or for public-client URIs the loopback rule above. */
export function matchesPublicClientRedirectUri(requested: string, registered: readonly string[]): boolean {
  return registered.some((uri) => uri === requested || matchesLoopbackRedirectUri(requested, uri));
}
