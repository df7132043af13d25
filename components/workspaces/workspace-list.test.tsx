// @vitest-environment happy-dom
import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";

import type { WorkspaceSummary } from "@/lib/workspaces/list-workspaces";
import { WorkspaceList } from "./workspace-list";

afterEach(cleanup);

const workspace = (name: string, overrides: Partial<WorkspaceSummary> = {}): WorkspaceSummary => ({
  id: `/subscriptions/s1/resourceGroups/rg-ml/providers/Microsoft.MachineLearningServices/workspaces/${name}`,
  name,
  friendlyName: null,
  subscriptionId: "s1",
  subscriptionName: "Contoso ML Production",
  resourceGroup: "rg-ml",
  location: "westeurope",
  kind: "Default",
  hubResourceId: null,
  roleAssignmentCount: 3,
  ...overrides,
});

const names = () =>
  screen
    .queryAllByRole("link")
    .filter((link) => link.getAttribute("href")?.startsWith("/workspaces/"))
    .map((link) => link.textContent);

describe("WorkspaceList", () => {
  it("shows a whole estate, filters it as you type and never asks the server", () => {
    render(<WorkspaceList workspaces={[workspace("mlw-fraud"), workspace("mlw-churn")]} total={2} skip={0} pageSize={100} searchMaxLength={64} search="" />);
    expect(screen.getByText("2 workspaces")).toBeTruthy();
    fireEvent.change(screen.getByRole("searchbox", { name: "Search workspaces" }), { target: { value: "fraud" } });
    expect(names()).toEqual(["mlw-fraud"]);
    const submit = new Event("submit", { bubbles: true, cancelable: true });
    screen.getByRole("searchbox", { name: "Search workspaces" }).closest("form")!.dispatchEvent(submit);
    expect(submit.defaultPrevented).toBe(true);
    expect(screen.queryByRole("button", { name: "Search all" })).toBeNull();
    expect(screen.queryByRole("navigation", { name: "Workspace pages" })).toBeNull();
  });

  it("pages a larger estate: the rows shown of the total, links to the neighbouring pages keeping the search, and a server search", () => {
    render(<WorkspaceList workspaces={[workspace("mlw-a"), workspace("mlw-b")]} total={250} skip={100} pageSize={100} searchMaxLength={64} search="ml" />);
    expect(screen.getByText("101–102 of 250 workspaces matching “ml”")).toBeTruthy();
    expect(screen.getByRole("link", { name: "Previous 100" }).getAttribute("href")).toBe("/workspaces?q=ml");
    expect(screen.getByRole("link", { name: "Next 50" }).getAttribute("href")).toBe("/workspaces?q=ml&skip=200");
    expect(screen.getByRole("link", { name: "Clear search" }).getAttribute("href")).toBe("/workspaces");
    const box = screen.getByRole("searchbox", { name: "Search workspaces" });
    expect(box.getAttribute("name")).toBe("q");
    expect((box as HTMLInputElement).value).toBe("ml");
    const submit = new Event("submit", { bubbles: true, cancelable: true });
    box.closest("form")!.dispatchEvent(submit);
    expect(submit.defaultPrevented).toBe(false);
  });

  it("says why a search was not run, and when a page is past the end", () => {
    render(<WorkspaceList workspaces={[]} total={12} skip={500} pageSize={100} searchMaxLength={64} search="" searchProblem="Search for letters only." />);
    expect(screen.getByRole("alert").textContent).toBe("Search for letters only.");
    expect(screen.getByText("This page is past the end of the list.")).toBeTruthy();
    expect(screen.getByRole("link", { name: "Previous 100" }).getAttribute("href")).toBe("/workspaces?skip=400");
  });
});
