import { readFile } from "node:fs/promises";

import { expect, test } from "@playwright/test";

import { BUCKETS, bucketLabel } from "../lib/shared/credentials";
import { CONSOLE_APP_IDS, oracleCredentialCounts } from "../test/support/credential-oracle";
import { resumeSignIn } from "./support/stored-sessions";

const WINDOWS = [7, 30, 90] as const;

/** Parses the export (every field quoted): the "As of" line, the header, then one record per line. */
function parseCsv(text: string): { header: string[]; records: Record<string, string>[] } {
  const lines = text.split("\r\n").filter((line) => line !== "");
  const split = (line: string) =>
    line
      .slice(1, -1)
      .split('","')
      .map((field) => field.replace(/""/g, '"'));
  const header = split(lines[1]!);
  const records = lines.slice(2).map((line) => Object.fromEntries(split(line).map((field, index) => [header[index]!, field])));
  return { header, records };
}

const LABEL_TO_BUCKET = new Map(BUCKETS.map((bucket) => [bucketLabel(bucket, WINDOWS), bucket]));

test("the security reader sees counts per bucket, finds the risky service principal, opens it and exports the view", async ({ page }) => {
  test.setTimeout(180_000);
  await resumeSignIn(page, "security");
  await page.getByRole("navigation", { name: "Primary" }).getByRole("link", { name: "Credentials" }).click();
  await page.waitForURL(/\/credentials$/);
  await expect(page.getByRole("heading", { level: 1, name: "Credentials" })).toBeVisible();

  // Refresh on demand and follow its progress to the end; the page then shows the new snapshot's time.
  const previous = await page
    .getByTestId("credentials-as-of")
    .getAttribute("datetime", { timeout: 1000 })
    .catch(() => null);
  await page.getByRole("button", { name: "Refresh" }).click();
  await expect(page.getByRole("button", { name: /Refreshing/ }).or(page.getByText("Refreshed."))).toBeVisible();
  await expect
    .poll(
      async () =>
        page
          .getByTestId("credentials-as-of")
          .getAttribute("datetime", { timeout: 1000 })
          .catch(() => null),
      { timeout: 90_000 },
    )
    .not.toBe(previous);
  await expect(page.getByRole("button", { name: "Refresh" })).toBeEnabled({ timeout: 30_000 });
  const asOf = new Date((await page.getByTestId("credentials-as-of").getAttribute("datetime"))!);

  // Counts per bucket = the seed's, plus whatever the console's own two apps carry (read from the export).
  const expected = oracleCredentialCounts(asOf);
  const consoleRows = await page.request.get(`/api/credentials/export?q=0c0a5e11`);
  expect(consoleRows.status()).toBe(200);
  for (const record of parseCsv(await consoleRows.text()).records) {
    if (!CONSOLE_APP_IDS.has(record["App id"]!)) continue;
    expected[LABEL_TO_BUCKET.get(record.Bucket!)!] += 1;
  }
  const summary = page.getByRole("region", { name: "Credentials per bucket" });
  for (const bucket of BUCKETS) {
    await expect(summary.getByTestId(`bucket-count-${bucket}`), bucket).toHaveText(String(expected[bucket]));
  }
  expect(expected.within1).toBeGreaterThan(0);
  expect(expected.secretless).toBeGreaterThan(0);

  // Narrow the view to service-principal credentials expiring within 7 days that unlock Data Scientist on a workspace.
  const filters = page.getByRole("form", { name: "Filter credentials" });
  await filters.getByLabel("Bucket").selectOption("within1");
  await filters.getByLabel("Object type").selectOption("servicePrincipal");
  await filters.getByLabel("Role").selectOption("AzureML Data Scientist");
  await filters.getByRole("button", { name: "Apply filters" }).click();
  await page.waitForURL(/bucket=within1/);
  const table = page.getByRole("region", { name: "Credentials" }).getByRole("table");
  const fraudRow = table.getByRole("row").filter({ hasText: "fraud-scoring-batch" });
  await expect(fraudRow).toHaveCount(1);
  await expect(fraudRow).toContainText("Service principal");
  await expect(fraudRow).toContainText("AzureML Data Scientist on mlw-fraud-prod");
  await expect(fraudRow).toContainText("Expires within 7 days");
  for (const text of await table.locator("tbody tr").allInnerTexts()) {
    expect(text).toContain("Service principal");
    expect(text).toContain("Expires within 7 days");
    expect(text).toContain("AzureML Data Scientist");
  }

  // Its details: the credential on the service-principal object, owners, workspace roles and a recommendation.
  await fraudRow.getByRole("link", { name: "Details of fraud-scoring-batch" }).click();
  const drawer = page.getByRole("dialog", { name: "fraud-scoring-batch" });
  await expect(drawer).toBeVisible();
  await expect(drawer.getByRole("region", { name: "Recommendation" })).toContainText(/Rotate.*federated credential.*managed identity/);
  await expect(drawer).toContainText("Service principal");
  await expect(drawer).toContainText("Client secret");
  await expect(drawer).toContainText("AzureML Data Scientist on mlw-fraud-prod");
  await expect(drawer).not.toContainText("secretText");
  await drawer.getByRole("button", { name: "Close" }).click();
  await expect(drawer).toBeHidden();
  await page.waitForURL((url) => !url.searchParams.has("identity"));

  // Export the current view: the same rows, formula-safe CSV, no secret values.
  const visibleRows = await table.locator("tbody tr").count();
  const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name: "Export CSV" }).click()]);
  expect(download.suggestedFilename()).toMatch(/^gatehouse-credentials-\d{8}T\d{6}Z\.csv$/);
  const csv = parseCsv(await readFile(await download.path(), "utf8"));
  expect(csv.header).toContain("Key id");
  expect(csv.records).toHaveLength(visibleRows);
  const fraud = csv.records.find((record) => record.Identity === "fraud-scoring-batch");
  expect(fraud).toMatchObject({ "Object type": "Service principal", Bucket: "Expires within 7 days", "Credential type": "Client secret" });
  expect(fraud!["Workspace roles"]).toContain("AzureML Data Scientist on mlw-fraud-prod");
});

test("people without a reader role are refused the page and the export", async ({ page }) => {
  const anonymous = await page.request.get("/api/credentials/export", { failOnStatusCode: false });
  expect(anonymous.status()).toBe(401);
  await resumeSignIn(page, "team-lead");
  await page.goto("/credentials");
  await expect(page.getByRole("heading", { level: 1, name: "Credentials" })).toHaveCount(0);
  const refused = await page.request.get("/api/credentials/export", { failOnStatusCode: false });
  expect(refused.status()).toBe(403);
});
