import { describe, expect, it } from "vitest";
import { z } from "zod";

import { parseAuditParams } from "./filter-params";

const none = z.object({});
const parse = (query: string) => parseAuditParams(new URLSearchParams(query), none, { single: [] });

describe("audit filter parameters", () => {
  it("treats the empty fields a submitted form sends as absent", () => {
    const result = parse("from=&to=&actor=&scope=&principal=&action=&outcome=&q=");
    expect(result).toMatchObject({ ok: true, filter: {} });
    expect(result.ok && result.query.toString()).toBe("");
  });

  it("reads times as UTC and maps every field onto the audit filter", () => {
    const result = parse("from=2026-05-01T09:30&to=2026-05-02&actor=Avery&scope=/subscriptions/x&principal=p-1&action=authz.denied&outcome=denied&q=alice");
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.filter).toEqual({
      from: new Date("2026-05-01T09:30:00Z"),
      to: new Date("2026-05-02T00:00:00Z"),
      actorText: "Avery",
      scope: "/subscriptions/x",
      principalId: "p-1",
      actions: ["authz.denied"],
      outcome: "denied",
      text: "alice",
    });
    expect(result.query.get("from")).toBe("2026-05-01T09:30");
  });

  it("takes an actor that is a GUID as an object id", () => {
    const result = parse("actor=0F8FAD5B-D9CB-469F-A165-70867728950E");
    expect(result.ok && result.filter).toEqual({ actorObjectId: "0f8fad5b-d9cb-469f-a165-70867728950e" });
  });

  it.each([
    ["from=yesterday", /From must be a date and time/],
    ["from=2026-05-02&to=2026-05-01", /From must be earlier than To/],
    ["action=role.stolen", /Action must be one of/],
    ["outcome=maybe", /Outcome must be one of/],
    ["acton=authz.denied", /Unknown parameter “acton”/],
    ["q=a&q=b", /Give Search only once/],
    [`q=${"x".repeat(300)}`, /Search is too long/],
  ])("refuses %s with a message naming the field", (query, message) => {
    const result = parse(query);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.messages.join(" ")).toMatch(message);
  });

  it("passes extra parameters through their own schema", () => {
    const result = parseAuditParams(new URLSearchParams("format=csv&outcome=denied"), z.object({ format: z.enum(["csv", "jsonl"]) }), {
      single: ["format"],
    });
    expect(result.ok && result.extra).toEqual({ format: "csv" });
    expect(result.ok && result.query.toString()).toBe("outcome=denied");
  });
});
