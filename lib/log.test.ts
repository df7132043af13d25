import { describe, expect, it } from "vitest";

import { redactTokens } from "./log";

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
