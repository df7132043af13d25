// @vitest-environment happy-dom
import { CacheLookupPolicy, ServerError } from "@azure/msal-browser";
import { act, cleanup, render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { SessionKeeper } from "./session-keeper";

const account = { homeAccountId: "u.t", username: "admin@contosoml.onmicrosoft.com" };
const acquireTokenSilent = vi.fn();
const loginRedirect = vi.fn((request: unknown) => Promise.resolve(request));
// The account MSAL knows in this tab: none (null) in a tab that did not sign in itself.
const known = vi.hoisted((): { account: unknown } => ({ account: null }));
const instance = {
  getActiveAccount: () => known.account,
  getAllAccounts: () => (known.account ? [known.account] : []),
  acquireTokenSilent,
  loginRedirect,
};
const refresh = vi.fn();
vi.mock("@azure/msal-react", () => ({ useMsal: () => ({ instance, inProgress: "none" }) }));
vi.mock("next/navigation", () => ({ useRouter: () => ({ refresh }) }));
vi.mock("./auth-provider", () => ({ useAuthSettings: () => ({ apiScope: "api://gatehouse/access_as_user" }) }));

const NOW = new Date("2026-12-04T10:00:00Z");

beforeEach(() => {
  known.account = account;
  vi.useFakeTimers({ now: NOW, toFake: ["setTimeout", "clearTimeout", "Date"] });
  window.history.replaceState(null, "", "/workspaces/sub/rg/mlw?tab=access");
});

afterEach(() => {
  cleanup();
  vi.useRealTimers();
  acquireTokenSilent.mockReset();
  loginRedirect.mockClear();
  refresh.mockClear();
});

async function reachRenewal(expiresAt: Date) {
  render(<SessionKeeper expiresAt={expiresAt.toISOString()} />);
  await act(async () => {
    await vi.advanceTimersByTimeAsync(expiresAt.getTime() - NOW.getTime());
  });
}

describe("SessionKeeper when silent renewal ends", () => {
  it("offers an interactive sign-in back to this page before the session ends, once the refresh token has run out", async () => {
    // What MSAL throws when Entra answers the refresh token with AADSTS700084 and no iframe fallback is tried.
    acquireTokenSilent.mockRejectedValue(
      new ServerError("invalid_grant", "AADSTS700084: The refresh token was issued to a single page app (SPA), and therefore has a fixed, limited lifetime"),
    );
    await reachRenewal(new Date(NOW.getTime() + 60 * 60_000));
    // Cache and refresh token only: the console's CSP would stop MSAL's hidden iframe, which could only time out.
    expect(acquireTokenSilent).toHaveBeenCalledWith(expect.objectContaining({ cacheLookupPolicy: CacheLookupPolicy.AccessTokenAndRefreshToken }));
    expect(screen.getByRole("alert").textContent).toMatch(/^Your sign-in ends at .+\. Sign in again now/);
    expect(screen.getByRole("alert").textContent).not.toContain("AADSTS");
    vi.useRealTimers();
    await userEvent.click(screen.getByRole("button", { name: "Sign in again" }));
    expect(loginRedirect).toHaveBeenCalledWith({
      scopes: ["api://gatehouse/access_as_user"],
      redirectStartPage: `${window.location.origin}/workspaces/sub/rg/mlw?tab=access`,
    });
    expect(refresh).not.toHaveBeenCalled();
  });

  it("shows no sign-in offer when renewal fails for another reason (the sign-in service unreachable or throttling)", async () => {
    for (const failure of [new Error("network down"), new ServerError("temporarily_unavailable", "AADSTS90025")]) {
      acquireTokenSilent.mockRejectedValue(failure);
      await reachRenewal(new Date(NOW.getTime() + 60 * 60_000));
      expect(screen.queryByRole("alert")).toBeNull();
      cleanup();
    }
    expect(loginRedirect).not.toHaveBeenCalled();
  });
});

describe("SessionKeeper in a tab whose MSAL knows no account (the session's cookie came from another tab)", () => {
  it("renews through a sign-in redirect back to this page before the token ends, never silently and never by failing", async () => {
    known.account = null;
    await reachRenewal(new Date(NOW.getTime() + 60 * 60_000));
    expect(acquireTokenSilent).not.toHaveBeenCalled();
    expect(loginRedirect).toHaveBeenCalledWith({
      scopes: ["api://gatehouse/access_as_user"],
      redirectStartPage: `${window.location.origin}/workspaces/sub/rg/mlw?tab=access`,
    });
    expect(screen.queryByRole("alert")).toBeNull();
  });

  it("waits until a few minutes before the token ends", async () => {
    known.account = null;
    render(<SessionKeeper expiresAt={new Date(NOW.getTime() + 60 * 60_000).toISOString()} />);
    await act(async () => {
      await vi.advanceTimersByTimeAsync(55 * 60_000);
    });
    expect(loginRedirect).not.toHaveBeenCalled();
    await act(async () => {
      await vi.advanceTimersByTimeAsync(60_000);
    });
    expect(loginRedirect).toHaveBeenCalledTimes(1);
  });

  it("offers the sign-in when the redirect cannot start", async () => {
    known.account = null;
    loginRedirect.mockImplementationOnce(() => Promise.reject(new Error("popup_window_error")));
    await reachRenewal(new Date(NOW.getTime() + 60 * 60_000));
    expect(screen.getByRole("alert").textContent).toMatch(/Sign in again now/);
  });
});
