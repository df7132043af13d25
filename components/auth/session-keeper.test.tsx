// @vitest-environment happy-dom
import * as msal from "@azure/msal-browser";
import { BrowserAuthError, CacheLookupPolicy, InteractionRequiredAuthError, ServerError } from "@azure/msal-browser";
import { act, cleanup, render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { SessionKeeper } from "./session-keeper";

const account = { homeAccountId: "u.t", username: "admin@contosoml.onmicrosoft.com" };
const LOGIN_HINT = "admin@contosoml.onmicrosoft.com";
const TOKEN = { accessToken: "new-token", account };
const acquireTokenSilent = vi.fn();
const ssoSilent = vi.fn();
const acquireTokenPopup = vi.fn();
const loginPopup = vi.fn();
// The account MSAL knows in memory: none (null) after a reload, or in a tab that did not sign in itself.
const known = vi.hoisted((): { account: unknown } => ({ account: null }));
const instance = {
  getActiveAccount: () => known.account,
  getAllAccounts: () => (known.account ? [known.account] : []),
  setActiveAccount: (next: unknown) => {
    known.account = next;
  },
  acquireTokenSilent,
  ssoSilent,
  acquireTokenPopup,
  loginPopup,
};
const refresh = vi.fn();
const fetchMock = vi.fn();
// This page's MSAL, as msal-client.ts hands it over once loaded (the real library, for its error classes).
vi.mock("./msal-client", () => ({
  loadMsal: () => Promise.resolve({ client: instance, msal }),
  loadedMsal: () => ({ client: instance, msal }),
  preloadMsal: () => undefined,
}));
vi.mock("next/navigation", () => ({ useRouter: () => ({ refresh }) }));
vi.mock("./auth-provider", () => ({ useAuthSettings: () => ({ apiScope: "api://gatehouse/access_as_user" }) }));

const NOW = new Date("2026-12-04T10:00:00Z");

beforeEach(() => {
  known.account = account;
  vi.useFakeTimers({ now: NOW, toFake: ["setTimeout", "clearTimeout", "Date"] });
  window.history.replaceState(null, "", "/workspaces/sub/rg/mlw?tab=access");
  fetchMock.mockImplementation(() => Promise.resolve(Response.json({ expiresAt: new Date(NOW.getTime() + 2 * 3600_000).toISOString() })));
  vi.stubGlobal("fetch", fetchMock);
});

afterEach(() => {
  cleanup();
  vi.useRealTimers();
  vi.unstubAllGlobals();
  for (const mock of [acquireTokenSilent, ssoSilent, acquireTokenPopup, loginPopup, refresh, fetchMock]) mock.mockReset();
});

async function reachRenewal(expiresAt: Date) {
  render(<SessionKeeper expiresAt={expiresAt.toISOString()} loginHint={LOGIN_HINT} />);
  await act(async () => {
    await vi.advanceTimersByTimeAsync(expiresAt.getTime() - NOW.getTime());
  });
}

function handedOverTokens(): string[] {
  return fetchMock.mock.calls.map(([, init]) => String((init as RequestInit).headers && (init as { headers: Record<string, string> }).headers.Authorization));
}

describe("SessionKeeper while this page's MSAL knows the person", () => {
  it("renews from the memory cache or refresh token (then Entra's cookie) and hands the token to the server", async () => {
    acquireTokenSilent.mockResolvedValue(TOKEN);
    await reachRenewal(new Date(NOW.getTime() + 60 * 60_000));
    expect(acquireTokenSilent).toHaveBeenCalledWith(expect.objectContaining({ account, cacheLookupPolicy: CacheLookupPolicy.Default }));
    expect(handedOverTokens()).toEqual(["Bearer new-token"]);
    expect(refresh).toHaveBeenCalledTimes(1);
    expect(screen.queryByRole("alert")).toBeNull();
  });

  it("offers a popup sign-in before the session ends once silent renewal needs the person, and the page stays", async () => {
    // What MSAL throws when Entra answers the refresh token with AADSTS700084.
    acquireTokenSilent.mockRejectedValue(
      new ServerError(
        "invalid_grant",
        "correlation-1",
        "AADSTS700084: The refresh token was issued to a single page app (SPA), and therefore has a fixed, limited lifetime",
      ),
    );
    await reachRenewal(new Date(NOW.getTime() + 60 * 60_000));
    expect(screen.getByRole("alert").textContent).toMatch(/^Your sign-in ends at .+\. Sign in again to continue/);
    expect(screen.getByRole("alert").textContent).not.toContain("AADSTS");
    vi.useRealTimers();
    acquireTokenPopup.mockResolvedValue(TOKEN);
    await userEvent.click(screen.getByRole("button", { name: "Sign in again to continue" }));
    expect(acquireTokenPopup).toHaveBeenCalledWith({ scopes: ["api://gatehouse/access_as_user"], overrideInteractionInProgress: true, account });
    await vi.waitFor(() => expect(screen.queryByRole("alert")).toBeNull());
    expect(handedOverTokens()).toEqual(["Bearer new-token"]);
    expect(refresh).toHaveBeenCalledTimes(1);
  });

  it("shows no sign-in offer when renewal fails for another reason (the sign-in service unreachable or throttling)", async () => {
    for (const failure of [new Error("network down"), new ServerError("temporarily_unavailable", "correlation-1", "AADSTS90025")]) {
      acquireTokenSilent.mockRejectedValue(failure);
      await reachRenewal(new Date(NOW.getTime() + 60 * 60_000));
      expect(screen.queryByRole("alert")).toBeNull();
      cleanup();
    }
    expect(acquireTokenPopup).not.toHaveBeenCalled();
    expect(fetchMock).not.toHaveBeenCalled();
  });
});

describe("SessionKeeper after a reload (MSAL's memory cache is empty)", () => {
  beforeEach(() => {
    known.account = null;
  });

  it("renews through Entra's session cookie in a hidden iframe for the person the server's session names", async () => {
    ssoSilent.mockResolvedValue(TOKEN);
    await reachRenewal(new Date(NOW.getTime() + 60 * 60_000));
    expect(acquireTokenSilent).not.toHaveBeenCalled();
    expect(ssoSilent).toHaveBeenCalledWith({ scopes: ["api://gatehouse/access_as_user"], loginHint: LOGIN_HINT });
    expect(handedOverTokens()).toEqual(["Bearer new-token"]);
    expect(screen.queryByRole("alert")).toBeNull();
  });

  it("waits until a few minutes before the token ends", async () => {
    ssoSilent.mockResolvedValue(TOKEN);
    render(<SessionKeeper expiresAt={new Date(NOW.getTime() + 60 * 60_000).toISOString()} loginHint={LOGIN_HINT} />);
    await act(async () => {
      await vi.advanceTimersByTimeAsync(55 * 60_000);
    });
    expect(ssoSilent).not.toHaveBeenCalled();
    await act(async () => {
      await vi.advanceTimersByTimeAsync(60_000);
    });
    expect(ssoSilent).toHaveBeenCalledTimes(1);
  });

  it("asks for a sign-in when Entra has no session (AADSTS50058) or the iframe gets no answer (third-party cookies blocked)", async () => {
    for (const failure of [
      new InteractionRequiredAuthError("login_required", "correlation-1", "AADSTS50058: A silent sign-in request was sent but no user is signed in."),
      new BrowserAuthError("timed_out", "correlation-1"),
    ]) {
      ssoSilent.mockRejectedValue(failure);
      await reachRenewal(new Date(NOW.getTime() + 60 * 60_000));
      expect(screen.getByRole("alert").textContent).toMatch(/Sign in again to continue/);
      cleanup();
    }
    expect(fetchMock).not.toHaveBeenCalled();
  });

  it("says what to do when the browser blocks the popup or it is closed, and opens a new one on the next click", async () => {
    ssoSilent.mockRejectedValue(new InteractionRequiredAuthError("login_required", "correlation-1"));
    await reachRenewal(new Date(NOW.getTime() + 60 * 60_000));
    vi.useRealTimers();
    loginPopup
      .mockRejectedValueOnce(new BrowserAuthError("popup_window_error", "correlation-1"))
      .mockRejectedValueOnce(new BrowserAuthError("timed_out", "correlation-1"))
      .mockResolvedValue(TOKEN);
    const button = screen.getByRole("button", { name: "Sign in again to continue" });

    await userEvent.click(button);
    await vi.waitFor(() => expect(screen.getByText(/^Your browser blocked the sign-in window\. Allow pop-ups for this site/)).toBeTruthy());
    await userEvent.click(button);
    await vi.waitFor(() => expect(screen.getByText(/^The sign-in window was closed before the sign-in finished/)).toBeTruthy());
    expect(screen.getByRole("alert").textContent).not.toMatch(/popup_window_error|timed_out/);
    await userEvent.click(button);
    await vi.waitFor(() => expect(screen.queryByRole("alert")).toBeNull());
    // No account in memory: the popup is told whom to sign in, and may override a popup still waiting.
    expect(loginPopup).toHaveBeenLastCalledWith({ scopes: ["api://gatehouse/access_as_user"], overrideInteractionInProgress: true, loginHint: LOGIN_HINT });
    expect(handedOverTokens()).toEqual(["Bearer new-token"]);
  });
});
