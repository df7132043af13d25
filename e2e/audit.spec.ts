import { type Browser, expect, type Page, test } from "@playwright/test";

import { PERSONAS } from "./support/personas";
import { SESSION_COOKIE, signIn } from "./support/sign-in";
import { resumeSignIn, storedSessionPage } from "./support/stored-sessions";

const SECURITY_UPN = PERSONAS.security.login;
const TEAM_LEAD_UPN = PERSONAS["team-lead"].login;

async function sessionCookie(page: Page): Promise<string> {
  const cookie = (await page.context().cookies()).find((candidate) => candidate.name === SESSION_COOKIE);
  expect(cookie, "session cookie").toBeDefined();
  return `${SESSION_COOKIE}=${cookie!.value}`;
}

/**
 * An anonymous export attempt: refused with 401 (counted, not chained: anonymous refusals become one
 * `security.refusals_counted` event per source and minute).
 */
async function anonymousExport(page: Page): Promise<string> {
  const response = await page.request.get("/api/audit/export?format=csv", { failOnStatusCode: false });
  expect(response.status()).toBe(401);
  expect(response.headers()["cache-control"]).toBe("no-store");
  const body = (await response.json()) as { error: { code: string; message: string; reference: string } };
  expect(body.error.code).toBe("unauthenticated");
  expect(body.error.reference).toMatch(/^[0-9a-f-]{36}$/);
  return body.error.reference;
}

/**
 * Export attempts by the team lead (a requester, who may not export): each refused with 403 and recorded as
 * `authz.denied` under the reference it returns. Returns the last reference.
 */
async function refusedExports(browser: Browser, times = 1): Promise<string> {
  const page = await storedSessionPage(browser, "team-lead");
  let reference = "";
  try {
    for (let index = 0; index < times; index += 1) {
      const response = await page.request.get("/api/audit/export?format=csv", { failOnStatusCode: false });
      expect(response.status()).toBe(403);
      const body = (await response.json()) as { error: { code: string; reference: string } };
      expect(body.error.code).toBe("forbidden");
      reference = body.error.reference;
    }
  } finally {
    await page.context().close();
  }
  return reference;
}

test("without a session the export is refused with 401 and nothing is streamed", async ({ page }) => {
  await anonymousExport(page);
});

test("a security reader searches, filters, opens details, exports and sees the chain intact", async ({ page, browser }) => {
  const reference = await refusedExports(browser);
  await signIn(page, "security");

  await page.getByRole("navigation", { name: "Primary" }).getByRole("link", { name: "Audit" }).click();
  await page.waitForURL(/\/audit$/);
  await expect(page.getByRole("heading", { level: 1, name: "Audit trail" })).toBeVisible();

  // The sign-in just made is on the first page, newest first.
  const table = page.getByRole("table");
  await expect(table.getByRole("row").filter({ hasText: "auth.signed_in" }).filter({ hasText: SECURITY_UPN }).first()).toBeVisible();

  // The chain status: shown from the cache or a fresh walk, and "Verify now" walks it again.
  await page.getByRole("button", { name: "Verify now" }).click();
  await expect(page.getByText(/Audit chain intact — [\d,]+ events? verified/)).toBeVisible();

  // Filter by action with the form (a plain GET: the filters land in the URL).
  await page.getByLabel("Action").selectOption("authz.denied");
  await page.getByRole("button", { name: "Apply filters" }).click();
  await page.waitForURL(/action=authz\.denied/);
  const rows = table.locator("tbody tr");
  await expect(rows.first()).toBeVisible();
  for (const text of await rows.allInnerTexts()) expect(text).toContain("authz.denied");

  // The newest refusal is the team lead's export above; its details carry the console request id. Keyboard only.
  const first = rows.first();
  await expect(first).toContainText(TEAM_LEAD_UPN);
  await expect(first).toContainText("console role missing (exportAudit)");
  await first.getByRole("button", { name: /^Details of event \d+$/ }).focus();
  await page.keyboard.press("Enter");
  const dialog = page.getByRole("dialog");
  await expect(dialog).toBeVisible();
  await expect(dialog.getByText("Console request id")).toBeVisible();
  await expect(dialog.getByText(reference, { exact: true })).toBeVisible();
  await expect(dialog.getByText("ARM x-ms-request-id")).toBeVisible();
  await expect(dialog.getByText("Graph request-id")).toBeVisible();
  // Where it came from: the team lead's console session (its row id, not the cookie), address and browser.
  const where = dialog.locator("section").filter({ has: page.getByRole("heading", { name: "Where" }) });
  await expect(where.locator("dt", { hasText: "Console session" }).locator("+ dd")).toHaveText(
    /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
  );
  await expect(where.locator("dt", { hasText: "Client address" }).locator("+ dd")).not.toHaveText("—");
  await expect(where.locator("dt", { hasText: "User agent" }).locator("+ dd")).toContainText("Mozilla/5.0");
  await expect(where.locator("dt", { hasText: "Job" }).locator("+ dd")).toHaveText("—");
  await expect(dialog.getByText(/"deniedBecause": "console_role_missing"/)).toBeVisible();
  await page.keyboard.press("Escape");
  await expect(dialog).toHaveCount(0);

  // Exports carry the current filter and stream it with the right headers.
  const cookie = await sessionCookie(page);
  const csvHref = await page.getByRole("link", { name: "Export CSV" }).getAttribute("href");
  const jsonlHref = await page.getByRole("link", { name: "Export JSON Lines" }).getAttribute("href");
  expect(csvHref).toBe("/api/audit/export?format=csv&action=authz.denied");
  expect(jsonlHref).toBe("/api/audit/export?format=jsonl&action=authz.denied");

  const csv = await page.request.get(csvHref!, { headers: { Cookie: cookie } });
  expect(csv.status()).toBe(200);
  expect(csv.headers()["content-type"]).toBe("text/csv; charset=utf-8");
  expect(csv.headers()["content-disposition"]).toMatch(/^attachment; filename="gatehouse-audit-\d{8}T\d{6}Z\.csv"$/);
  expect(csv.headers()["cache-control"]).toBe("no-store");
  // Compressed by the server for a client that takes gzip (Next.js strips a Content-Encoding a route handler sets, so
  // the route cannot choose a faster level itself); once: the text below is the CSV itself.
  expect(csv.headers()["content-encoding"]).toBe("gzip");
  const csvLines = (await csv.text()).split("\r\n").filter(Boolean);
  expect(csvLines[0]).toMatch(/^id,occurred_at,actor_kind,/);
  const actionColumn = csvLines[0]!.split(",").indexOf("action");
  expect(csvLines.length).toBeGreaterThan(1);
  for (const line of csvLines.slice(1)) expect(line.split(",")[actionColumn]).toBe("authz.denied");
  expect(csvLines.some((line) => line.includes(reference))).toBe(true);
  const header = csvLines[0]!.split(",");
  expect(header).toEqual(expect.arrayContaining(["session_id", "client_address", "user_agent", "job"]));
  const refusal = csvLines.find((line) => line.includes(reference))!.split(",");
  expect(refusal[header.indexOf("session_id")]).toMatch(/^[0-9a-f-]{36}$/);

  const jsonl = await page.request.get(jsonlHref!, { headers: { Cookie: cookie } });
  expect(jsonl.status()).toBe(200);
  expect(jsonl.headers()["content-type"]).toBe("application/x-ndjson");
  expect(jsonl.headers()["content-disposition"]).toMatch(/^attachment; filename="gatehouse-audit-\d{8}T\d{6}Z\.jsonl"$/);
  expect(jsonl.headers()["cache-control"]).toBe("no-store");
  const events = (await jsonl.text())
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { action: string; correlation: { consoleRequestId: string | null } });
  expect(events.length).toBe(csvLines.length - 1);
  for (const event of events) expect(event.action).toBe("authz.denied");
  expect(events.some((event) => event.correlation.consoleRequestId === reference)).toBe(true);

  // Invalid filters: a clear 400 from the export, an inline message on the page.
  const invalid = await page.request.get("/api/audit/export?format=xml&from=yesterday", { headers: { Cookie: cookie }, failOnStatusCode: false });
  expect(invalid.status()).toBe(400);
  const problem = (await invalid.json()) as { error: { code: string; message: string } };
  expect(problem.error.code).toBe("invalid_input");
  expect(problem.error.message).toContain("From must be a date and time");
  expect(problem.error.message).toContain("format=csv or format=jsonl");

  await page.goto("/audit?from=yesterday&outcome=maybe");
  await expect(page.getByRole("alert").filter({ hasText: "These filters cannot be used" })).toContainText("From must be a date and time");
  await expect(page.getByRole("alert").filter({ hasText: "These filters cannot be used" })).toContainText("Outcome must be one of");
  await expect(page.getByRole("table")).toHaveCount(0);
});

test("keyset pages: Older and Newer walk the filtered events", async ({ page, browser }) => {
  await refusedExports(browser, 30);
  await resumeSignIn(page, "security");
  await page.goto("/audit?action=authz.denied&size=25");
  const rows = page.locator("tbody tr");
  await expect(rows).toHaveCount(25);
  const firstId = () =>
    rows
      .first()
      .getByRole("button", { name: /^Details of event/ })
      .getAttribute("aria-label");
  const newestFirstPage = await firstId();

  await page.getByRole("link", { name: "Older →" }).click();
  await page.waitForURL(/cursor=/);
  expect(await firstId()).not.toBe(newestFirstPage);
  const count = await rows.count();
  expect(count).toBeGreaterThan(0);
  for (const text of await rows.allInnerTexts()) expect(text).toContain("authz.denied");

  await page.getByRole("link", { name: "← Newer" }).click();
  await page.waitForURL((url) => !url.searchParams.has("cursor"));
  await expect(rows).toHaveCount(25);
  expect(await firstId()).toBe(newestFirstPage);

  await page.goto("/audit?cursor=not*a*cursor");
  await expect(page.getByRole("alert").filter({ hasText: "These filters cannot be used" })).toContainText("That page link is not valid");
});

test("a requester is refused the audit page and the export, and the refusals are audited", async ({ page, browser }) => {
  await resumeSignIn(page, "team-lead");
  await expect(page.getByRole("navigation", { name: "Primary" }).getByRole("link", { name: "Audit" })).toHaveCount(0);

  await page.goto("/audit");
  await expect(page.getByRole("heading", { level: 1, name: "You don't have access to this page" })).toBeVisible();
  await expect(page.getByText("Console.SecurityReader", { exact: true })).toBeVisible();
  await expect(page.getByText("Console.Admin", { exact: true })).toBeVisible();
  await expect(page.getByRole("table")).toHaveCount(0);

  const exported = await page.request.get("/api/audit/export?format=csv", { headers: { Cookie: await sessionCookie(page) }, failOnStatusCode: false });
  expect(exported.status()).toBe(403);
  expect(((await exported.json()) as { error: { code: string } }).error.code).toBe("forbidden");

  // A security reader sees both refusals, under the requester's name.
  const reader = await browser.newContext();
  try {
    const readerPage = await reader.newPage();
    await resumeSignIn(readerPage, "security");
    await readerPage.goto(`/audit?action=authz.denied&actor=${encodeURIComponent(TEAM_LEAD_UPN)}`);
    const rows = readerPage.locator("tbody tr");
    await expect(rows.filter({ hasText: "console role missing (viewAudit)" }).first()).toBeVisible();
    await expect(rows.filter({ hasText: "console role missing (exportAudit)" }).first()).toBeVisible();
  } finally {
    await reader.close();
  }
});
