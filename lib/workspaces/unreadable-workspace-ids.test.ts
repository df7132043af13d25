/**
 * A workspace id Gatehouse cannot read as a scope is shown and logged, never silently left out of the list (the
 * workspace would otherwise look as if it did not exist). Runs on a sandbox of its own: it adds such a workspace.
 */
import { afterAll, describe, expect, it } from "vitest";

import { workspaceArmId } from "@/sandbox/tenant/arm-ids";
import { startPrivateSandbox } from "@/test/support/private-sandbox";

const tenant = await startPrivateSandbox();
const { listWorkspaces } = await import("./list-workspaces");
const { readWorkspaceAccess } = await import("@/lib/credentials/access");
const { personaContext } = await import("@/test/support/persona-token");

const model = tenant.sandbox.tenant;
const fraud = [...model.workspaces.values()].find((workspace) => workspace.name === "mlw-fraud-prod")!;
// A dot is not allowed in a workspace name, so Gatehouse's parser refuses the id: a stand-in for any id it cannot read.
model.addWorkspace({ ...fraud, name: "mlw.odd", workspaceId: "00000000-0000-4000-8000-0000000000dd" });
const oddId = workspaceArmId(fraud.subscriptionId, fraud.resourceGroup, "mlw.odd");

afterAll(async () => {
  await tenant.close();
});

describe("workspace ids Gatehouse cannot read", () => {
  it("are returned for the workspaces page to show, and the readable workspaces still list", async () => {
    const { workspaces, unreadableIds } = await listWorkspaces({ kind: "delegated", caller: (await personaContext("admin")).caller });
    expect(unreadableIds).toEqual([oddId]);
    expect(workspaces.some((workspace) => workspace.name === "mlw-fraud-prod")).toBe(true);
    expect(workspaces.some((workspace) => workspace.name === "mlw.odd")).toBe(false);
  });

  it("are named in the credentials dashboard's warnings", async () => {
    const access = await readWorkspaceAccess();
    expect(access.warnings).toEqual(expect.arrayContaining([expect.stringContaining(oddId)]));
  });
});
