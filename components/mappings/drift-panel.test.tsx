// @vitest-environment happy-dom
import { cleanup, render, screen, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";

import type { WorkspaceDrift } from "@/lib/mappings/collect";
import { DriftPanel } from "./drift-panel";

vi.mock("@/app/actions/mappings", () => ({ applyReconcile: vi.fn() }));
vi.mock("@/components/shared/reads", () => ({ checkMappingDrift: vi.fn() }));
vi.mock("next/navigation", () => ({ useRouter: () => ({ refresh: vi.fn() }) }));

afterEach(cleanup);

const workspace = (name: string, overrides: Partial<WorkspaceDrift> = {}): WorkspaceDrift => ({
  workspaceId: `/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/${name}`,
  workspaceName: name,
  mappingCount: 2,
  items: [],
  error: null,
  ...overrides,
});

describe("DriftPanel", () => {
  it("names each mapped group whose members could not be read, even on a workspace with no drift found", () => {
    render(
      <DriftPanel
        workspaces={[]}
        canAdmin
        latest={{
          checkedAt: "2026-12-04T10:00:00.000Z",
          holder: "test",
          report: {
            generatedAt: "2026-12-04T10:00:00.000Z",
            principalsResolved: true,
            workspaces: [workspace("mlw-quiet"), workspace("mlw-partly-read", { unreadGroups: ["DS - Churn", "All ML Staff"] })],
          },
        }}
      />,
    );
    const report = screen.getByRole("region", { name: "Drift report" });
    expect(within(report).queryByRole("group", { name: "Drift on mlw-quiet" })).toBeNull();
    const partly = within(report).getByRole("group", { name: "Drift on mlw-partly-read" });
    expect(partly.textContent).toContain("Could not read group DS - Churn's members");
    expect(partly.textContent).toContain("Could not read group All ML Staff's members");
  });
});
