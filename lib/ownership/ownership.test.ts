/**
 * Access ownership against a sandbox tenant of this file's own, on every storage engine: nothing Gatehouse does takes
 * away access it did not give. The three orders in which a permanent holder and a time-bound request meet (permanent
 * grant → request → expiry; mapping → request → expiry; request → mapping → expiry), the request made permanent by
 * a direct grant, an assignment made outside Gatehouse, an explicit removal that ends a request early, and an
 * expiry that Azure refuses (it fails closed and loud).
 *
 * "Already covered" refuses most of these requests at the door; to prove the holders underneath hold on their own,
 * each order also runs with that check blinded (as if it had been unable to answer at submission and the approver
 * had let it through).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { listedAssignmentApplies, workspaceScope } from "@/lib/shared/arm-scope";
import { createTenant, ROLE_IDS } from "@/sandbox/tenant/index";
import { putTestAssignment } from "@/sandbox/tenant/testing/support";
import { storageEngines } from "@/test/support/databases";
import { type PrivateSandbox, startPrivateSandbox } from "@/test/support/private-sandbox";
import { refusalOf } from "@/test/support/refusal";

const tenant: PrivateSandbox = await startPrivateSandbox();

const { systemActor } = await import("@/lib/auth/audit-actor");
const { createMapping, deleteMapping } = await import("@/lib/mappings/mappings");
const { approveAccessRequest } = await import("@/lib/requests/decide-request");
const { azureRequestDirectory } = await import("@/lib/requests/directory");
const { runRequestJobs } = await import("@/lib/requests/run-request-jobs");
const { submitAccessRequest } = await import("@/lib/requests/submit-request");
const { getWorkspaceAccess } = await import("@/lib/workspaces/get-workspace-access");
const { grantWorkspaceRoles } = await import("@/lib/workspaces/grant-workspace-roles");
const { revokeWorkspaceRoles } = await import("@/lib/workspaces/revoke-workspace-roles");
const { personaContext } = await import("@/test/support/persona-token");
const { makeAccessRequest } = await import("@/test/support/builders/requests");

type Database = Awaited<ReturnType<Awaited<ReturnType<typeof storageEngines>>[number]["open"]>>["db"];

const READER = ROLE_IDS.reader;
const oracle = createTenant({ seed: 1, scale: "default" });
const target = [...oracle.workspaces.values()].find((workspace) => workspace.name === "mlw-vision-prod")!;
const WORKSPACE = workspaceScope(target.subscriptionId, target.resourceGroup, target.name);
const applies = [...oracle.roleAssignments.values()].filter((assignment) => listedAssignmentApplies(assignment.scope, WORKSPACE));
/** Principals that hold nothing on the workspace, through no group either. */
const holdsNothing = (id: string) => {
  const reach = new Set([id, ...oracle.transitiveGroupIds(id)].map((value) => value.toLowerCase()));
  return !applies.some((assignment) => reach.has(assignment.principalId.toLowerCase()));
};
const PERSONA_UPN = /^(admin|limited-admin|team-lead|security|no-role)@/;
// Neither in any group nor nested in one, so what one test grants to a group never covers another test's principal;
// enabled, since an approval for a disabled account lapses.
const freeUsers = [...oracle.users.values()].filter(
  (user) =>
    !PERSONA_UPN.test(user.userPrincipalName) &&
    user.userType === "Member" &&
    user.accountEnabled &&
    holdsNothing(user.id) &&
    oracle.transitiveGroupIds(user.id).length === 0,
);
const freeGroups = [...oracle.groups.values()].filter((group) => holdsNothing(group.id) && oracle.transitiveGroupIds(group.id).length === 0);
let nextUser = 0;
let nextGroup = 0;
const aUser = () => freeUsers[nextUser++]!;
const aGroup = () => freeGroups[nextGroup++]!;

/** Whether the tenant's ARM holds `role` for `principal` at the workspace, under any name. */
function holds(principalId: string, role = READER): boolean {
  return [...tenant.sandbox.tenant.roleAssignments.values()].some(
    (assignment) =>
      assignment.scope.toLowerCase() === WORKSPACE.toLowerCase() &&
      assignment.principalId === principalId.toLowerCase() &&
      assignment.roleDefinitionName === role,
  );
}

/** Rows of a query the test reads directly (the request's status, its audit events). */
async function rows<T>(db: Database, query: string): Promise<T[]> {
  const result: unknown = await db.execute(query);
  return (result as { rows: T[] }).rows;
}

const blindToCoverage = { ...azureRequestDirectory, findCoverage: () => Promise.resolve(undefined) };

afterAll(async () => {
  await tenant.close();
});

describe.each(storageEngines())("access ownership on $name", (engine) => {
  let db: Database;
  let close: () => Promise<void>;
  let admin: Awaited<ReturnType<typeof personaContext>>;
  let lead: Awaited<ReturnType<typeof personaContext>>;
  beforeAll(async () => {
    const handle = await engine.open();
    db = handle.db;
    close = () => handle.close();
    [admin, lead] = await Promise.all([personaContext("admin"), personaContext("team-lead")]);
  });
  afterAll(async () => {
    await close();
  });

  const form = (principal: { id: string; kind: "user" | "group"; displayName: string }) =>
    makeAccessRequest({
      workspaceId: WORKSPACE,
      roleDefinitionId: READER,
      principal,
      justification: "Short look at the vision workspace for an incident",
      duration: "8h",
    });

  async function requestAndApprove(principal: { id: string; kind: "user" | "group"; displayName: string }, directory = azureRequestDirectory) {
    const submitted = await submitAccessRequest(lead, form(principal), { db, notify: false, directory });
    const decided = await approveAccessRequest(admin, { requestId: submitted.request.id, comment: "" }, { db, notify: false, directory });
    return { submitted, decided };
  }

  const nineHoursLater = () => new Date(Date.now() + 9 * 3_600_000);
  const heldBy = async (principalId: string) =>
    (await getWorkspaceAccess(admin.caller, WORKSPACE, { db })).rows
      .find((row) => row.principalId === principalId && row.roleDefinitionId === READER)
      ?.heldBy.map((holder) => holder.kind) ?? [];

  it("a request alone: granted at approval, removed at expiry (the control case)", async () => {
    const user = aUser();
    const { decided } = await requestAndApprove({ id: user.id, kind: "user", displayName: user.displayName });
    expect(decided).toMatchObject({ request: { status: "granted" } });
    expect(holds(user.id)).toBe(true);
    expect(await heldBy(user.id)).toEqual(["request"]);
    const run = await runRequestJobs(db, systemActor("access-request-expiry"), nineHoursLater(), { notify: false });
    expect(run.expired).toBeGreaterThanOrEqual(1);
    expect(holds(user.id)).toBe(false);
  });

  it("permanent grant → request → expiry: the request is refused as covered, and even let through it never removes the grant", async () => {
    const user = aUser();
    const principal = { id: user.id, kind: "user" as const, displayName: user.displayName };
    const [granted] = await grantWorkspaceRoles(admin, { workspaceId: WORKSPACE, roleDefinitionId: READER, principals: [principal] }, { db });
    expect(granted).toMatchObject({ status: "granted" });

    const refused = await refusalOf(submitAccessRequest(lead, form(principal), { db, notify: false }));
    expect(refused).toMatchObject({
      code: "conflict",
      fieldErrors: { principal: [`Nothing to request: ${user.displayName} already has Reader on this workspace directly, permanently.`] },
    });

    const { decided } = await requestAndApprove(principal, blindToCoverage);
    expect(decided).toMatchObject({ request: { status: "granted" } });
    expect(await heldBy(user.id)).toEqual(["direct", "request"]);
    await runRequestJobs(db, systemActor("access-request-expiry"), nineHoursLater(), { notify: false });
    expect(holds(user.id)).toBe(true);
    const [request] = await rows<{ status: string; outcome_note: string }>(
      db,
      `select status, outcome_note from access_requests where id = '${decided.request.id}'`,
    );
    expect(request).toMatchObject({
      status: "expired",
      outcome_note: `The assignment stays: it is still held by direct grant by ${admin.person.userPrincipalName}.`,
    });
    expect(await heldBy(user.id)).toEqual(["direct"]);
  });

  it("mapping → request → expiry: refused as covered (the group holds it); let through, the mapping keeps it", async () => {
    const group = aGroup();
    const principal = { id: group.id, kind: "group" as const, displayName: group.displayName };
    const { mapping, grant } = await createMapping(admin, { workspaceId: WORKSPACE, groupId: group.id, roleDefinitionId: READER }, undefined, { db });
    expect(grant.status).toBe("granted");
    expect(mapping).not.toBeNull();

    const refused = await refusalOf(submitAccessRequest(lead, form(principal), { db, notify: false }));
    expect(refused).toMatchObject({
      code: "conflict",
      fieldErrors: { principal: [expect.stringContaining("already has Reader on this workspace directly, permanently")] },
    });

    await requestAndApprove(principal, blindToCoverage);
    await runRequestJobs(db, systemActor("access-request-expiry"), nineHoursLater(), { notify: false });
    expect(holds(group.id)).toBe(true);
    expect(await heldBy(group.id)).toEqual(["mapping"]);

    // The mapping was the last holder and Gatehouse created the assignment: deleting it with its assignment removes it.
    const deleted = await deleteMapping(admin, { mappingId: mapping!.id, revokeAssignment: true }, { db });
    expect(deleted).toMatchObject({ deleted: true, assignment: "removed" });
    expect(holds(group.id)).toBe(false);
  });

  it("request → mapping → expiry: the mapping made during the request keeps the access", async () => {
    const group = aGroup();
    const { decided } = await requestAndApprove({ id: group.id, kind: "group", displayName: group.displayName });
    expect(decided).toMatchObject({ request: { status: "granted" } });
    const { mapping, grant } = await createMapping(admin, { workspaceId: WORKSPACE, groupId: group.id, roleDefinitionId: READER }, undefined, { db });
    expect(grant).toMatchObject({ status: "already_granted", existedBefore: true });
    expect(await heldBy(group.id)).toEqual(["request", "mapping"]);

    await runRequestJobs(db, systemActor("access-request-expiry"), nineHoursLater(), { notify: false });
    expect(holds(group.id)).toBe(true);
    expect(await heldBy(group.id)).toEqual(["mapping"]);
    // Deleting the mapping but keeping the assignment hands it to a direct grant by that admin.
    expect(await deleteMapping(admin, { mappingId: mapping!.id, revokeAssignment: false }, { db })).toMatchObject({ deleted: true, assignment: "not_asked" });
    expect(await heldBy(group.id)).toEqual(["direct"]);
    expect(holds(group.id)).toBe(true);
  });

  it("request → direct grant: the access becomes permanent and the request is closed as superseded", async () => {
    const user = aUser();
    const principal = { id: user.id, kind: "user" as const, displayName: user.displayName };
    const { decided } = await requestAndApprove(principal);
    expect(decided.request.status).toBe("granted");
    const [made] = await grantWorkspaceRoles(admin, { workspaceId: WORKSPACE, roleDefinitionId: READER, principals: [principal] }, { db });
    expect(made).toMatchObject({ status: "already_granted", superseded: [decided.request.id] });
    expect(made!.message).toContain(`request ${decided.request.id.slice(0, 8)} no longer expires and is closed as superseded`);
    await runRequestJobs(db, systemActor("access-request-expiry"), nineHoursLater(), { notify: false });
    expect(holds(user.id)).toBe(true);
    const events = (await rows<{ action: string }>(db, `select action from audit_events where target_request_id = '${decided.request.id}' order by id`)).map(
      (event) => event.action,
    );
    expect(events).toContain("request.superseded");
    expect(events).not.toContain("request.expired");
  });

  it("an assignment made outside Gatehouse is never removed by a request's expiry", async () => {
    const user = aUser();
    putTestAssignment(tenant.sandbox.tenant, { scope: WORKSPACE, principalId: user.id, principalType: "User", roleDefinitionName: READER });
    const { decided } = await requestAndApprove({ id: user.id, kind: "user", displayName: user.displayName }, blindToCoverage);
    expect(decided).toMatchObject({ request: { status: "granted" } });
    expect(decided.message).toContain("made outside Gatehouse, which Gatehouse will never remove");
    await runRequestJobs(db, systemActor("access-request-expiry"), nineHoursLater(), { notify: false });
    expect(holds(user.id)).toBe(true);
  });

  it("an admin's removal lists the request it would end, and ends it only once confirmed", async () => {
    const user = aUser();
    const { decided } = await requestAndApprove({ id: user.id, kind: "user", displayName: user.displayName });
    expect(decided.request.status).toBe("granted");
    const row = (await getWorkspaceAccess(admin.caller, WORKSPACE, { db })).rows.find(
      (candidate) => candidate.principalId === user.id && candidate.roleDefinitionId === READER,
    )!;
    const [asked] = await revokeWorkspaceRoles(admin, { workspaceId: WORKSPACE, assignmentIds: [row.assignmentId], confirmSelfLockout: false }, { db });
    expect(asked).toMatchObject({ status: "needs_confirmation" });
    expect(asked!.message).toContain(`Request ${decided.request.id.slice(0, 8)} for ${user.displayName}, until`);
    expect(holds(user.id)).toBe(true);
    const [removed] = await revokeWorkspaceRoles(
      admin,
      {
        workspaceId: WORKSPACE,
        assignmentIds: [row.assignmentId],
        confirmSelfLockout: false,
        acknowledgedHolderIds: asked!.holders!.map((holder) => holder.id),
      },
      { db },
    );
    expect(removed).toMatchObject({ status: "revoked" });
    expect(holds(user.id)).toBe(false);
    const [request] = await rows<{ status: string }>(db, `select status from access_requests where id = '${decided.request.id}'`);
    expect(request?.status).toBe("revoked");
  });

  it("an expiry Azure refuses fails closed and loud: expiry_failed once, retried with back-off, then expired", async () => {
    const user = aUser();
    const { decided } = await requestAndApprove({ id: user.id, kind: "user", displayName: user.displayName });
    expect(decided.request.status).toBe("granted");
    const fault = await tenant.control.faults.add({ method: "DELETE", path: `${WORKSPACE}/providers/Microsoft.Authorization/roleAssignments/*`, status: 403 });
    const due = nineHoursLater();
    const statusOf = async () =>
      (
        await rows<{ status: string; expiry_attempts: number }>(db, `select status, expiry_attempts from access_requests where id = '${decided.request.id}'`)
      )[0]!;
    const failedEvents = async () =>
      (await rows(db, `select id from audit_events where action = 'request.expiry_failed' and target_request_id = '${decided.request.id}'`)).length;

    expect((await runRequestJobs(db, systemActor("access-request-expiry"), due, { notify: false })).expiryFailed).toBeGreaterThanOrEqual(1);
    expect(await statusOf()).toMatchObject({ status: "expiry_failed", expiry_attempts: 1 });
    expect(holds(user.id)).toBe(true);
    // A minute later nothing is tried again; after the back-off it is, and the state change is not recorded twice.
    await runRequestJobs(db, systemActor("access-request-expiry"), new Date(due.getTime() + 60_000), { notify: false });
    expect((await statusOf()).expiry_attempts).toBe(1);
    await runRequestJobs(db, systemActor("access-request-expiry"), new Date(due.getTime() + 6 * 60_000), { notify: false });
    expect(await statusOf()).toMatchObject({ status: "expiry_failed", expiry_attempts: 2 });
    expect(await failedEvents()).toBe(1);

    await tenant.control.faults.remove(fault.id);
    await runRequestJobs(db, systemActor("access-request-expiry"), new Date(due.getTime() + 60 * 60_000), { notify: false });
    expect((await statusOf()).status).toBe("expired");
    expect(holds(user.id)).toBe(false);
  });
});
