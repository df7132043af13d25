/** What a requester submits: the request form, parsed as the server action parses it. Valid defaults, overridable. */
import { randomUUID } from "node:crypto";

import type { z } from "zod";

import { submitRequestSchema } from "@/lib/requests/submit-request";
import { ROLE_IDS } from "@/sandbox/tenant/index";

/** A workspace no sandbox tenant has: for tests of the request state machine, which never reach ARM. */
export const REQUEST_WORKSPACE_ID =
  "/subscriptions/00000000-0000-4000-8000-000000000001/resourceGroups/rg-ml/providers/Microsoft.MachineLearningServices/workspaces/mlw-test";

export type AccessRequestFields = z.input<typeof submitRequestSchema>;

/** A 7-day AzureML Data Scientist request for a new user ("Teammate"), with `overrides` merged in. */
export function makeAccessRequest(overrides: Partial<AccessRequestFields> = {}) {
  return submitRequestSchema.parse({
    workspaceId: REQUEST_WORKSPACE_ID,
    roleDefinitionId: ROLE_IDS.dataScientist,
    principal: { id: randomUUID(), kind: "user", displayName: "Teammate" },
    justification: "Needs to train the churn model this sprint",
    duration: "7d",
    ...overrides,
  });
}
