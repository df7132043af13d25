import "server-only";
import { describeError } from "@/lib/log";

/**
 * The PostgreSQL password for Azure Database for PostgreSQL with Microsoft Entra authentication: an access token of
 * the console's managed identity for the database scope, sent as the password when a connection opens
 * (https://learn.microsoft.com/azure/postgresql/flexible-server/how-to-configure-sign-in-azure-ad-authentication).
 * The server checks the token only then, so open connections outlive it; each new connection must bring a token that
 * is still valid. `pg` calls the password function for every new connection: this caches the token and fetches a new
 * one a few minutes before it expires, so a connection never opens with a token about to lapse.
 */

export interface AccessTokenSource {
  getToken(scope: string): Promise<{ token: string; expiresOnTimestamp: number } | null>;
}

export interface EntraPasswordOptions {
  readonly scope: string;
  /** Fetch a new token this long before the current one expires. Default: 5 minutes. */
  readonly refreshMarginMs?: number;
  readonly now?: () => number;
}

export const DEFAULT_REFRESH_MARGIN_MS = 5 * 60_000;

/** A `password` function for `pg`: resolves to a current token; concurrent connections share one request. */
export function entraPassword(source: AccessTokenSource, options: EntraPasswordOptions): () => Promise<string> {
  const margin = options.refreshMarginMs ?? DEFAULT_REFRESH_MARGIN_MS;
  const now = options.now ?? Date.now;
  let current: { token: string; expiresOnTimestamp: number } | undefined;
  let pending: Promise<string> | undefined;

  return () => {
    if (current && now() < current.expiresOnTimestamp - margin) return Promise.resolve(current.token);
    pending ??= source
      .getToken(options.scope)
      .then((token) => {
        if (!token?.token) throw new Error("the managed identity returned no token");
        current = token;
        return token.token;
      })
      .catch((error: unknown) => {
        throw new Error(
          `Gatehouse could not get a Microsoft Entra token for PostgreSQL (scope ${options.scope}) from its managed identity: ${describeError(error)}`,
          { cause: error },
        );
      })
      .finally(() => {
        pending = undefined;
      });
    return pending;
  };
}
