// @vitest-environment happy-dom
import { EventType, InteractionType, type EventCallbackFunction } from "@azure/msal-browser";
import { act, cleanup, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";

import { SignInPanel } from "./sign-in-panel";
import { describeSignInFailure, NOT_ASSIGNED_MESSAGE } from "./sign-in-errors";

const callbacks: EventCallbackFunction[] = [];
const instance = {
  addEventCallback: vi.fn((callback: EventCallbackFunction) => {
    callbacks.push(callback);
    return `cb${callbacks.length}`;
  }),
  removeEventCallback: vi.fn(),
  getActiveAccount: () => null,
  getAllAccounts: () => [],
  loginRedirect: vi.fn(() => Promise.resolve()),
};
vi.mock("@azure/msal-react", () => ({ useMsal: () => ({ instance, inProgress: "none" }) }));
vi.mock("next/navigation", () => ({ useRouter: () => ({ replace: vi.fn() }) }));
vi.mock("./auth-provider", () => ({ useAuthSettings: () => ({ apiScope: "api://gatehouse/access_as_user" }) }));

// Entra's redirect for an unassigned user, as MSAL's ServerError carries it.
const UNASSIGNED = {
  errorCode: "access_denied",
  errorMessage:
    "AADSTS50105: Your administrator has configured the application Gatehouse Console API ('0c0a5e11-a910-4000-8000-000000000002') to block users unless they are specifically granted ('assigned') access to the application.\r\nTrace ID: 1b2c",
};

afterEach(() => {
  cleanup();
  callbacks.length = 0;
});

function emit(eventType: EventType, error: unknown, interactionType = InteractionType.Redirect) {
  act(() => {
    for (const callback of callbacks) callback({ eventType, interactionType, payload: null, error: error as never, timestamp: 0, correlationId: "c1" });
  });
}

describe("SignInPanel after Entra refused the sign-in", () => {
  it("says the person is not assigned, without Entra's own text", () => {
    render(<SignInPanel returnTo="/" notice={null} />);
    emit(EventType.ACQUIRE_TOKEN_FAILURE, UNASSIGNED);
    const alert = screen.getByRole("alert");
    expect(alert.textContent).toBe(NOT_ASSIGNED_MESSAGE);
    expect(alert.textContent).not.toContain("AADSTS");
    expect(alert.textContent).not.toContain("0c0a5e11");
  });

  it("ignores failures of silent requests, and stops listening when it goes away", () => {
    const { unmount } = render(<SignInPanel returnTo="/" notice={null} />);
    emit(EventType.ACQUIRE_TOKEN_FAILURE, UNASSIGNED, InteractionType.Silent);
    expect(screen.queryByRole("alert")).toBeNull();
    unmount();
    expect(instance.removeEventCallback).toHaveBeenCalledWith("cb1");
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
