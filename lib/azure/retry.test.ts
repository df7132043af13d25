import { describe, expect, it } from "vitest";

import { MAX_RETRIES, MAX_RETRY_AFTER_SECONDS, parseQuotaResetsAfterSeconds, parseRetryAfterSeconds, retryDecision, throttleWaitSeconds } from "./retry";

describe("parseRetryAfterSeconds", () => {
  it("reads delta-seconds and HTTP dates", () => {
    expect(parseRetryAfterSeconds("7")).toBe(7);
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(parseRetryAfterSeconds("Thu, 01 Jan 2026 00:00:12 GMT", now)).toBe(12);
    expect(parseRetryAfterSeconds("Wed, 31 Dec 2025 23:00:00 GMT", now)).toBe(0);
  });

  it("ignores absent or unreadable values", () => {
    expect(parseRetryAfterSeconds(null)).toBeUndefined();
    expect(parseRetryAfterSeconds("")).toBeUndefined();
    expect(parseRetryAfterSeconds("soon")).toBeUndefined();
  });
});

describe("retryDecision", () => {
  const half = () => 0.5;

  it("waits exactly as long as Retry-After says, within the cap", () => {
    expect(retryDecision(1, 429, 5, half)).toEqual({ retry: true, delayMs: 5000 });
    expect(retryDecision(1, 503, MAX_RETRY_AFTER_SECONDS, half)).toEqual({ retry: true, delayMs: MAX_RETRY_AFTER_SECONDS * 1000 });
  });

  it("gives up rather than wait longer than the cap", () => {
    expect(retryDecision(1, 429, MAX_RETRY_AFTER_SECONDS + 1, half)).toEqual({ retry: false });
  });

  it("backs off exponentially with jitter when there is no Retry-After", () => {
    expect(retryDecision(1, 503, undefined, half)).toEqual({ retry: true, delayMs: 250 });
    expect(retryDecision(2, 503, undefined, half)).toEqual({ retry: true, delayMs: 500 });
    expect(retryDecision(3, undefined, undefined, () => 1)).toEqual({ retry: true, delayMs: 2000 });
  });

  it("stops after the last attempt and never retries client errors", () => {
    expect(retryDecision(MAX_RETRIES + 1, 503, 1, half)).toEqual({ retry: false });
    for (const status of [400, 401, 403, 404, 409]) expect(retryDecision(1, status, undefined, half)).toEqual({ retry: false });
  });
});

describe("parseQuotaResetsAfterSeconds (Resource Graph's x-ms-user-quota-resets-after)", () => {
  it("reads hh:mm:ss, rounding a fraction of a second up", () => {
    expect(parseQuotaResetsAfterSeconds("00:00:03")).toBe(3);
    expect(parseQuotaResetsAfterSeconds("01:02:03")).toBe(3723);
    expect(parseQuotaResetsAfterSeconds("00:00:04.2500000")).toBe(5);
    expect(parseQuotaResetsAfterSeconds("00:00:00")).toBe(0);
  });

  it("gives nothing for an absent or unreadable value", () => {
    for (const value of [undefined, null, "", "3", "00:61:00", "-00:00:01", "soon"]) expect(parseQuotaResetsAfterSeconds(value)).toBeUndefined();
  });
});

describe("throttleWaitSeconds", () => {
  const headers = (values: Record<string, string>) => (name: string) => values[name];
  it("prefers Retry-After, and on a 429 without one takes the quota reset", () => {
    expect(throttleWaitSeconds(429, headers({ "retry-after": "7", "x-ms-user-quota-resets-after": "00:00:03" }))).toBe(7);
    expect(throttleWaitSeconds(429, headers({ "x-ms-user-quota-resets-after": "00:00:03" }))).toBe(3);
  });

  it("ignores the quota reset on any other status (it is on every Resource Graph answer)", () => {
    expect(throttleWaitSeconds(503, headers({ "x-ms-user-quota-resets-after": "00:00:03" }))).toBeUndefined();
    expect(throttleWaitSeconds(429, headers({}))).toBeUndefined();
  });
});
