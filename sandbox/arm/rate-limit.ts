import type { ArmOperationType } from "./responses";

/** ARM's 2024 token buckets per principal and subscription: capacity and refill per second. */
const BUCKETS: Record<ArmOperationType, { capacity: number; refillPerSecond: number }> = {
  reads: { capacity: 250, refillPerSecond: 25 },
  writes: { capacity: 200, refillPerSecond: 10 },
  deletes: { capacity: 200, refillPerSecond: 10 },
};
/** The subscription-wide ("global") limit is 15 times the per-principal one. */
const GLOBAL_MULTIPLIER = 15;

interface Bucket {
  tokens: number;
  updatedAtMs: number;
}

/**
 * Computes the `x-ms-ratelimit-remaining-*` headers. It only reports, never throttles: 429s come from the control
 * API's fault injection, so tests decide when throttling happens.
 */
export class ArmRateLimitCounter {
  private readonly buckets = new Map<string, Bucket>();

  headers(principalId: string, subscriptionId: string | undefined, operation: ArmOperationType, now: Date): Record<string, string> {
    const scope = subscriptionId ? "subscription" : "tenant";
    const perPrincipal = this.take(`${principalId}|${subscriptionId ?? "tenant"}|${operation}`, operation, 1, now);
    const global = this.take(`*|${subscriptionId ?? "tenant"}|${operation}`, operation, GLOBAL_MULTIPLIER, now);
    const headers: Record<string, string> = {
      [`x-ms-ratelimit-remaining-${scope}-${operation}`]: String(perPrincipal),
      [`x-ms-ratelimit-remaining-${scope}-global-${operation}`]: String(global),
    };
    if (scope === "tenant") headers[`x-ms-ratelimit-remaining-subscription-${operation}`] = String(perPrincipal);
    return headers;
  }

  private take(key: string, operation: ArmOperationType, multiplier: number, now: Date): number {
    const { capacity, refillPerSecond } = BUCKETS[operation];
    const max = capacity * multiplier;
    const nowMs = now.getTime();
    const bucket = this.buckets.get(key) ?? { tokens: max, updatedAtMs: nowMs };
    const refilled = Math.min(max, bucket.tokens + ((nowMs - bucket.updatedAtMs) / 1000) * refillPerSecond * multiplier);
    bucket.tokens = Math.max(0, refilled - 1);
    bucket.updatedAtMs = nowMs;
    this.buckets.set(key, bucket);
    return Math.floor(bucket.tokens);
  }
}
