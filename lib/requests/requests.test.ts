import { readFileSync } from "node:fs";

import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import type { AuditActor } from "@/lib/audit";
import { STEP_UP_MESSAGE, stepUpClaims } from "@/lib/auth/step-up";
import type { DatabaseHandle } from "@/lib/db/client";
import type { AppError } from "@/lib/errors";
import type { GrantResult } from "@/lib/workspaces/grant-workspace-roles";
import { makeDelegatedContext, TEST_TENANT_ID } from "@/test/support/builders/context";
import { makeAccessRequest } from "@/test/support/builders/requests";
import { postgresEngine, storageEngines } from "@/test/support/databases";
import { refusalOf, settle } from "@/test/support/refusal";
import { trustingDirectory } from "@/test/support/request-directory";
import { setConsoleSettings } from "@/test/support/test-env";
import { approveAccessRequest, cancelAccessRequest, denyAccessRequest, retryAccessRequest } from "./decide-request";
import { parseRequestPolicy, RequestPolicyError, roleChoices } from "./policy";
import { runRequestJobs } from "./run-request-jobs";
import type { AccessRequestRow } from "./schema";
import { submitAccessRequest, submitRequestSchema } from "./submit-request";

// These tests are about two-approver requests for a privileged role, so the operator has allowed Owner here.
setConsoleSettings({ GATEHOUSE_GRANTABLE_PRIVILEGED_ROLES: "Owner" });

const DATA_SCIENTIST = "f6c7c914-8db3-469d-8ca1-694a8f32e121";
const OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635";

const policy = parseRequestPolicy({
  pendingLifetimeHours: 48,
  durations: ["8h", "1d", "7d", "30d", "90d", "permanent"],
  roles: [
    { roleDefinitionId: DATA_SCIENTIST, name: "AzureML Data Scientist", maxDuration: "30d" },
    { roleDefinitionId: OWNER, name: "Owner", maxDuration: "8h", approvers: 2 },
  ],
});

const lead = makeDelegatedContext("lead");
const nothingDeleted = () => Promise.resolve(new Set<string>());
const admin1 = makeDelegatedContext("admin1");
const admin2 = makeDelegatedContext("admin2");
const system: AuditActor = { kind: "system", appId: "0c0a5e11-a910-4000-8000-000000000002", tenantId: TEST_TENANT_ID };

function granting(calls: AccessRequestRow[], status: GrantResult["status"] = "granted") {
  return async (request: AccessRequestRow): Promise<GrantResult> => {
    calls.push(request);
    await new Promise((resolve) => setTimeout(resolve, 20));
    return {
      principalId: request.principalId,
      displayName: request.principalDisplayName,
      status,
      message: status === "failed" ? "You can't manage access on mlw-test." : "Granted.",
    };
  };
}

async function auditCount(handle: DatabaseHandle, action: string, requestId: string): Promise<number> {
  const result = await handle.db.execute(sql`select count(*)::int as n from audit_events where action = ${action} and target_request_id = ${requestId}`);
  return Number((result as { rows: { n: number }[] }).rows[0]!.n);
}

describe("request policy", () => {
  it("refuses privileged roles with one approver and unknown presets, naming each problem", () => {
    expect(() =>
      parseRequestPolicy({ pendingLifetimeHours: 1, durations: ["2h"], roles: [{ roleDefinitionId: OWNER, name: "Owner", maxDuration: "8h" }] }),
    ).toThrow(RequestPolicyError);
    try {
      parseRequestPolicy({ pendingLifetimeHours: 1, durations: ["8h"], roles: [{ roleDefinitionId: OWNER, name: "Owner", maxDuration: "8h" }] });
    } catch (error) {
      expect((error as Error).message).toContain('roles.0.approvers: Owner is privileged and needs "approvers": 2');
    }
  });

  it("validates the shipped policy file", () => {
    expect(() => parseRequestPolicy(JSON.parse(String(readFileSync("config/request-policy.json"))))).not.toThrow();
  });

  it("offers each role with its guidance, approvers and only the durations up to its maximum", () => {
    expect(roleChoices(policy)).toEqual([
      {
        id: DATA_SCIENTIST,
        name: "AzureML Data Scientist",
        summary: expect.stringMatching(/\w/) as string,
        warning: undefined,
        approvers: 1,
        durations: ["8h", "1d", "7d", "30d"].map((value) => ({ value, label: expect.any(String) as string })),
      },
      {
        id: OWNER,
        name: "Owner",
        summary: expect.stringMatching(/\w/) as string,
        warning: expect.stringMatching(/\w/) as string,
        approvers: 2,
        durations: [{ value: "8h", label: "8 hours" }],
      },
    ]);
  });
});

describe("request form schema", () => {
  it("gives an error per wrong field", () => {
    const parsed = submitRequestSchema.safeParse({
      workspaceId: "/subscriptions/x",
      roleDefinitionId: "",
      principal: null,
      justification: "short",
      duration: "2y",
    });
    expect(parsed.success).toBe(false);
    const fields = Object.keys(parsed.error!.flatten().fieldErrors);
    expect(fields).toEqual(expect.arrayContaining(["workspaceId", "roleDefinitionId", "principal", "justification", "duration"]));
  });
});

describe.each(storageEngines())("access requests on $name", (engine) => {
  let handle: DatabaseHandle;
  beforeAll(async () => {
    handle = await engine.open();
  });
  afterAll(async () => {
    await handle.close();
  });
  const opts = (now = new Date("2026-06-01T10:00:00Z")) => ({ db: handle.db, policy, now, notify: false, directory: trustingDirectory });

  it("submits, refuses a duplicate pending one and a duration above the role's maximum", async () => {
    const input = makeAccessRequest();
    const first = await submitAccessRequest(lead, input, opts());
    const again = await refusalOf(submitAccessRequest(lead, input, opts()));
    expect(again).toMatchObject({ code: "conflict", fieldErrors: { principal: [expect.stringContaining("already waiting for approval")] } });
    const tooLong = await refusalOf(submitAccessRequest(lead, makeAccessRequest({ duration: "90d" }), opts()));
    expect(tooLong).toMatchObject({ code: "invalid_input", fieldErrors: { duration: [expect.any(String)] } });
    const notRequestable = await refusalOf(submitAccessRequest(lead, makeAccessRequest({ roleDefinitionId: "b24988ac-6180-42a0-ab88-20f7382dd24c" }), opts()));
    expect(notRequestable).toMatchObject({ code: "invalid_input", fieldErrors: { roleDefinitionId: [expect.any(String)] } });
    expect(await auditCount(handle, "request.submitted", first.request.id)).toBe(1);
  });

  it("refuses self-approval (audited), grants as the approver, refuses a second approval and catches 'already granted'", async () => {
    const input = makeAccessRequest();
    const submitted = await submitAccessRequest(lead, input, opts());
    const id = submitted.request.id;
    const calls: AccessRequestRow[] = [];
    const self = await refusalOf(approveAccessRequest(lead, { requestId: id, comment: "" }, { ...opts(), grant: granting(calls) }));
    expect(self).toMatchObject({ code: "forbidden", reason: "self_approval" });
    expect(await auditCount(handle, "authz.denied", id)).toBe(1);

    const approved = await approveAccessRequest(admin1, { requestId: id, comment: "ok" }, { ...opts(), grant: granting(calls) });
    expect(approved).toMatchObject({ request: { status: "granted" } });
    expect(approved.request.expiresAt?.toISOString()).toBe("2026-06-08T10:00:00.000Z");
    const second = await refusalOf(approveAccessRequest(admin2, { requestId: id, comment: "" }, { ...opts(), grant: granting(calls) }));
    expect(second).toMatchObject({ code: "conflict", reason: "already_decided", userMessage: expect.stringContaining("already decided by admin1") as string });
    expect(calls).toHaveLength(1);
    expect(await auditCount(handle, "request.approved", id)).toBe(1);
    expect(await auditCount(handle, "request.granted", id)).toBe(1);

    const duplicate = await refusalOf(submitAccessRequest(lead, input, opts()));
    expect(duplicate).toMatchObject({ code: "conflict", fieldErrors: { principal: [expect.stringContaining("already has")] } });
  });

  it("needs two different approvers for a privileged role, each signed in with the step-up context", async () => {
    const submitted = await submitAccessRequest(lead, makeAccessRequest({ roleDefinitionId: OWNER, duration: "8h" }), opts());
    const calls: AccessRequestRow[] = [];
    // Without the authentication context in the token: a claims challenge for it, recorded, and nothing decided.
    const plain = await approveAccessRequest(admin1, { requestId: submitted.request.id, comment: "" }, { ...opts(), grant: granting(calls) }).then(
      () => undefined,
      (error: unknown) => error as AppError,
    );
    expect(plain).toMatchObject({ code: "interaction_required", userMessage: STEP_UP_MESSAGE, claims: stepUpClaims("c1") });
    const approvals = await handle.db.execute(sql`select jsonb_array_length(approvals)::int as n from access_requests where id = ${submitted.request.id}`);
    expect((approvals as { rows: { n: number }[] }).rows[0]!.n).toBe(0);
    expect(await auditCount(handle, "authz.denied", submitted.request.id)).toBe(1);
    const steppedUp1 = { ...admin1, authContexts: ["c1"] };
    const steppedUp2 = { ...admin2, authContexts: ["c1"] };
    const first = await approveAccessRequest(steppedUp1, { requestId: submitted.request.id, comment: "" }, { ...opts(), grant: granting(calls) });
    expect(first).toMatchObject({ request: { status: "pending" } });
    const again = await refusalOf(approveAccessRequest(steppedUp1, { requestId: submitted.request.id, comment: "" }, { ...opts(), grant: granting(calls) }));
    expect(again).toMatchObject({ code: "conflict", reason: "already_approved_by_you" });
    expect(calls).toHaveLength(0);
    // Another context than the configured one is no step-up.
    await expect(
      approveAccessRequest({ ...admin2, authContexts: ["c2", "p1"] }, { requestId: submitted.request.id, comment: "" }, { ...opts(), grant: granting(calls) }),
    ).rejects.toMatchObject({ code: "interaction_required" });
    const second = await approveAccessRequest(steppedUp2, { requestId: submitted.request.id, comment: "" }, { ...opts(), grant: granting(calls) });
    expect(second).toMatchObject({ request: { status: "granted" } });
    expect(calls).toHaveLength(1);
    expect(await auditCount(handle, "request.approval_recorded", submitted.request.id)).toBe(1);
  });

  it("records an ARM refusal as failed with the reason, and a retry by another admin grants", async () => {
    const submitted = await submitAccessRequest(lead, makeAccessRequest(), opts());
    const calls: AccessRequestRow[] = [];
    const failed = await approveAccessRequest(admin1, { requestId: submitted.request.id, comment: "" }, { ...opts(), grant: granting(calls, "failed") });
    expect(failed).toMatchObject({ request: { status: "failed", failureReason: expect.stringContaining("can't manage access") as string } });
    expect(await auditCount(handle, "request.failed", submitted.request.id)).toBe(1);
    const retried = await retryAccessRequest(admin2, { requestId: submitted.request.id, comment: "" }, { ...opts(), grant: granting(calls) });
    expect(retried).toMatchObject({ request: { status: "granted" } });
  });

  it("returns Azure's claims challenge with a failed approval, and the same approver's retry after signing in again grants", async () => {
    const submitted = await submitAccessRequest(lead, makeAccessRequest(), opts());
    const claims = JSON.stringify({ access_token: { acrs: { essential: true, values: ["p1"] } } });
    const stepUp = (request: AccessRequestRow): Promise<GrantResult> =>
      Promise.resolve({
        principalId: request.principalId,
        displayName: request.principalDisplayName,
        status: "failed",
        message: "Azure needs you to sign in again.",
        claims,
      });
    const failed = await approveAccessRequest(admin1, { requestId: submitted.request.id, comment: "" }, { ...opts(), grant: stepUp });
    expect(failed).toMatchObject({ request: { status: "failed" }, claims });
    const retried = await retryAccessRequest(admin1, { requestId: submitted.request.id, comment: "" }, { ...opts(), grant: granting([]) });
    expect(retried).toMatchObject({ request: { status: "granted" } });
    expect(retried.claims).toBeUndefined();
  });

  it("denies with a required comment, lets only the requester cancel, and lapses stale requests", async () => {
    const a = await submitAccessRequest(lead, makeAccessRequest(), opts());
    const b = await submitAccessRequest(lead, makeAccessRequest(), opts());
    const c = await submitAccessRequest(lead, makeAccessRequest(), opts(new Date("2026-05-01T00:00:00Z")));
    expect(await refusalOf(denyAccessRequest(admin1, { requestId: a.request.id, comment: "" }, opts()))).toMatchObject({
      code: "invalid_input",
      reason: "comment_required",
      fieldErrors: { comment: [expect.any(String)] },
    });
    expect(await denyAccessRequest(admin1, { requestId: a.request.id, comment: "Not this quarter" }, opts())).toMatchObject({ request: { status: "denied" } });
    expect(await refusalOf(cancelAccessRequest(admin1, { requestId: b.request.id, comment: "" }, opts()))).toMatchObject({
      code: "not_found",
      reason: "not_requester",
    });
    expect(await cancelAccessRequest(lead, { requestId: b.request.id, comment: "" }, opts())).toMatchObject({ request: { status: "cancelled" } });
    const run = await runRequestJobs(handle.db, system, new Date("2026-06-01T10:00:00Z"), {
      notify: false,
      findDeleted: nothingDeleted,
      revoke: () => Promise.resolve({ wasAbsent: false }),
    });
    expect(run.lapsed).toBeGreaterThanOrEqual(1);
    expect(await auditCount(handle, "request.lapsed", c.request.id)).toBe(1);
  });

  it("expires granted access exactly once, even with two job instances at once", async () => {
    const submitted = await submitAccessRequest(lead, makeAccessRequest({ duration: "8h" }), opts(new Date("2026-07-01T00:00:00Z")));
    await approveAccessRequest(admin1, { requestId: submitted.request.id, comment: "" }, { ...opts(new Date("2026-07-01T00:00:00Z")), grant: granting([]) });
    const revoked: string[] = [];
    const revoke = async (request: AccessRequestRow) => {
      revoked.push(request.id);
      await new Promise((resolve) => setTimeout(resolve, 20));
      return { wasAbsent: false };
    };
    const later = new Date("2026-07-01T09:00:00Z");
    await Promise.all([
      runRequestJobs(handle.db, system, later, { notify: false, revoke, findDeleted: nothingDeleted }),
      runRequestJobs(handle.db, system, later, { notify: false, revoke, findDeleted: nothingDeleted }),
    ]);
    expect(revoked.filter((id) => id === submitted.request.id)).toHaveLength(1);
    expect(await auditCount(handle, "request.expired", submitted.request.id)).toBe(1);
  });
});

const postgres = postgresEngine();
describe.runIf(postgres)("concurrent approvals on real PostgreSQL", () => {
  let handle: DatabaseHandle;
  beforeAll(async () => {
    handle = await postgres!.open();
  });
  afterAll(async () => {
    await handle?.close();
  });

  it("two admins approving at the same moment produce one grant and one request.approved; the other sees who decided", async () => {
    const submitted = await submitAccessRequest(lead, makeAccessRequest(), {
      db: handle.db,
      policy,
      now: new Date(),
      notify: false,
      directory: trustingDirectory,
    });
    const calls: AccessRequestRow[] = [];
    const approvers = [admin1, admin2, makeDelegatedContext("admin3"), makeDelegatedContext("admin4"), makeDelegatedContext("admin5")];
    const { done: winners, refused: losers } = await settle(
      approvers.map((admin) =>
        approveAccessRequest(
          admin,
          { requestId: submitted.request.id, comment: "" },
          { db: handle.db, policy, now: new Date(), notify: false, grant: granting(calls), directory: trustingDirectory },
        ),
      ),
    );
    expect(winners).toHaveLength(1);
    expect(losers).toHaveLength(approvers.length - 1);
    for (const loser of losers) {
      expect(loser).toMatchObject({
        reason: "already_decided",
        userMessage: expect.stringMatching(/already decided by admin\d|approved this request at the same moment/) as string,
      });
    }
    expect(calls).toHaveLength(1);
    expect(await auditCount(handle, "request.approved", submitted.request.id)).toBe(1);
  });
});
