import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { CONSOLE_API_SCOPE, CONSOLE_SPA_CLIENT_ID } from "./contract";
import { pkcePair, postForm, tempDataDir } from "./entra/test-support";
import { type RunningSandbox, startSandbox } from "./server";

describe("console origins registered as SPA redirect URIs", () => {
  let sandbox: RunningSandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({ port: 0, dataDir: tempDataDir(), consoleOrigins: ["http://localhost:3100"], log: () => undefined });
  });
  afterAll(() => sandbox.close());

  function authorize(redirectUri: string) {
    const { challenge } = pkcePair();
    return postForm(sandbox, `/${sandbox.tenant.tenantId}/oauth2/v2.0/authorize`, {
      client_id: CONSOLE_SPA_CLIENT_ID,
      redirect_uri: redirectUri,
      response_type: "code",
      response_mode: "fragment",
      scope: `${CONSOLE_API_SCOPE} openid`,
      state: "s",
      nonce: "n",
      code_challenge: challenge,
      code_challenge_method: "S256",
      login: "admin@contosoml.onmicrosoft.com",
      passwd: "Admin-Sandbox-2026!",
    });
  }

  it("accepts the seeded origin and the configured one, also after a reset", async () => {
    // The redirect bridge popups and silent renewals return to, and the root.
    for (const uri of ["http://localhost:3000/auth/redirect", "http://localhost:3100/auth/redirect", "http://localhost:3000/", "http://localhost:3100/"]) {
      const response = await authorize(uri);
      expect(response.status, uri).toBe(302);
      expect(response.header("location")).toMatch(new RegExp(`^${uri}#code=`));
    }
    sandbox.reset();
    expect((await authorize("http://localhost:3100/auth/redirect")).status).toBe(302);
  });

  it("refuses an origin nobody registered with AADSTS50011", async () => {
    const response = await authorize("http://localhost:3999/auth/redirect");
    expect(response.status).not.toBe(302);
    expect(response.text).toContain("AADSTS50011");
  });
});
