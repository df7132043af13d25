/**
 * What approvers are shown, and what they may decide, against a sandbox tenant of this file's own (its directory is
 * changed: a group nested into another, an owner added, a principal renamed and one deleted).
 *
 * - Forged names: the requester's text about the principal and the workspace is never trusted; a mismatch is refused
 *   and what is stored comes from Graph and ARM (object id, UPN or app id, type, guest flags).
 * - "Already covered": a role held through nested groups, or a larger role, refuses the request with the path.
 * - Separation of duties: no approving access that would be your own (a group you are in, nested; a service principal
 *   you own); an admin's own privileged grant becomes a request for two other admins.
 * - Stale state at approval: a lapsed deadline, a role gone from the policy, a principal renamed or deleted, a
 *   requester deleted or without a console role; the sweep closing requests of deleted principals and requesters.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { listedAssignmentApplies, workspaceScope } from "@/lib/shared/arm-scope";
import { createTenant, CUSTOM_ROLE_IDS, ROLE_IDS } from "@/sandbox/tenant/index";
import { putTestAssignment } from "@/sandbox/tenant/testing/support";
import { type PrivateSandbox, startPrivateSandbox } from "@/test/support/private-sandbox";
import { refusalOf } from "@/test/support/refusal";
import { setConsoleSettings } from "@/test/support/test-env";

// The two-approver rules below are about privileged roles, so the operator has allowed the ones these tests grant
// (lib/workspaces/grantable-roles.test.ts shows them refused when not allowed).
setConsoleSettings({ GATEHOUSE_GRANTABLE_PRIVILEGED_ROLES: `Owner,Contributor,${CUSTOM_ROLE_IDS.accessDelegate}` });
const tenant: PrivateSandbox = await startPrivateSandbox();

const { openDatabase } = await import("@/lib/db/client");
const { approveAccessRequest } = await import("@/lib/requests/decide-request");
const { azureRequestDirectory } = await import("@/lib/requests/directory");
const { parseRequestPolicy } = await import("@/lib/requests/policy");
const { submitAccessRequest } = await import("@/lib/requests/submit-request");
const { createMapping } = await import("@/lib/mappings/mappings");
const { grantOnWorkspacePage } = await import("@/lib/workspaces/grant-on-workspace-page");
const { checkWorkspaceAccess } = await import("@/lib/workspaces/check-workspace-access");
const { personaContext } = await import("@/test/support/persona-token");
const { makeAccessRequest } = await import("@/test/support/builders/requests");
const { makeDelegatedContext } = await import("@/test/support/builders/context");
const { runRequestJobs } = await import("@/lib/requests/run-request-jobs");
const { systemActor } = await import("@/lib/auth/audit-actor");
const { assignmentNameFor } = await import("@/lib/workspaces/grant-workspace-roles");

const oracle = createTenant({ seed: 1, scale: "default" });
const workspaceNamed = (name: string) => {
  const workspace = [...oracle.workspaces.values()].find((candidate) => candidate.name === name)!;
  return workspaceScope(workspace.subscriptionId, workspace.resourceGroup, workspace.name);
};
const FRAUD = workspaceNamed("mlw-fraud-prod");
const VISION = workspaceNamed("mlw-vision-prod");
const group = (name: string) => [...oracle.groups.values()].find((candidate) => candidate.displayName === name)!;
const PERSONA_UPN = /^(admin|limited-admin|team-lead|security|no-role)@/;
const onVision = new Set([...oracle.roleAssignments.values()].filter((a) => listedAssignmentApplies(a.scope, VISION)).map((a) => a.principalId.toLowerCase()));
/** Members in no group who hold nothing on mlw-vision-prod: each test's own, so nothing one grants covers another. */
const members = [...oracle.users.values()].filter(
  (user) =>
    !PERSONA_UPN.test(user.userPrincipalName) &&
    user.userType === "Member" &&
    user.accountEnabled &&
    oracle.transitiveGroupIds(user.id).length === 0 &&
    !onVision.has(user.id.toLowerCase()),
);
const guest = [...oracle.users.values()].find((user) => user.userType === "Guest")!;
let next = 0;
const aMember = () => members[next++]!;

type Db = Awaited<ReturnType<typeof openDatabase>>["db"];
let db: Db;
let close: () => Promise<void>;
let admin: Awaited<ReturnType<typeof personaContext>>;
let lead: Awaited<ReturnType<typeof personaContext>>;

beforeAll(async () => {
  const handle = await openDatabase({ kind: "pglite-memory" });
  db = handle.db;
  close = () => handle.close();
  [admin, lead] = await Promise.all([personaContext("admin"), personaContext("team-lead")]);
});
afterAll(async () => {
  await close();
  await tenant.close();
});

const submit = (overrides: Parameters<typeof makeAccessRequest>[0], directory = azureRequestDirectory) =>
  submitAccessRequest(
    lead,
    makeAccessRequest({
      workspaceId: VISION,
      roleDefinitionId: ROLE_IDS.reader,
      justification: "Reads the inspection results for an audit",
      duration: "7d",
      ...overrides,
    }),
    { db, notify: false, directory },
  );
async function rows<T>(query: string): Promise<T[]> {
  const result: unknown = await db.execute(query);
  return (result as { rows: T[] }).rows;
}
const requestCount = async () => (await rows<{ n: number }>("select count(*)::int as n from access_requests"))[0]!.n;

describe("approvers see verified facts, not what the requester typed", () => {
  it("refuses another principal's name, another type and another workspace's name, and stores nothing", async () => {
    const victim = aMember();
    const other = aMember();
    const before = await requestCount();
    expect(await refusalOf(submit({ principal: { id: victim.id, kind: "user", displayName: other.displayName } }))).toMatchObject({
      fieldErrors: {
        principal: [
          `The name sent for this identity (${other.displayName}) is not its name in the directory (${victim.displayName}). Choose it again from the list.`,
        ],
      },
    });
    expect(await refusalOf(submit({ principal: { id: victim.id, kind: "servicePrincipal", displayName: victim.displayName } }))).toMatchObject({
      fieldErrors: { principal: ["That identity is a user in the directory, not a service principal. Choose it again from the list."] },
    });
    expect(
      await refusalOf(submit({ principal: { id: victim.id, kind: "user", displayName: victim.displayName }, workspaceName: "mlw-sandbox-dev" })),
    ).toMatchObject({
      fieldErrors: { workspaceId: [expect.stringContaining("is not the name of that workspace in Azure (mlw-vision-prod)")] },
    });
    expect(await requestCount()).toBe(before);
  });

  it("stores Graph's and ARM's facts: object id, UPN, type and guest flag, and the workspace's own name", async () => {
    const submitted = await submit({ principal: { id: guest.id.toUpperCase(), kind: "user", displayName: guest.displayName } });
    expect(submitted).toMatchObject({
      request: {
        principalId: guest.id,
        principalKind: "user",
        principalDisplayName: guest.displayName,
        principalSecondaryId: guest.userPrincipalName,
        principalFlags: expect.arrayContaining(["guest"]) as string[],
        workspaceName: "mlw-vision-prod",
      },
    });
  });
});

describe("already covered: access the principal has, with the path", () => {
  it("a role held through nested groups refuses the request and names the group", async () => {
    // The team lead is in DS - Fraud ⊂ Data Scientists ⊂ All ML Staff, which holds Compute Operator on mlw-fraud-prod.
    const refused = await refusalOf(
      submit({
        workspaceId: FRAUD,
        roleDefinitionId: ROLE_IDS.computeOperator,
        principal: { id: lead.actor.objectId, kind: "user", displayName: lead.person.displayName },
      }),
    );
    expect(refused).toMatchObject({
      code: "conflict",
      fieldErrors: {
        principal: [
          `Nothing to request: ${lead.person.displayName} already has AzureML Compute Operator on this workspace through the group All ML Staff, permanently.`,
        ],
      },
    });
  });

  it("check access explains the same role through the whole chain of nested groups", async () => {
    const access = await checkWorkspaceAccess(admin.caller, FRAUD, lead.actor.objectId);
    const nested = access.grants.find((grant) => grant.roleDefinitionId === ROLE_IDS.computeOperator);
    expect(nested?.via?.map((step) => step.displayName)).toEqual(["DS - Fraud", "Data Scientists", "All ML Staff"]);
  });

  it("a larger role covers a smaller one; found at approval, the request closes as covered and nothing is granted", async () => {
    const user = aMember();
    const submitted = await submit(
      { principal: { id: user.id, kind: "user", displayName: user.displayName } },
      { ...azureRequestDirectory, findCoverage: () => Promise.resolve(undefined) },
    );
    putTestAssignment(tenant.sandbox.tenant, { scope: VISION, principalId: user.id, principalType: "User", roleDefinitionName: ROLE_IDS.contributor });
    const decided = await approveAccessRequest(admin, { requestId: submitted.request.id, comment: "" }, { db, notify: false });
    expect(decided).toMatchObject({
      request: {
        status: "covered",
        outcomeNote: `${user.displayName} already has Contributor (which includes Reader) on this workspace directly, permanently.`,
      },
    });
    const readerAssignments = [...tenant.sandbox.tenant.roleAssignments.values()].filter(
      (a) => a.principalId === user.id && a.roleDefinitionName === ROLE_IDS.reader,
    );
    expect(readerAssignments).toEqual([]);
  });
});

describe("privileged by what a role allows, not by its name", () => {
  // Both roles need one approver by the policy; the custom one can write role assignments (Contoso ML Access Delegate).
  const policy = () =>
    parseRequestPolicy({
      pendingLifetimeHours: 168,
      durations: ["7d"],
      roles: [
        { roleDefinitionId: CUSTOM_ROLE_IDS.accessDelegate, name: "Contoso ML Access Delegate", maxDuration: "7d" },
        { roleDefinitionId: ROLE_IDS.reader, name: "Reader", maxDuration: "7d" },
      ],
    });
  const file = (roleDefinitionId: string, directory = azureRequestDirectory) => {
    const user = aMember();
    return submitAccessRequest(
      lead,
      makeAccessRequest({
        workspaceId: VISION,
        roleDefinitionId,
        justification: "Manages who can use the inspection workspace",
        duration: "7d",
        principal: { id: user.id, kind: "user", displayName: user.displayName },
      }),
      { db, notify: false, directory, policy: policy() },
    );
  };

  it("a custom role that can write role assignments needs two approvers; the first approval leaves it pending", async () => {
    const submitted = await file(CUSTOM_ROLE_IDS.accessDelegate);
    expect(submitted.request.approvalsRequired).toBe(2);
    // Privileged by what it allows, so approving it also needs the stronger sign-in (the step-up context in the token).
    await expect(approveAccessRequest(admin, { requestId: submitted.request.id, comment: "" }, { db, notify: false, policy: policy() })).rejects.toMatchObject({
      code: "interaction_required",
    });
    const first = await approveAccessRequest(
      { ...admin, authContexts: ["c1"] },
      { requestId: submitted.request.id, comment: "" },
      { db, notify: false, policy: policy() },
    );
    expect(first.request.status).toBe("pending");
    expect(first.request.approvals).toHaveLength(1);
    expect((await file(ROLE_IDS.reader)).request.approvalsRequired).toBe(1);
  });

  it("fails closed when ARM cannot say: two approvers at submission, and no decision at approval", async () => {
    const blind = {
      ...azureRequestDirectory,
      roleIsPrivileged: () => Promise.reject(new Error("ARM unavailable")),
    };
    const submitted = await file(ROLE_IDS.reader, blind);
    expect(submitted.request.approvalsRequired).toBe(2);
    expect(
      await refusalOf(approveAccessRequest(admin, { requestId: submitted.request.id, comment: "" }, { db, notify: false, policy: policy(), directory: blind })),
    ).toMatchObject({ reason: "unverified", userMessage: "Azure could not say what Reader allows right now. Nothing was decided; try again in a minute." });
  });
});

describe("separation of duties", () => {
  it("no approving access for a group you are in, even through nesting (audited)", async () => {
    const falcon = group("Project Falcon");
    tenant.sandbox.tenant.addGroupMember(falcon.id, group("ML Workspace Admins").id);
    const submitted = await submit({ principal: { id: falcon.id, kind: "group", displayName: falcon.displayName } });
    const refused = await refusalOf(approveAccessRequest(admin, { requestId: submitted.request.id, comment: "" }, { db, notify: false }));
    expect(refused).toMatchObject({
      code: "forbidden",
      reason: "self_approval",
      userMessage: `You are a member of ${falcon.displayName}, so this access would be yours too: another admin has to decide it.`,
    });
    expect(await rows(`select reason from audit_events where action = 'authz.denied' and target_request_id = '${submitted.request.id}'`)).toHaveLength(1);
  });

  it("no approving access for a service principal you own", async () => {
    const sp = [...tenant.sandbox.tenant.servicePrincipals.values()].find(
      (candidate) => candidate.servicePrincipalType === "Application" && candidate.displayName.startsWith("fraud-scoring"),
    )!;
    sp.ownerIds.push(admin.actor.objectId);
    const submitted = await submit({
      roleDefinitionId: ROLE_IDS.dataScientist,
      principal: { id: sp.id, kind: "servicePrincipal", displayName: sp.displayName },
    });
    expect(await refusalOf(approveAccessRequest(admin, { requestId: submitted.request.id, comment: "" }, { db, notify: false }))).toMatchObject({
      code: "forbidden",
      reason: "self_approval",
    });
  });

  it("an admin granting a privileged role to a group they are in gets a request for two other admins, on the workspace page and in mappings", async () => {
    const admins = group("ML Workspace Admins");
    const [result] = await grantOnWorkspacePage(admin, {
      workspaceId: VISION,
      roleDefinitionId: ROLE_IDS.owner,
      principals: [{ id: admins.id, kind: "group", displayName: admins.displayName }],
    });
    expect(result).toMatchObject({ status: "needs_approval", requestId: expect.any(String) as string });
    expect(
      [...tenant.sandbox.tenant.roleAssignments.values()].some(
        (a) => a.principalId === admins.id && a.roleDefinitionName === ROLE_IDS.owner && a.scope.toLowerCase() === VISION.toLowerCase(),
      ),
    ).toBe(false);

    const mapped = await createMapping(admin, { workspaceId: VISION, groupId: admins.id, roleDefinitionId: ROLE_IDS.contributor });
    expect(mapped).toMatchObject({ mapping: null, grant: { status: "needs_approval" } });
  });
});

describe("stale state at approval", () => {
  it("refuses after the decision deadline, for a role gone from the policy, and for a principal renamed or deleted", async () => {
    const [late, unlisted, renamed, deleted] = [aMember(), aMember(), aMember(), aMember()];
    const filed = async (user: (typeof members)[number]) => {
      const result = await submit({ principal: { id: user.id, kind: "user", displayName: user.displayName } });
      return result.request.id;
    };
    const decide = (requestId: string, options: Record<string, unknown> = {}) =>
      approveAccessRequest(admin, { requestId, comment: "" }, { db, notify: false, ...options });

    const lateId = await filed(late);
    expect(await refusalOf(decide(lateId, { now: new Date(Date.now() + 200 * 3_600_000) }))).toMatchObject({
      code: "conflict",
      reason: "stale",
      userMessage: expect.stringContaining("has lapsed") as string,
    });

    const unlistedId = await filed(unlisted);
    const withoutReader = parseRequestPolicy({
      pendingLifetimeHours: 168,
      durations: ["7d"],
      roles: [{ roleDefinitionId: ROLE_IDS.dataScientist, name: "AzureML Data Scientist", maxDuration: "7d" }],
    });
    expect(await refusalOf(decide(unlistedId, { policy: withoutReader }))).toMatchObject({
      code: "conflict",
      reason: "stale",
      userMessage:
        "Reader can no longer be requested (the request policy changed), so the request was closed. The requester can ask for another role. Nothing was granted.",
    });

    const renamedId = await filed(renamed);
    tenant.sandbox.tenant.users.get(renamed.id)!.displayName = "Someone Else Entirely";
    expect(await refusalOf(decide(renamedId))).toMatchObject({
      code: "conflict",
      reason: "stale",
      userMessage: expect.stringContaining("now Someone Else Entirely") as string,
    });
    // The stored facts were refreshed; the approver, having looked again, can now approve.
    expect(await decide(renamedId)).toMatchObject({ request: { status: "granted", principalDisplayName: "Someone Else Entirely" } });

    const deletedId = await filed(deleted);
    tenant.sandbox.tenant.deleteDirectoryObject(deleted.id);
    expect(await refusalOf(decide(deletedId))).toMatchObject({
      code: "conflict",
      reason: "stale",
      userMessage: expect.stringContaining("no longer exists in the directory") as string,
    });
  });
});

describe("the requester and the principal, read from Graph at decision time and by the sweep", () => {
  const putsFor = async (principalId: string) =>
    (await tenant.control.journal.list({ system: "arm", method: "PUT", pathContains: assignmentNameFor(VISION, principalId, ROLE_IDS.reader) })).entries.length;
  const statusOf = async (id: string) =>
    (
      await rows<{ status: string; cause: string | null }>(
        `select r.status, e.details->>'cause' as cause from access_requests r left join audit_events e on e.target_request_id = r.id and e.action = 'request.lapsed' where r.id = '${id}'`,
      )
    )[0]!;
  /** A request filed by `requester` (a directory user, signed in from the sandbox tenant) for a fresh member. */
  const filedBy = async (requester: { id: string; displayName: string }) => {
    const user = aMember();
    const result = await submitAccessRequest(
      makeDelegatedContext(requester.displayName, { objectId: requester.id }),
      makeAccessRequest({
        workspaceId: VISION,
        roleDefinitionId: ROLE_IDS.reader,
        justification: "Reads the inspection results for an audit",
        duration: "7d",
        principal: { id: user.id, kind: "user", displayName: user.displayName },
      }),
      { db, notify: false },
    );
    return { request: result.request, principalId: user.id };
  };

  it("a requester without a console role (none, or no longer): the approval closes the request and ARM sees no PUT", async () => {
    const { request, principalId } = await filedBy(aMember());
    const refused = await refusalOf(approveAccessRequest(admin, { requestId: request.id, comment: "" }, { db, notify: false }));
    expect(refused).toMatchObject({ reason: "stale", userMessage: expect.stringContaining("no longer has a console role") as string });
    expect(await statusOf(request.id)).toEqual({ status: "lapsed", cause: "requester_lost_role" });
    expect(await putsFor(principalId)).toBe(0);
  });

  it("a deleted requester: the approval closes the request and ARM sees no PUT", async () => {
    const leaver = aMember();
    const { request, principalId } = await filedBy(leaver);
    tenant.sandbox.tenant.deleteDirectoryObject(leaver.id);
    const refused = await refusalOf(approveAccessRequest(admin, { requestId: request.id, comment: "" }, { db, notify: false }));
    expect(refused).toMatchObject({ reason: "stale", userMessage: expect.stringContaining("no longer exists in the directory") as string });
    expect(await statusOf(request.id)).toEqual({ status: "lapsed", cause: "requester_deleted" });
    expect(await putsFor(principalId)).toBe(0);
  });

  it("a principal whose account was disabled (not deleted): the approval closes the request and ARM sees no PUT", async () => {
    const user = aMember();
    const { request } = await submit({ principal: { id: user.id, kind: "user", displayName: user.displayName } });
    await tenant.control.accountEnabled.set(user.id, false);
    const refused = await refusalOf(approveAccessRequest(admin, { requestId: request.id, comment: "" }, { db, notify: false }));
    expect(refused).toMatchObject({ reason: "stale", userMessage: expect.stringContaining("is disabled in the directory") as string });
    expect(await statusOf(request.id)).toEqual({ status: "lapsed", cause: "principal_disabled" });
    expect(await putsFor(user.id)).toBe(0);
  });

  it("a requester whose account was disabled: the approval closes the request and ARM sees no PUT", async () => {
    const leaver = aMember();
    const { request, principalId } = await filedBy(leaver);
    await tenant.control.accountEnabled.set(leaver.userPrincipalName, false);
    const refused = await refusalOf(approveAccessRequest(admin, { requestId: request.id, comment: "" }, { db, notify: false }));
    expect(refused).toMatchObject({ reason: "stale", userMessage: expect.stringContaining("has a disabled account") as string });
    expect(await statusOf(request.id)).toEqual({ status: "lapsed", cause: "requester_disabled" });
    expect(await putsFor(principalId)).toBe(0);
  });

  it("the sweep closes pending requests whose principal or requester was deleted in the directory, audited", async () => {
    const principalGone = await submit({ principal: (({ id, displayName }) => ({ id, kind: "user" as const, displayName }))(aMember()) });
    const leaver = aMember();
    const requesterGone = await filedBy(leaver);
    const kept = await submit({ principal: (({ id, displayName }) => ({ id, kind: "user" as const, displayName }))(aMember()) });
    tenant.sandbox.tenant.deleteDirectoryObject(principalGone.request.principalId);
    tenant.sandbox.tenant.deleteDirectoryObject(leaver.id);
    await runRequestJobs(db, systemActor("access-request-expiry"), new Date(), { notify: false });
    expect(await statusOf(principalGone.request.id)).toEqual({ status: "lapsed", cause: "principal_deleted" });
    expect(await statusOf(requesterGone.request.id)).toEqual({ status: "lapsed", cause: "requester_deleted" });
    expect((await statusOf(kept.request.id)).status).toBe("pending");
  });
});
