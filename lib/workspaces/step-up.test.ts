/**
 * Console-initiated step-up (lib/auth/step-up.ts) against a sandbox tenant of this file's own: a privileged grant, a
 * privileged mapping and a removal of many assignments need the configured authentication context (the sandbox's c1)
 * in the person's token; without it nothing reaches ARM's role assignments and the refusal is audited. The context
 * comes from a real sign-in that asked for it (the sandbox's "MFA"), never from a flag set by the test.
 */
import { randomUUID } from "node:crypto";

import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";

import { listedAssignmentApplies, workspaceScope } from "@/lib/shared/arm-scope";
import { createTenant, CUSTOM_ROLE_IDS, ROLE_IDS } from "@/sandbox/tenant/index";
import { watchOutgoingCalls } from "@/test/support/outgoing-calls";
import { type PrivateSandbox, startPrivateSandbox } from "@/test/support/private-sandbox";
import { setConsoleSettings } from "@/test/support/test-env";

// Step-up is about roles that may be granted at all: the operator has allowed Contributor and the seeded custom role
// that can write role assignments (otherwise the grantable-role policy refuses them before step-up is asked).
setConsoleSettings({ GATEHOUSE_GRANTABLE_PRIVILEGED_ROLES: `Contributor,${CUSTOM_ROLE_IDS.accessDelegate}` });
const tenant: PrivateSandbox = await startPrivateSandbox();

const { openDatabase } = await import("@/lib/db/client");
const { grantWorkspaceRoles } = await import("./grant-workspace-roles");
const { revokeWorkspaceRoles } = await import("./revoke-workspace-roles");
const { getWorkspaceAccess } = await import("./get-workspace-access");
const { createMapping } = await import("@/lib/mappings/mappings");
const { STEP_UP_MESSAGE, stepUpClaims } = await import("@/lib/auth/step-up");
const { personaContext } = await import("@/test/support/persona-token");

const oracle = createTenant({ seed: 1, scale: "default" });
const found = [...oracle.workspaces.values()].find((candidate) => candidate.name === "mlw-vision-prod")!;
const VISION = workspaceScope(found.subscriptionId, found.resourceGroup, found.name);
const PERSONA_UPN = /^(admin|limited-admin|team-lead|security|no-role|step-up-admin)@/;
const onVision = new Set([...oracle.roleAssignments.values()].filter((a) => listedAssignmentApplies(a.scope, VISION)).map((a) => a.principalId.toLowerCase()));
const members = [...oracle.users.values()].filter((user) => !PERSONA_UPN.test(user.userPrincipalName) && !onVision.has(user.id.toLowerCase()));
const unmappedGroup = [...oracle.groups.values()].find((group) => !onVision.has(group.id.toLowerCase()))!;
let next = 0;
const aMember = () => {
  const user = members[next++]!;
  return { id: user.id, kind: "user" as const, displayName: user.displayName };
};

type Db = Awaited<ReturnType<typeof openDatabase>>["db"];
let db: Db;
let close: () => Promise<void>;
let signedIn: Awaited<ReturnType<typeof personaContext>>;
let signedInStepped: Awaited<ReturnType<typeof personaContext>>;
/** The admin's plain sign-in, with a request id of its own per call (refusals are found by it). */
let admin: Awaited<ReturnType<typeof personaContext>>;
let steppedUp: Awaited<ReturnType<typeof personaContext>>;

beforeAll(async () => {
  const handle = await openDatabase({ kind: "pglite-memory" });
  db = handle.db;
  close = () => handle.close();
  [signedIn, signedInStepped] = await Promise.all([personaContext("admin"), personaContext("admin", { claims: stepUpClaims("c1") })]);
});
beforeEach(() => {
  admin = { ...signedIn, requestId: randomUUID() };
  steppedUp = { ...signedInStepped, requestId: randomUUID() };
});
afterAll(async () => {
  await close();
  await tenant.close();
});

async function rows<T>(query: string): Promise<T[]> {
  const result: unknown = await db.execute(query);
  return (result as { rows: T[] }).rows;
}
const stepUpRefusals = (consoleRequestId: string) =>
  rows<{ reason: string; details: { consoleAction: string; deniedBecause: string }; target_role_name: string | null }>(
    `select reason, details, target_role_name from audit_events where action = 'authz.denied' and console_request_id = '${consoleRequestId}'`,
  );
/** Calls this process made to ARM's role assignments (reads and writes) while `run` ran. */
async function roleAssignmentCalls(run: () => Promise<unknown>): Promise<{ method: string; path: string }[]> {
  const network = watchOutgoingCalls();
  const before = network.calls().length;
  await run().catch(() => undefined);
  return network
    .calls()
    .slice(before)
    .filter((call) => /\/providers\/Microsoft\.Authorization\/roleAssignments/i.test(call.path));
}
const assignedTo = async (principalId: string) =>
  (await getWorkspaceAccess(admin.caller, VISION, { db })).rows.filter((row) => row.origin === "workspace" && row.principalId === principalId.toLowerCase());

describe("step-up for privileged grants", () => {
  it("the signed-in token shows the context only after a sign-in that asked for it", () => {
    expect(admin.authContexts).toEqual([]);
    expect(steppedUp.authContexts).toEqual(["c1"]);
  });

  it("refuses Contributor without the context before any role-assignment call, audits it, and grants it with the context", async () => {
    const user = aMember();
    let refusal: unknown;
    const calls = await roleAssignmentCalls(() =>
      grantWorkspaceRoles(admin, { workspaceId: VISION, roleDefinitionId: ROLE_IDS.contributor, principals: [user] }, { db }).catch((error: unknown) => {
        refusal = error;
        throw error;
      }),
    );
    expect(refusal).toMatchObject({ code: "interaction_required", userMessage: STEP_UP_MESSAGE, claims: stepUpClaims("c1") });
    expect(calls).toEqual([]);
    expect(await assignedTo(user.id)).toEqual([]);
    expect(await stepUpRefusals(admin.requestId)).toEqual([
      {
        reason: expect.stringMatching(/^privileged_grant: grant of Contributor needs authentication context c1$/) as string,
        details: { consoleAction: "grantWorkspaceRoles", deniedBecause: "step_up_required" },
        target_role_name: "Contributor",
      },
    ]);
    expect(await rows(`select 1 from audit_events where action = 'role_assignment.grant_requested' and target_principal_id = '${user.id}'`)).toEqual([]);

    const [granted] = await grantWorkspaceRoles(steppedUp, { workspaceId: VISION, roleDefinitionId: ROLE_IDS.contributor, principals: [user] }, { db });
    expect(granted).toMatchObject({ status: "granted" });
    expect((await assignedTo(user.id)).map((row) => row.roleDefinitionId)).toEqual([ROLE_IDS.contributor]);
  });

  it("judges a custom role by what it allows: one that can write role assignments needs the context", async () => {
    const user = aMember();
    const calls = await roleAssignmentCalls(() =>
      grantWorkspaceRoles(admin, { workspaceId: VISION, roleDefinitionId: CUSTOM_ROLE_IDS.accessDelegate, principals: [user] }, { db }),
    );
    expect(calls).toEqual([]);
    expect(await assignedTo(user.id)).toEqual([]);
    const [granted] = await grantWorkspaceRoles(
      steppedUp,
      { workspaceId: VISION, roleDefinitionId: CUSTOM_ROLE_IDS.accessDelegate, principals: [user] },
      { db },
    );
    expect(granted).toMatchObject({ status: "granted" });
  });

  it("grants a role that cannot manage access without asking", async () => {
    const user = aMember();
    const [granted] = await grantWorkspaceRoles(admin, { workspaceId: VISION, roleDefinitionId: ROLE_IDS.dataScientist, principals: [user] }, { db });
    expect(granted).toMatchObject({ status: "granted" });
    expect(await stepUpRefusals(admin.requestId)).toEqual([]);
  });

  it("refuses a mapping to a privileged role before recording it", async () => {
    const input = { workspaceId: VISION, groupId: unmappedGroup.id, roleDefinitionId: ROLE_IDS.contributor };
    await expect(createMapping(admin, input, undefined, { db })).rejects.toMatchObject({ code: "interaction_required", claims: stepUpClaims("c1") });
    expect(await rows("select 1 from group_mappings")).toEqual([]);
    expect((await stepUpRefusals(admin.requestId)).map((event) => event.details.consoleAction)).toContain("createMapping");
  });
});

describe("step-up for bulk removals", () => {
  it("removes fewer than the threshold (5) without asking, and at the threshold only with the context", async () => {
    const users = Array.from({ length: 9 }, aMember);
    const granted = await grantWorkspaceRoles(admin, { workspaceId: VISION, roleDefinitionId: ROLE_IDS.dataScientist, principals: users }, { db });
    expect(granted.map((result) => result.status)).toEqual(users.map(() => "granted"));
    const ids = async (chosen: typeof users) => (await Promise.all(chosen.map((user) => assignedTo(user.id)))).flat().map((row) => row.assignmentId);

    const four = await revokeWorkspaceRoles(admin, { workspaceId: VISION, assignmentIds: await ids(users.slice(0, 4)), confirmSelfLockout: false }, { db });
    expect(four.map((result) => result.status)).toEqual(["revoked", "revoked", "revoked", "revoked"]);

    const five = await ids(users.slice(4));
    expect(five).toHaveLength(5);
    let refusal: unknown;
    const writes = (
      await roleAssignmentCalls(() =>
        revokeWorkspaceRoles(admin, { workspaceId: VISION, assignmentIds: five, confirmSelfLockout: false }, { db }).catch((error: unknown) => {
          refusal = error;
          throw error;
        }),
      )
    ).filter((call) => call.method !== "GET");
    expect(refusal).toMatchObject({ code: "interaction_required", claims: stepUpClaims("c1") });
    expect(writes).toEqual([]);
    expect(await ids(users.slice(4))).toHaveLength(5);
    expect((await stepUpRefusals(admin.requestId)).map((event) => event.reason)).toEqual([
      "bulk_removal: removal of 5 assignments needs authentication context c1",
    ]);

    const removed = await revokeWorkspaceRoles(steppedUp, { workspaceId: VISION, assignmentIds: five, confirmSelfLockout: false }, { db });
    expect(removed.map((result) => result.status)).toEqual(["revoked", "revoked", "revoked", "revoked", "revoked"]);
  });
});
