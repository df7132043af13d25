import { describe, expect, it } from "vitest";

import { searchAuditEvents } from "@/lib/audit";
import { getDatabase } from "@/lib/db";
import { delegatedGraphClient } from "@/lib/graph/client";
import { workspaceScope } from "@/lib/shared/arm-scope";
import { grantWorkspaceRoles } from "@/lib/workspaces/grant-workspace-roles";
import { revokeWorkspaceRoles } from "@/lib/workspaces/revoke-workspace-roles";
import { createTenant } from "@/sandbox/tenant/index";
import { personaContext } from "@/test/support/persona-token";
import { collectDrift, workspaceAssignments } from "./collect";
import { previewMembers, transitiveMemberCount } from "./directory";
import { latestDriftReport, runScheduledDriftCheck } from "./drift-job";
import { exportMappingsDocument, importMappingsDocument } from "./mapping-document";
import { createMapping, deleteMapping, importWorkspaceGroupAssignments } from "./mappings";
import { applyReconcile } from "./reconcile";
import { listMappings } from "./store";

const DATA_SCIENTIST = "f6c7c914-8db3-469d-8ca1-694a8f32e121";
const COMPUTE_OPERATOR = "e503ece1-11d0-4e8e-8e2c-7a6c3bf38815";
// The only workspace these tests change in the shared sandbox (others are compared against the seed elsewhere).
const MUTATED_WORKSPACE = "mlw-recsys-prod";
const oracle = createTenant({ seed: 1, scale: "default" });
const target = [...oracle.workspaces.values()].find((workspace) => workspace.name === MUTATED_WORKSPACE)!;
const WORKSPACE = workspaceScope(target.subscriptionId, target.resourceGroup, target.name);
const atWorkspace = [...oracle.roleAssignments.values()].filter((a) => a.scope.toLowerCase() === WORKSPACE.toLowerCase());
const holdsSomethingHere = new Set(atWorkspace.map((a) => a.principalId));
// A group with user members that holds nothing on the workspace yet.
const group = [...oracle.groups.values()].find(
  (candidate) =>
    !holdsSomethingHere.has(candidate.id) && oracle.transitiveMemberIds(candidate.id).some((id) => oracle.users.has(id) && !holdsSomethingHere.has(id)),
)!;
const member = oracle.transitiveMemberIds(group.id).find((id) => oracle.users.has(id) && !holdsSomethingHere.has(id))!;

async function actionsFor(principalId: string) {
  return (await searchAuditEvents(await getDatabase(), { principalId }, { size: 100 })).events.map((event) => `${event.action}:${event.outcome}`).reverse();
}

async function drift(admin: Awaited<ReturnType<typeof personaContext>>) {
  const report = await collectDrift(await getDatabase(), { kind: "delegated", caller: admin.caller }, delegatedGraphClient(admin.caller), {
    workspaceId: WORKSPACE,
  });
  return report.workspaces[0]!.items;
}

describe("group mappings against the sandbox tenant (changes only mlw-recsys-prod)", () => {
  it("maps a group: the mapping row, its event and the group's assignment", async () => {
    const admin = await personaContext("admin");
    const { mapping, grant } = await createMapping(admin, { workspaceId: WORKSPACE, groupId: group.id, roleDefinitionId: DATA_SCIENTIST });
    expect(grant.status).toBe("granted");
    expect(mapping).toMatchObject({
      groupId: group.id,
      groupDisplayName: group.displayName,
      roleName: "AzureML Data Scientist",
      createdBy: admin.person.userPrincipalName,
    });
    const assignments = await workspaceAssignments({ kind: "delegated", caller: admin.caller }, WORKSPACE);
    expect(assignments.find((a) => a.principalId === group.id && a.roleDefinitionId === DATA_SCIENTIST)?.principalType).toBe("Group");
    expect(await actionsFor(group.id)).toEqual([
      "mapping.created:succeeded",
      "role_assignment.grant_requested:succeeded",
      "role_assignment.granted:succeeded",
      "assignment.holder_added:succeeded",
    ]);
    await expect(createMapping(admin, { workspaceId: WORKSPACE, groupId: group.id, roleDefinitionId: DATA_SCIENTIST })).rejects.toMatchObject({
      code: "conflict",
    });
    expect((await listMappings(await getDatabase(), WORKSPACE)).length).toBe(1);
  });

  it("removes a mapping again, with its own event, when ARM refuses the grant", async () => {
    const limited = await personaContext("limited-admin");
    const { mapping, grant } = await createMapping(limited, { workspaceId: WORKSPACE, groupId: group.id, roleDefinitionId: COMPUTE_OPERATOR });
    expect(mapping).toBeNull();
    expect(grant.status).toBe("failed");
    expect(grant.message).toContain("can't manage access on mlw-recsys-prod");
    expect((await listMappings(await getDatabase(), WORKSPACE)).map((m) => m.roleDefinitionId)).toEqual([DATA_SCIENTIST]);
    expect((await actionsFor(group.id)).slice(-4)).toEqual([
      "mapping.created:succeeded",
      "role_assignment.grant_requested:succeeded",
      "role_assignment.grant_failed:failed",
      "mapping.deleted:succeeded",
    ]);
  });

  it("shows member counts and a member preview with search", async () => {
    const admin = await personaContext("admin");
    const client = delegatedGraphClient(admin.caller);
    const expected = oracle.transitiveMemberIds(group.id).length;
    expect(await transitiveMemberCount(client, group.id)).toBe(expected);
    const preview = await previewMembers(client, group.id, undefined);
    expect(preview.members.length).toBe(Math.min(50, expected));
    const someone = oracle.users.get(member)!;
    const searched = await previewMembers(client, group.id, someone.displayName.split(" ")[0]);
    expect(searched.members.map((m) => m.id)).toContain(member);
  });

  it("reports drift with reasons and reconciles the confirmed plan items", async () => {
    const admin = await personaContext("admin");
    const user = oracle.users.get(member)!;
    // Drift made outside the mapping: a direct assignment for a member, and the group's assignment removed.
    await grantWorkspaceRoles(admin, {
      workspaceId: WORKSPACE,
      roleDefinitionId: DATA_SCIENTIST,
      principals: [{ id: member, kind: "user", displayName: user.displayName }],
    });
    const groupAssignment = (await workspaceAssignments({ kind: "delegated", caller: admin.caller }, WORKSPACE)).find((a) => a.principalId === group.id)!;
    // The mapping holds that assignment: removing it asks first, naming the mapping, then ends the mapping's hold.
    const [asked] = await revokeWorkspaceRoles(admin, { workspaceId: WORKSPACE, assignmentIds: [groupAssignment.assignmentId], confirmSelfLockout: false });
    expect(asked).toMatchObject({ status: "needs_confirmation" });
    expect(asked!.holders?.map((holder) => holder.label)).toEqual([`Mapping of group ${group.displayName}`]);
    const acknowledged = asked!.holders!.map((holder) => holder.id);
    expect(
      (
        await revokeWorkspaceRoles(admin, {
          workspaceId: WORKSPACE,
          assignmentIds: [groupAssignment.assignmentId],
          confirmSelfLockout: false,
          acknowledgedHolderIds: acknowledged,
        })
      )[0]!.status,
    ).toBe("revoked");

    const items = await drift(admin);
    const missing = items.find((item) => item.kind === "missing")!;
    const redundant = items.find((item) => item.kind === "redundant_direct" && item.principalId === member)!;
    expect(missing).toMatchObject({ principalId: group.id, change: "grant" });
    expect(redundant).toMatchObject({ principalId: member, change: "revoke", dependsOn: missing.key });
    expect(redundant.reason).toContain(group.displayName);
    // Seeded group assignments on the workspace are not mapped yet.
    expect(items.filter((item) => item.kind === "unmapped_group").length).toBe(
      atWorkspace.filter((a) => a.principalType === "Group" && oracle.groups.has(a.principalId)).length,
    );

    // Only the redundant delete, without its create: skipped, so the member never loses access.
    const [skipped] = await applyReconcile(admin, { workspaceId: WORKSPACE, keys: [redundant.key] });
    expect(skipped).toMatchObject({ status: "skipped" });
    const results = await applyReconcile(admin, { workspaceId: WORKSPACE, keys: [missing.key, redundant.key, "revoke:/not/in/the/plan"] });
    expect(results.map((result) => result.status)).toEqual(["applied", "applied", "skipped"]);
    const after = await drift(admin);
    expect(after.filter((item) => item.kind === "missing" || item.principalId === member)).toEqual([]);
    expect((await actionsFor(member)).slice(-5)).toEqual([
      "reconcile.item_failed:failed",
      "role_assignment.revoke_requested:succeeded",
      "role_assignment.revoked:succeeded",
      "assignment.holder_released:succeeded",
      "reconcile.item_applied:succeeded",
    ]);
    expect((await actionsFor(group.id)).slice(-4)).toEqual([
      "role_assignment.grant_requested:succeeded",
      "role_assignment.granted:succeeded",
      "assignment.holder_added:succeeded",
      "reconcile.item_applied:succeeded",
    ]);
  });

  it("imports a workspace's group assignments as mappings in one step", async () => {
    const admin = await personaContext("admin");
    const result = await importWorkspaceGroupAssignments(admin, WORKSPACE);
    expect(result.unchanged).toBe(1);
    expect(result.created.length).toBeGreaterThan(0);
    expect((await drift(admin)).filter((item) => item.kind === "unmapped_group")).toEqual([]);
    const again = await importWorkspaceGroupAssignments(admin, WORKSPACE);
    expect(again.created).toEqual([]);
    const imported = (await searchAuditEvents(await getDatabase(), { actions: ["mapping.imported"] }, { size: 5 })).events;
    expect(imported[0]?.details).toMatchObject({ created: 0 });
  });

  it("round-trips mappings through an exported document, with a dry run first", async () => {
    const admin = await personaContext("admin");
    const db = await getDatabase();
    const before = await listMappings(db);
    const document = exportMappingsDocument(before);
    const ours = before.find((m) => m.groupId === group.id)!;
    const removed = await deleteMapping(admin, { mappingId: ours.id, revokeAssignment: true });
    expect(removed.deleted).toBe(true);
    expect(removed.assignment).toBe("removed");

    const dryRun = await importMappingsDocument(admin, { document, dryRun: true, revokeRemoved: false });
    expect(dryRun.plan.creates.map((entry) => entry.groupId)).toEqual([group.id]);
    expect(dryRun.plan.deletes).toEqual([]);
    expect(dryRun.plan.unchanged.length).toBe(before.length - 1);
    expect((await listMappings(db)).length).toBe(before.length - 1);

    const applied = await importMappingsDocument(admin, { document, dryRun: false, revokeRemoved: false, sourceName: "mappings.json" });
    expect(applied.results.map((r) => r.ok)).toEqual([true]);
    const key = (m: { scope: string; groupId: string; roleDefinitionId: string }) => `${m.scope.toLowerCase()}|${m.groupId}|${m.roleDefinitionId}`;
    expect((await listMappings(db)).map(key).sort()).toEqual(before.map(key).sort());
    expect((await drift(admin)).filter((item) => item.kind === "missing")).toEqual([]);
  });

  it("runs the scheduled check as the console's own identity and stores the latest report with its time", async () => {
    const db = await getDatabase();
    const counts = await runScheduledDriftCheck(db);
    expect(counts.workspaces).toBeGreaterThan(5);
    const latest = await latestDriftReport(db);
    expect(latest?.report.workspaces.find((w) => w.workspaceName === MUTATED_WORKSPACE)?.mappingCount).toBeGreaterThan(1);
    expect(Date.parse(latest!.checkedAt)).toBeGreaterThan(Date.now() - 60_000);
  });
});
