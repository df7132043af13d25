/**
 * Access bundles against a sandbox tenant of this file's own, on every storage engine: a bundle is granted as one
 * unit (a result per part), ends as one unit removing only what it created (an overlapping direct grant on one part
 * stays), goes partial and resumes, reports drift and restores it, refuses a bundle with a part it cannot grant
 * before anything is done, and runs through a request: form, approval, expiry.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { workspaceScope } from "@/lib/shared/arm-scope";
import { createTenant, ROLE_IDS } from "@/sandbox/tenant/index";
import { storageEngines } from "@/test/support/databases";
import { type PrivateSandbox, startPrivateSandbox } from "@/test/support/private-sandbox";
import { watchOutgoingCalls } from "@/test/support/outgoing-calls";
import { refusalOf } from "@/test/support/refusal";

const tenant: PrivateSandbox = await startPrivateSandbox();

const { authorizationClient } = await import("@/lib/arm/client");
const { systemActor } = await import("@/lib/auth/audit-actor");
const { AppError } = await import("@/lib/errors");
const { grantBundle, resumeBundleGrant, loadBundleGrant, endBundleGrant } = await import("@/lib/bundles/grant-bundle");
const { checkBundleIntegrity } = await import("@/lib/bundles/integrity");
const { planBundle } = await import("@/lib/bundles/plan");
const { azureBundleSources } = await import("@/lib/bundles/sources");
const { approveAccessRequest } = await import("@/lib/requests/decide-request");
const { runRequestJobs } = await import("@/lib/requests/run-request-jobs");
const { submitAccessRequest } = await import("@/lib/requests/submit-request");
const { assignmentNameFor, grantRoleOnScope, grantRolesOnScopes } = await import("@/lib/workspaces/grant-workspace-roles");
const { recordChangeIntent } = await import("@/lib/audit");
const { reconcilePendingIntents } = await import("@/lib/workspaces/reconcile-intents");
const { personaContext } = await import("@/test/support/persona-token");
const { makeAccessRequest } = await import("@/test/support/builders/requests");

type Database = Awaited<ReturnType<Awaited<ReturnType<typeof storageEngines>>[number]["open"]>>["db"];

const BLOB_CONTRIBUTOR = "ba92f5b4-2d11-453d-a403-e96b0029c9fe";
const ACR_PULL = "7f951dda-4ed3-4680-a7ca-43fe172d538d";
const oracle = createTenant({ seed: 1, scale: "default" });
const workspaceNamed = (name: string) => {
  const found = [...oracle.workspaces.values()].find((workspace) => workspace.name === name)!;
  return workspaceScope(found.subscriptionId, found.resourceGroup, found.name);
};
/** Its key vault is in access-policy mode: the bundle is four assignments there. */
const WORKSPACE = workspaceNamed("mlw-sandbox-dev");
/** Its storage account was deleted: the workspace still names it. */
const BROKEN = workspaceNamed("mlw-experiments-dev");

const PERSONA_UPN = /^(admin|limited-admin|team-lead|security|no-role|step-up-admin)@/;
const freeUsers = [...oracle.users.values()].filter(
  (user) =>
    !PERSONA_UPN.test(user.userPrincipalName) &&
    user.userType === "Member" &&
    user.accountEnabled &&
    ![...oracle.roleAssignments.values()].some((assignment) => assignment.principalId.toLowerCase() === user.id.toLowerCase()),
);
let next = 0;
const aUser = () => {
  const user = freeUsers[next++]!;
  return { id: user.id, kind: "user" as const, displayName: user.displayName };
};

/** The role assignments the tenant's ARM holds for a principal, as "role@scope-name" (any assignment name). */
function heldInAzure(principalId: string): string[] {
  const names = new Map([...tenant.sandbox.tenant.roleDefinitions.values()].map((role) => [role.name.toLowerCase(), role.roleName]));
  return [...tenant.sandbox.tenant.roleAssignments.values()]
    .filter((assignment) => assignment.principalId === principalId.toLowerCase())
    .map((assignment) => `${names.get(assignment.roleDefinitionName.toLowerCase()) ?? assignment.roleDefinitionName}@${assignment.scope.split("/").at(-1)}`)
    .sort();
}

/** The admin persona is Owner of Production only; here it manages the development subscription too (this tenant only). */
const ADMIN_OBJECT_ID = "c0ffee00-0000-4000-8000-000000000001";
const OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635";
beforeAll(async () => {
  await tenant.control.roleAssignments.add({
    scope: `/subscriptions/${WORKSPACE.split("/")[2]}`,
    principalId: ADMIN_OBJECT_ID,
    principalType: "User",
    roleDefinitionId: OWNER,
  });
});

afterAll(async () => {
  await tenant.close();
});

/** Rows of a query the test reads directly. */
async function rows<T>(db: Database, query: string): Promise<T[]> {
  const result: unknown = await db.execute(query);
  return (result as { rows: T[] }).rows;
}

describe.each(storageEngines())("access bundles on $name", (engine) => {
  let db: Database;
  let close: () => Promise<void>;
  let admin: Awaited<ReturnType<typeof personaContext>>;
  let lead: Awaited<ReturnType<typeof personaContext>>;
  beforeAll(async () => {
    const handle = await engine.open();
    db = handle.db;
    close = () => handle.close();
    [admin, lead] = await Promise.all([personaContext("admin"), personaContext("team-lead")]);
  });
  afterAll(async () => {
    await close();
  });

  it("plans the Data scientist bundle on a workspace whose vault uses access policies: four parts, the vault's not needed", async () => {
    const plan = await planBundle(admin.caller, { workspaceId: WORKSPACE, bundleId: "data-scientist" }, azureBundleSources);
    expect(plan.grantable).toBe(true);
    expect(plan.parts.map((part) => [part.roleName, part.state])).toEqual([
      ["AzureML Data Scientist", "grant"],
      ["Storage Blob Data Contributor", "grant"],
      ["Storage File Data Privileged Contributor", "grant"],
      ["AcrPull", "grant"],
      ["Key Vault Secrets User", "not_applicable"],
    ]);
    expect(plan.budgets.map((budget) => budget.adds)).toEqual([4]);
    expect(plan.budgets[0]!.used).toBeGreaterThan(0);
  });

  it("grants a fresh bundle with every plan read before the first write and each part read by name before its PUT: one usage count, rights only where parts land", async () => {
    const user = aUser();
    const network = watchOutgoingCalls();
    const granted = await grantBundle(admin, { workspaceId: WORKSPACE, bundleId: "data-scientist", principal: user, expiresAt: null }, azureBundleSources, {
      db,
    });
    expect(granted.parts.map((part) => part.state)).toEqual(["granted", "granted", "granted", "granted", "not_applicable"]);
    expect(heldInAzure(user.id)).toHaveLength(4);
    const calls = network.calls().filter((call) => !/\/oauth2\/|\/\.well-known\/|\/discovery\//.test(call.path));
    const writes = calls.filter((call) => call.method === "PUT");
    expect(writes).toHaveLength(4);
    expect(writes.every((call) => /\/providers\/Microsoft\.Authorization\/roleAssignments\/[0-9a-f-]{36}\?/i.test(call.path))).toBe(true);
    // Each part is read by name after its intent (another grant may have made it since the plan's read), then PUT.
    const readsByName = (call: { method: string; path: string }) => call.method === "GET" && /\/roleAssignments\/[0-9a-f-]{36}\?/i.test(call.path);
    expect(
      calls
        .filter(readsByName)
        .map((call) => call.path.split("?")[0]!.toLowerCase())
        .sort(),
    ).toEqual(writes.map((call) => call.path.split("?")[0]!.toLowerCase()).sort());
    // The budget from ARM's usage count, one call: the subscription's assignment list (pages of 1,000) is not read.
    expect(
      calls.filter((call) => /^\/+subscriptions\/[^/]+\/providers\/Microsoft\.Authorization\/roleAssignmentsUsageMetrics\?/i.test(call.path)),
    ).toHaveLength(1);
    expect(calls.filter((call) => /^\/+subscriptions\/[^/]+\/providers\/Microsoft\.Authorization\/roleAssignments\?/i.test(call.path))).toHaveLength(0);
    // The admin's rights at the workspace, the storage account, the registry and the vault; not at Application Insights.
    const rightsAt = calls.filter((call) => /\/providers\/Microsoft\.Authorization\/permissions\?/i.test(call.path)).map((call) => call.path.toLowerCase());
    expect(rightsAt).toHaveLength(4);
    expect(rightsAt.some((path) => path.includes("microsoft.insights"))).toBe(false);
    // Nothing is written before everything the plan rests on has been asked for: after the first write, only the parts'
    // own reads by name and writes.
    const firstWrite = calls.findIndex((call) => call.method === "PUT");
    expect(calls.slice(firstWrite).filter((call) => call.method !== "PUT" && !readsByName(call))).toEqual([]);
  });

  it("records the parts' intents in one transaction before any PUT and their outcomes in one more, each part with its own events", async () => {
    const user = aUser();
    let transactions = 0;
    const counting = new Proxy(db, {
      get(target, property, receiver) {
        if (property === "transaction") {
          return (...args: Parameters<Database["transaction"]>) => {
            transactions++;
            return target.transaction(...args);
          };
        }
        return Reflect.get(target, property, receiver) as unknown;
      },
    });
    const granted = await grantBundle(admin, { workspaceId: WORKSPACE, bundleId: "data-scientist", principal: user, expiresAt: null }, azureBundleSources, {
      db: counting,
    });
    expect(granted.parts.map((part) => part.state)).toEqual(["granted", "granted", "granted", "granted", "not_applicable"]);
    // The grant and its parts; the four intents; the four outcomes; the grant's status (a transaction per intent and per
    // outcome would make ten).
    expect(transactions).toBe(4);
    const events = await rows<{ action: string; role: string }>(
      db,
      `select action, target_role_definition_id as role from audit_events where target_principal_id = '${user.id.toLowerCase()}' and action like 'role_assignment.%' order by id`,
    );
    expect(events.filter((event) => event.action === "role_assignment.grant_requested")).toHaveLength(4);
    expect(events.filter((event) => event.action === "role_assignment.granted")).toHaveLength(4);
    // Every intent is on the trail before any outcome: no PUT went out before all four were recorded.
    expect(events.findIndex((event) => event.action === "role_assignment.granted")).toBeGreaterThan(
      events.findLastIndex((event) => event.action === "role_assignment.grant_requested"),
    );
  });

  it("a part whose access already has a pending change stays planned, saying so; the other parts are granted", async () => {
    const user = aUser();
    const plan = await planBundle(admin.caller, { workspaceId: WORKSPACE, bundleId: "data-scientist" }, azureBundleSources);
    const acr = plan.parts.find((part) => part.roleDefinitionId === ACR_PULL)!;
    // Another change to the AcrPull access is in flight (its intent recorded, ARM not answered yet).
    await db.transaction((tx) =>
      recordChangeIntent(tx, {
        kind: "grant",
        scope: acr.scope!,
        principalId: user.id.toLowerCase(),
        principalType: "User",
        roleDefinitionId: ACR_PULL,
        assignmentName: assignmentNameFor(acr.scope!, user.id, ACR_PULL),
        requestedBy: admin.actor,
      }),
    );
    const partial = await grantBundle(admin, { workspaceId: WORKSPACE, bundleId: "data-scientist", principal: user, expiresAt: null }, azureBundleSources, {
      db,
    });
    expect(partial.grant.status).toBe("partial");
    expect(partial.parts.map((part) => [part.roleName, part.state])).toEqual([
      ["AzureML Data Scientist", "granted"],
      ["Storage Blob Data Contributor", "granted"],
      ["Storage File Data Privileged Contributor", "granted"],
      ["AcrPull", "planned"],
      ["Key Vault Secrets User", "not_applicable"],
    ]);
    expect(partial.parts.find((part) => part.roleName === "AcrPull")?.note).toMatch(/^Not settled yet: A change to this assignment is already in progress/);
    expect(heldInAzure(user.id)).toHaveLength(3);
  });

  it("grants as one unit beside an overlapping direct grant, and ending it removes only what the bundle created", async () => {
    const user = aUser();
    const plan = await planBundle(admin.caller, { workspaceId: WORKSPACE, bundleId: "data-scientist" }, azureBundleSources);
    const storage = plan.parts.find((part) => part.roleDefinitionId === BLOB_CONTRIBUTOR)!.scope!;
    const direct = await grantRoleOnScope(admin, { scope: storage, roleDefinitionId: BLOB_CONTRIBUTOR, principal: user, holder: { kind: "direct" } }, { db });
    expect(direct.status).toBe("granted");

    const granted = await grantBundle(admin, { workspaceId: WORKSPACE, bundleId: "data-scientist", principal: user, expiresAt: null }, azureBundleSources, {
      db,
    });
    expect(granted.grant.status).toBe("granted");
    expect(granted.parts.map((part) => [part.roleName, part.state])).toEqual([
      ["AzureML Data Scientist", "granted"],
      ["Storage Blob Data Contributor", "already_granted"],
      ["Storage File Data Privileged Contributor", "granted"],
      ["AcrPull", "granted"],
      ["Key Vault Secrets User", "not_applicable"],
    ]);
    expect(heldInAzure(user.id)).toHaveLength(4);

    const ended = await endBundleGrant({
      identity: { kind: "delegated", caller: admin.caller },
      actor: admin.actor,
      db,
      bundleGrantId: granted.grant.id,
      reason: "test",
      actingAs: "admin",
      now: new Date(),
    });
    expect(ended).toMatchObject({ status: "ended", removed: 3, kept: 1 });
    // The direct grant stays, and only it.
    expect(heldInAzure(user.id)).toEqual([`Storage Blob Data Contributor@${storage.split("/").at(-1)}`]);
    const kept = ended.status === "ended" ? ended.parts.find((part) => part.roleDefinitionId === BLOB_CONTRIBUTOR) : undefined;
    expect(kept?.note).toMatch(/still held by direct grant/i);
  });

  it("a part ARM refuses leaves a visible partial bundle; resuming grants only that part", async () => {
    const user = aUser();
    const refuseAcrPull: typeof grantRolesOnScopes = async (context, inputs, options) => {
      const others = inputs.filter((input) => input.roleDefinitionId !== ACR_PULL);
      const granted = await grantRolesOnScopes(context, others, options);
      return inputs.map((input) =>
        input.roleDefinitionId === ACR_PULL
          ? {
              status: "rejected",
              reason: new AppError({ code: "upstream_forbidden", message: "test refusal", userMessage: "Azure refused: no rights on the registry." }),
            }
          : granted[others.indexOf(input)]!,
      );
    };
    const partial = await grantBundle(admin, { workspaceId: WORKSPACE, bundleId: "data-scientist", principal: user, expiresAt: null }, azureBundleSources, {
      db,
      grantParts: refuseAcrPull,
    });
    expect(partial.grant.status).toBe("partial");
    expect(partial.parts.find((part) => part.roleName === "AcrPull")).toMatchObject({ state: "failed", note: "Azure refused: no rights on the registry." });
    expect(heldInAzure(user.id)).toHaveLength(3);

    const resumed = await resumeBundleGrant(admin, partial.grant.id, { db });
    expect(resumed.grant.status).toBe("granted");
    expect(resumed.parts.filter((part) => part.state === "granted")).toHaveLength(4);
    expect(heldInAzure(user.id)).toHaveLength(4);
  });

  it("a part whose outcome the database would not take stays planned with its intent pending; the reconciler records what ARM did and resuming completes the bundle", async () => {
    const user = aUser();
    // The database gives out as the AcrPull outcome's transaction writes the part's state (a statement timeout).
    // The parts' outcomes, recorded together, roll back as one; each is then recorded on its own, and only AcrPull's fails.
    const outcomeLost: typeof grantRolesOnScopes = (context, inputs, options) =>
      grantRolesOnScopes(context, inputs, {
        ...options,
        onSettled: async (tx, settled) => {
          await options!.onSettled!(tx, settled);
          if (settled.some(({ index }) => inputs[index]!.roleDefinitionId === ACR_PULL)) {
            throw Object.assign(new Error("canceling statement due to statement timeout"), { code: "57014" });
          }
        },
      });
    const partial = await grantBundle(admin, { workspaceId: WORKSPACE, bundleId: "data-scientist", principal: user, expiresAt: null }, azureBundleSources, {
      db,
      grantParts: outcomeLost,
    });
    expect(partial.grant.status).toBe("partial");
    // The part's state went with the outcome: it never says granted while the trail does not.
    const acr = partial.parts.find((part) => part.roleName === "AcrPull");
    expect(acr?.state).toBe("planned");
    expect(acr?.note).toMatch(/^Not settled yet/);
    expect(partial.parts.filter((part) => part.state === "granted")).toHaveLength(3);
    expect(heldInAzure(user.id)).toHaveLength(4);
    const intents = (principal: string) =>
      rows<{ role_definition_id: string; state: string }>(db, `select role_definition_id, state from azure_change_intents where principal_id = '${principal}'`);
    const holders = async () =>
      (
        await rows<{ n: number }>(db, `select count(*)::int as n from assignment_holders where bundle_grant_id = '${partial.grant.id}' and status = 'active'`)
      )[0]!.n;
    expect((await intents(user.id.toLowerCase())).find((intent) => intent.role_definition_id === ACR_PULL)?.state).toBe("pending");
    expect(await holders()).toBe(3);

    const later = new Date(Date.now() + 10 * 60_000);
    await reconcilePendingIntents(db, systemActor("reconcile-intents"), later);
    expect((await intents(user.id.toLowerCase())).map((intent) => intent.state)).toEqual(["succeeded", "succeeded", "succeeded", "succeeded"]);
    expect(await holders()).toBe(4);

    const resumed = await resumeBundleGrant(admin, partial.grant.id, { db });
    expect(resumed.grant.status).toBe("granted");
    expect(resumed.parts.filter((part) => part.state === "granted" || part.state === "already_granted")).toHaveLength(4);
    expect(heldInAzure(user.id)).toHaveLength(4);
  });

  it("drift: a part removed in Azure outside Gatehouse makes the bundle incomplete; restoring grants it again", async () => {
    const user = aUser();
    const granted = await grantBundle(admin, { workspaceId: WORKSPACE, bundleId: "data-scientist", principal: user, expiresAt: null }, azureBundleSources, {
      db,
    });
    const acr = granted.parts.find((part) => part.roleName === "AcrPull")!;
    const [assignment] = [...tenant.sandbox.tenant.roleAssignments.values()].filter(
      (candidate) => candidate.principalId === user.id.toLowerCase() && candidate.scope.toLowerCase() === acr.scope!.toLowerCase(),
    );
    await authorizationClient({ kind: "delegated", caller: admin.caller }, acr.subscriptionId!).roleAssignments.delete(acr.scope!, assignment!.name);

    const view = (await loadBundleGrant(db, granted.grant.id))!;
    const report = await checkBundleIntegrity(db, { kind: "delegated", caller: admin.caller }, view);
    expect(report).toMatchObject({ status: "incomplete", missing: [{ why: "absent_in_azure", part: { roleName: "AcrPull" } }] });

    const restored = await resumeBundleGrant(admin, granted.grant.id, { db });
    expect(restored.grant.status).toBe("granted");
    expect(heldInAzure(user.id)).toHaveLength(4);
    expect(await checkBundleIntegrity(db, { kind: "delegated", caller: admin.caller }, (await loadBundleGrant(db, granted.grant.id))!)).toEqual({
      status: "complete",
    });
  });

  it("refuses, before anything is done, a bundle whose linked storage account no longer exists, naming it", async () => {
    const user = aUser();
    const before = heldInAzure(user.id);
    const refused = await refusalOf(
      grantBundle(admin, { workspaceId: BROKEN, bundleId: "data-scientist", principal: user, expiresAt: null }, azureBundleSources, { db }),
    );
    expect(refused).toMatchObject({ code: "invalid_input" });
    expect(refused.userMessage).toMatch(/^Nothing was granted\..*storage account .* no longer exists/);
    expect(heldInAzure(user.id)).toEqual(before);
    const [count] = await rows<{ n: number }>(db, `select count(*)::int as n from bundle_grants where principal_id = '${user.id.toLowerCase()}'`);
    expect(count!.n).toBe(0);
  });

  it("a team lead's bundle request for 7 days: approval grants the four parts, expiry 8 days later removes exactly those", async () => {
    const user = aUser();
    const submitted = await submitAccessRequest(
      lead,
      makeAccessRequest({ workspaceId: WORKSPACE, roleDefinitionId: undefined, bundleId: "data-scientist", principal: user, duration: "7d" }),
      { db, notify: false },
    );
    expect(submitted.request).toMatchObject({ bundleId: "data-scientist", bundleName: "Data scientist", roleDefinitionId: ROLE_IDS.dataScientist });
    const decided = await approveAccessRequest(admin, { requestId: submitted.request.id, comment: "" }, { db, notify: false });
    expect(decided.request.status, decided.message).toBe("granted");
    expect(decided.message).toMatch(/Granted the Data scientist bundle: 4 roles/);
    expect(heldInAzure(user.id)).toHaveLength(4);

    const eightDaysLater = new Date(Date.now() + 8 * 86_400_000);
    const run = await runRequestJobs(db, systemActor("access-request-expiry"), eightDaysLater, { notify: false });
    expect(run).toMatchObject({ expiryFailed: 0 });
    expect(run.expired).toBeGreaterThanOrEqual(1);
    expect(heldInAzure(user.id)).toEqual([]);
    const [request] = await rows<{ status: string; outcome_note: string }>(
      db,
      `select status, outcome_note from access_requests where id = '${submitted.request.id}'`,
    );
    expect(request?.status).toBe("expired");
    expect(request?.outcome_note).toContain("AcrPull on");
  });
});
