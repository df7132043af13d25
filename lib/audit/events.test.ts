import { describe, expect, it } from "vitest";

import { canonicalJson, hashAuditEvent, GENESIS_HASH } from "./chain";
import { AUDIT_ACTIONS, InvalidAuditEventError, parseAuditEvent } from "./events";
import { csvField } from "./export";
import { makeDeniedEvent, makeMappingCreatedEvent, makeUserActor } from "@/test/support/builders/audit";

const TOKEN = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl";

describe("audit event catalogue", () => {
  it("has every action the console records", () => {
    expect(AUDIT_ACTIONS).toEqual(
      expect.arrayContaining([
        "role_assignment.grant_requested",
        "role_assignment.granted",
        "role_assignment.grant_failed",
        "role_assignment.revoke_requested",
        "role_assignment.revoked",
        "role_assignment.revoke_failed",
        "role_assignment.reconciled",
        "mapping.created",
        "bundle.changed",
        "mapping.deleted",
        "mapping.imported",
        "reconcile.item_applied",
        "reconcile.item_failed",
        "request.submitted",
        "request.approved",
        "request.denied",
        "request.cancelled",
        "request.expired",
        "request.lapsed",
        "request.failed",
        "credentials.refreshed",
        "authz.denied",
        "auth.token_rejected",
        "security.refusals_counted",
        "auth.signed_in",
        "auth.signed_out",
        "auth.session_ended",
      ]),
    );
    expect(new Set(AUDIT_ACTIONS).size).toBe(AUDIT_ACTIONS.length);
  });

  it("accepts a well-formed event", () => {
    expect(parseAuditEvent(makeMappingCreatedEvent()).action).toBe("mapping.created");
  });

  it("refuses a token-shaped string anywhere in the details, reason or correlation ids, without echoing it", () => {
    const base = makeMappingCreatedEvent();
    const inDetails = {
      ...base,
      details: { mappingId: "m-1", after: { groupId: crypto.randomUUID(), groupDisplayName: TOKEN, scope: "/s", roleDefinitionId: "r" } },
    };
    for (const event of [inDetails, { ...base, reason: `pasted ${TOKEN}` }, { ...base, correlation: { armRequestId: TOKEN } }]) {
      expect(() => parseAuditEvent(event)).toThrow(InvalidAuditEventError);
      try {
        parseAuditEvent(event);
      } catch (error) {
        expect(String(error)).not.toContain(TOKEN);
      }
    }
  });

  it("refuses fields outside the allow-list, e.g. a whole Graph object in the details", () => {
    const base = makeMappingCreatedEvent();
    const withGraphUser = { ...base, details: { ...base.details, graphUser: { mail: "a@b.c", employeeId: "42" } } };
    expect(() => parseAuditEvent(withGraphUser)).toThrow(/graphUser|Unrecognized key/);
    expect(() => parseAuditEvent({ ...base, accessToken: "x" })).toThrow(InvalidAuditEventError);
    expect(() => parseAuditEvent({ ...base, actor: { ...makeUserActor(), roles: ["Console.Admin"] } })).toThrow(InvalidAuditEventError);
  });

  it("ties outcomes to actions and requires an error code for failures", () => {
    expect(() => parseAuditEvent({ ...makeMappingCreatedEvent(), outcome: "denied" })).toThrow(/outcome/);
    expect(() =>
      parseAuditEvent({
        action: "role_assignment.grant_failed",
        outcome: "failed",
        actor: makeUserActor(),
        target: { scope: "/s", principalId: "p", principalType: "User", roleDefinitionId: "r" },
        details: { intentId: 1, assignmentName: crypto.randomUUID() },
      }),
    ).toThrow(/errorCode/);
    expect(parseAuditEvent(makeDeniedEvent({ kind: "anonymous" })).outcome).toBe("denied");
  });

  it("requires the full role-assignment target on role-assignment events", () => {
    expect(() =>
      parseAuditEvent({
        action: "role_assignment.granted",
        outcome: "succeeded",
        actor: makeUserActor(),
        target: { scope: "/s" },
        details: { intentId: 1, assignmentName: crypto.randomUUID(), alreadyExisted: false },
      }),
    ).toThrow(/principalId/);
  });
});

describe("hash chain primitives", () => {
  it("serialises objects with sorted keys at every level", () => {
    expect(canonicalJson({ b: 1, a: { d: [true, null], c: "x" }, e: undefined })).toBe('{"a":{"c":"x","d":[true,null]},"b":1}');
  });

  it("changes the hash when any field or the previous hash changes", () => {
    const row = {
      id: 1,
      occurredAt: new Date("2026-01-01T00:00:00.000Z"),
      actorKind: "system",
      actorTenantId: null,
      actorObjectId: null,
      actorDisplayName: null,
      actorUpn: null,
      actorAppId: "22222222-2222-4222-8222-222222222222",
      actorSessionId: null,
      actorClientAddress: null,
      actorUserAgent: null,
      actorJob: null,
      action: "credentials.refreshed",
      targetScope: null,
      targetPrincipalId: null,
      targetPrincipalType: null,
      targetRoleDefinitionId: null,
      targetRoleName: null,
      targetRequestId: null,
      outcome: "succeeded",
      errorCode: null,
      reason: null,
      consoleRequestId: null,
      armRequestId: null,
      graphRequestId: null,
      details: { credentialKind: "certificate" },
    };
    const hash = hashAuditEvent(GENESIS_HASH, row);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(hashAuditEvent(GENESIS_HASH, { ...row, details: { credentialKind: "secret" } })).not.toBe(hash);
    expect(hashAuditEvent("1".repeat(64), row)).not.toBe(hash);
    expect(hashAuditEvent(GENESIS_HASH, { ...row, details: { credentialKind: "certificate" } })).toBe(hash);
  });

  it("hashes an event without the later 'where' columns exactly as before they existed, and covers them when present", () => {
    const row = {
      id: 1,
      occurredAt: new Date("2026-01-01T00:00:00.000Z"),
      actorKind: "system",
      actorTenantId: null,
      actorObjectId: null,
      actorDisplayName: null,
      actorUpn: null,
      actorAppId: "22222222-2222-4222-8222-222222222222",
      actorSessionId: null,
      actorClientAddress: null,
      actorUserAgent: null,
      actorJob: null,
      action: "credentials.refreshed",
      targetScope: null,
      targetPrincipalId: null,
      targetPrincipalType: null,
      targetRoleDefinitionId: null,
      targetRoleName: null,
      targetRequestId: null,
      outcome: "succeeded",
      errorCode: null,
      reason: null,
      consoleRequestId: null,
      armRequestId: null,
      graphRequestId: null,
      details: { credentialKind: "certificate" },
    };
    // What the chain's code computed for this row before migration 0011 (events stored then must still verify).
    const hashBeforeWhere = "649867798b8afe647805e4a151d141286f9fac00e569821a32ee2e6a58f99b37";
    expect(hashAuditEvent(GENESIS_HASH, row)).toBe(hashBeforeWhere);
    const person = { ...row, actorKind: "user", actorAppId: null, actorSessionId: "33333333-3333-4333-8333-333333333333" };
    const withWhere = { ...person, actorClientAddress: "203.0.113.7", actorUserAgent: "Mozilla/5.0" };
    const hash = hashAuditEvent(GENESIS_HASH, withWhere);
    for (const changed of [
      { ...withWhere, actorSessionId: "44444444-4444-4444-8444-444444444444" },
      { ...withWhere, actorSessionId: null },
      { ...withWhere, actorClientAddress: "203.0.113.8" },
      { ...withWhere, actorUserAgent: "curl/8" },
      { ...withWhere, actorUserAgent: null },
      { ...row, actorJob: "access-request-expiry" },
    ]) {
      expect(hashAuditEvent(GENESIS_HASH, changed)).not.toBe(changed.actorKind === "system" ? hashBeforeWhere : hash);
    }
  });
});

describe("CSV fields", () => {
  it("quotes per RFC 4180", () => {
    expect(csvField("plain")).toBe("plain");
    expect(csvField('say "hi", then\r\nleave')).toBe('"say ""hi"", then\r\nleave"');
    expect(csvField(null)).toBe("");
    expect(csvField(42)).toBe("42");
    expect(csvField(" padded ")).toBe('" padded "');
  });

  it("quotes a field with edge whitespace of any kind trim() removes, and leaves inner whitespace alone", () => {
    for (const space of ["\t", "\n", "\v", "\f", "\r", "\u00a0", "\u1680", "\u2000", "\u200a", "\u2028", "\u2029", "\u202f", "\u205f", "\u3000", "\ufeff"]) {
      expect(csvField(`x${space}`)).toBe(`"x${space}"`);
      // A tab or carriage return first is a formula start: neutralised, it is no longer at the edge (a carriage
      // return is still a line break, so quoted).
      expect(csvField(`${space}x`)).toBe({ "\t": "'\tx", "\r": `"'\rx"` }[space] ?? `"${space}x"`);
      expect(csvField(`x${space}y`)).toBe(/[\n\r]/.test(space) ? `"x${space}y"` : `x${space}y`);
    }
    expect(csvField("\u200bx")).toBe("\u200bx");
  });

  it("neutralises spreadsheet formulas", () => {
    expect(csvField('=HYPERLINK("http://evil")')).toBe('"\'=HYPERLINK(""http://evil"")"');
    expect(csvField("+1")).toBe("'+1");
    expect(csvField("-2+3")).toBe("'-2+3");
    expect(csvField("@SUM(A1)")).toBe("'@SUM(A1)");
    expect(csvField("\tcmd")).toBe("'\tcmd");
  });
});
