/**
 * Separation of duties and who is who, on every storage engine with the state-machine stand-in for Graph and ARM
 * (against a sandbox tenant, nested groups and owned service principals: verified-facts.test.ts).
 *
 * - Nobody decides access that would be their own: not the requester, not the principal (when someone else filed the
 *   request), not a member of the principal group; on approval and on retry alike. Graph unable to say is a refusal.
 * - A two-approver role needs two different people.
 * - People are their tenant id and object id: a renamed UPN keeps its requests; the same object id in another tenant
 *   is someone else.
 */
import { randomUUID } from "node:crypto";

import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import type { DatabaseHandle } from "@/lib/db/client";
import type { GrantResult } from "@/lib/workspaces/grant-workspace-roles";
import { makeDelegatedContext } from "@/test/support/builders/context";
import { makeAccessRequest } from "@/test/support/builders/requests";
import { storageEngines } from "@/test/support/databases";
import { refusalOf } from "@/test/support/refusal";
import { setConsoleSettings } from "@/test/support/test-env";
import { trustingDirectory } from "@/test/support/request-directory";
import { approveAccessRequest, cancelAccessRequest, retryAccessRequest } from "./decide-request";
import type { RequestDirectory } from "./directory";
import { parseRequestPolicy } from "./policy";
import { findAccessRequest, listAccessRequests } from "./queries";
import type { AccessRequestRow } from "./schema";
import { submitAccessRequest } from "./submit-request";

// Two different approvers are needed for a privileged role, so the operator has allowed Owner here.
setConsoleSettings({ GATEHOUSE_GRANTABLE_PRIVILEGED_ROLES: "Owner" });

const DATA_SCIENTIST = "f6c7c914-8db3-469d-8ca1-694a8f32e121";
const OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635";
const policy = parseRequestPolicy({
  pendingLifetimeHours: 48,
  durations: ["8h", "1d", "7d"],
  roles: [
    { roleDefinitionId: DATA_SCIENTIST, name: "AzureML Data Scientist", maxDuration: "7d" },
    { roleDefinitionId: OWNER, name: "Owner", maxDuration: "8h", approvers: 2 },
  ],
});
const NOW = new Date("2026-06-01T10:00:00Z");
const OTHER_TENANT = "0d7e2a41-5c3b-4f00-9e11-00000000beef";

describe.each(storageEngines())("separation of duties on $name", (engine) => {
  let handle: DatabaseHandle;
  beforeAll(async () => {
    handle = await engine.open();
  });
  afterAll(async () => {
    await handle.close();
  });

  // Fresh people per test file run: the stand-in directory remembers principals by id.
  const lead = makeDelegatedContext("lead");
  const admin1 = makeDelegatedContext("admin1");
  const admin2 = makeDelegatedContext("admin2");
  const admin3 = makeDelegatedContext("admin3");

  const grants: AccessRequestRow[] = [];
  let grantStatus: GrantResult["status"] = "granted";
  const grant = (request: AccessRequestRow): Promise<GrantResult> => {
    grants.push(request);
    return Promise.resolve({
      principalId: request.principalId,
      displayName: request.principalDisplayName,
      status: grantStatus,
      message: grantStatus === "failed" ? "You can't manage access on mlw-test." : "Granted.",
    });
  };
  const options = (directory: RequestDirectory = trustingDirectory) => ({ db: handle.db, policy, now: NOW, notify: false, grant, directory });
  const submit = async (by = lead, overrides: Parameters<typeof makeAccessRequest>[0] = {}) =>
    (await submitAccessRequest(by, makeAccessRequest(overrides), options())).request;
  const forPerson = (person: typeof admin1) => ({ principal: { id: person.person.objectId, kind: "user" as const, displayName: person.person.displayName } });
  const decision = (request: AccessRequestRow) => ({ requestId: request.id, comment: "" });
  const deniedEvents = async (request: AccessRequestRow) => {
    const result = await handle.db.execute(
      sql`select count(*)::int as n from audit_events where action = 'authz.denied' and target_request_id = ${request.id}`,
    );
    return Number((result as { rows: { n: number }[] }).rows[0]!.n);
  };
  const statusOf = async (request: AccessRequestRow) => {
    const result = await handle.db.execute(sql`select status from access_requests where id = ${request.id}`);
    return (result as { rows: { status: string }[] }).rows[0]!.status;
  };
  /** admin3 is a member (nested or not) of every group principal; or Graph cannot say. */
  const admin3InGroup: RequestDirectory = {
    ...trustingDirectory,
    approverConflict: (approverId, request) =>
      Promise.resolve(approverId === admin3.person.objectId.toLowerCase() ? `You are a member of ${request.principalDisplayName}.` : undefined),
  };
  const membershipUnreadable: RequestDirectory = { ...trustingDirectory, approverConflict: () => Promise.reject(new Error("Graph unavailable")) };

  it("a team lead asks for access for the admin: the admin may not approve it (audited); another admin may", async () => {
    const request = await submit(lead, forPerson(admin1));
    const before = grants.length;
    expect(await refusalOf(approveAccessRequest(admin1, decision(request), options()))).toMatchObject({ code: "forbidden", reason: "self_approval" });
    expect(await deniedEvents(request)).toBe(1);
    expect(await statusOf(request)).toBe("pending");
    expect(grants.length).toBe(before);
    expect(await approveAccessRequest(admin2, decision(request), options())).toMatchObject({ request: { status: "granted" } });
  });

  it("retry follows the same rules: not the requester, not the principal, not a group member, and not when Graph cannot say", async () => {
    const admins = { principal: { id: randomUUID(), kind: "group" as const, displayName: "Workspace admins" } };
    const request = await submit(admin2, admins);
    grantStatus = "failed";
    try {
      expect(await approveAccessRequest(admin1, decision(request), options())).toMatchObject({ request: { status: "failed" } });
    } finally {
      grantStatus = "granted";
    }
    const before = grants.length;
    expect(await refusalOf(retryAccessRequest(admin2, decision(request), options()))).toMatchObject({ code: "forbidden", reason: "self_approval" });
    expect(await refusalOf(retryAccessRequest(admin3, decision(request), options(admin3InGroup)))).toMatchObject({
      code: "forbidden",
      reason: "self_approval",
      userMessage: "You are a member of Workspace admins.",
    });
    expect(await refusalOf(retryAccessRequest(admin1, decision(request), options(membershipUnreadable)))).toMatchObject({
      code: "upstream_unavailable",
      reason: "unverified",
    });
    expect(await deniedEvents(request)).toBe(2);
    expect(grants.length).toBe(before);
    expect(await statusOf(request)).toBe("failed");

    // The principal, now an admin, may not retry the request that gives them the access either.
    const admin4 = makeDelegatedContext("admin4");
    const forAdmin4 = await submit(lead, forPerson(admin4));
    grantStatus = "failed";
    try {
      await approveAccessRequest(admin2, decision(forAdmin4), options());
    } finally {
      grantStatus = "granted";
    }
    expect(await refusalOf(retryAccessRequest(admin4, decision(forAdmin4), options()))).toMatchObject({ code: "forbidden", reason: "self_approval" });
    expect(grants.length).toBe(before + 1);
    expect(await retryAccessRequest(admin2, decision(forAdmin4), options())).toMatchObject({ request: { status: "granted" } });
  });

  it("a member of the principal group may not approve; membership unreadable refuses; the request stays pending", async () => {
    const request = await submit(lead, { principal: { id: randomUUID(), kind: "group", displayName: "Project Falcon" } });
    const before = grants.length;
    expect(await refusalOf(approveAccessRequest(admin3, decision(request), options(admin3InGroup)))).toMatchObject({
      code: "forbidden",
      reason: "self_approval",
    });
    expect(await refusalOf(approveAccessRequest(admin1, decision(request), options(membershipUnreadable)))).toMatchObject({
      code: "upstream_unavailable",
      reason: "unverified",
    });
    expect(await statusOf(request)).toBe("pending");
    expect(grants.length).toBe(before);
    expect(await approveAccessRequest(admin1, decision(request), options(admin3InGroup))).toMatchObject({ request: { status: "granted" } });
  });

  it("two approvers means two different people: the same person renamed counts once", async () => {
    const request = await submit(lead, { roleDefinitionId: OWNER, duration: "8h" });
    // Owner is privileged: each approver has signed in with the stronger sign-in (step-up).
    const [first, second] = [admin1, admin2].map((admin) => ({ ...admin, authContexts: ["c1"] }));
    expect(await approveAccessRequest(first!, decision(request), options())).toMatchObject({ request: { status: "pending" } });
    const renamed = makeDelegatedContext("admin1-renamed", { objectId: admin1.person.objectId, authContexts: ["c1"] });
    expect(await refusalOf(approveAccessRequest(renamed, decision(request), options()))).toMatchObject({ reason: "already_approved_by_you" });
    expect(await statusOf(request)).toBe("pending");
    expect(await approveAccessRequest(second!, decision(request), options())).toMatchObject({
      request: { status: "granted", approvals: [{ objectId: admin1.person.objectId }, { objectId: admin2.person.objectId }] },
    });
  });

  it("a renamed UPN keeps its requests: seen, withdrawn, and still refused as self-approval", async () => {
    const request = await submit(lead);
    const renamed = makeDelegatedContext("lead-renamed", { objectId: lead.person.objectId });
    const viewer = { tenantId: renamed.person.tenantId, objectId: renamed.person.objectId, isAdmin: false };
    expect((await findAccessRequest(viewer, request.id, handle.db))?.id).toBe(request.id);
    expect((await listAccessRequests(viewer, { mine: true }, handle.db)).map((row) => row.id)).toContain(request.id);
    expect(await refusalOf(approveAccessRequest(renamed, decision(request), options()))).toMatchObject({ reason: "self_approval" });
    expect(await cancelAccessRequest(renamed, decision(request), options())).toMatchObject({ request: { status: "cancelled" } });
  });

  it("the same object id in another tenant is someone else: no ownership, and not the requester or the principal", async () => {
    const request = await submit(lead);
    const twin = makeDelegatedContext("lead", { tenantId: OTHER_TENANT, objectId: lead.person.objectId });
    const viewer = { tenantId: OTHER_TENANT, objectId: lead.person.objectId, isAdmin: false };
    expect(await findAccessRequest(viewer, request.id, handle.db)).toBeUndefined();
    expect((await listAccessRequests(viewer, { mine: true }, handle.db)).map((row) => row.id)).not.toContain(request.id);
    expect(await refusalOf(cancelAccessRequest(twin, decision(request), options()))).toMatchObject({ code: "not_found", reason: "not_requester" });
    expect(await statusOf(request)).toBe("pending");

    // An admin of the other tenant whose object id matches the requester's, or the principal's, is not them.
    expect(await approveAccessRequest(twin, decision(request), options())).toMatchObject({ request: { status: "granted" } });
    const admin5 = makeDelegatedContext("admin5");
    const forAdmin5 = await submit(lead, forPerson(admin5));
    const admin5Twin = makeDelegatedContext("admin5", { tenantId: OTHER_TENANT, objectId: admin5.person.objectId });
    expect(await approveAccessRequest(admin5Twin, decision(forAdmin5), options())).toMatchObject({ request: { status: "granted" } });
  });
});
