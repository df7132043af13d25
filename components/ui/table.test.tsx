// @vitest-environment happy-dom
import { cleanup, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";

import { TableHeader } from "./table";

afterEach(cleanup);

describe("TableHeader", () => {
  it("gives each column a scoped heading, leaves out columns whose condition did not hold, and keeps extra classes", () => {
    const showRequester = false;
    render(
      <table aria-label="Requests">
        <TableHeader columns={["Status", showRequester && "Asked by", undefined, { label: "Count", className: "text-right" }]} />
      </table>,
    );
    const headings = screen.getAllByRole("columnheader");
    expect(headings.map((heading) => heading.textContent)).toEqual(["Status", "Count"]);
    expect(headings.every((heading) => heading.getAttribute("scope") === "col")).toBe(true);
    expect(headings[1]!.className).toContain("text-right");
  });
});
