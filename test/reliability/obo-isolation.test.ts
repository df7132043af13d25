/**
 * Security test plan row 16, on-behalf-of. Cache isolation: Gatehouse exchanges each person's token for their own
 * ARM token and caches it per person. Two admins granting at the same moment must each reach ARM as themselves —
 * if one admin's cached token were ever used for the other's call, the limited admin (who has no right to write role
 * assignments) would suddenly succeed. The sandbox's journal names the caller of every ARM call. Errors: a token
 * endpoint that throttles or never answers ends the person's call within bounds, with a message and no raw detail.
 *
 * Grants and faults change the tenant, so this runs on a sandbox of its own.
 */
import { afterAll, afterEach, describe, expect, it } from "vitest";

import { type PrivateSandbox, startPrivateSandbox } from "@/test/support/private-sandbox";
import { exportToWorkers } from "@/test/support/test-env";
import { AZURE_RESOURCE_MANAGER_APP_ID, CONSOLE_API_CLIENT_ID } from "@/sandbox/contract";
import { DATA_SCIENTIST, FREE_USERS, WORKSPACE } from "./support/churn-workspace";

// Before any console code reads its configuration: a short upstream timeout, so a hang costs seconds, not minutes.
exportToWorkers({ GATEHOUSE_UPSTREAM_TIMEOUT_SECONDS: "2" });
const tenant: PrivateSandbox = await startPrivateSandbox();

const { assignmentNameFor, grantWorkspaceRoles } = await import("@/lib/workspaces/grant-workspace-roles");
const { personaContext } = await import("@/test/support/persona-token");
const { listWorkspaces } = await import("@/lib/workspaces/list-workspaces");
const { getDatabase } = await import("@/lib/db");
const { searchAuditEvents } = await import("@/lib/audit");

afterEach(async () => {
  await tenant.control.faults.clear();
});
afterAll(async () => {
  await tenant.close();
  exportToWorkers({ GATEHOUSE_UPSTREAM_TIMEOUT_SECONDS: "" });
});

/** The token endpoint the console's on-behalf-of exchange posts to. */
const TOKEN_ENDPOINT = "/*/oauth2/v2.0/token";

describe("on-behalf-of per person (own sandbox tenant)", () => {
  it("two admins granting at once each reach ARM as themselves: the limited admin is refused every time, the admin never", async () => {
    const [admin, limited] = await Promise.all([personaContext("admin"), personaContext("limited-admin")]);
    const forAdmin = FREE_USERS.slice(0, 8);
    const forLimited = FREE_USERS.slice(8, 16);
    const grant = (context: typeof admin, user: (typeof FREE_USERS)[number]) =>
      grantWorkspaceRoles(context, {
        workspaceId: WORKSPACE,
        roleDefinitionId: DATA_SCIENTIST,
        principals: [{ id: user.id, kind: "user", displayName: user.displayName }],
      }).then(([result]) => result!);

    const since = await tenant.control.journal.lastSeq();
    // Interleaved, all in flight together.
    const results = await Promise.all(forAdmin.flatMap((user, index) => [grant(admin, user), grant(limited, forLimited[index]!)]));
    const adminResults = results.filter((_, index) => index % 2 === 0);
    const limitedResults = results.filter((_, index) => index % 2 === 1);
    expect(adminResults.map((result) => result.status)).toEqual(Array(forAdmin.length).fill("granted"));
    expect(limitedResults.map((result) => result.status)).toEqual(Array(forLimited.length).fill("failed"));

    // Every ARM call for a principal was made with the token of the admin who granted to it.
    const entries = (await tenant.control.journal.since(since)).entries.filter((entry) => entry.system === "arm");
    const callerOf = (user: (typeof FREE_USERS)[number]) => {
      const name = assignmentNameFor(WORKSPACE, user.id, DATA_SCIENTIST);
      const calls = entries.filter((entry) => entry.path.toLowerCase().endsWith(name));
      expect(calls.length, user.displayName).toBeGreaterThan(0);
      return [...new Set(calls.map((entry) => entry.callerObjectId))];
    };
    for (const user of forAdmin) expect(callerOf(user)).toEqual([admin.caller.objectId]);
    for (const user of forLimited) expect(callerOf(user)).toEqual([limited.caller.objectId]);
  });

  it.each([
    ["throttles (429)", { status: 429, retryAfterSeconds: 1 }],
    ["never answers", { hang: true }],
  ] as const)("when the token endpoint %s, the person's call fails with a clear message, no upstream detail, and ends", async (_label, fault) => {
    // A person with no on-behalf-of token cached yet, so the call must ask Entra for one.
    const persona = _label.startsWith("throttles") ? "security" : "team-lead";
    const { caller } = await personaContext(persona);
    await tenant.control.faults.add({ method: "POST", path: TOKEN_ENDPOINT, ...fault });
    const failure = await listWorkspaces({ kind: "delegated", caller }).then(
      () => undefined,
      (error: unknown) => error as { code?: string; userMessage?: string },
    );
    expect(failure).toMatchObject({
      code: "upstream_unavailable",
      userMessage:
        "Gatehouse could not get a token to call Azure Resource Manager. Try again in a minute; if it persists, ask your administrator to check the sign-in service.",
    });
    expect(failure!.userMessage).not.toMatch(/AADSTS|temporarily_unavailable|timeout/i);
  });
});

describe("on-behalf-of without consent (own sandbox tenant)", () => {
  it("AADSTS65001 (consent_required) for ARM: the grant fails with the consent message, nothing reaches ARM's role assignments, and the trail says failed", async () => {
    const admin = await personaContext("admin");
    const user = FREE_USERS[20]!;
    const name = assignmentNameFor(WORKSPACE, user.id, DATA_SCIENTIST);
    // Revoking the console API's delegated permission to ARM is what makes Entra answer an on-behalf-of exchange for
    // ARM with AADSTS65001: `invalid_grant`, suberror `consent_required`, error_codes [65001]
    // (learn.microsoft.com/entra/identity-platform/reference-error-codes: "DelegationDoesNotExist - The user or
    // administrator has not consented to use the application …"; v2-oauth2-on-behalf-of-flow "Gaining consent for the
    // middle-tier application").
    const withdrawn = await tenant.control.delegatedConsent.withdraw({ clientAppId: CONSOLE_API_CLIENT_ID, resourceAppId: AZURE_RESOURCE_MANAGER_APP_ID });
    expect(withdrawn.length).toBeGreaterThan(0);
    const since = await tenant.control.journal.lastSeq();
    let outcome: { status?: string; message?: string; userMessage?: string; code?: string };
    try {
      const [result] = await grantWorkspaceRoles(admin, {
        workspaceId: WORKSPACE,
        roleDefinitionId: DATA_SCIENTIST,
        principals: [{ id: user.id, kind: "user", displayName: user.displayName }],
      });
      outcome = result!;
    } finally {
      await tenant.control.delegatedConsent.restore(withdrawn);
    }
    const entries = (await tenant.control.journal.since(since)).entries;
    // Entra's answer was the real one: 400 from the token endpoint, and no ARM call about this assignment.
    const refused = entries.filter((entry) => entry.system === "entra" && entry.path.endsWith("/oauth2/v2.0/token") && entry.status === 400);
    expect(refused.length).toBeGreaterThan(0);
    expect(entries.filter((entry) => entry.system === "arm" && entry.path.toLowerCase().endsWith(name))).toEqual([]);
    expect([...tenant.sandbox.tenant.roleAssignments.values()].some((assignment) => assignment.name === name)).toBe(false);
    expect(outcome).toMatchObject({
      status: "failed",
      message: "Gatehouse needs your consent to call Azure Resource Manager for you. Continue to give it, then try again.",
    });
    const trail = (await searchAuditEvents(await getDatabase(), { principalId: user.id }, { size: 10 })).events.map(
      (event) => `${event.action}:${event.outcome}`,
    );
    expect(trail.reverse()).toEqual(["role_assignment.grant_requested:succeeded", "role_assignment.grant_failed:failed"]);

    // With the consent back, the same grant goes through.
    const [again] = await grantWorkspaceRoles(await personaContext("admin"), {
      workspaceId: WORKSPACE,
      roleDefinitionId: DATA_SCIENTIST,
      principals: [{ id: user.id, kind: "user", displayName: user.displayName }],
    });
    expect(again).toMatchObject({ status: "granted" });
  });
});
