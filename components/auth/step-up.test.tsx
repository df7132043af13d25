// @vitest-environment happy-dom
import * as msal from "@azure/msal-browser";
import { BrowserAuthError } from "@azure/msal-browser";
import { cleanup, render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { StepUpPrompt, saveStepUp, takeStepUp, useResumedStepUp } from "./step-up";

const account = { homeAccountId: "u.t", username: "admin@contosoml.onmicrosoft.com" };
const acquireTokenPopup = vi.fn();
const instance = { getActiveAccount: () => account, getAllAccounts: () => [account], setActiveAccount: vi.fn(), acquireTokenPopup };
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

const CLAIMS = JSON.stringify({ access_token: { acrs: { essential: true, values: ["p1"] } } });

beforeEach(() => {
  fetchMock.mockImplementation(() => Promise.resolve(Response.json({ expiresAt: "2026-12-04T11:00:00Z" })));
  vi.stubGlobal("fetch", fetchMock);
});

afterEach(() => {
  cleanup();
  window.sessionStorage.clear();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
  acquireTokenPopup.mockReset();
  refresh.mockReset();
  fetchMock.mockReset();
  vi.useRealTimers();
});

function Resumer({ resumeKey, onResume }: { resumeKey: string; onResume: (state: { roleId: string }) => void }) {
  const resumed = useResumedStepUp<{ roleId: string }>(resumeKey, onResume);
  return <p>{resumed ? `resumed ${resumed.roleId}` : "nothing to resume"}</p>;
}

describe("StepUpPrompt", () => {
  it("signs in again with the claims in a popup, hands the new token to the server, then reloads the page with the dialog's choices", async () => {
    const reload = vi.spyOn(window.location, "reload").mockImplementation(() => undefined);
    acquireTokenPopup.mockResolvedValue({ accessToken: "mfa-token", account });
    render(<StepUpPrompt claims={CLAIMS} resume={{ key: "grant:w", choices: { roleId: "r1" } }} message="Azure needs you to sign in again." />);
    expect(screen.getByRole("alert").textContent).toContain("Azure needs you to sign in again.");
    await userEvent.click(screen.getByRole("button", { name: "Sign in again to continue" }));
    expect(acquireTokenPopup).toHaveBeenCalledWith({
      scopes: ["api://gatehouse/access_as_user"],
      overrideInteractionInProgress: true,
      claims: CLAIMS,
      account,
    });
    await waitFor(() => expect(reload).toHaveBeenCalledTimes(1));
    expect(fetchMock).toHaveBeenCalledWith("/api/session", { method: "POST", headers: { Authorization: "Bearer mfa-token" } });
    // Choices only, never a token, in this tab's storage.
    expect(JSON.stringify(Object.entries(window.sessionStorage))).not.toContain("mfa-token");
    expect(takeStepUp("grant:w")).toEqual({ roleId: "r1" });
  });

  it("keeps nothing and changes nothing when the popup is blocked, and says so", async () => {
    const reload = vi.spyOn(window.location, "reload").mockImplementation(() => undefined);
    acquireTokenPopup.mockRejectedValue(new BrowserAuthError("popup_window_error", "correlation-1"));
    render(<StepUpPrompt claims={CLAIMS} resume={{ key: "grant:w", choices: { roleId: "r1" } }} message="Azure needs you to sign in again." />);
    await userEvent.click(screen.getByRole("button", { name: "Sign in again to continue" }));
    await screen.findByText(/^Your browser blocked the sign-in window/);
    expect(reload).not.toHaveBeenCalled();
    expect(fetchMock).not.toHaveBeenCalled();
    expect(takeStepUp("grant:w")).toBeUndefined();
  });
});

describe("resuming after signing in again", () => {
  it("hands the saved choices to the dialog once, and removes them", async () => {
    saveStepUp("grant:w", { roleId: "r1" });
    const onResume = vi.fn();
    render(<Resumer resumeKey="grant:w" onResume={onResume} />);
    await waitFor(() => expect(screen.getByText("resumed r1")).toBeTruthy());
    expect(onResume).toHaveBeenCalledWith({ roleId: "r1" });
    expect(window.sessionStorage.length).toBe(0);
    cleanup();
    render(<Resumer resumeKey="grant:w" onResume={onResume} />);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(screen.getByText("nothing to resume")).toBeTruthy();
    expect(onResume).toHaveBeenCalledTimes(1);
  });

  it("leaves another dialog's choices alone and drops stale ones", () => {
    saveStepUp("revoke:w", { assignmentIds: ["a"] });
    expect(takeStepUp("grant:w")).toBeUndefined();
    expect(takeStepUp("revoke:w")).toEqual({ assignmentIds: ["a"] });
    vi.useFakeTimers({ now: new Date("2026-12-04T10:00:00Z") });
    saveStepUp("grant:w", { roleId: "r1" });
    vi.setSystemTime(new Date("2026-12-04T10:16:00Z"));
    expect(takeStepUp("grant:w")).toBeUndefined();
    expect(window.sessionStorage.length).toBe(0);
  });
});
