/**
 * The permission-delta line approvers are told about: computed at submission as the requester (as the form showed it)
 * against the shared sandbox tenant, stored on the request, and never in the way of the submission when it cannot be
 * computed.
 */
import { randomUUID } from "node:crypto";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import type { DatabaseHandle } from "@/lib/db/client";
import { workspaceScope } from "@/lib/shared/arm-scope";
import { makeAccessRequest } from "@/test/support/builders/requests";
import { storageEngines } from "@/test/support/databases";
import { personaContext } from "@/test/support/persona-token";
import { trustingDirectory } from "@/test/support/request-directory";
import { createTenant, ROLE_IDS } from "@/sandbox/tenant/index";
import { persona } from "@/sandbox/tenant/personas";
import { withDeltaSummary } from "./delta-summary";
import { parseRequestPolicy } from "./policy";
import { submitAccessRequest } from "./submit-request";

const oracle = createTenant({ seed: 1, scale: "default" });
const churn = [...oracle.workspaces.values()].find((candidate) => candidate.name === "mlw-churn-prod")!;
const CHURN = workspaceScope(churn.subscriptionId, churn.resourceGroup, churn.name);
const policy = parseRequestPolicy({
  pendingLifetimeHours: 48,
  durations: ["8h", "1d", "7d", "30d"],
  roles: [
    { roleDefinitionId: ROLE_IDS.dataScientist, name: "AzureML Data Scientist", maxDuration: "30d" },
    { roleDefinitionId: ROLE_IDS.computeOperator, name: "AzureML Compute Operator", maxDuration: "30d" },
  ],
});

describe("the delta summary stored at submission", () => {
  let handle: DatabaseHandle;
  beforeAll(async () => {
    handle = await storageEngines()[0]!.open();
  });
  afterAll(async () => {
    await handle.close();
  });

  async function filed(principal: { id: string; displayName: string }, roleDefinitionId: string = ROLE_IDS.computeOperator) {
    const lead = await personaContext("team-lead");
    const request = makeAccessRequest({ workspaceId: CHURN, workspaceName: churn.name, roleDefinitionId, principal: { ...principal, kind: "user" } });
    const { request: row } = await submitAccessRequest(lead, request, { db: handle.db, policy, notify: false, directory: trustingDirectory });
    return { lead, row };
  }

  it("stores the count line the requester saw, or that nothing is new", async () => {
    const noRole = persona("no-role");
    const { lead, row } = await filed({ id: noRole.objectId, displayName: noRole.displayName });
    const updated = await withDeltaSummary(handle.db, lead, row, { policy });
    expect(updated.deltaSummary).toMatch(
      /^\+ (at least )?\d+ operations?(, including \S+)?( \(everything the role allows: the requester could not read current access\))?$/,
    );
    // The no-role persona is a data scientist on this workspace through a nested group (DS - Churn).
    const held = await filed({ id: noRole.objectId, displayName: noRole.displayName }, ROLE_IDS.dataScientist);
    expect((await withDeltaSummary(handle.db, held.lead, held.row, { policy })).deltaSummary).toBe("Nothing new: the principal already holds all of it");
  });

  it("keeps the request as it was when the delta cannot be computed", async () => {
    const { lead, row } = await filed({ id: randomUUID(), displayName: "Nobody" });
    const updated = await withDeltaSummary(handle.db, lead, row, { policy });
    expect(updated).toEqual(row);
    expect(updated.deltaSummary).toBeNull();
  });
});
