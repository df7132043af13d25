import { describe, expect, it } from "vitest";

import { getConfig } from "@/lib/config";
import { isSameOriginRequest } from "./same-origin";

describe("isSameOriginRequest", () => {
  const origin = getConfig().publicOrigin;

  it("accepts the console's own origin, with or without fetch metadata", () => {
    expect(isSameOriginRequest(new Headers({ origin }))).toBe(true);
    expect(isSameOriginRequest(new Headers({ origin, "sec-fetch-site": "same-origin" }))).toBe(true);
  });

  it.each([
    ["no Origin", {}],
    ["Origin: null", { origin: "null" }],
    ["another origin", { origin: "https://evil.test" }],
    ["another port", { origin: `${origin}1` }],
    ["a spoofed forwarded host does not help", { origin: "https://evil.test", "x-forwarded-host": "evil.test" }],
    ["cross-site fetch metadata", { origin, "sec-fetch-site": "cross-site" }],
    ["same-site is not same-origin", { origin, "sec-fetch-site": "same-site" }],
  ])("refuses %s", (_name, headers: Record<string, string>) => {
    expect(isSameOriginRequest(new Headers(headers))).toBe(false);
  });
});
