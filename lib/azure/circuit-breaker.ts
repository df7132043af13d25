import "server-only";

import { AppError } from "@/lib/errors";
import { log } from "@/lib/log";

/**
 * A circuit breaker per upstream service (ARM, Graph), around the one retry rule. When the service keeps failing —
 * call after call ends, after its retries, in a 5xx or no answer at all — more calls only add load to a service that
 * is down and make every admin wait through retries and timeouts; so after `FAILURES_TO_OPEN` failed calls in a row
 * the breaker opens and calls fail at once, with a message saying when to try again. After `OPEN_MS` calls are let
 * through again (half-open): an answer closes the breaker, another failure opens it again.
 *
 * Calls are counted, not attempts: one subscription or resource that keeps failing makes one failed call per use,
 * and the other calls answering in between reset the count, so it cannot stop the service for everyone. Only the
 * service's health counts: 429 is neither a failure nor a success (ARM and Graph throttle per caller, and one admin's
 * throttling must not stop the others; Retry-After paces that caller), and any other answer below 500 — a 403 or a
 * 404 included — means the service is up. The breaker keeps no data about anyone, only counts, so one per process is
 * shared by every person.
 */
export const FAILURES_TO_OPEN = 5;
export const OPEN_MS = 30_000;

export type UpstreamService = "arm" | "graph";

const SERVICE_NAMES: Record<UpstreamService, string> = { arm: "Azure Resource Manager", graph: "Microsoft Graph" };

/** How a call ended (its last attempt), as the breaker counts it: the service answered, failed, or said nothing about its health. */
export type CallOutcome = "answered" | "failed" | "neutral";

/**
 * A call's outcome from its last status (undefined: no answer — a timeout or a lost connection). `ownError`: the call
 * never reached the service because Gatehouse or Entra stopped it first (a token could not be had): that is not the
 * service's health.
 */
export function callOutcome(status: number | undefined, ownError = false): CallOutcome {
  if (ownError || status === 429) return "neutral";
  return status === undefined || status >= 500 ? "failed" : "answered";
}

export class CircuitBreaker {
  private consecutiveFailures = 0;
  private openUntil: number | undefined;

  constructor(
    readonly service: UpstreamService,
    private readonly now: () => number = Date.now,
  ) {}

  /** Throws when the breaker is open; otherwise lets the call through (after the pause, as a probe). */
  admit(): void {
    if (this.openUntil === undefined || this.now() >= this.openUntil) return;
    const seconds = Math.max(1, Math.ceil((this.openUntil - this.now()) / 1000));
    const name = SERVICE_NAMES[this.service];
    throw new AppError({
      code: "upstream_unavailable",
      message: `${this.service} circuit open: ${this.consecutiveFailures} failed calls in a row; ${seconds}s left`,
      userMessage: `${name} is not answering, so Gatehouse paused its calls to it. Nothing was changed. Try again in ${seconds} second${seconds === 1 ? "" : "s"}.`,
    });
  }

  record(outcome: CallOutcome): void {
    if (outcome === "neutral") return;
    if (outcome === "answered") {
      if (this.openUntil !== undefined) log("info", "upstream", "circuit closed", { service: this.service });
      this.consecutiveFailures = 0;
      this.openUntil = undefined;
      return;
    }
    this.consecutiveFailures++;
    // Half-open (the pause is over) and the probe failed, or the threshold is reached: (re)open for a full pause.
    const halfOpen = this.openUntil !== undefined && this.now() >= this.openUntil;
    if (halfOpen || this.consecutiveFailures >= FAILURES_TO_OPEN) {
      this.openUntil = this.now() + OPEN_MS;
      log("warn", "upstream", "circuit open", { service: this.service, consecutiveFailures: this.consecutiveFailures, openForMs: OPEN_MS });
    }
  }

  get isOpen(): boolean {
    return this.openUntil !== undefined && this.now() < this.openUntil;
  }
}

const breakers = new Map<UpstreamService, CircuitBreaker>();

/** This process's breaker for a service. */
export function circuitBreaker(service: UpstreamService): CircuitBreaker {
  let breaker = breakers.get(service);
  if (!breaker) {
    breaker = new CircuitBreaker(service);
    breakers.set(service, breaker);
  }
  return breaker;
}
