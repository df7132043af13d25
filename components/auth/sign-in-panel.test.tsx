// @vitest-environment happy-dom
import * as msal from "@azure/msal-browser";
import { BrowserAuthError, ServerError } from "@azure/msal-browser";
import { cleanup, render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { SignInPanel } from "./sign-in-panel";
import { describeSignInFailure, NOT_ASSIGNED_MESSAGE } from "./sign-in-errors";

const account = { homeAccountId: "u.t", username: "admin@contosoml.onmicrosoft.com" };
const loginPopup = vi.fn();
const instance = {
  getActiveAccount: () => null,
  getAllAccounts: () => [],
  setActiveAccount: vi.fn(),
  loginPopup,
};
const replace = vi.fn();
const refresh = vi.fn();
const fetchMock = vi.fn();
// This page's MSAL, as msal-client.ts hands it over once loaded (the real library, for its error classes).
vi.mock("./msal-client", () => ({
  loadMsal: () => Promise.resolve({ client: instance, msal }),
  loadedMsal: () => ({ client: instance, msal }),
  preloadMsal: () => undefined,
}));
vi.mock("next/navigation", () => ({ useRouter: () => ({ replace, refresh }) }));
vi.mock("./auth-provider", () => ({ useAuthSettings: () => ({ apiScope: "api://gatehouse/access_as_user" }) }));

// Entra's answer for an unassigned user, as MSAL's ServerError carries it.
const UNASSIGNED = new ServerError(
  "access_denied",
  "correlation-1",
  "AADSTS50105: Your administrator has configured the application Gatehouse Console API ('0c0a5e11-a910-4000-8000-000000000002') to block users unless they are specifically granted ('assigned') access to the application.\r\nTrace ID: 1b2c",
);

beforeEach(() => {
  fetchMock.mockImplementation(() => Promise.resolve(Response.json({ expiresAt: "2026-12-04T11:00:00Z" })));
  vi.stubGlobal("fetch", fetchMock);
});

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  loginPopup.mockReset();
  replace.mockReset();
  fetchMock.mockReset();
});

async function clickSignIn() {
  await userEvent.click(screen.getByRole("button", { name: "Sign in with Microsoft" }));
}

describe("SignInPanel", () => {
  it("signs in in a popup, hands the token to the server and goes on to the return path", async () => {
    loginPopup.mockResolvedValue({ accessToken: "api-token", account });
    render(<SignInPanel returnTo="/workspaces?x=1" notice={null} />);
    await clickSignIn();
    expect(loginPopup).toHaveBeenCalledWith({ scopes: ["api://gatehouse/access_as_user"], overrideInteractionInProgress: true });
    await vi.waitFor(() => expect(replace).toHaveBeenCalledWith("/workspaces?x=1"));
    expect(refresh).toHaveBeenCalledTimes(1);
    expect(fetchMock).toHaveBeenCalledWith("/api/session", { method: "POST", headers: { Authorization: "Bearer api-token" } });
    expect(instance.setActiveAccount).toHaveBeenCalledWith(account);
  });

  it("says the person is not assigned, without Entra's own text", async () => {
    loginPopup.mockRejectedValue(UNASSIGNED);
    render(<SignInPanel returnTo="/" notice={null} />);
    await clickSignIn();
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toBe(NOT_ASSIGNED_MESSAGE);
    expect(alert.textContent).not.toContain("AADSTS");
    expect(alert.textContent).not.toContain("0c0a5e11");
    expect(fetchMock).not.toHaveBeenCalled();
  });

  it("names a blocked or closed popup in plain words, and the same button opens a new one", async () => {
    loginPopup
      .mockRejectedValueOnce(new BrowserAuthError("empty_window_error", "correlation-1"))
      .mockRejectedValueOnce(new BrowserAuthError("user_cancelled", "correlation-1"))
      .mockResolvedValue({ accessToken: "api-token", account });
    render(<SignInPanel returnTo="/" notice={null} />);
    await clickSignIn();
    expect((await screen.findByRole("alert")).textContent).toBe(
      "Your browser blocked the sign-in window. Allow pop-ups for this site, then select the button again.",
    );
    await clickSignIn();
    await vi.waitFor(() =>
      expect(screen.getByRole("alert").textContent).toBe("The sign-in window was closed before the sign-in finished. Select the button to open it again."),
    );
    await clickSignIn();
    await vi.waitFor(() => expect(replace).toHaveBeenCalledWith("/"));
    expect(screen.queryByRole("alert")).toBeNull();
  });
});

describe("describeSignInFailure", () => {
  it("names other refusals without upstream text, and falls back to a plain retry message", () => {
    expect(describeSignInFailure({ errorCode: "access_denied", errorMessage: "AADSTS53003: Access has been blocked by Conditional Access policies." })).toMatch(
      /^Your organisation's access policies blocked/,
    );
    expect(describeSignInFailure({ errorCode: "access_denied", errorMessage: "AADSTS90099: something new" })).toMatch(/^Microsoft Entra refused the sign-in/);
    expect(describeSignInFailure(new Error("network down"))).toBe("The sign-in did not complete. Try again, or ask an administrator if it keeps failing.");
  });
});
