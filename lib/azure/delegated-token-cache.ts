import "server-only";

import { createHash } from "node:crypto";

import type { SecretToken } from "@/lib/auth/secret-token";

/**
 * On-behalf-of tokens already exchanged, in front of MSAL: MSAL's own cache answers too, but each answer costs a new
 * request object, a hash of the assertion, a filter over its cache entries and a result object built again, on every
 * Graph and ARM call of every action. A token is found here by everything MSAL finds it by — the person (tenant and
 * object id), the resource and a hash of the assertion it was exchanged for — so one person's token never serves
 * another, and a new sign-in (a new assertion, perhaps with MFA) gets a new exchange.
 */

/** A token is handed out only while it has more than this left: MSAL's own renewal margin (`tokenRenewalOffsetSeconds`). */
export const RENEWAL_MARGIN_MS = 5 * 60_000;

/** Entries kept at most; the least recently used go first. Several resources for each of the most recent people. */
export const MAX_CACHED_TOKENS = 2000;

export interface DelegatedTokenKey {
  readonly tenantId: string;
  readonly objectId: string;
  readonly resource: string;
  /** The person's token for the console's API that the token was exchanged for. */
  readonly assertion: SecretToken;
}

interface Entry {
  readonly token: SecretToken;
  readonly expiresAt: number;
}

export class DelegatedTokenCache {
  private readonly entries = new Map<string, Entry>();
  private readonly exchanges = new Map<string, Promise<SecretToken>>();

  constructor(private readonly maxEntries = MAX_CACHED_TOKENS) {}

  /** The cached token for the key when it is valid past the renewal margin; undefined otherwise. */
  find(key: DelegatedTokenKey, now = Date.now()): SecretToken | undefined {
    const id = cacheKey(key);
    const entry = this.entries.get(id);
    if (entry === undefined) return undefined;
    this.entries.delete(id);
    if (entry.expiresAt - RENEWAL_MARGIN_MS <= now) return undefined;
    // Re-inserted: the most recently used entry is the last to be dropped.
    this.entries.set(id, entry);
    return entry.token;
  }

  /** Keeps a token MSAL just returned, replacing the key's previous one (a token got with claims replaces the plain one). */
  remember(key: DelegatedTokenKey, token: SecretToken, expiresAt: number): void {
    const id = cacheKey(key);
    this.entries.delete(id);
    while (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
    this.entries.set(id, { token, expiresAt });
  }

  /**
   * One exchange per key at a time: a caller that misses while one is under way (a page's reads start together) waits
   * for its answer instead of sending Entra the same request again. Its failure reaches every waiter; the next call
   * after it exchanges afresh.
   */
  exchangeOnce(key: DelegatedTokenKey, exchange: () => Promise<SecretToken>): Promise<SecretToken> {
    const id = cacheKey(key);
    let pending = this.exchanges.get(id);
    if (pending === undefined) {
      pending = exchange().finally(() => this.exchanges.delete(id));
      this.exchanges.set(id, pending);
    }
    return pending;
  }

  get size(): number {
    return this.entries.size;
  }

  clear(): void {
    this.entries.clear();
  }
}

// An action asks for several tokens with the same assertion object: its hash is worked out once.
const assertionHashes = new WeakMap<SecretToken, string>();

function cacheKey(key: DelegatedTokenKey): string {
  // A hash, so the cache holds no copy of the person's assertion; the ids are matched case-insensitively, as GUIDs.
  let assertion = assertionHashes.get(key.assertion);
  if (assertion === undefined) {
    assertion = createHash("sha256").update(key.assertion.reveal()).digest("base64url");
    assertionHashes.set(key.assertion, assertion);
  }
  return `${key.tenantId.toLowerCase()}|${key.objectId.toLowerCase()}|${key.resource}|${assertion}`;
}
