import { describe, expect, it } from "vitest";

import { formatLogLine, LOG_FIELD_MAX, LOG_LIST_MAX, redactTokens } from "./log";

describe("redactTokens", () => {
  it("replaces JWTs wherever they appear", () => {
    const token = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl";
    expect(redactTokens(`{"assertion":"${token}","note":"Bearer ${token}"}`)).toBe('{"assertion":"[redacted-token]","note":"Bearer [redacted-token]"}');
  });

  it("leaves ordinary text and base64 JSON without dots alone", () => {
    const state = "eyJpZCI6IjAxYTIwZDZmIn0=";
    expect(redactTokens(`state=${state} ok`)).toBe(`state=${state} ok`);
  });
});

describe("formatLogLine", () => {
  const at = new Date("2026-12-05T00:00:00Z");

  it("bounds every field, the message and list items, and says how much was cut", () => {
    const long = "x".repeat(12_000);
    const line = formatLogLine(at, "warn", long, long, { detail: long, names: Array.from({ length: 500 }, () => long) });
    const record = JSON.parse(line) as { source: string; message: string; detail: string; names: string[] };
    for (const text of [record.source, record.message, record.detail]) {
      expect(text).toBe(`${"x".repeat(LOG_FIELD_MAX)}…[${12_000 - LOG_FIELD_MAX} more]`);
    }
    expect(record.names).toHaveLength(LOG_LIST_MAX + 1);
    expect(record.names.at(-1)).toBe(`…[${500 - LOG_LIST_MAX} more]`);
    expect(line.length).toBeLessThan(40_000);
  });

  it("escapes line separators and other non-printables, so one call is one visible line", () => {
    const hostile = "a\u2028b\u2029c\nd\u0085e\u202ef\u200bg\u007fh";
    const line = formatLogLine(at, "info", "test", hostile, { detail: hostile });
    expect(line).toMatch(/^[\x20-\x7e]+$/);
    expect((JSON.parse(line) as { message: string; detail: string }).detail).toBe(hostile);
  });

  it("redacts a token before cutting a field, so no half of it survives", () => {
    const token = `eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.${"s".repeat(1000)}`;
    const line = formatLogLine(at, "info", "test", "m", { detail: `${"y".repeat(LOG_FIELD_MAX - 30)} ${token}` });
    expect(line).not.toContain("eyJ");
    expect(line).toContain("[redacted-token]");
  });
});
