// @vitest-environment happy-dom
import { cleanup, render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";

import { StepUpPrompt, saveStepUp, takeStepUp, useResumedStepUp } from "./step-up";

const loginRedirect = vi.fn((request: unknown) => Promise.resolve(request));
vi.mock("@azure/msal-react", () => ({ useMsal: () => ({ instance: { loginRedirect }, inProgress: "none" }) }));
vi.mock("./auth-provider", () => ({ useAuthSettings: () => ({ apiScope: "api://gatehouse/access_as_user" }) }));

const CLAIMS = JSON.stringify({ access_token: { acrs: { essential: true, values: ["p1"] } } });

afterEach(() => {
  cleanup();
  window.sessionStorage.clear();
  loginRedirect.mockClear();
  vi.useRealTimers();
});

function Resumer({ resumeKey, onResume }: { resumeKey: string; onResume: (state: { roleId: string }) => void }) {
  const resumed = useResumedStepUp<{ roleId: string }>(resumeKey, onResume);
  return <p>{resumed ? `resumed ${resumed.roleId}` : "nothing to resume"}</p>;
}

describe("StepUpPrompt", () => {
  it("keeps the dialog's choices and signs in again with the claims, coming back to this page", async () => {
    window.history.replaceState(null, "", "/workspaces/sub/rg/mlw?tab=access");
    render(<StepUpPrompt claims={CLAIMS} resume={{ key: "grant:w", choices: { roleId: "r1" } }} message="Azure needs you to sign in again." />);
    expect(screen.getByRole("alert").textContent).toContain("Azure needs you to sign in again.");
    await userEvent.click(screen.getByRole("button", { name: "Sign in again to continue" }));
    expect(loginRedirect).toHaveBeenCalledWith({
      scopes: ["api://gatehouse/access_as_user"],
      redirectStartPage: `${window.location.origin}/workspaces/sub/rg/mlw?tab=access`,
      claims: CLAIMS,
    });
    expect(takeStepUp("grant:w")).toEqual({ roleId: "r1" });
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
