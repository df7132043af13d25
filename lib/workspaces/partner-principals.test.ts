/**
 * Principals the directory lookup does not return, and that are not deleted, on a sandbox tenant of this file's own
 * (seeded as the file starts, so its user "created moments ago" is still inside its replication lag): a CSP partner's
 * AdminAgents group (ForeignGroup), that fresh user, and an orphan whose getByIds answer came from a lagging replica.
 * None is offered for orphan clean-up, and the server refuses to remove them as orphans whatever the browser sent.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";

import type * as Principals from "@/lib/graph/principals";
import { workspaceScope } from "@/lib/shared/arm-scope";
import { createTenant, ROLE_IDS } from "@/sandbox/tenant/index";
import { SEEDED_PARTNER } from "@/sandbox/tenant/seed";
import { putTestAssignment } from "@/sandbox/tenant/testing/support";
import { type PrivateSandbox, startPrivateSandbox } from "@/test/support/private-sandbox";

/** Ids the mocked getByIds leaves out, as a replica that has not caught up would. */
const lagging = new Set<string>();
vi.mock("@/lib/graph/principals", async (importOriginal) => {
  const original = await importOriginal<typeof Principals>();
  return {
    ...original,
    assignedPrincipalResolver: (...args: Parameters<typeof original.assignedPrincipalResolver>) => {
      const resolver = original.assignedPrincipalResolver(...args);
      return {
        add: (ids: Iterable<string>) => resolver.add(ids),
        settled: async () => {
          const lookup = await resolver.settled();
          return { ...lookup, found: new Map([...lookup.found].filter(([id]) => !lagging.has(id))) };
        },
      };
    },
  };
});

const tenant: PrivateSandbox = await startPrivateSandbox();

const { getWorkspaceAccess } = await import("@/lib/workspaces/get-workspace-access");
const { collectDrift } = await import("@/lib/mappings/collect");
const { delegatedGraphClient } = await import("@/lib/graph/client");
const { getDatabase } = await import("@/lib/db");
const { revokeWorkspaceRoles } = await import("@/lib/workspaces/revoke-workspace-roles");
const { personaContext } = await import("@/test/support/persona-token");

const oracle = createTenant({ seed: 1, scale: "default" });
const target = [...oracle.workspaces.values()].find((workspace) => workspace.name === SEEDED_PARTNER.workspace)!;
const WORKSPACE = workspaceScope(target.subscriptionId, target.resourceGroup, target.name);
const assignmentId = (name: string) => `${WORKSPACE}/providers/Microsoft.Authorization/roleAssignments/${name}`.toLowerCase();
const exists = (id: string) =>
  [...tenant.sandbox.tenant.roleAssignments.values()].some(
    (a) => `${a.scope}/providers/Microsoft.Authorization/roleAssignments/${a.name}`.toLowerCase() === id,
  );

afterAll(async () => {
  await tenant.close();
});

// The first sign-in and reads on a fresh sandbox (metadata, tokens, role definitions) are slow on a busy machine;
// they happen here, under a timeout of their own, rather than inside the first test.
beforeAll(async () => {
  await rows();
}, 120_000);

beforeEach(() => {
  lagging.clear();
});

async function rows() {
  const admin = await personaContext("admin");
  return (await getWorkspaceAccess(admin.caller, WORKSPACE)).rows;
}

describe("principals that are not deleted", () => {
  it("resolves a partner's ForeignGroup as a partner reference and a fresh user's row as recent, beside real orphans", async () => {
    const all = await rows();
    const partner = all.find((row) => row.assignmentName === SEEDED_PARTNER.referenceAssignment);
    expect(partner).toMatchObject({
      principalType: "ForeignGroup",
      principal: { kind: "partner", displayName: SEEDED_PARTNER.referenceName, secondaryId: SEEDED_PARTNER.partnerTenantId },
      principalStatus: "partner",
    });
    const fresh = all.find((row) => row.assignmentName === SEEDED_PARTNER.freshAssignment);
    expect(fresh).toMatchObject({ principalType: "User", principal: null, principalStatus: "recent" });
    // The seeded leaver on this workspace is the one real orphan: deleted, and assigned long ago.
    const orphans = all.filter((row) => row.principalStatus === "not_found");
    expect(orphans.length).toBeGreaterThan(0);
    expect(orphans.every((row) => row.principal === null && !oracle.getDirectoryObject(row.principalId))).toBe(true);
    expect(all.filter((row) => row.principal === null).map((row) => row.principalStatus)).not.toContain("resolved");
  });

  it("drift plans a revoke for the deleted identity only, never for the partner's group or the fresh user", async () => {
    const admin = await personaContext("admin");
    const report = await collectDrift(await getDatabase(), { kind: "delegated", caller: admin.caller }, delegatedGraphClient(admin.caller), {
      workspaceId: WORKSPACE,
    });
    const items = report.workspaces[0]!.items;
    const planned = items.filter((item) => item.kind === "deleted_principal").map((item) => item.principalId);
    expect(planned.length).toBeGreaterThan(0);
    expect(planned.every((id) => !oracle.getDirectoryObject(id))).toBe(true);
    expect(items.map((item) => item.principalId)).not.toContain(SEEDED_PARTNER.reference);
    expect(items.map((item) => item.principalId)).not.toContain(SEEDED_PARTNER.freshUser);
  });

  it("an orphan clean-up removes only what the server confirms deleted, whatever the browser sent", async () => {
    const before = await rows();
    const orphan = before.find((row) => row.principalStatus === "not_found" && row.origin === "workspace")!;
    const person = before.find((row) => row.principal?.kind === "user" && row.origin === "workspace")!;
    const sent = [assignmentId(SEEDED_PARTNER.referenceAssignment), assignmentId(SEEDED_PARTNER.freshAssignment), orphan.assignmentId, person.assignmentId];
    const results = await revokeWorkspaceRoles(await personaContext("admin"), {
      workspaceId: WORKSPACE,
      assignmentIds: sent,
      confirmSelfLockout: false,
      orphanCleanup: true,
    });

    expect(results.map((result) => result.status)).toEqual(["skipped", "skipped", "revoked", "skipped"]);
    expect(results[0]!.message).toContain("partner organisation's group — managed by the partner");
    expect(results[1]!.message).toContain("created moments ago; Entra may not have replicated it yet");
    expect(results[3]!.message).toContain("the directory knows this identity");
    expect(exists(assignmentId(SEEDED_PARTNER.referenceAssignment))).toBe(true);
    expect(exists(assignmentId(SEEDED_PARTNER.freshAssignment))).toBe(true);
    expect(exists(person.assignmentId.toLowerCase())).toBe(true);
    expect(exists(orphan.assignmentId.toLowerCase())).toBe(false);
  });

  it("re-reads an orphan by id before removing it, and leaves one that resolves now", async () => {
    // A person who still exists, assigned long ago, whom a lagging getByIds replica leaves out.
    const someone = [...oracle.users.values()].find(
      (user) => user.userPrincipalName.startsWith("former.") === false && oracle.roleAssignmentsOfPrincipal(user.id).length === 0,
    )!;
    putTestAssignment(tenant.sandbox.tenant, {
      scope: WORKSPACE,
      principalId: someone.id,
      principalType: "User",
      roleDefinitionName: ROLE_IDS.reader,
      createdOn: "2025-03-01T00:00:00.0000000Z",
    });
    lagging.add(someone.id.toLowerCase());
    const row = (await rows()).find((candidate) => candidate.principalId === someone.id.toLowerCase() && candidate.roleDefinitionId === ROLE_IDS.reader)!;
    expect(row).toMatchObject({ principal: null, principalStatus: "not_found" });

    for (const orphanCleanup of [true, false]) {
      const [result] = await revokeWorkspaceRoles(await personaContext("admin"), {
        workspaceId: WORKSPACE,
        assignmentIds: [row.assignmentId],
        confirmSelfLockout: false,
        orphanCleanup,
      });
      expect(result?.status).toBe("skipped");
      expect(result?.message).toContain("the directory returns this identity now");
    }
    expect(exists(row.assignmentId.toLowerCase())).toBe(true);
  });

  it("an ordinary removal of a partner's group goes ahead: the admin chose that row", async () => {
    const id = assignmentId(SEEDED_PARTNER.referenceAssignment);
    const [result] = await revokeWorkspaceRoles(await personaContext("admin"), { workspaceId: WORKSPACE, assignmentIds: [id], confirmSelfLockout: false });
    expect(result?.status).toBe("revoked");
    expect(exists(id)).toBe(false);
  });
});
