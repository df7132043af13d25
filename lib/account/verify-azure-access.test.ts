import { describe, expect, it } from "vitest";

import { SecretToken } from "@/lib/auth/secret-token";
import { validateConsoleToken } from "@/lib/auth/token-validator";
import { personaApiToken, personaContext } from "@/test/support/persona-token";
import { verifyAzureAccess } from "./verify-azure-access";

describe("verifyAzureAccess against the sandbox tenant (on-behalf-of, real SDKs)", () => {
  it("reaches Graph and ARM as the admin, who sees the subscription they own", async () => {
    const report = await verifyAzureAccess((await personaContext("admin")).caller);
    expect(report.graph).toEqual({
      ok: true,
      value: { displayName: "Avery Admin", userPrincipalName: "admin@contosoml.onmicrosoft.com" },
    });
    expect(report.arm).toMatchObject({ ok: true, value: { subscriptions: [{ displayName: "Contoso ML Production" }] } });
  });

  it("the validator accepts the sandbox's API tokens as it would Entra's", async () => {
    const result = await validateConsoleToken(await personaApiToken("admin"), { via: "bearer" });
    expect(result).toMatchObject({ ok: true, principal: { userPrincipalName: "admin@contosoml.onmicrosoft.com", roles: ["Console.Admin"] } });
  });

  it("reports an unusable assertion per service without throwing", async () => {
    const caller = (await personaContext("admin")).caller;
    const report = await verifyAzureAccess({ ...caller, assertion: new SecretToken(`${caller.assertion.reveal().slice(0, -4)}AAAA`) });
    expect(report.graph.ok).toBe(false);
    expect(report.arm.ok).toBe(false);
  });
});
