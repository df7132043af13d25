// @vitest-environment happy-dom
import { cleanup, render } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";

import { ExpiryBars, type ExpiryWeek } from "./expiry-bars";

afterEach(cleanup);

const weeks: ExpiryWeek[] = Array.from({ length: 26 }, (_, index) => ({
  week: new Date(Date.UTC(2026, 11, 7 + index * 7)).toISOString().slice(0, 10),
  count: index === 0 ? 3 : index === 5 ? 7 : 0,
  urgent: index < 5,
}));

describe("ExpiryBars", () => {
  it("draws a bar per week with expiries, urgent ones in the danger colour, each titled with its week and count", () => {
    const { container } = render(<ExpiryBars weeks={weeks} />);
    const bars = [...container.querySelectorAll("rect")];
    expect(bars.map((bar) => [bar.querySelector("title")?.textContent, bar.getAttribute("fill")])).toEqual([
      ["Week of 2026-12-07: 3 expiring", "var(--gh-danger)"],
      ["Week of 2027-01-11: 7 expiring", "var(--gh-accent)"],
    ]);
    // The taller bar is the larger count: heights in proportion.
    const [small, large] = bars.map((bar) => Number(bar.getAttribute("height")));
    expect(large! / small!).toBeCloseTo(7 / 3);
  });

  it("labels whole-number counts up to the largest week and every fourth week, and is hidden from assistive technology", () => {
    const { container } = render(<ExpiryBars weeks={weeks} />);
    const labels = [...container.querySelectorAll("text")].map((text) => text.textContent);
    expect(labels.slice(0, 5)).toEqual(["0", "2", "4", "6", "8"]);
    expect(labels.slice(5)).toEqual(["12-07", "01-04", "02-01", "03-01", "03-29", "04-26", "05-24"]);
    expect(container.firstElementChild?.getAttribute("aria-hidden")).toBe("true");
  });

  it("keeps an empty half-year readable: one tick step, no bars", () => {
    const { container } = render(<ExpiryBars weeks={weeks.map((week) => ({ ...week, count: 0 }))} />);
    expect(container.querySelectorAll("rect")).toHaveLength(0);
    expect([...container.querySelectorAll("text")].slice(0, 2).map((text) => text.textContent)).toEqual(["0", "1"]);
  });
});
