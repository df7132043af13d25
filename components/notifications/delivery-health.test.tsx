// @vitest-environment happy-dom
import { cleanup, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";

import { DeliveryHealthTable, GivenUpTable } from "./delivery-health";

afterEach(cleanup);

const healthy = { configured: true, pending: 0, sentLast24h: 3, gaveUp: 0, lastFailureAt: null, lastFailure: null };

describe("DeliveryHealthTable", () => {
  it("shows each channel's name, kind, host and counts, marks a failing one with its last failure, and a channel no longer configured", () => {
    render(
      <DeliveryHealthTable
        rows={[
          { ...healthy, name: "ml-platform", kind: "teams", host: "prod-23.westeurope.logic.azure.com" },
          {
            ...healthy,
            name: "fraud",
            kind: "slack",
            host: "hooks.slack.com",
            gaveUp: 2,
            lastFailureAt: "2026-12-06T11:57:00.000Z",
            lastFailure: "Slack channel fraud answered 410 (channel_is_archived): the channel is gone or archived; not retried",
          },
          { ...healthy, name: "retired", kind: "teams", host: null, configured: false, pending: 1 },
          { ...healthy, name: "mail", kind: "mail", host: "gatehouse@contoso.com" },
        ]}
      />,
    );
    const rows = screen.getAllByRole("row").slice(1);
    expect(rows.map((row) => [...row.querySelectorAll("td")].map((cell) => cell.textContent))).toEqual([
      ["ml-platform", "Teams (Workflows)", "prod-23.westeurope.logic.azure.com", "0", "3", "0", "—"],
      [
        "fraud",
        "Slack",
        "hooks.slack.com",
        "0",
        "3",
        "2",
        "2026-12-06 11:57 UTCSlack channel fraud answered 410 (channel_is_archived): the channel is gone or archived; not retried",
      ],
      ["retired(no longer configured)", "—", "—", "1", "3", "0", "—"],
      ["mail", "Mail (Graph)", "gatehouse@contoso.com", "0", "3", "0", "—"],
    ]);
    expect(rows.map((row) => row.className.includes("bg-warning-subtle"))).toEqual([false, true, false, false]);
  });
});

describe("GivenUpTable", () => {
  it("lists what was given up with why, and says so when nothing was", () => {
    const { unmount } = render(<GivenUpTable rows={[]} />);
    expect(document.body.textContent).toBe("Nothing has been given up.");
    unmount();
    render(
      <GivenUpTable
        rows={[
          {
            id: 1,
            via: "mail",
            recipient: "lee@contoso.test",
            subject: "Your access request was granted",
            attempts: 5,
            lastError: "Graph refused",
            lastAttemptAt: "2026-12-06T10:00:00.000Z",
          },
        ]}
      />,
    );
    expect([...screen.getAllByRole("row")[1]!.querySelectorAll("td")].map((cell) => cell.textContent)).toEqual([
      "2026-12-06 10:00 UTC",
      "maillee@contoso.test",
      "Your access request was granted",
      "5",
      "Graph refused",
    ]);
  });
});
