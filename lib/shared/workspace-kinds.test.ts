import { describe, expect, it } from "vitest";

import { groupProjectsUnderHubs, type WorkspaceKind } from "./workspace-kinds";

const HUB = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/hub-a";
const w = (name: string, kind: WorkspaceKind = "Default", hubResourceId: string | null = null) => ({
  id: `/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/${name}`,
  name,
  kind,
  hubResourceId,
});

describe("groupProjectsUnderHubs", () => {
  it("puts each project right under its hub, and leaves the rest in order", () => {
    const rows = groupProjectsUnderHubs([w("alpha"), w("hub-a", "Hub"), w("mlw-x"), w("proj-z", "Project", HUB), w("proj-b", "Project", HUB.toUpperCase())]);
    expect(rows.map((row) => [row.workspace.name, row.underHub, row.hubName])).toEqual([
      ["alpha", false, null],
      ["hub-a", false, null],
      ["proj-b", true, "hub-a"],
      ["proj-z", true, "hub-a"],
      ["mlw-x", false, null],
    ]);
  });

  it("keeps a project whose hub is not listed where it is, naming the hub from its id", () => {
    const rows = groupProjectsUnderHubs([w("proj-z", "Project", HUB), w("beta")]);
    expect(rows.map((row) => [row.workspace.name, row.underHub, row.hubName])).toEqual([
      ["proj-z", false, "hub-a"],
      ["beta", false, null],
    ]);
  });
});
