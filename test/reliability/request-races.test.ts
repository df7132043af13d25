/**
 * Races on the access-request path: many people at once, on every storage engine (PGlite serialises transactions; on
 * PostgreSQL they really overlap, with a pool of 25 connections). Nothing may be lost, duplicated or half-written,
 * and the audit chain must stay whole.
 */
import { randomUUID } from "node:crypto";

import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { verifyAuditChain } from "@/lib/audit/verify";
import type { DatabaseHandle } from "@/lib/db/client";
import { approveAccessRequest } from "@/lib/requests/decide-request";
import { parseRequestPolicy } from "@/lib/requests/policy";
import type { AccessRequestRow } from "@/lib/requests/schema";
import { submitAccessRequest } from "@/lib/requests/submit-request";
import { trustingDirectory } from "@/test/support/request-directory";
import { settle } from "@/test/support/refusal";
import type { GrantResult } from "@/lib/workspaces/grant-workspace-roles";
import { makeDelegatedContext } from "@/test/support/builders/context";
import { makeAccessRequest } from "@/test/support/builders/requests";
import { storageEngines } from "@/test/support/databases";
import { reliabilityLong } from "@/test/support/test-env";

/** Concurrent submissions: 200, or 2,000 in the long variant. */
const SUBMISSIONS = reliabilityLong() ? 2000 : 200;

const WORKSPACE = "/subscriptions/00000000-0000-4000-8000-000000000001/resourceGroups/rg-ml/providers/Microsoft.MachineLearningServices/workspaces/mlw-race";
const DATA_SCIENTIST = "f6c7c914-8db3-469d-8ca1-694a8f32e121";
const policy = parseRequestPolicy({
  pendingLifetimeHours: 48,
  durations: ["8h", "1d", "7d"],
  roles: [{ roleDefinitionId: DATA_SCIENTIST, name: "AzureML Data Scientist", maxDuration: "7d" }],
});

const person = (name: string) => makeDelegatedContext(name);
const form = (principalId: string) =>
  makeAccessRequest({
    workspaceId: WORKSPACE,
    principal: { id: principalId, kind: "user", displayName: `Teammate ${principalId.slice(0, 4)}` },
    duration: "1d",
  });

async function count(handle: DatabaseHandle, query: ReturnType<typeof sql>): Promise<number> {
  const result = await handle.db.execute(query);
  return Number((result as { rows: { n: number }[] }).rows[0]!.n);
}

describe.each(storageEngines())("request races on $name", (engine) => {
  let handle: DatabaseHandle;
  beforeAll(async () => {
    handle = await engine.open();
  });
  afterAll(async () => {
    await handle.close();
  });

  it(`${SUBMISSIONS} people submitting at once: all stored, each with one request.submitted, none duplicated, chain whole`, { timeout: 300_000 }, async () => {
    const principals = Array.from({ length: SUBMISSIONS }, () => randomUUID());
    const { done: results, refused } = await settle(
      principals.map((id, index) =>
        submitAccessRequest(person(`lead${index}`), form(id), { db: handle.db, policy, now: new Date(), notify: false, directory: trustingDirectory }),
      ),
    );
    expect(refused).toEqual([]);
    const stored = await count(handle, sql`select count(*)::int as n from access_requests where workspace_key = ${WORKSPACE.toLowerCase()}`);
    expect(stored).toBe(SUBMISSIONS);
    expect(await count(handle, sql`select count(distinct principal_id)::int as n from access_requests where workspace_key = ${WORKSPACE.toLowerCase()}`)).toBe(
      SUBMISSIONS,
    );
    const ids = results.map((result) => result.request.id);
    expect(new Set(ids).size).toBe(SUBMISSIONS);
    expect(await count(handle, sql`select count(*)::int as n from audit_events where action = 'request.submitted'`)).toBe(SUBMISSIONS);
    expect(await count(handle, sql`select count(distinct target_request_id)::int as n from audit_events where action = 'request.submitted'`)).toBe(SUBMISSIONS);
    expect(await verifyAuditChain(handle.db)).toMatchObject({ ok: true });
  });

  it("20 identical submissions at once: one request stored, the other 19 told it is already waiting", async () => {
    const principal = randomUUID();
    const lead = person("same-lead");
    const { done, refused } = await settle(
      Array.from({ length: 20 }, () =>
        submitAccessRequest({ ...lead, requestId: randomUUID() }, form(principal), {
          db: handle.db,
          policy,
          now: new Date(),
          notify: false,
          directory: trustingDirectory,
        }),
      ),
    );
    expect(done).toHaveLength(1);
    expect(refused).toHaveLength(19);
    for (const loser of refused) {
      expect(loser).toMatchObject({ code: "conflict", fieldErrors: { principal: [expect.stringMatching(/already waiting for approval/)] } });
    }
    expect(await count(handle, sql`select count(*)::int as n from access_requests where principal_id = ${principal}`)).toBe(1);
    expect(
      await count(
        handle,
        sql`select count(*)::int as n from audit_events e join access_requests r on r.id::text = e.target_request_id where e.action = 'request.submitted' and r.principal_id = ${principal}`,
      ),
    ).toBe(1);
  });

  it("20 admins approving one request at once: one grant, one request.approved, 19 told who decided", async () => {
    const submitted = await submitAccessRequest(person("lead"), form(randomUUID()), {
      db: handle.db,
      policy,
      now: new Date(),
      notify: false,
      directory: trustingDirectory,
    });
    const grants: AccessRequestRow[] = [];
    const grant = async (request: AccessRequestRow): Promise<GrantResult> => {
      grants.push(request);
      // Held open a little, so the other approvals arrive while the first is granting.
      await new Promise((resolve) => setTimeout(resolve, 20));
      return { principalId: request.principalId, displayName: request.principalDisplayName, status: "granted", message: "Granted." };
    };
    const admins = Array.from({ length: 20 }, (_, index) => person(`admin${index}`));
    const { done, refused: losers } = await settle(
      admins.map((admin) =>
        approveAccessRequest(
          admin,
          { requestId: submitted.request.id, comment: "" },
          { db: handle.db, policy, now: new Date(), notify: false, grant, directory: trustingDirectory },
        ),
      ),
    );
    expect(done).toHaveLength(1);
    expect(losers).toHaveLength(19);
    for (const loser of losers) expect(loser).toMatchObject({ code: "conflict", reason: "already_decided" });
    expect(grants).toHaveLength(1);
    expect(
      await count(handle, sql`select count(*)::int as n from audit_events where action = 'request.approved' and target_request_id = ${submitted.request.id}`),
    ).toBe(1);
    expect(await count(handle, sql`select count(*)::int as n from access_requests where id = ${submitted.request.id} and status = 'granted'`)).toBe(1);
    expect(await verifyAuditChain(handle.db)).toMatchObject({ ok: true });
  });
});
