import { expect, type Page } from "@playwright/test";

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
