import { expect, test } from "@playwright/test";

import { signIn } from "./support/sign-in";
import { resumeSignIn } from "./support/stored-sessions";

test("a visitor who is not signed in is sent to the sign-in page", async ({ page }) => {
  await page.goto("/");
  await page.waitForURL(/\/signin\?returnTo=%2F$/);
  await expect(page.getByRole("heading", { name: "Sign in to Gatehouse" })).toBeVisible();
});

test("the console serves its overview with a working database", async ({ page }) => {
  await resumeSignIn(page, "security");
  await expect(page.getByText("Sandbox tenant (local emulator of Entra ID, Graph and ARM)")).toBeVisible();
  await expect(page.getByText("reachable", { exact: true })).toBeVisible();
});

test("pages carry a nonce-based Content-Security-Policy without unsafe-eval", async ({ page }) => {
  const response = await page.goto("/signin");
  const csp = response?.headers()["content-security-policy"] ?? "";
  expect(csp).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9+/=]+' 'strict-dynamic'/);
  expect(csp).not.toContain("unsafe-eval");
  expect(csp).toContain("frame-ancestors 'none'");
  expect(response?.headers()["x-content-type-options"]).toBe("nosniff");
  expect(response?.headers()["x-powered-by"]).toBeUndefined();
});

test("the theme can be switched and is remembered", async ({ page }) => {
  await page.goto("/signin");
  await page.getByLabel("Theme").selectOption("dark");
  await expect(page.locator("html")).toHaveAttribute("data-theme", "dark");
  await page.reload();
  await expect(page.locator("html")).toHaveAttribute("data-theme", "dark");
});

test("the health endpoint tells anonymous callers only the status", async ({ request }) => {
  const response = await request.get("/api/health");
  expect(response.status()).toBe(200);
  expect(await response.json()).toEqual({ status: "ok" });
});

test("the favicon, app icons and manifest load, and a signed-in page requests nothing that is missing", async ({ page, request }) => {
  for (const file of ["/favicon.ico", "/icon.svg", "/icon-32.png", "/apple-touch-icon.png", "/icon-192.png", "/icon-512.png", "/icon-maskable-512.png"]) {
    const response = await request.get(file);
    expect(response.status(), file).toBe(200);
    expect(response.headers()["content-type"], file).toMatch(/^image\//);
  }
  const manifest = await request.get("/manifest.webmanifest");
  expect(manifest.status()).toBe(200);
  const icons = ((await manifest.json()) as { icons: { src: string }[] }).icons.map((icon) => icon.src);
  expect(icons).toContain("/icon-512.png");

  const missing: string[] = [];
  page.on("response", (response) => {
    if (response.status() === 404) missing.push(response.url());
  });
  await signIn(page, "security");
  await page.goto("/credentials");
  await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
  await page.goto("/");
  expect(missing).toEqual([]);
  const icon = page.locator('head link[rel="icon"]').first();
  await expect(icon).toHaveAttribute("href", /favicon\.ico|icon\.svg|icon-32\.png/);
});
