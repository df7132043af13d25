import { expect, type Locator, type Page } from "@playwright/test";

/**
 * The preview of what a role (or bundle) adds, once its answer is in. The request form and the grant and approval
 * dialogs show it above their buttons: its answer moves them, and Next.js runs a page's server actions one at a time,
 * so a grant or approval clicked while the preview loads first waits for it.
 */
export function settledDelta(scope: Page | Locator): Locator {
  return scope.locator(':is([data-testid="permission-delta"], [data-testid="bundle-delta"]):not([aria-busy="true"])');
}

/** Chooses a workspace in the request form through its search box and list. */
export async function chooseWorkspace(page: Page, name: string, search = name.replace(/^mlw-/, "")): Promise<void> {
  await page.getByLabel("Search workspaces").fill(search);
  const list = page.getByLabel("Workspace", { exact: true });
  const option = list.locator("option", { hasText: name });
  await expect(option).toHaveCount(1);
  const value = await option.getAttribute("value");
  expect(value).toBeTruthy();
  await list.selectOption(value ?? "");
}

/** Picks a user in the form's principal search: types `query`, then the option whose name matches. */
export async function chooseUser(page: Page, query: string, option: RegExp): Promise<void> {
  await page.getByRole("combobox", { name: "Person, group or service principal" }).fill(query);
  await page.getByRole("listbox").getByRole("group", { name: "Users" }).getByRole("option", { name: option }).click();
}

/**
 * Chooses a duration in the request form, as a person does: at once, whether or not the preview is in (it comes after
 * every field, so its answer moves none of them; e2e/requests-form.spec.ts).
 */
export async function chooseDuration(page: Page, duration: string): Promise<void> {
  const radio = page.getByRole("radio", { name: duration, exact: true });
  await radio.check();
  await expect(radio).toBeChecked();
}

export interface RequestForNoah {
  readonly workspace: string;
  readonly role: string;
  readonly duration: string;
  readonly justification: string;
}

const REQUEST_PAGE = /\/requests\/([0-9a-f-]{36})$/;

/** Files a request for Noah No-Role through the form and returns its id (from the request page it lands on). */
export async function fileRequestForNoah(page: Page, request: RequestForNoah): Promise<string> {
  await page.goto("/requests/new");
  await chooseWorkspace(page, request.workspace);
  await page.getByRole("radio", { name: request.role, exact: true }).check();
  await chooseUser(page, "Noah", /Noah No-Role/);
  await chooseDuration(page, request.duration);
  await page.getByLabel("Justification").fill(request.justification);
  await page.getByRole("button", { name: "Send request" }).click();
  await page.waitForURL(REQUEST_PAGE);
  return REQUEST_PAGE.exec(new URL(page.url()).pathname)![1]!;
}
