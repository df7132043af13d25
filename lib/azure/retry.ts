import "server-only";

/**
 * The one retry rule for every Graph and ARM call (each SDK's own retry is replaced by this, so a request is never
 * retried by two layers). Microsoft asks clients to honour `Retry-After` on 429/503 and to back off exponentially
 * otherwise; an interactive console must also not make a person wait minutes, so long waits fail fast instead and
 * the person is told when to try again.
 */
export const MAX_RETRIES = 3;
/** A `Retry-After` longer than this is not waited for: the call fails as throttled, naming the wait. */
export const MAX_RETRY_AFTER_SECONDS = 30;
const BASE_BACKOFF_MS = 500;
const MAX_BACKOFF_MS = 8_000;

/** Statuses worth another attempt: throttling and transient server failures. */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504]);

/** Seconds from a `Retry-After` header (delta-seconds or HTTP date), or undefined when absent or unreadable. */
export function parseRetryAfterSeconds(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (value === null || value === undefined || value.trim() === "") return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds);
  const date = Date.parse(value);
  return Number.isFinite(date) ? Math.max(0, Math.ceil((date - now) / 1000)) : undefined;
}

/**
 * Seconds from Resource Graph's `x-ms-user-quota-resets-after` (`hh:mm:ss`, Microsoft Learn's "Guidance for throttled
 * requests in Azure Resource Graph"; a fraction of a second is rounded up), or undefined when absent or unreadable.
 */
export function parseQuotaResetsAfterSeconds(value: string | null | undefined): number | undefined {
  const match = value ? /^\s*(\d+):([0-5]\d):([0-5]\d)(\.\d+)?\s*$/.exec(value) : null;
  if (!match) return undefined;
  return Number(match[1]) * 3600 + Number(match[2]) * 60 + Number(match[3]) + (match[4] && Number(match[4]) > 0 ? 1 : 0);
}

/**
 * How long a throttled answer asks the caller to wait: its `Retry-After`, or on a 429 without one, the time until
 * Resource Graph's per-user quota resets (a Resource Graph 429 documents only that header).
 */
export function throttleWaitSeconds(status: number | undefined, header: (name: string) => string | null | undefined): number | undefined {
  const retryAfter = parseRetryAfterSeconds(header("retry-after"));
  if (retryAfter !== undefined || status !== 429) return retryAfter;
  return parseQuotaResetsAfterSeconds(header("x-ms-user-quota-resets-after"));
}

export type RetryDecision = { readonly retry: true; readonly delayMs: number } | { readonly retry: false };

/**
 * Whether to retry after `attempt` (1 = the first call failed) got `status`, and after how long.
 * `random` is injectable so tests are exact; in production it spreads retries out ("full jitter").
 */
export function retryDecision(
  attempt: number,
  status: number | undefined,
  retryAfterSeconds: number | undefined,
  random: () => number = Math.random,
): RetryDecision {
  if (attempt > MAX_RETRIES) return { retry: false };
  // No status: the connection failed or timed out before an answer; safe for our idempotent calls.
  if (status !== undefined && !RETRYABLE_STATUSES.has(status)) return { retry: false };
  if (retryAfterSeconds !== undefined) {
    return retryAfterSeconds > MAX_RETRY_AFTER_SECONDS ? { retry: false } : { retry: true, delayMs: retryAfterSeconds * 1000 };
  }
  const ceiling = Math.min(MAX_BACKOFF_MS, BASE_BACKOFF_MS * 2 ** (attempt - 1));
  return { retry: true, delayMs: Math.round(random() * ceiling) };
}
