/**
 * A console configured for the public cloud against a tenant of Azure Government (the sandbox emulating usgov): Entra
 * knows no https://graph.microsoft.com or https://management.azure.com there, and the console says it is set up for
 * the wrong cloud instead of "try again".
 */
import { afterAll, describe, expect, it } from "vitest";

import { AppError } from "@/lib/errors";
import { startPrivateSandbox } from "@/test/support/private-sandbox";

const tenant = await startPrivateSandbox({ cloud: "usgov", consoleCloud: "public" });
const { getConfig } = await import("@/lib/config");
const { getAppToken, getDelegatedToken } = await import("./tokens");
const { listWorkspaces } = await import("@/lib/workspaces/list-workspaces");
const { personaContext } = await import("@/test/support/persona-token");

afterAll(async () => {
  await tenant.close();
});

async function failure(promise: Promise<unknown>): Promise<AppError> {
  const error: unknown = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(AppError);
  return error as AppError;
}

describe("a public-cloud console against an Azure Government tenant", () => {
  it("asks for public-cloud resources", () => {
    expect(getConfig().upstream.armScope).toBe("https://management.azure.com/.default");
  });

  it.each(["graph", "arm"] as const)("fails clearly for %s: the wrong cloud, not a passing fault", async (resource) => {
    const admin = await personaContext("admin");
    for (const error of [await failure(getDelegatedToken(admin.caller, resource)), await failure(getAppToken(resource))]) {
      expect(error.code).toBe("configuration");
      expect(error.userMessage).toMatch(/not set up for this tenant's Azure cloud.*AZURE_CLOUD/);
      expect(error.userMessage).not.toMatch(/AADSTS/);
      expect(error.message).toContain("AADSTS500011");
    }
  });

  it("the workspace list fails with the same message", async () => {
    const admin = await personaContext("admin");
    const error = await failure(listWorkspaces({ kind: "delegated", caller: admin.caller }));
    expect(error.userMessage).toMatch(/AZURE_CLOUD/);
  });
});
