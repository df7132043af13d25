import { describe, expect, it } from "vitest";

import { addressNetwork, clientAddress } from "./client-address";

const headers = (value?: string) => new Headers(value === undefined ? {} : { "x-forwarded-for": value });

describe("clientAddress", () => {
  it("takes the entry as many places from the right as there are trusted proxies, ignoring what the client prepended", () => {
    expect(clientAddress(headers("6.6.6.6, 203.0.113.5"), 1)).toBe("203.0.113.5");
    expect(clientAddress(headers("6.6.6.6, 203.0.113.5, 10.0.0.4"), 2)).toBe("203.0.113.5");
  });

  it("uses the right-most entry without a trusted proxy (Next's own socket address when the client sent none)", () => {
    expect(clientAddress(headers("127.0.0.1"), 0)).toBe("127.0.0.1");
    expect(clientAddress(headers("6.6.6.6, 198.51.100.3"), 0)).toBe("198.51.100.3");
  });

  it("says unknown when the header is missing, too short for the hops, or not an address", () => {
    expect(clientAddress(headers(), 0)).toBe("unknown");
    expect(clientAddress(headers("203.0.113.5"), 2)).toBe("unknown");
    expect(clientAddress(headers("<script>"), 0)).toBe("unknown");
    expect(clientAddress(headers("a".repeat(5000)), 1)).toBe("unknown");
  });

  it("spells one host one way: IPv4-mapped IPv6 as IPv4, IPv6 in lower case, brackets and ports dropped", () => {
    expect(clientAddress(headers("::ffff:192.0.2.1"), 0)).toBe("192.0.2.1");
    expect(clientAddress(headers("2001:DB8::1"), 0)).toBe("2001:db8::1");
    expect(clientAddress(headers("[2001:db8::1]:443"), 0)).toBe("2001:db8::1");
  });
});

describe("addressNetwork", () => {
  it("counts an IPv6 address by its /64, whatever its spelling, so rotating within a prefix is one source", () => {
    expect(addressNetwork("2001:db8:1:2:aaaa::1")).toBe("2001:db8:1:2::/64");
    expect(addressNetwork("2001:db8:1:2:bbbb:cccc:dddd:eeee")).toBe("2001:db8:1:2::/64");
    expect(addressNetwork("2001:db8::1")).toBe("2001:db8:0:0::/64");
    expect(addressNetwork("::1")).toBe("0:0:0:0::/64");
    expect(addressNetwork("fe80:0:0:0:0:0:192.0.2.1")).toBe("fe80:0:0:0::/64");
    expect(addressNetwork("2001:db8:1:3::1")).not.toBe(addressNetwork("2001:db8:1:2::1"));
  });

  it("leaves IPv4 addresses and 'unknown' as they are", () => {
    expect(addressNetwork("203.0.113.5")).toBe("203.0.113.5");
    expect(addressNetwork("unknown")).toBe("unknown");
  });
});
