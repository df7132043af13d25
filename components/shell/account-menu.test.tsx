// @vitest-environment happy-dom
import { cleanup, render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";

import { AccountMenu } from "./account-menu";

const signOutEverywhere = vi.fn(() => Promise.resolve());
vi.mock("@/components/auth/sign-out", () => ({ signOutEverywhere: () => signOutEverywhere() }));
vi.mock("@/components/auth/auth-provider", () => ({ useAuthSettings: () => ({}) }));

const ACCOUNT = { displayName: "Avery Admin", userPrincipalName: "admin@contosoml.onmicrosoft.com", tenantId: "t-1", roles: ["Gatehouse.Admin"] };

afterEach(() => {
  cleanup();
  signOutEverywhere.mockClear();
});

describe("AccountMenu", () => {
  it("opens from the keyboard on the first item, moves with the arrows, and Escape closes it back to the button", async () => {
    const user = userEvent.setup();
    render(<AccountMenu account={ACCOUNT} />);
    const button = screen.getByRole("button", { name: "Account: Avery Admin" });
    expect(button.getAttribute("aria-expanded")).toBe("false");
    button.focus();
    await user.keyboard("{Enter}");
    expect(button.getAttribute("aria-expanded")).toBe("true");
    expect(document.activeElement).toBe(screen.getByRole("menuitem", { name: "Account and Azure access" }));
    await user.keyboard("{ArrowDown}");
    expect(document.activeElement).toBe(screen.getByRole("menuitem", { name: "Sign out" }));
    await user.keyboard("{ArrowDown}");
    expect(document.activeElement).toBe(screen.getByRole("menuitem", { name: "Account and Azure access" }));
    await user.keyboard("{Escape}");
    expect(screen.queryByRole("menu")).toBeNull();
    expect(document.activeElement).toBe(button);
  });

  it("shows who is signed in, signs out from its item, and closes on a press outside", async () => {
    const user = userEvent.setup();
    render(
      <>
        <AccountMenu account={ACCOUNT} />
        <p>elsewhere</p>
      </>,
    );
    await user.click(screen.getByRole("button", { name: "Account: Avery Admin" }));
    expect(screen.getByRole("menu").textContent).toContain("admin@contosoml.onmicrosoft.com");
    await user.click(screen.getByText("elsewhere"));
    expect(screen.queryByRole("menu")).toBeNull();
    await user.click(screen.getByRole("button", { name: "Account: Avery Admin" }));
    await user.click(screen.getByRole("menuitem", { name: "Sign out" }));
    expect(signOutEverywhere).toHaveBeenCalledTimes(1);
    expect(screen.queryByRole("menu")).toBeNull();
  });
});
