// @vitest-environment happy-dom
import { act, cleanup, render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { submitAccessRequest } from "@/app/actions/requests";
import { previewBundleDelta, previewPermissionDelta, searchPrincipals } from "@/components/shared/reads";
import { RequestForm } from "./request-form";
import type { RoleChoice, WorkspaceOption } from "./use-request-form";

// The server action and the reads are the form's boundary with the server: each test says what the server answers.
vi.mock("@/app/actions/requests", () => ({ submitAccessRequest: vi.fn() }));
vi.mock("@/components/shared/reads", () => ({
  searchPrincipals: vi.fn(),
  previewPermissionDelta: vi.fn(() => new Promise(() => {})),
  previewBundleDelta: vi.fn(() => new Promise(() => {})),
}));
const router = { push: vi.fn(), refresh: vi.fn() };
vi.mock("next/navigation", () => ({ useRouter: () => router }));

const submit = vi.mocked(submitAccessRequest);
const search = vi.mocked(searchPrincipals);
const previewDelta = vi.mocked(previewPermissionDelta);
const previewBundle = vi.mocked(previewBundleDelta);

const WORKSPACES: WorkspaceOption[] = [
  {
    id: "/subscriptions/0b1f6471-1bf0-4dda-aec3-cb9272f09590/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/mlw-churn-dev",
    name: "mlw-churn-dev",
    friendlyName: "Churn (dev)",
    subscriptionName: "Data Science Dev",
  },
  {
    id: "/subscriptions/6f1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/mlw-fraud-prod",
    name: "mlw-fraud-prod",
    friendlyName: "Fraud",
    subscriptionName: "Production",
  },
];
const DAY = { value: "1d", label: "1 day" } as const;
const WEEK = { value: "7d", label: "7 days" } as const;
const ROLES: RoleChoice[] = [
  { id: "f6c7c914-8db3-469d-8ca1-694a8f32e121", name: "AzureML Data Scientist", summary: "Run experiments.", approvers: 1, durations: [DAY, WEEK] },
  { id: "b24988ac-6180-42a0-ab88-20f7382dd24c", name: "Contributor", summary: "Change anything.", warning: "Broad.", approvers: 2, durations: [DAY] },
];
const ME = { id: "11111111-1111-1111-1111-111111111111", displayName: "Ada Admin" };

function renderForm(workspaces: WorkspaceOption[] | null = WORKSPACES) {
  const user = userEvent.setup();
  render(<RequestForm workspaces={workspaces} workspaceNotice={workspaces ? undefined : "Gatehouse found no workspaces to offer."} roles={ROLES} me={ME} />);
  return user;
}

const roleRadio = (name: string) => screen.getByRole<HTMLInputElement>("radio", { name });
const durations = () => within(screen.getByRole("group", { name: "Duration" }));

beforeEach(() => {
  submit.mockReset();
  search.mockReset();
  router.push.mockReset();
});
afterEach(cleanup);

describe("RequestForm", () => {
  it("keeps every answer when the server refuses, and shows each field's message beside it", async () => {
    submit.mockResolvedValue({
      status: "error",
      code: "invalid_input",
      message: "Some fields need attention.",
      fieldErrors: { justification: ["Explain why in at least 10 characters"] },
    });
    const user = renderForm();

    await user.selectOptions(screen.getByLabelText("Workspace"), WORKSPACES[1]!.id);
    await user.click(roleRadio("AzureML Data Scientist"));
    await user.click(screen.getByRole("radio", { name: "Myself (Ada Admin)" }));
    await user.type(screen.getByLabelText("Justification"), "too short");
    await user.click(durations().getByRole("radio", { name: "7 days" }));
    await user.type(screen.getByLabelText("Ticket reference (optional)"), "INC-4711");
    await user.click(screen.getByRole("button", { name: "Send request" }));

    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain("The request was not sent.");
    expect(alert.textContent).toContain("Some fields need attention.");

    const justification = screen.getByLabelText<HTMLTextAreaElement>("Justification");
    expect(justification.getAttribute("aria-invalid")).toBe("true");
    const describedBy = justification.getAttribute("aria-describedby")?.split(" ") ?? [];
    expect(describedBy.map((id) => document.getElementById(id)?.textContent)).toContain("Explain why in at least 10 characters");

    expect(justification.value).toBe("too short");
    expect(screen.getByLabelText<HTMLSelectElement>("Workspace").value).toBe(WORKSPACES[1]!.id);
    expect(roleRadio("AzureML Data Scientist").checked).toBe(true);
    expect(screen.getByRole<HTMLInputElement>("radio", { name: "Myself (Ada Admin)" }).checked).toBe(true);
    expect(durations().getByRole<HTMLInputElement>("radio", { name: "7 days" }).checked).toBe(true);
    expect(screen.getByLabelText<HTMLInputElement>("Ticket reference (optional)").value).toBe("INC-4711");
    // Fields the server did not complain about are not marked.
    expect(screen.getByLabelText("Ticket reference (optional)").getAttribute("aria-invalid")).toBeNull();
    expect(router.push).not.toHaveBeenCalled();
  });

  it("sends what was chosen, then opens the new request", async () => {
    submit.mockResolvedValue({ status: "success", data: { id: "req-1" } });
    const user = renderForm();

    await user.selectOptions(screen.getByLabelText("Workspace"), WORKSPACES[0]!.id);
    await user.click(roleRadio("AzureML Data Scientist"));
    await user.click(screen.getByRole("radio", { name: "Myself (Ada Admin)" }));
    await user.type(screen.getByLabelText("Justification"), "Training the churn model this week.");
    await user.click(durations().getByRole("radio", { name: "1 day" }));
    await user.click(screen.getByRole("button", { name: "Send request" }));

    await waitFor(() => expect(router.push).toHaveBeenCalledWith("/requests/req-1"));
    expect(submit).toHaveBeenCalledWith({
      workspaceId: WORKSPACES[0]!.id,
      workspaceName: "mlw-churn-dev",
      roleDefinitionId: ROLES[0]!.id,
      principal: { id: ME.id, kind: "user", displayName: "Ada Admin" },
      justification: "Training the churn model this week.",
      duration: "1d",
    });
    expect((await screen.findByRole("status")).textContent).toContain("Request sent.");
  });

  it("shows what is asked for once workspace, role and person are chosen, and asks again when the role changes", async () => {
    const user = renderForm();
    expect(screen.getByText("Choose a workspace, a role and who it is for to see what the role would add to their access.")).toBeTruthy();
    await user.selectOptions(screen.getByLabelText("Workspace"), WORKSPACES[0]!.id);
    await user.click(roleRadio("AzureML Data Scientist"));
    await user.click(screen.getByRole("radio", { name: "Myself (Ada Admin)" }));
    expect(screen.getByRole("region", { name: "What you are asking for" })).toBeTruthy();
    expect(previewDelta).toHaveBeenLastCalledWith({ workspaceId: WORKSPACES[0]!.id, roleDefinitionId: ROLES[0]!.id, principalId: ME.id });
    await user.click(roleRadio("Contributor"));
    expect(previewDelta).toHaveBeenLastCalledWith({ workspaceId: WORKSPACES[0]!.id, roleDefinitionId: ROLES[1]!.id, principalId: ME.id });
  });

  it("for a bundle, shows what the bundle asks for part by part (the server places it), not the workspace role's delta", async () => {
    const user = userEvent.setup();
    const bundle: RoleChoice = {
      id: "bundle:data-scientist",
      name: "Data scientist (bundle)",
      summary: "What a data scientist needs.",
      approvers: 1,
      durations: [WEEK],
      bundle: { id: "data-scientist", parts: [{ roleName: "AzureML Data Scientist", on: "workspace", why: "The workspace role itself." }] },
    };
    render(<RequestForm workspaces={WORKSPACES} workspaceNotice={undefined} roles={[...ROLES, bundle]} me={ME} />);
    await user.selectOptions(screen.getByLabelText("Workspace"), WORKSPACES[1]!.id);
    await user.click(roleRadio("Data scientist (bundle)"));
    await user.click(screen.getByRole("radio", { name: "Myself (Ada Admin)" }));
    expect(screen.getByRole("region", { name: "What you are asking for" })).toBeTruthy();
    expect(previewBundle).toHaveBeenLastCalledWith({ workspaceId: WORKSPACES[1]!.id, bundleId: "data-scientist", principalId: ME.id });
    expect(previewDelta).not.toHaveBeenCalledWith(expect.objectContaining({ roleDefinitionId: "bundle:data-scientist" }));
  });

  it("offers durations only once a role is chosen, and drops a duration the new role does not allow, saying so", async () => {
    const user = renderForm();
    expect(screen.getByText("Choose a role first: each role allows different durations.")).toBeTruthy();
    expect(durations().queryAllByRole("radio")).toHaveLength(0);

    await user.click(roleRadio("AzureML Data Scientist"));
    await user.click(durations().getByRole("radio", { name: "7 days" }));
    await user.click(roleRadio("Contributor"));
    expect(
      durations()
        .getAllByRole("radio")
        .map((radio) => radio.getAttribute("value")),
    ).toEqual(["1d"]);
    expect(
      durations()
        .getAllByRole<HTMLInputElement>("radio")
        .some((radio) => radio.checked),
    ).toBe(false);
    const notice = "Contributor cannot be asked for 7 days: choose a duration again.";
    expect(durations().getByText(notice)).toBeTruthy();
    expect(screen.getByRole("group", { name: "Duration" }).getAttribute("aria-describedby")).toBe(durations().getByText(notice).id);

    await user.click(durations().getByRole("radio", { name: "1 day" }));
    expect(durations().queryByText(notice)).toBeNull();
    await user.click(roleRadio("AzureML Data Scientist"));
    expect(durations().getByRole<HTMLInputElement>("radio", { name: "1 day" }).checked).toBe(true);
    expect(durations().queryByText(/choose a duration again/)).toBeNull();
  });

  it("keeps a duration chosen while the preview is worked out when the preview's answer lands", async () => {
    let answer: (result: Awaited<ReturnType<typeof previewPermissionDelta>>) => void = () => {};
    previewDelta.mockImplementationOnce(() => new Promise((resolve) => (answer = resolve)));
    const user = renderForm();
    await user.selectOptions(screen.getByLabelText("Workspace"), WORKSPACES[0]!.id);
    await user.click(roleRadio("AzureML Data Scientist"));
    await user.click(screen.getByRole("radio", { name: "Myself (Ada Admin)" }));
    await user.click(durations().getByRole("radio", { name: "7 days" }));
    expect(screen.getByRole("region", { name: "What you are asking for" }).getAttribute("aria-busy")).toBe("true");

    await act(async () => {
      answer({ status: "error", code: "upstream_unavailable", message: "ARM did not answer." });
      await Promise.resolve();
    });
    const preview = screen.getByRole("region", { name: "What you are asking for" });
    expect(preview.getAttribute("aria-busy")).toBeNull();
    expect(durations().getByRole<HTMLInputElement>("radio", { name: "7 days" }).checked).toBe(true);
    // The preview comes after every field: its answer, however long, moves none of them.
    const fields = [
      screen.getByRole("group", { name: "Duration" }),
      screen.getByLabelText("Justification"),
      screen.getByLabelText("Ticket reference (optional)"),
    ];
    for (const field of fields) expect(field.compareDocumentPosition(preview) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();
  });

  it("narrows the workspace list as you search, and keeps the chosen one in it", async () => {
    const user = renderForm();
    await user.selectOptions(screen.getByLabelText("Workspace"), WORKSPACES[0]!.id);
    await user.type(screen.getByLabelText("Search workspaces"), "fraud");

    const options = within(screen.getByLabelText("Workspace")).getAllByRole("option");
    expect(options.map((option) => option.getAttribute("value"))).toEqual(WORKSPACES.map((workspace) => workspace.id));
    await user.clear(screen.getByLabelText("Search workspaces"));
    await user.type(screen.getByLabelText("Search workspaces"), "production");
    expect(screen.getByText("2 of 2 workspaces shown; chosen: mlw-churn-dev")).toBeTruthy();
    await user.selectOptions(screen.getByLabelText("Workspace"), WORKSPACES[1]!.id);
    expect(within(screen.getByLabelText("Workspace")).getAllByRole("option")).toHaveLength(1);
    expect(screen.getByText("1 of 2 workspaces shown; chosen: mlw-fraud-prod")).toBeTruthy();
  });

  it("without a workspace list, asks for the resource id and flags one that is not a workspace while typing", async () => {
    const user = renderForm(null);
    const input = screen.getByLabelText("Workspace resource id");
    expect(screen.getByText(/Gatehouse found no workspaces to offer\./)).toBeTruthy();

    await user.type(input, "/subscriptions/0b1f6471-1bf0-4dda-aec3-cb9272f09590/resourceGroups/rg");
    expect(input.getAttribute("aria-invalid")).toBe("true");
    expect(screen.getByText("This is not an Azure ML workspace id.")).toBeTruthy();

    await user.clear(input);
    await user.type(input, WORKSPACES[0]!.id);
    expect(input.getAttribute("aria-invalid")).toBeNull();
    expect(screen.queryByText("This is not an Azure ML workspace id.")).toBeNull();
  });

  it("finds someone else in the directory and shows who was chosen", async () => {
    search.mockResolvedValue({
      status: "success",
      data: [{ id: "22222222-2222-2222-2222-222222222222", kind: "user", displayName: "Noah Newhire", secondaryId: "noah@contoso.test" }],
    });
    const user = renderForm();
    expect(screen.getByText("Nobody chosen yet.")).toBeTruthy();

    await user.type(screen.getByRole("combobox", { name: "Person, group or service principal" }), "noah");
    await user.click(await screen.findByRole("option", { name: /Noah Newhire/ }));

    expect(search).toHaveBeenCalledWith({ query: "noah" });
    expect(screen.getByText(/Chosen:/).textContent).toBe("Chosen: Noah Newhire (noah@contoso.test)");
  });
});
