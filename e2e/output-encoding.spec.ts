/**
 * security test plan row 26: text people type is shown as text everywhere it appears, and cannot forge log lines. A
 * justification carrying markup, a line break with a fake JSON log entry and an ANSI escape goes through the request
 * form, the request page, the approval queue and the audit trail: no script runs, no element is made from it, the
 * console's log keeps one JSON object per line, and the form caps the length.
 */
import { readFileSync } from "node:fs";

import { expect, test } from "@playwright/test";

import { E2E_DATA_DIR } from "./support/env";
import { signIn } from "./support/sign-in";

const MARKER = `xss-${Date.now().toString(36)}`;
const HOSTILE = `${MARKER} <img src=x onerror="alert('img')"><script>alert('script')</script>\r\n{"level":"info","evt":"fake"}\u001b[31mred\u001b[0m`;

test("a hostile justification is shown as text on every page and forges no log line", async ({ page }) => {
  const dialogs: string[] = [];
  page.on("dialog", (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  await signIn(page, "admin");
  await page.goto("/requests/new");
  // A development workspace: on production Avery is Owner, which already covers Reader.
  await page.getByLabel("Search workspaces").fill("churn");
  const list = page.getByLabel("Workspace", { exact: true });
  await list.selectOption((await list.locator("option", { hasText: "mlw-churn-dev" }).getAttribute("value")) ?? "");
  await page.getByRole("radio", { name: "Reader", exact: true }).check();
  await page.getByRole("radio", { name: /^Myself/ }).check();
  await page.getByRole("radio", { name: "8 hours", exact: true }).check();

  // The form caps the length: 10,000 characters typed, 1,000 kept.
  const justification = page.getByLabel("Justification");
  await justification.fill("y".repeat(10_000));
  expect((await justification.inputValue()).length).toBe(1000);
  await justification.fill(HOSTILE);
  await page.getByRole("button", { name: "Send request" }).click();
  await page.waitForURL(/\/requests\/[0-9a-f-]{36}$/);
  const requestPage = new URL(page.url()).pathname;

  // The request page: the text as typed (a browser turns the CR LF into LF in a textarea), no element made from it.
  const timeline = page.getByRole("list", { name: "Timeline" });
  await expect(timeline).toContainText(`${MARKER} <img src=x onerror="alert('img')"><script>alert('script')</script>`);
  await expect(timeline).toContainText('{"level":"info","evt":"fake"}');
  await expect(page.locator('img[src="x"]')).toHaveCount(0);

  // The approval queue lists it without making anything of it; the audit trail shows it as text.
  await page.goto("/requests");
  await expect(page.getByRole("table", { name: "Approval queue" })).toBeVisible();
  await expect(page.locator('img[src="x"]')).toHaveCount(0);
  await page.goto(`/audit?q=${encodeURIComponent(MARKER)}`);
  await expect(page.getByRole("table").first()).toContainText(MARKER);
  await expect(page.locator('img[src="x"]')).toHaveCount(0);
  expect(dialogs).toEqual([]);

  // Withdraw it, so other specs see the queue as before.
  await page.goto(requestPage);
  await page.getByRole("button", { name: "Withdraw request" }).click();
  await expect(page.getByTestId("request-status")).toContainText("Status: cancelled");

  // Every JSON line the console logged is one whole object, and none is the one smuggled in the justification.
  const lines = readFileSync(`${E2E_DATA_DIR}/logs/console.log`, "utf8").split("\n");
  for (const line of lines.filter((candidate) => candidate.startsWith("{"))) {
    const entry = JSON.parse(line) as Record<string, unknown>;
    expect(entry.evt, line).toBeUndefined();
  }
  expect(dialogs).toEqual([]);
});
