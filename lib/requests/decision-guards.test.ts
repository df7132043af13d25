/**
 * Decisions that hold: at approval time the request must still be within its deadline and the policy (role and
 * duration), its principal must still exist and its requester must still exist and hold a console role. Each guard
 * refuses, closes the request as `lapsed` with the cause (stored and audited) and grants nothing; Graph failing refuses
 * and leaves the request pending. On every storage engine, with the state-machine stand-in for Graph and ARM (the
 * same checks against a sandbox tenant: verified-facts.test.ts).
 */
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import type { AuditActor } from "@/lib/audit";
import type { DatabaseHandle } from "@/lib/db/client";
import type { GrantResult } from "@/lib/workspaces/grant-workspace-roles";
import { makeDelegatedContext, TEST_TENANT_ID } from "@/test/support/builders/context";
import { makeAccessRequest } from "@/test/support/builders/requests";
import { storageEngines } from "@/test/support/databases";
import { refusalOf } from "@/test/support/refusal";
import { trustingDirectory } from "@/test/support/request-directory";
import { approveAccessRequest } from "./decide-request";
import type { RequestDirectory } from "./directory";
import { parseRequestPolicy, type RequestPolicy } from "./policy";
import { runRequestJobs } from "./run-request-jobs";
import type { AccessRequestRow } from "./schema";
import { submitAccessRequest } from "./submit-request";

const DATA_SCIENTIST = "f6c7c914-8db3-469d-8ca1-694a8f32e121";
const READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7";
const policyWith = (roles: { roleDefinitionId: string; name: string; maxDuration: "8h" | "7d" | "30d" }[]) =>
  parseRequestPolicy({ pendingLifetimeHours: 48, durations: ["8h", "1d", "7d", "30d"], roles });
const policy = policyWith([
  { roleDefinitionId: DATA_SCIENTIST, name: "AzureML Data Scientist", maxDuration: "30d" },
  { roleDefinitionId: READER, name: "Reader", maxDuration: "30d" },
]);
const NOW = new Date("2026-06-01T10:00:00Z");
const lead = makeDelegatedContext("lead");
const admin = makeDelegatedContext("admin1");
const system: AuditActor = { kind: "system", appId: "0c0a5e11-a910-4000-8000-000000000002", tenantId: TEST_TENANT_ID };

describe.each(storageEngines())("stale-state guards at approval on $name", (engine) => {
  let handle: DatabaseHandle;
  beforeAll(async () => {
    handle = await engine.open();
  });
  afterAll(async () => {
    await handle.close();
  });

  const grants: AccessRequestRow[] = [];
  const grant = (request: AccessRequestRow): Promise<GrantResult> => {
    grants.push(request);
    return Promise.resolve({ principalId: request.principalId, displayName: request.principalDisplayName, status: "granted", message: "Granted." });
  };
  const submit = async (overrides: Parameters<typeof makeAccessRequest>[0] = {}) =>
    (await submitAccessRequest(lead, makeAccessRequest(overrides), { db: handle.db, policy, now: NOW, notify: false, directory: trustingDirectory })).request;
  const approve = (request: AccessRequestRow, options: { policy?: RequestPolicy; directory?: RequestDirectory; now?: Date } = {}) =>
    approveAccessRequest(
      admin,
      { requestId: request.id, comment: "" },
      { db: handle.db, policy, now: NOW, notify: false, grant, directory: trustingDirectory, ...options },
    );
  const stored = async (id: string) => {
    const result = await handle.db.execute(sql`select status, outcome_note from access_requests where id = ${id}`);
    return (result as { rows: { status: string; outcome_note: string | null }[] }).rows[0]!;
  };
  const lapsedEvents = async (id: string) => {
    const result = await handle.db.execute(
      sql`select reason, details->>'cause' as cause from audit_events where action = 'request.lapsed' and target_request_id = ${id}`,
    );
    return (result as { rows: { reason: string; cause: string }[] }).rows;
  };

  /** Refused as stale, closed as lapsed with this cause and the message as its note, audited once, nothing granted. */
  async function expectClosed(request: AccessRequestRow, decision: Promise<unknown>, cause: string, message: RegExp) {
    const before = grants.length;
    const refused = await refusalOf(decision);
    expect(refused).toMatchObject({ code: "conflict", reason: "stale" });
    expect(refused.userMessage).toMatch(message);
    expect(refused.userMessage).toContain("Nothing was granted.");
    const row = await stored(request.id);
    expect(row.status).toBe("lapsed");
    expect(row.outcome_note).toMatch(message);
    expect(await lapsedEvents(request.id)).toEqual([{ reason: row.outcome_note, cause }]);
    expect(grants.length).toBe(before);
    // Closed for good: a second approver is told it was decided, and nothing is granted then either.
    expect(await refusalOf(approve(request))).toMatchObject({ reason: "already_decided" });
    expect(grants.length).toBe(before);
  }

  it("the good path still grants", async () => {
    const request = await submit();
    expect(await approve(request)).toMatchObject({ request: { status: "granted" } });
    expect(grants.at(-1)?.id).toBe(request.id);
  });

  it("past its pending lifetime: closed as lapsed (deadline)", async () => {
    const request = await submit();
    await expectClosed(request, approve(request, { now: new Date(NOW.getTime() + 49 * 3_600_000) }), "deadline", /not decided in time/);
  });

  it("the role left the policy: closed (policy_changed)", async () => {
    const request = await submit({ roleDefinitionId: READER });
    const withoutReader = policyWith([{ roleDefinitionId: DATA_SCIENTIST, name: "AzureML Data Scientist", maxDuration: "30d" }]);
    await expectClosed(request, approve(request, { policy: withoutReader }), "policy_changed", /Reader can no longer be requested/);
  });

  it("the role's longest duration shrank below the one asked: closed (policy_changed)", async () => {
    const request = await submit({ duration: "7d" });
    const shorter = policyWith([{ roleDefinitionId: DATA_SCIENTIST, name: "AzureML Data Scientist", maxDuration: "8h" }]);
    await expectClosed(request, approve(request, { policy: shorter }), "policy_changed", /no longer allows AzureML Data Scientist for as long/);
  });

  it("the policy changes while Graph is being asked: the check under the row lock still closes it", async () => {
    const request = await submit({ roleDefinitionId: READER });
    const live = structuredClone<RequestPolicy>(policy);
    const changing: RequestDirectory = {
      ...trustingDirectory,
      requesterStanding: () => {
        // The role leaves the policy after the first checks passed, before the approval is recorded.
        (live.roles as unknown[]).splice(
          live.roles.findIndex((role) => role.roleDefinitionId === READER),
          1,
        );
        return Promise.resolve("ok");
      },
    };
    await expectClosed(request, approve(request, { policy: live, directory: changing }), "policy_changed", /Reader can no longer be requested/);
  });

  it("the principal was deleted: closed (principal_deleted)", async () => {
    const request = await submit();
    const gone: RequestDirectory = {
      ...trustingDirectory,
      verifyPrincipal: () => Promise.resolve(undefined),
      findDeleted: (ids) => Promise.resolve(new Set(ids.map((id) => id.toLowerCase()))),
    };
    await expectClosed(request, approve(request, { directory: gone }), "principal_deleted", /no longer exists in the directory/);
  });

  it("a principal missing from one read but not confirmed deleted: refused, still pending", async () => {
    const request = await submit();
    const lagging: RequestDirectory = { ...trustingDirectory, verifyPrincipal: () => Promise.resolve(undefined) };
    expect(await refusalOf(approve(request, { directory: lagging }))).toMatchObject({ code: "upstream_unavailable", reason: "unverified" });
    expect((await stored(request.id)).status).toBe("pending");
  });

  it("the requester was deleted: closed (requester_deleted)", async () => {
    const request = await submit();
    const gone: RequestDirectory = { ...trustingDirectory, requesterStanding: () => Promise.resolve("deleted") };
    await expectClosed(request, approve(request, { directory: gone }), "requester_deleted", /lead, who asked for this access, no longer exists/);
  });

  it("the principal's account is disabled, not deleted: closed (principal_disabled)", async () => {
    const request = await submit();
    const disabled: RequestDirectory = {
      ...trustingDirectory,
      verifyPrincipal: async (id) => {
        const found = await trustingDirectory.verifyPrincipal(id);
        return found && { ...found, disabled: true };
      },
    };
    await expectClosed(request, approve(request, { directory: disabled }), "principal_disabled", /account \(.+\) is disabled in the directory/);
  });

  it("the requester's account is disabled: closed (requester_disabled)", async () => {
    const request = await submit();
    const disabled: RequestDirectory = { ...trustingDirectory, requesterStanding: () => Promise.resolve("disabled") };
    await expectClosed(request, approve(request, { directory: disabled }), "requester_disabled", /lead, who asked for this access, has a disabled account/);
  });

  it("the requester lost their console role: closed (requester_lost_role)", async () => {
    const request = await submit();
    const demoted: RequestDirectory = { ...trustingDirectory, requesterStanding: () => Promise.resolve("no_role") };
    await expectClosed(
      request,
      approve(request, { directory: demoted }),
      "requester_lost_role",
      /lead, who asked for this access, no longer has a console role/,
    );
  });

  it("Graph cannot say whether the requester still may ask: refused, nothing granted, still pending", async () => {
    const request = await submit();
    const before = grants.length;
    const blind: RequestDirectory = { ...trustingDirectory, requesterStanding: () => Promise.reject(new Error("Graph unavailable")) };
    expect(await refusalOf(approve(request, { directory: blind }))).toMatchObject({ code: "upstream_unavailable", reason: "unverified" });
    expect((await stored(request.id)).status).toBe("pending");
    expect(grants.length).toBe(before);
  });

  it("the sweep closes pending requests whose principal or requester was deleted, and leaves the rest", async () => {
    const principalGone = await submit();
    const requesterGone = await submitAccessRequest(makeDelegatedContext("leaver"), makeAccessRequest(), {
      db: handle.db,
      policy,
      now: NOW,
      notify: false,
      directory: trustingDirectory,
    });
    const standing = await submit();
    const deleted = new Set([principalGone.principalId, requesterGone.request.requesterObjectId]);
    const asked: string[] = [];
    const run = await runRequestJobs(handle.db, system, NOW, {
      notify: false,
      findDeleted: (ids) => {
        asked.push(...ids);
        return Promise.resolve(new Set(ids.filter((id) => deleted.has(id))));
      },
    });
    expect(asked).toEqual(expect.arrayContaining([principalGone.principalId, requesterGone.request.requesterObjectId, standing.principalId]));
    expect(run.lapsed).toBeGreaterThanOrEqual(2);
    expect(await stored(principalGone.id)).toMatchObject({ status: "lapsed", outcome_note: expect.stringContaining("no longer exists") as string });
    expect(await lapsedEvents(principalGone.id)).toMatchObject([{ cause: "principal_deleted" }]);
    expect(await stored(requesterGone.request.id)).toMatchObject({ status: "lapsed", outcome_note: expect.stringContaining("leaver, who asked") as string });
    expect(await lapsedEvents(requesterGone.request.id)).toMatchObject([{ cause: "requester_deleted" }]);
    expect((await stored(standing.id)).status).toBe("pending");

    // Graph failing closes nothing.
    const another = await submit();
    await runRequestJobs(handle.db, system, NOW, { notify: false, findDeleted: () => Promise.reject(new Error("Graph unavailable")) });
    expect((await stored(another.id)).status).toBe("pending");
  });
});
