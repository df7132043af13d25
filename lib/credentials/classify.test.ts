import fc from "fast-check";
import { describe, expect, it } from "vitest";

import type { Bucket } from "@/lib/shared/credentials";
import { inTimeZone } from "@/test/support/test-env";

import { classifyCredential, recommendation, riskRank } from "./classify";

const NOW = new Date("2026-06-01T12:00:00Z");
const SECOND = 1000;
const DAY = 86_400_000;
const WINDOWS = [7, 30, 90] as const;

function at(offsetMs: number): string {
  return new Date(NOW.getTime() + offsetMs).toISOString();
}

describe("classifyCredential at the boundaries", () => {
  const start = at(-100 * DAY);
  it.each([
    ["ended a second ago", at(-SECOND), "expired"],
    ["ends exactly now", at(0), "expired"],
    ["ends in one second", at(SECOND), "within1"],
    ["ends in exactly 7 days", at(7 * DAY), "within1"],
    ["ends in 7 days and 1 s", at(7 * DAY + SECOND), "within2"],
    ["ends in 7 days less 1 s", at(7 * DAY - SECOND), "within1"],
    ["ends in exactly 30 days", at(30 * DAY), "within2"],
    ["ends in 30 days and 1 s", at(30 * DAY + SECOND), "within3"],
    ["ends in exactly 90 days", at(90 * DAY), "within3"],
    ["ends in 90 days and 1 s", at(90 * DAY + SECOND), "healthy"],
    ["ends in a year", at(365 * DAY), "healthy"],
  ] as const)("%s → %s", (_label, endDateTime, bucket) => {
    expect(classifyCredential({ startDateTime: start, endDateTime }, NOW, WINDOWS)).toBe(bucket);
  });

  it("treats a credential without an end date as long-lived", () => {
    expect(classifyCredential({ startDateTime: start, endDateTime: null }, NOW, WINDOWS)).toBe("longLived");
    expect(classifyCredential({ startDateTime: null, endDateTime: "" }, NOW, WINDOWS)).toBe("longLived");
  });

  it("calls a lifetime of more than 2 years long-lived, exactly 2 years healthy", () => {
    const end = at(200 * DAY);
    expect(classifyCredential({ startDateTime: new Date(Date.parse(end) - 730 * DAY).toISOString(), endDateTime: end }, NOW, WINDOWS)).toBe("healthy");
    expect(classifyCredential({ startDateTime: new Date(Date.parse(end) - 730 * DAY - SECOND).toISOString(), endDateTime: end }, NOW, WINDOWS)).toBe(
      "longLived",
    );
    expect(classifyCredential({ startDateTime: null, endDateTime: at(731 * DAY) }, NOW, WINDOWS)).toBe("longLived");
  });

  it("lets expiry win over a long lifetime", () => {
    expect(classifyCredential({ startDateTime: at(-3000 * DAY), endDateTime: at(3 * DAY) }, NOW, WINDOWS)).toBe("within1");
  });

  it("never calls a SAML signing certificate long-lived (Entra makes them for 3 years), but still dates it", () => {
    const threeYears = { startDateTime: at(-365 * DAY), endDateTime: at(2 * 365 * DAY) };
    expect(classifyCredential(threeYears, NOW, WINDOWS)).toBe("longLived");
    expect(classifyCredential(threeYears, NOW, WINDOWS, { longLived: false })).toBe("healthy");
    expect(classifyCredential({ startDateTime: null, endDateTime: null }, NOW, WINDOWS, { longLived: false })).toBe("healthy");
    expect(classifyCredential({ startDateTime: at(-1000 * DAY), endDateTime: at(20 * DAY) }, NOW, WINDOWS, { longLived: false })).toBe("within2");
    expect(classifyCredential({ startDateTime: at(-1000 * DAY), endDateTime: at(-DAY) }, NOW, WINDOWS, { longLived: false })).toBe("expired");
  });

  it("follows configured windows", () => {
    expect(classifyCredential({ startDateTime: start, endDateTime: at(10 * DAY) }, NOW, [14, 45, 120])).toBe("within1");
    expect(classifyCredential({ startDateTime: start, endDateTime: at(100 * DAY) }, NOW, [14, 45, 120])).toBe("within3");
  });
});

describe("riskRank", () => {
  const ws = (name: string, privileged = false) => ({ workspaceScope: `/subscriptions/x/rg/${name}`, privileged });
  it("orders by bucket and by privilege", () => {
    expect(riskRank("within1", [ws("a")])).toBeGreaterThan(riskRank("within1", []));
    expect(riskRank("within1", [ws("a", true)])).toBeGreaterThan(riskRank("within1", [ws("a")]));
    expect(riskRank("expired", [ws("a")])).toBeGreaterThan(riskRank("within1", [ws("a")]));
    expect(riskRank("secretless", [ws("a", true)])).toBe(0);
    expect(riskRank("within1", [ws("a"), ws("b")])).toBeGreaterThan(riskRank("within1", [ws("a")]));
  });
});

describe("recommendation", () => {
  it("suggests rotation and a federated credential or managed identity", () => {
    expect(recommendation({ worst: "within1", isManagedIdentity: false, hasFederated: false, hasSecrets: true })).toMatch(
      /Rotate.*federated credential.*managed identity/,
    );
    expect(recommendation({ worst: undefined, isManagedIdentity: true, hasFederated: false, hasSecrets: false })).toMatch(/^Secretless/);
  });

  it("tells a SAML app to rotate its signing certificate before single sign-on breaks, with no federated-credential hint", () => {
    const saml = recommendation({ worst: undefined, isManagedIdentity: false, hasFederated: false, hasSecrets: false, samlSigning: "within2" });
    expect(saml).toMatch(/^Rotate the SAML signing certificate before it expires or single sign-on breaks/);
    expect(saml).not.toMatch(/Move it to|managed identity|No credentials/);
    expect(recommendation({ worst: undefined, isManagedIdentity: false, hasFederated: false, hasSecrets: false, samlSigning: "expired" })).toMatch(
      /^The SAML signing certificate has expired, so single sign-on fails/,
    );
    // With a client secret too, both pieces of advice, the secret's first.
    expect(recommendation({ worst: "longLived", isManagedIdentity: false, hasFederated: false, hasSecrets: true, samlSigning: "healthy" })).toMatch(
      /^Replace the long-lived credential.*Rotate the SAML signing certificate/,
    );
  });

  it("does not say 'no credentials' when federated credentials exist but could not be read", () => {
    expect(recommendation({ worst: undefined, isManagedIdentity: false, hasFederated: false, hasSecrets: false, unreadableFederated: 2 })).toMatch(
      /could not be read/,
    );
    expect(recommendation({ worst: undefined, isManagedIdentity: false, hasFederated: false, hasSecrets: false })).toMatch(/^No credentials/);
  });
});

describe("classifyCredential across time zones and daylight-saving changes", () => {
  it("counts days as 24 hours of absolute time, whatever the server's zone, across a DST change", () => {
    // Europe's clocks go forward on 2026-03-29; seven calendar days later is 7 × 24 h − 1 h in absolute time.
    const now = new Date("2026-03-25T12:00:00Z");
    const cases = [
      ["2026-04-01T12:00:00Z", "within1"],
      ["2026-04-01T12:00:01Z", "within2"],
      ["2026-04-01T14:00:00+02:00", "within1"],
      ["2026-04-01T14:00:01+02:00", "within2"],
      // Zoneless is UTC, never local time.
      ["2026-04-01T12:00:00", "within1"],
      ["2026-04-01T12:00:01", "within2"],
    ] as const;
    for (const zone of ["UTC", "Europe/Berlin", "America/New_York", "Pacific/Chatham", "Asia/Kolkata"]) {
      inTimeZone(zone, () => {
        for (const [endDateTime, bucket] of cases) {
          expect(classifyCredential({ startDateTime: null, endDateTime }, now, WINDOWS), `${zone} ${endDateTime}`).toBe(bucket);
        }
      });
    }
  });
});

describe("classifyCredential is monotonic in time (property)", () => {
  /** How urgent a bucket is: time passing can only keep it or make it more urgent. */
  const SEVERITY: Record<Bucket, number> = { healthy: 0, longLived: 0, secretless: 0, within3: 1, within2: 2, within1: 3, expired: 4 };
  const instant = fc.integer({ min: Date.parse("2020-01-01T00:00:00Z"), max: Date.parse("2035-01-01T00:00:00Z") });
  const windows = fc
    .tuple(fc.integer({ min: 1, max: 60 }), fc.integer({ min: 0, max: 60 }), fc.integer({ min: 0, max: 200 }))
    .map(([first, extra, more]) => [first, first + extra, first + extra + more] as const);
  const RUNS = { numRuns: 1000, seed: 20261205 };

  it("never becomes less urgent as now moves forward", () => {
    fc.assert(
      fc.property(instant, fc.option(instant, { nil: null }), instant, fc.integer({ min: 0, max: 400 * DAY }), windows, (end, start, now, step, window) => {
        const credential = { startDateTime: start === null ? null : new Date(start).toISOString(), endDateTime: new Date(end).toISOString() };
        const earlier = classifyCredential(credential, new Date(now), window);
        const later = classifyCredential(credential, new Date(now + step), window);
        expect(SEVERITY[later]).toBeGreaterThanOrEqual(SEVERITY[earlier]);
      }),
      RUNS,
    );
  });

  it("is expired exactly when the end is not after now, and never expired before it", () => {
    fc.assert(
      fc.property(instant, instant, windows, (end, now, window) => {
        const bucket = classifyCredential({ startDateTime: null, endDateTime: new Date(end).toISOString() }, new Date(now), window);
        expect(bucket === "expired").toBe(end <= now);
      }),
      RUNS,
    );
  });
});
