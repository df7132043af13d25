/** The earlier requests an approver sees next to a pending one: same workspace, and the same principal or requester. */
import { randomUUID } from "node:crypto";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import type { DatabaseHandle } from "@/lib/db/client";
import { makeDelegatedContext } from "@/test/support/builders/context";
import { makeAccessRequest } from "@/test/support/builders/requests";
import { storageEngines } from "@/test/support/databases";
import { trustingDirectory } from "@/test/support/request-directory";
import { parseRequestPolicy } from "./policy";
import { listRelatedRequests } from "./queries";
import { submitAccessRequest } from "./submit-request";

const DATA_SCIENTIST = "f6c7c914-8db3-469d-8ca1-694a8f32e121";
const READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7";
const OTHER_WORKSPACE =
  "/subscriptions/00000000-0000-4000-8000-000000000001/resourceGroups/rg-ml/providers/Microsoft.MachineLearningServices/workspaces/mlw-other";
const policy = parseRequestPolicy({
  pendingLifetimeHours: 48,
  durations: ["1d", "7d"],
  roles: [
    { roleDefinitionId: DATA_SCIENTIST, name: "AzureML Data Scientist", maxDuration: "7d" },
    { roleDefinitionId: READER, name: "Reader", maxDuration: "7d" },
  ],
});

describe.each(storageEngines())("related requests on $name", (engine) => {
  let handle: DatabaseHandle;
  beforeAll(async () => {
    handle = await engine.open();
  });
  afterAll(async () => {
    await handle.close();
  });

  it("lists the same workspace's requests for the same principal or by the same requester, newest first, never the request itself", async () => {
    const lead = makeDelegatedContext("lead");
    const other = makeDelegatedContext("other");
    const teammate = { id: randomUUID(), kind: "user" as const, displayName: "Teammate" };
    let minute = 0;
    const submit = async (context: typeof lead, fields: Parameters<typeof makeAccessRequest>[0]) =>
      (
        await submitAccessRequest(context, makeAccessRequest(fields), {
          db: handle.db,
          policy,
          now: new Date(Date.UTC(2026, 5, 1, 10, minute++)),
          notify: false,
          directory: trustingDirectory,
        })
      ).request;
    const earlierForTeammate = await submit(other, { principal: teammate, roleDefinitionId: READER });
    const byLeadForSomeoneElse = await submit(lead, { roleDefinitionId: READER });
    await submit(other, { roleDefinitionId: READER }); // another principal, another requester
    await submit(lead, { principal: teammate, workspaceId: OTHER_WORKSPACE }); // another workspace
    const decided = await submit(lead, { principal: teammate });

    const related = await listRelatedRequests([decided], handle.db);
    expect(related.get(decided.id)!.map((request) => request.id)).toEqual([byLeadForSomeoneElse.id, earlierForTeammate.id]);
    expect(await listRelatedRequests([], handle.db)).toEqual(new Map());
  });
});
