/**
 * Approver routing on every storage engine, with the state-machine stand-in for Graph and ARM and a stand-in for a
 * route's people (Graph's own reading of them: routing-graph.test.ts).
 *
 * - The route is chosen at submission from the workspace as ARM describes it (name pattern, tags) and stored.
 * - `single`: a routed person decides (a Console.Requester too) and the grant runs; Console.Admin holders are the
 *   fallback; anyone else is refused, audited, with who can decide named.
 * - `business-then-admin`: a routed person's business approval first (recorded, nothing granted), then a different
 *   person holding Console.Admin grants; not the requester or principal at either step, not one person for both.
 * - Graph unable to say who the route's people are: nobody routed, only admins (fail closed, never everyone).
 * - The queue: routed people see their routes' requests; others only their own.
 */
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import type { DatabaseHandle } from "@/lib/db/client";
import type { GrantResult } from "@/lib/workspaces/grant-workspace-roles";
import { makeDelegatedContext } from "@/test/support/builders/context";
import { makeAccessRequest } from "@/test/support/builders/requests";
import { storageEngines } from "@/test/support/databases";
import { refusalOf } from "@/test/support/refusal";
import { trustingDirectory } from "@/test/support/request-directory";
import { approveAccessRequest, denyAccessRequest } from "./decide-request";
import type { RequestDirectory } from "./directory";
import { parseRequestPolicy, type PolicyRoute } from "./policy";
import { findAccessRequest, listAccessRequests } from "./queries";
import { adminStepApprovers, arrivalApprovers, type ApproverResolver, type RoutedPeople, whoDecides } from "./routing";
import type { AccessRequestRow } from "./schema";
import { submitAccessRequest } from "./submit-request";

const DATA_SCIENTIST = "f6c7c914-8db3-469d-8ca1-694a8f32e121";
const FRAUD_GROUP = "0f0f0f0f-0000-4000-8000-00000000f4a0";
const PLATFORM_GROUP = "0f0f0f0f-0000-4000-8000-00000000b0b0";
const workspace = (name: string) =>
  `/subscriptions/00000000-0000-4000-8000-000000000001/resourceGroups/rg-ml/providers/Microsoft.MachineLearningServices/workspaces/${name}`;
const policy = parseRequestPolicy({
  pendingLifetimeHours: 48,
  durations: ["8h", "1d", "7d"],
  roles: [{ roleDefinitionId: DATA_SCIENTIST, name: "AzureML Data Scientist", maxDuration: "7d" }],
  routes: [
    { id: "fraud", name: "Fraud workspaces", match: { workspaces: ["mlw-fraud-*"] }, approvers: { ownersOf: [FRAUD_GROUP] } },
    { id: "tagged", name: "Platform-tagged", match: { tags: { Team: "platform" } }, approvers: { groups: [PLATFORM_GROUP] } },
    {
      id: "two-step",
      name: "Vision production",
      match: { workspaces: ["mlw-vision-prod"] },
      approvers: { ownersOf: [FRAUD_GROUP] },
      flow: "business-then-admin",
    },
  ],
});
const NOW = new Date("2026-06-01T10:00:00Z");

describe.each(storageEngines())("approver routing on $name", (engine) => {
  let handle: DatabaseHandle;
  beforeAll(async () => {
    handle = await engine.open();
  });
  afterAll(async () => {
    await handle.close();
  });

  const requester = makeDelegatedContext("requester", { roles: ["Console.Requester"] });
  const owner = makeDelegatedContext("fraud-owner", { roles: ["Console.Requester"] });
  const outsider = makeDelegatedContext("outsider", { roles: ["Console.Requester"] });
  const admin1 = makeDelegatedContext("admin1");
  const admin2 = makeDelegatedContext("admin2");
  /** An admin who also owns the route's group. */
  const ownerAdmin = makeDelegatedContext("owner-admin");

  let people: RoutedPeople = { people: [], groups: [], unavailable: false };
  const routed = (...who: (typeof owner)[]) => {
    people = {
      people: who.map((context) => context.person.objectId.toLowerCase()),
      groups: [{ id: FRAUD_GROUP, as: "owners", displayName: "DS - Fraud", state: "ok" }],
      unavailable: false,
    };
  };
  const asked: PolicyRoute[] = [];
  const resolve: ApproverResolver = (route) => {
    asked.push(route);
    return Promise.resolve(people);
  };
  const grants: AccessRequestRow[] = [];
  const grant = (request: AccessRequestRow): Promise<GrantResult> => {
    grants.push(request);
    return Promise.resolve({ principalId: request.principalId, displayName: request.principalDisplayName, status: "granted", message: "Granted." });
  };
  const options = (directory: RequestDirectory = trustingDirectory) => ({
    db: handle.db,
    policy,
    now: NOW,
    notify: false,
    grant,
    directory,
    approvers: resolve,
  });
  const submit = async (on: string, by = requester, directory?: RequestDirectory) =>
    (await submitAccessRequest(by, makeAccessRequest({ workspaceId: workspace(on) }), options(directory))).request;
  const decision = (request: AccessRequestRow, comment = "") => ({ requestId: request.id, comment });
  const load = async (request: AccessRequestRow) => (await findAccessRequest({ ...admin1.person, isAdmin: true }, request.id, handle.db))!;
  const denials = async (request: AccessRequestRow, because: string) => {
    const result = await handle.db.execute(
      sql`select count(*)::int as n from audit_events where action = 'authz.denied' and target_request_id = ${request.id} and details->>'deniedBecause' = ${because}`,
    );
    return Number((result as { rows: { n: number }[] }).rows[0]!.n);
  };
  const recorded = async (request: AccessRequestRow) => {
    const result = await handle.db.execute(
      sql`select details from audit_events where action = 'request.approval_recorded' and target_request_id = ${request.id}`,
    );
    return (result as { rows: { details: unknown }[] }).rows.map((row) =>
      typeof row.details === "string" ? (JSON.parse(row.details) as unknown) : row.details,
    );
  };

  it("stores the route chosen from ARM's name and tags of the workspace at submission, and none when nothing matches", async () => {
    expect((await submit("mlw-fraud-prod")).routeId).toBe("fraud");
    expect((await submit("mlw-churn-prod")).routeId).toBeNull();
    // Tag names are case-insensitive in ARM; the stand-in directory reports the workspace's tags as ARM would.
    const tagged: RequestDirectory = {
      ...trustingDirectory,
      verifyTargets: async (input) => {
        const checked = await trustingDirectory.verifyTargets(input);
        return checked.ok ? { ...checked, workspaceTags: { team: "platform" } } : checked;
      },
    };
    expect((await submit("mlw-anything", requester, tagged)).routeId).toBe("tagged");
    const two = await submit("mlw-vision-prod");
    expect(two).toMatchObject({ routeId: "two-step", approvalsRequired: 2 });
  });

  it("single flow: someone not routed is refused and audited, naming who can decide; the routed owner (a requester) approves and the grant runs", async () => {
    routed(owner);
    const request = await submit("mlw-fraud-prod");
    const refusal = await refusalOf(approveAccessRequest(outsider, decision(request), options()));
    expect(refusal).toMatchObject({ code: "forbidden", reason: "not_routed" });
    expect(refusal.userMessage).toContain("Owners of DS - Fraud");
    expect(refusal.userMessage).toContain('route "Fraud workspaces"');
    expect(await refusalOf(denyAccessRequest(outsider, decision(request, "no"), options()))).toMatchObject({ code: "forbidden", reason: "not_routed" });
    expect(await denials(request, "not_routed_approver")).toBe(2);
    expect((await load(request)).status).toBe("pending");

    const before = grants.length;
    expect(await approveAccessRequest(owner, decision(request), options())).toMatchObject({ request: { status: "granted" } });
    expect(grants.length).toBe(before + 1);
  });

  it("single flow: a Console.Admin is the fallback and may always decide; the requester never, even when routed", async () => {
    routed(owner, requester);
    const request = await submit("mlw-fraud-prod");
    expect(await refusalOf(approveAccessRequest(requester, decision(request), options()))).toMatchObject({ code: "forbidden", reason: "self_approval" });
    expect(await approveAccessRequest(admin1, decision(request), options())).toMatchObject({ request: { status: "granted" } });
  });

  it("no route: only Console.Admin holders decide (a requester is refused, audited)", async () => {
    routed(owner);
    const request = await submit("mlw-churn-prod");
    expect(await refusalOf(approveAccessRequest(owner, decision(request), options()))).toMatchObject({ code: "forbidden", reason: "not_routed" });
    expect(await denials(request, "not_routed_approver")).toBe(1);
    expect(await approveAccessRequest(admin2, decision(request), options())).toMatchObject({ request: { status: "granted" } });
  });

  it("two steps: the business approval by a routed person records, grants nothing; then a different admin grants", async () => {
    routed(owner, ownerAdmin);
    const request = await submit("mlw-vision-prod");
    // An admin who is not routed may not give the business approval while the route names people who can.
    expect(await refusalOf(approveAccessRequest(admin1, decision(request), options()))).toMatchObject({ code: "forbidden", reason: "not_routed" });
    const before = grants.length;
    const business = await approveAccessRequest(owner, decision(request, "Needed for the vision sprint"), options());
    expect(business.request.status).toBe("pending");
    expect(business.request.approvals).toEqual([expect.objectContaining({ objectId: owner.person.objectId.toLowerCase(), step: "business" })]);
    expect(business.message).toContain("business approval is recorded");
    expect(grants.length).toBe(before);
    expect(await recorded(request)).toEqual([{ approvalsRequired: 2, approvalsGiven: 1, step: "business" }]);

    const next = await whoDecides(business.request, { policy, resolve });
    expect(next).toMatchObject({ step: "admin", routedPeople: [], adminFallback: true });
    expect(next.explanation).toContain("Business-approved by fraud-owner");
    // The routed owner is not an admin: the grant is not theirs to give; nor is a second routed approval.
    expect(await refusalOf(approveAccessRequest(owner, decision(request), options()))).toMatchObject({ code: "forbidden", reason: "not_routed" });
    expect(await approveAccessRequest(admin2, decision(request), options())).toMatchObject({ request: { status: "granted" } });
    expect(grants.length).toBe(before + 1);
    expect((await load(request)).approvals.map((approval) => approval.step)).toEqual(["business", "admin"]);
  });

  it("two steps: one person cannot give both approvals, and the requester neither", async () => {
    routed(ownerAdmin, admin1);
    const request = await submit("mlw-vision-prod", admin1);
    expect(await refusalOf(approveAccessRequest(admin1, decision(request), options()))).toMatchObject({ code: "forbidden", reason: "self_approval" });
    await approveAccessRequest(ownerAdmin, decision(request), options());
    expect(await refusalOf(approveAccessRequest(ownerAdmin, decision(request), options()))).toMatchObject({
      code: "conflict",
      reason: "already_approved_by_you",
    });
    expect(await refusalOf(approveAccessRequest(admin1, decision(request), options()))).toMatchObject({ code: "forbidden", reason: "self_approval" });
    expect((await load(request)).status).toBe("pending");
    expect(await approveAccessRequest(admin2, decision(request), options())).toMatchObject({ request: { status: "granted" } });
  });

  it("two steps: an admin may deny at the business step; a routed person may deny it too", async () => {
    routed(owner);
    const first = await submit("mlw-vision-prod");
    expect(await denyAccessRequest(admin1, decision(first, "Not this quarter"), options())).toMatchObject({ request: { status: "denied" } });
    const second = await submit("mlw-vision-prod");
    expect(await denyAccessRequest(owner, decision(second, "Not this quarter"), options())).toMatchObject({ request: { status: "denied" } });
  });

  it("Graph unable to say who the route's people are: nobody routed is let in, admins decide (never everyone)", async () => {
    routed(owner);
    const single = await submit("mlw-fraud-prod");
    const twoStep = await submit("mlw-vision-prod");
    people = { people: [], groups: [{ id: FRAUD_GROUP, as: "owners", displayName: null, state: "unknown" }], unavailable: true };
    expect(await refusalOf(approveAccessRequest(owner, decision(single), options()))).toMatchObject({ code: "forbidden", reason: "not_routed" });
    const decider = await whoDecides(twoStep, { policy, resolve });
    expect(decider).toMatchObject({ step: "business", adminFallback: true, routedPeople: [] });
    expect(decider.explanation).toContain("could not list them");
    expect(await approveAccessRequest(admin1, decision(single), options())).toMatchObject({ request: { status: "granted" } });
    // The business step falls to an admin, and the grant to another.
    expect((await approveAccessRequest(admin1, decision(twoStep), options())).request.status).toBe("pending");
    expect(await approveAccessRequest(admin2, decision(twoStep), options())).toMatchObject({ request: { status: "granted" } });
  });

  it("the queue: a routed person sees their route's requests and opens them; someone else only their own", async () => {
    routed(owner);
    const fraud = await submit("mlw-fraud-prod");
    const churn = await submit("mlw-churn-prod");
    const viewerOf = (context: typeof owner) => ({ tenantId: context.person.tenantId, objectId: context.person.objectId, isAdmin: false });
    const queue = await listAccessRequests(viewerOf(owner), { mine: false }, handle.db, { policy, resolve });
    expect(queue.map((row) => row.id)).toContain(fraud.id);
    expect(queue.map((row) => row.id)).not.toContain(churn.id);
    // (The stand-in names the owner on every route.)
    expect(queue.every((row) => row.routeId !== null)).toBe(true);
    expect(await findAccessRequest(viewerOf(owner), fraud.id, handle.db, { policy, resolve })).toBeDefined();
    expect(await findAccessRequest(viewerOf(owner), churn.id, handle.db, { policy, resolve })).toBeUndefined();
    const outsiderQueue = await listAccessRequests(viewerOf(outsider), { mine: false }, handle.db, { policy, resolve });
    expect(outsiderQueue).toEqual([]);
    // Someone with the same object id in another tenant is not the routed person.
    const elsewhere = { ...viewerOf(owner), tenantId: "0d7e2a41-5c3b-4f00-9e11-00000000beef" };
    expect(await findAccessRequest(elsewhere, fraud.id, handle.db, { policy, resolve })).toBeUndefined();
  });

  it("who to tell: the routed people (business approvers on two steps) without the requester, admins when nobody is routed", async () => {
    routed(owner, requester);
    const admins = () => Promise.resolve([admin1.person.objectId, admin2.person.objectId].map((id) => id.toLowerCase()));
    const fraud = await submit("mlw-fraud-prod");
    expect(await arrivalApprovers(fraud, { policy, resolve, admins })).toEqual([owner.person.objectId.toLowerCase()]);
    const churn = await submit("mlw-churn-prod");
    expect((await arrivalApprovers(churn, { policy, resolve, admins })).sort()).toEqual((await admins()).sort());
    people = { people: [], groups: [], unavailable: false };
    expect((await arrivalApprovers(fraud, { policy, resolve, admins })).sort()).toEqual((await admins()).sort());
    routed(admin1);
    const vision = await submit("mlw-vision-prod");
    const approved = (await approveAccessRequest(admin1, decision(vision), options())).request;
    expect(await adminStepApprovers(approved, { policy, resolve, admins })).toEqual([admin2.person.objectId.toLowerCase()]);
  });

  it("asks for a route's people only for routed requests", async () => {
    const before = asked.length;
    routed(owner);
    await whoDecides(await submit("mlw-churn-prod"), { policy, resolve });
    expect(asked.length).toBe(before);
    await whoDecides(await submit("mlw-fraud-prod"), { policy, resolve });
    expect(asked.length).toBe(before + 1);
  });
});
