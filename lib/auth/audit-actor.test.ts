import { describe, expect, it } from "vitest";

import { auditSessionOrigin } from "./audit-actor";

const ID = "5e55a0e1-0000-4000-8000-000000000001";

describe("where an audit event came from", () => {
  it("keeps a user agent as the session store bounds it, on one line, with no control characters", () => {
    const origin = auditSessionOrigin({
      id: ID,
      clientAddress: "198.51.100.7",
      userAgent: `Mozilla/5.0\r\n{"level":"error"}\u2028\u001b[31m\u0085${"x".repeat(400)}`,
    });
    expect(origin.id).toBe(ID);
    expect(origin.clientAddress).toBe("198.51.100.7");
    expect(origin.userAgent).toHaveLength(256);
    expect(origin.userAgent.startsWith('Mozilla/5.0\ufffd\ufffd{"level":"error"}\ufffd\ufffd[31m\ufffd')).toBe(true);
  });

  it("never leaves half a character at the cut, nor keeps a lone surrogate (PostgreSQL refuses one in JSON)", () => {
    const origin = auditSessionOrigin({ id: ID, clientAddress: "2001:db8:1:2::/64", userAgent: `${"a".repeat(255)}😀 \ud800` });
    expect(origin.userAgent).toBe(`${"a".repeat(255)}\ufffd`);
  });

  it("drops a token-shaped user agent instead of making the person's events unrecordable", () => {
    const origin = auditSessionOrigin({ id: ID, clientAddress: "203.0.113.9", userAgent: "curl eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl" });
    expect(origin.userAgent).toBe("[token-shaped text removed]");
  });
});
