import { expect, type Page, test } from "@playwright/test";

import { chooseUser, chooseWorkspace, settledDelta } from "./support/request-form";
import { storedSessionPage } from "./support/stored-sessions";

/**
 * Holds the form's preview (the previewPermissionDelta read) until `release()`, so the test decides when its answer
 * lands: a slow link, without timing.
 */
async function holdPreview(page: Page): Promise<{ release: () => void }> {
  let release: () => void = () => {};
  const held = new Promise<void>((resolve) => (release = resolve));
  await page.route("**/api/reads/previewPermissionDelta", async (route) => {
    await held;
    await route.continue();
  });
  return { release: () => release() };
}

test("the preview's answer moves none of the fields below it: a duration clicked as it lands is the one chosen, and an earlier choice stays", async ({
  browser,
}) => {
  const page = await storedSessionPage(browser, "team-lead");
  const preview = await holdPreview(page);
  await page.goto("/requests/new");
  await chooseWorkspace(page, "mlw-forecast-prod");
  await page.getByRole("radio", { name: "AzureML Data Scientist", exact: true }).check();
  await chooseUser(page, "Noah", /Noah No-Role/);
  await expect(page.locator('[data-testid="permission-delta"][aria-busy="true"]')).toBeVisible();

  // A person chooses while the preview is still being worked out …
  const eightHours = page.getByRole("radio", { name: "8 hours", exact: true });
  const oneDay = page.getByRole("radio", { name: "1 day", exact: true });
  await eightHours.check();
  const justification = page.getByLabel("Justification");
  const [dayBefore, justificationBefore] = [await oneDay.boundingBox(), await justification.boundingBox()];

  // … and the answer lands: many lines of permissions.
  preview.release();
  await expect(settledDelta(page).first()).toBeVisible({ timeout: 30_000 });
  await expect(settledDelta(page).first().getByTestId("permission-delta-summary")).toBeVisible();
  await expect(eightHours).toBeChecked();
  expect(await oneDay.boundingBox()).toEqual(dayBefore);
  expect(await justification.boundingBox()).toEqual(justificationBefore);

  // A click aimed where "1 day" was a moment before the answer lands chooses it, not what the answer put there.
  await page.mouse.click(dayBefore!.x + dayBefore!.width / 2, dayBefore!.y + dayBefore!.height / 2);
  await expect(oneDay).toBeChecked();
  await expect(eightHours).not.toBeChecked();
});
