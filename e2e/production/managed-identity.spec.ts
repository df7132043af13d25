/**
 * No secret anywhere: in this run the sandbox's console API app has no client secret and no certificate — only the
 * federated credential for the console's managed identity — and the console was started with
 * GATEHOUSE_CREDENTIAL=managed-identity and the host's identity endpoint. Everything that needs a token still works,
 * and every token request the console makes authenticates with the managed identity's token.
 */
import { readFileSync } from "node:fs";
import path from "node:path";

import { expect, test } from "@playwright/test";

import { CONSOLE_API_CLIENT_ID, CONSOLE_API_CLIENT_SECRET } from "../../sandbox/contract";
import { CONSOLE_API_SERVICE_PRINCIPAL_ID } from "../../sandbox/tenant/console-apps";
import { E2E_DATA_DIR } from "../support/env";
import { sandbox } from "../support/sandbox";
import { signIn } from "../support/sign-in";

test("the tenant holds no secret or certificate for the console, only its managed identity's federated credential", () => {
  const tenant = JSON.parse(readFileSync(path.join(E2E_DATA_DIR, "sandbox", "tenant.json"), "utf8")) as {
    confidentialCredential: unknown;
    managedIdentity: { clientId: string };
  };
  expect(tenant.confidentialCredential).toBeNull();
  expect(tenant.managedIdentity.clientId).toMatch(/^[0-9a-f-]{36}$/);
});

test("on behalf of the admin and as itself, every token the console gets comes from its managed identity", async ({ page, browser }) => {
  test.setTimeout(180_000);
  const since = await sandbox.journal.lastSeq();

  // On-behalf-of: the account page calls Graph and ARM as the signed-in admin.
  await signIn(page, "admin");
  await page.goto("/account");
  await page.getByRole("button", { name: "Check my Azure access" }).click();
  await expect(page.getByText(/Microsoft Graph: signed in as Avery Admin/)).toBeVisible();
  await expect(page.getByText(/Azure Resource Manager: 1 subscription/)).toBeVisible();

  // App-only: refreshing the credentials inventory reads Graph as the console's own service principal.
  const reader = await browser.newContext();
  try {
    const readerPage = await reader.newPage();
    await signIn(readerPage, "security", "/credentials");
    await readerPage.getByRole("button", { name: "Refresh" }).click();
    await expect
      .poll(
        async () =>
          (await sandbox.journal.since(since)).entries.some(
            (entry) => entry.system === "graph" && entry.callerObjectId === CONSOLE_API_SERVICE_PRINCIPAL_ID && entry.status === 200,
          ),
        {
          timeout: 90_000,
        },
      )
      .toBe(true);
  } finally {
    await reader.close();
  }

  const { entries } = await sandbox.journal.since(since);
  const consoleTokenRequests = entries.filter((entry) => entry.system === "entra" && entry.method === "POST" && entry.callerAppId === CONSOLE_API_CLIENT_ID);
  expect(consoleTokenRequests.length).toBeGreaterThanOrEqual(2);
  expect(consoleTokenRequests.map((entry) => [entry.clientCredential, entry.status])).toEqual(consoleTokenRequests.map(() => ["federated", 200]));
  // The identity endpoint answered (msal-node caches the exchange token, so the first request may predate `since`).
  const identity = (await sandbox.journal.since(0)).entries.filter((entry) => entry.system === "identity");
  expect(identity.length).toBeGreaterThanOrEqual(1);
  expect(identity.every((entry) => entry.status === 200)).toBe(true);
  // No token request anywhere in this run presented a secret.
  expect((await sandbox.journal.since(0)).entries.filter((entry) => entry.clientCredential === "secret")).toEqual([]);
});

test("the sandbox secret appears nowhere in the console's output", () => {
  const log = readFileSync(path.join(E2E_DATA_DIR, "logs", "console.log"), "utf8");
  expect(log.length).toBeGreaterThan(0);
  expect(log).not.toContain(CONSOLE_API_CLIENT_SECRET);
});
