// @vitest-environment happy-dom
import { cleanup, render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";

import { previewPermissionDelta } from "@/components/shared/reads";
import type { GrantedOperation } from "@/lib/permissions/expand-role";
import type { PermissionDeltaPreview } from "@/lib/permissions/preview-permission-delta";
import { PermissionDelta, PermissionDeltaView } from "./permission-delta";

// The read is the component's boundary with the server: each test says what it answers.
vi.mock("@/components/shared/reads", () => ({ previewPermissionDelta: vi.fn() }));
const preview = vi.mocked(previewPermissionDelta);

afterEach(() => {
  cleanup();
  preview.mockReset();
});

const ML = "Microsoft.MachineLearningServices/workspaces";
function operation(name: string, verb: GrantedOperation["verb"], readsSecrets = false, plane: GrantedOperation["plane"] = "control"): GrantedOperation {
  return { name, plane, verb, readsSecrets, resourceType: name.split("/").slice(0, -1).join("/") };
}
const COMPUTE_WRITE = operation(`${ML}/computes/write`, "write");
const LIST_KEYS = operation(`${ML}/listKeys/action`, "action", true);
const BLOB_READ = operation("Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read", "read", false, "data");

function deltaPreview(overrides: Partial<PermissionDeltaPreview> = {}): PermissionDeltaPreview {
  return {
    scope: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/mlw-churn-prod",
    target: { kind: "workspace", name: "mlw-churn-prod" },
    principal: { id: "p", displayName: "Taylor Team-Lead", kind: "user" },
    roles: [{ id: "r", name: "Contributor" }],
    currentAccess: "read",
    currentAccessNotice: null,
    held: [],
    coveredBy: [],
    delta: {
      control: [
        {
          plane: "control",
          resourceType: `${ML}/computes`,
          verb: "write",
          readsSecrets: false,
          label: "create and change compute",
          operations: [COMPUTE_WRITE],
        },
        {
          plane: "control",
          resourceType: ML,
          verb: "action",
          readsSecrets: true,
          label: "read the workspace's keys and storage keys",
          operations: [LIST_KEYS],
        },
      ],
      data: [{ plane: "data", resourceType: BLOB_READ.resourceType, verb: "read", readsSecrets: false, label: "read blobs", operations: [BLOB_READ] }],
      dangers: [
        { kind: "all_actions", operations: ["*"] },
        { kind: "secret_read", operations: [LIST_KEYS.name] },
      ],
      uncatalogued: [{ plane: "control", pattern: "*", excluded: [], role: "Contributor" }],
      alreadyCovered: false,
      atLeast: true,
    },
    summary: { count: 3, notable: COMPUTE_WRITE.name },
    denies: [],
    ineffectiveExclusions: [],
    ...overrides,
  };
}

describe("PermissionDeltaView", () => {
  it("counts what is gained naming the most consequential operation, flags dangers and keeps the planes apart", () => {
    render(<PermissionDeltaView preview={deltaPreview()} title="What you are asking for" />);
    const section = screen.getByRole("region", { name: "What you are asking for" });
    expect(within(section).getByTestId("permission-delta-summary").textContent).toContain(`+ at least 3 operations, including ${COMPUTE_WRITE.name}`);
    expect(within(section).getByRole("list", { name: "Needs care" }).textContent).toMatch(/every action \(\*\).*Reads secrets/);
    expect(
      within(within(section).getByRole("list", { name: "Control plane" }))
        .getAllByRole("listitem")
        .map((item) => item.textContent),
    ).toEqual(["create and change compute (1 operation)", "read the workspace's keys and storage keys secret (1 operation)"]);
    expect(within(section).getByRole("list", { name: "Data plane" }).textContent).toContain("read blobs");
    expect(within(section).getByRole("note").textContent).toContain("At least: these patterns reach beyond");
    expect(within(section).getByText("Holds no role on this workspace now.")).toBeTruthy();
    expect(screen.queryByText(/Nothing new/)).toBeNull();
  });

  it("keeps the raw operations one click away", async () => {
    const user = userEvent.setup();
    render(<PermissionDeltaView preview={deltaPreview()} title="What you are about to give" />);
    const operations = screen.getByRole("list", { name: "Operations", hidden: true });
    const disclosure = operations.closest("details")!;
    expect(disclosure.open).toBe(false);
    await user.click(screen.getByText("Show the 3 operations"));
    expect(disclosure.open).toBe(true);
    expect(
      within(operations)
        .getAllByRole("listitem")
        .map((item) => item.textContent),
    ).toEqual([COMPUTE_WRITE.name, LIST_KEYS.name, `${BLOB_READ.name} (data)`]);
  });

  it("says nothing new, naming the role and the path that covers it", () => {
    const covered = { roleName: "AzureML Data Scientist", origin: "workspace" as const, via: ["DS - Fraud"], assignedTo: "DS - Fraud", conditional: false };
    render(
      <PermissionDeltaView
        preview={deltaPreview({
          roles: [{ id: "r", name: "AzureML Data Scientist" }],
          held: [covered],
          coveredBy: [covered],
          delta: { control: [], data: [], dangers: [], uncatalogued: [], alreadyCovered: true, atLeast: false },
          summary: { count: 0, notable: null },
        })}
        title="What you are asking for"
      />,
    );
    expect(screen.getByTestId("permission-delta-summary").textContent).toContain(
      "Nothing new — already covered by AzureML Data Scientist through DS - Fraud on this workspace.",
    );
    expect(screen.queryByText(/Show the/)).toBeNull();
  });

  it("never says nothing new when current access is unknown: it says so and shows everything the role allows", () => {
    render(
      <PermissionDeltaView
        preview={deltaPreview({
          currentAccess: "unknown",
          currentAccessNotice: "Gatehouse could not read current access; this is everything the role allows.",
        })}
        title="What you are asking for"
      />,
    );
    expect(screen.getByText("Gatehouse could not read current access; this is everything the role allows.")).toBeTruthy();
    expect(screen.getByTestId("permission-delta-summary").textContent).toContain("+ at least 3 operations");
    expect(screen.queryByText(/Nothing new/)).toBeNull();
    expect(screen.queryByText(/Holds no role/)).toBeNull();
  });

  it("names deny assignments that still refuse operations and exclusions that remove nothing", () => {
    render(
      <PermissionDeltaView
        preview={deltaPreview({
          denies: [{ name: "Deployment stack lock", operations: [`${ML}/write`] }],
          ineffectiveExclusions: [{ role: "AzureML Data Scientist", plane: "control", pattern: `${ML}/computes/*/write` }],
        })}
        title="What you are asking for"
      />,
    );
    expect(screen.getByRole("list", { name: "Deny assignments" }).textContent).toContain(
      `Still refused by the deny assignment “Deployment stack lock”: 1 of these operation (${ML}/write).`,
    );
    expect(screen.getByRole("list", { name: "Exclusions that remove nothing" }).textContent).toContain("this exclusion removes nothing Gatehouse knows of");
  });
});

describe("PermissionDelta", () => {
  const ids = { workspaceId: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/w", principalId: "p" };

  it("shows a plain loading state, then the delta; a new role loads again and only the newest answer is shown", async () => {
    let resolveFirst: (value: Awaited<ReturnType<typeof previewPermissionDelta>>) => void = () => {};
    preview.mockImplementationOnce(() => new Promise((resolve) => (resolveFirst = resolve)));
    preview.mockResolvedValueOnce({ status: "success", data: deltaPreview({ roles: [{ id: "r2", name: "Reader" }], summary: { count: 1, notable: null } }) });
    const { rerender } = render(<PermissionDelta {...ids} roleDefinitionId="r1" title="What you are asking for" />);
    expect(screen.getByText("Working out what this role adds…").getAttribute("aria-live")).toBe("polite");
    rerender(<PermissionDelta {...ids} roleDefinitionId="r2" title="What you are asking for" />);
    await waitFor(() => expect(screen.getByTestId("permission-delta-summary").textContent).toContain("+ at least 1 operation"));
    // The first, slower answer arrives late and is ignored.
    resolveFirst({ status: "success", data: deltaPreview() });
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(screen.getByText("Reader for Taylor Team-Lead")).toBeTruthy();
    expect(preview).toHaveBeenLastCalledWith({ ...ids, roleDefinitionId: "r2" });
  });

  it("shows the server's message and reference when the delta cannot be worked out", async () => {
    preview.mockResolvedValue({
      status: "error",
      code: "upstream_unavailable",
      message: "Azure Resource Manager is having problems. Try again in a minute.",
      reference: "ref-1",
    });
    render(<PermissionDelta {...ids} roleDefinitionId="r1" title="What you are about to give" />);
    expect((await screen.findByRole("alert")).textContent).toContain(
      "Gatehouse could not work out what this role adds. Azure Resource Manager is having problems. Try again in a minute. (reference ref-1 — quote this to support)",
    );
  });
});
