import { describe, expect, it } from "vitest";

import type { ConsoleRole } from "@/lib/shared/console-roles";
import { TEST_TENANT_ID } from "@/test/support/builders/context";
import { allowedActions, type RequestState } from "./allowed-actions";
import { parseRequestPolicy } from "./policy";

const DATA_SCIENTIST = "f6c7c914-8db3-469d-8ca1-694a8f32e121";
const OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635";
const LEAD = "aaaaaaaa-0000-4000-8000-000000000001";
const ADMIN = "aaaaaaaa-0000-4000-8000-000000000002";
const policy = parseRequestPolicy({
  pendingLifetimeHours: 48,
  durations: ["8h", "1d", "7d", "permanent"],
  roles: [{ roleDefinitionId: DATA_SCIENTIST, name: "AzureML Data Scientist", maxDuration: "permanent" }],
});

function request(overrides: Partial<RequestState> = {}): RequestState {
  return {
    status: "pending",
    requesterTenantId: TEST_TENANT_ID,
    requesterObjectId: LEAD,
    principalId: "bbbbbbbb-0000-4000-8000-000000000003",
    principalKind: "user",
    principalDisplayName: "Noah Newhire",
    expiresAt: null,
    workspaceId: "/subscriptions/0b1f6471-1bf0-4dda-aec3-cb9272f09590/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/mlw-churn-dev",
    workspaceName: "mlw-churn-dev",
    roleDefinitionId: DATA_SCIENTIST,
    ...overrides,
  };
}
const lead = { tenantId: TEST_TENANT_ID, objectId: LEAD.toUpperCase(), roles: ["Console.Requester"] as ConsoleRole[] };
const admin = { tenantId: TEST_TENANT_ID, objectId: ADMIN, roles: ["Console.Admin"] as ConsoleRole[] };
const reader = { tenantId: TEST_TENANT_ID, objectId: ADMIN, roles: ["Console.SecurityReader"] as ConsoleRole[] };

describe("allowedActions", () => {
  it("a pending request: its requester may withdraw it, an admin may decide it, a security reader neither", () => {
    expect(allowedActions(request(), lead, policy)).toMatchObject({ cancel: true, decide: false, retry: false, extend: null, selfInvolved: true });
    expect(allowedActions(request(), admin, policy)).toMatchObject({ cancel: false, decide: true, retry: false, extend: null, selfInvolved: false });
    expect(allowedActions(request(), reader, policy)).toMatchObject({ cancel: false, decide: false, retry: false, extend: null });
  });

  it("an admin who would receive the access is marked as involved (the server refuses their approval)", () => {
    expect(allowedActions(request({ principalId: ADMIN }), admin, policy)).toMatchObject({ decide: true, selfInvolved: true });
  });

  it("a failed grant can be retried by an admin only", () => {
    expect(allowedActions(request({ status: "failed" }), admin, policy)).toMatchObject({ retry: true, decide: false, cancel: false });
    expect(allowedActions(request({ status: "failed" }), lead, policy)).toMatchObject({ retry: false });
  });

  it("granted time-bound access can be extended by its requester or an admin, for finite durations only", () => {
    const granted = request({ status: "granted", expiresAt: new Date("2026-12-11T10:00:00Z") });
    const extend = allowedActions(granted, lead, policy).extend;
    expect(extend).toMatchObject({
      roleDefinitionId: DATA_SCIENTIST,
      principal: { kind: "user", displayName: "Noah Newhire" },
      expiresAt: "2026-12-11T10:00:00.000Z",
    });
    expect(extend?.durations.map((choice) => choice.value)).toEqual(["8h", "1d", "7d"]);
    expect(allowedActions(granted, admin, policy).extend).not.toBeNull();
    expect(allowedActions(granted, { tenantId: TEST_TENANT_ID, objectId: ADMIN, roles: ["Console.Requester"] }, policy).extend).toBeNull();
  });

  it("nothing to extend when the access is permanent, the role left the policy, or the principal kind is unknown", () => {
    expect(allowedActions(request({ status: "granted" }), lead, policy).extend).toBeNull();
    const later = new Date("2026-12-11T10:00:00Z");
    expect(allowedActions(request({ status: "granted", expiresAt: later, roleDefinitionId: OWNER }), lead, policy).extend).toBeNull();
    expect(allowedActions(request({ status: "granted", expiresAt: later, principalKind: "device" }), lead, policy).extend).toBeNull();
  });

  it("decided requests offer nothing", () => {
    for (const status of ["denied", "cancelled", "expired", "covered", "lapsed"] as const) {
      expect(allowedActions(request({ status }), admin, policy)).toMatchObject({ cancel: false, decide: false, retry: false, extend: null });
    }
  });
});
