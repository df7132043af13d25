import { expect, test } from "@playwright/test";

import { resumeSignIn } from "./support/stored-sessions";

test("an admin opens Notifications from the navigation and sees mail's delivery; a security reader is refused it", async ({ browser }) => {
  const admin = await browser.newPage();
  await resumeSignIn(admin, "admin");
  await admin.getByRole("navigation", { name: "Primary" }).getByRole("link", { name: "Notifications" }).click();
  await admin.waitForURL(/\/notifications$/);
  await expect(admin.getByRole("heading", { level: 1, name: "Notifications" })).toBeVisible();
  // The sandbox mails from the admin persona's mailbox; it configures no chat channel.
  const mail = admin.locator('tr[data-channel="mail"]');
  await expect(mail).toContainText("Mail (Graph)");
  await expect(mail).toContainText("admin@contosoml.onmicrosoft.com");
  await expect(admin.getByRole("heading", { level: 2, name: "Recently given up" })).toBeVisible();
  await admin.close();

  const reader = await browser.newPage();
  await resumeSignIn(reader, "security");
  await expect(reader.getByRole("navigation", { name: "Primary" }).getByRole("link", { name: "Notifications" })).toHaveCount(0);
  await reader.goto("/notifications");
  await expect(reader.getByRole("heading", { level: 1, name: "You don't have access to this page" })).toBeVisible();
  await reader.close();
});
