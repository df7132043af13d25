import { describe, expect, it } from "vitest";

import { AppError } from "@/lib/errors";
import { callOutcome, CircuitBreaker, FAILURES_TO_OPEN, OPEN_MS } from "./circuit-breaker";

function breakerWithClock(start = 1_000_000) {
  const clock = { now: start };
  return { clock, breaker: new CircuitBreaker("arm", () => clock.now) };
}

function refusal(breaker: CircuitBreaker): AppError | undefined {
  try {
    breaker.admit();
    return undefined;
  } catch (error) {
    return error as AppError;
  }
}

describe("callOutcome", () => {
  it("counts 5xx and no answer as failures, 429 and Gatehouse's own errors as neither, any other answer as the service being up", () => {
    expect([500, 502, 503, 504, undefined].map((status) => callOutcome(status))).toEqual(["failed", "failed", "failed", "failed", "failed"]);
    expect(callOutcome(429)).toBe("neutral");
    expect(callOutcome(undefined, true)).toBe("neutral");
    expect([200, 201, 204, 400, 401, 403, 404, 409].map((status) => callOutcome(status))).toEqual(Array(8).fill("answered"));
  });
});

describe("CircuitBreaker", () => {
  it("stays closed below the threshold of failed calls and opens at it, refusing at once with when to try again", () => {
    const { breaker } = breakerWithClock();
    for (let index = 1; index < FAILURES_TO_OPEN; index++) breaker.record("failed");
    expect(refusal(breaker)).toBeUndefined();
    breaker.record("failed");
    const error = refusal(breaker);
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ code: "upstream_unavailable" });
    expect(error!.userMessage).toBe(
      `Azure Resource Manager is not answering, so Gatehouse paused its calls to it. Nothing was changed. Try again in ${OPEN_MS / 1000} seconds.`,
    );
  });

  it("needs the failures in a row: an answer in between starts the count again; 429s change nothing", () => {
    const { breaker } = breakerWithClock();
    for (let index = 1; index < FAILURES_TO_OPEN; index++) breaker.record("failed");
    breaker.record("answered");
    for (let index = 1; index < FAILURES_TO_OPEN; index++) {
      breaker.record("failed");
      breaker.record("neutral");
    }
    expect(breaker.isOpen).toBe(false);
    breaker.record("failed");
    expect(breaker.isOpen).toBe(true);
  });

  it("lets a probe through after the pause: an answer closes it, another failure opens it for a whole pause again", () => {
    const { breaker, clock } = breakerWithClock();
    for (let index = 0; index < FAILURES_TO_OPEN; index++) breaker.record("failed");
    clock.now += OPEN_MS - 1000;
    expect(refusal(breaker)?.userMessage).toContain("Try again in 1 second.");
    clock.now += 1000;
    expect(refusal(breaker)).toBeUndefined();
    breaker.record("failed");
    expect(breaker.isOpen).toBe(true);
    clock.now += OPEN_MS;
    expect(refusal(breaker)).toBeUndefined();
    breaker.record("answered");
    expect(breaker.isOpen).toBe(false);
    // Closed again: it takes the full threshold to open once more.
    breaker.record("failed");
    expect(breaker.isOpen).toBe(false);
  });
});
