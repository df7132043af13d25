import { describe, expect, it } from "vitest";

import { parseConfig } from "@/lib/config/env.mjs";
import { contentSecurityPolicy, modeSecurityHeaders } from "./headers";

describe("contentSecurityPolicy", () => {
  const base = { nonce: "abc123", identityOrigin: "https://login.microsoftonline.com", upgradeInsecureRequests: false };

  it("allows scripts only with the nonce in production, never eval", () => {
    const csp = contentSecurityPolicy({ ...base, development: false });
    expect(csp).toContain("script-src 'self' 'nonce-abc123' 'strict-dynamic'");
    expect(csp).not.toContain("unsafe-eval");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("object-src 'none'");
    expect(csp).toContain("base-uri 'none'");
    expect(csp).toContain("connect-src 'self' https://login.microsoftonline.com");
    expect(csp).toContain("report-uri /api/csp-report");
  });

  it("adds eval only for the development server", () => {
    expect(contentSecurityPolicy({ ...base, development: true })).toContain("'unsafe-eval'");
  });
});

describe("modeSecurityHeaders", () => {
  it("sends HSTS and upgrade-insecure-requests only in azure mode", () => {
    const azure = parseConfig({
      GATEHOUSE_MODE: "azure",
      AZURE_TENANT_ID: "11111111-2222-4333-8444-555555555555",
      GATEHOUSE_SPA_CLIENT_ID: "aaaaaaaa-2222-4333-8444-555555555555",
      GATEHOUSE_API_CLIENT_ID: "bbbbbbbb-2222-4333-8444-555555555555",
      GATEHOUSE_PUBLIC_ORIGIN: "https://gatehouse.contoso.com",
      GATEHOUSE_ALLOWED_TENANTS: "11111111-2222-4333-8444-555555555555",
      GATEHOUSE_CREDENTIAL: "secret",
      AZURE_CLIENT_SECRET: "x",
      GATEHOUSE_SESSION_KEY: Buffer.alloc(32, 1).toString("base64"),
    });
    const headers = modeSecurityHeaders(azure, "n", false);
    expect(headers["Strict-Transport-Security"]).toBe("max-age=63072000; includeSubDomains");
    expect(headers["Content-Security-Policy"]).toContain("upgrade-insecure-requests");

    const sandbox = modeSecurityHeaders(parseConfig({}), "n", false);
    expect(sandbox["Strict-Transport-Security"]).toBeUndefined();
    expect(sandbox["Content-Security-Policy"]).toContain("connect-src 'self' https://localhost:8443");
  });

  it("lets only the redirect bridge be framed, and only by the console itself", () => {
    const config = parseConfig({});
    expect(modeSecurityHeaders(config, "n", false, "/auth/redirect")["Content-Security-Policy"]).toContain("frame-ancestors 'self'");
    for (const pathname of ["/", "/signin", "/auth/redirect/x", "/auth"]) {
      expect(modeSecurityHeaders(config, "n", false, pathname)["Content-Security-Policy"]).toContain("frame-ancestors 'none'");
    }
    // The hidden iframe starts at the identity origin and ends on the bridge.
    expect(modeSecurityHeaders(config, "n", false)["Content-Security-Policy"]).toContain("frame-src 'self' https://localhost:8443");
  });
});
