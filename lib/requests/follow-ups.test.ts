/**
 * What approvers and channels are told, and that each of them hears once how a request ended: the arrival records its
 * audience; a grant, a failed grant and its retry, a denial, a withdrawal, a lapse and a closure each send exactly one
 * follow-up to everyone recorded as told; repeats and concurrent calls send nothing more; reminders reach the requester
 * and the routed owners on the configured days. The transport is replaced: the test reads what `sendMessage` was given.
 */
import { randomUUID } from "node:crypto";

import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";

import type { AuditActor } from "@/lib/audit";
import type * as Config from "@/lib/config";
import type { DatabaseHandle } from "@/lib/db/client";
import type * as SendNotification from "@/lib/notifications/send-notification";
import type { AccessRequestRow } from "./schema";
import type { NotificationAudience, NotificationMessage } from "@/lib/notifications/message";
import type { GrantResult } from "@/lib/workspaces/grant-workspace-roles";
import { makeDelegatedContext, TEST_TENANT_ID } from "@/test/support/builders/context";
import { makeAccessRequest } from "@/test/support/builders/requests";
import { postgresEngine, storageEngines } from "@/test/support/databases";
import { trustingDirectory } from "@/test/support/request-directory";

const sent = vi.hoisted(() => [] as { audience: NotificationAudience; message: NotificationMessage }[]);
const approvers = vi.hoisted(() => ({ ids: [] as string[] }));
const settings = vi.hoisted(() => ({ reminderDays: undefined as number[] | undefined }));

vi.mock("@/lib/notifications/send-notification", async (importOriginal) => ({
  ...(await importOriginal<typeof SendNotification>()),
  sendMessage: (audience: NotificationAudience, message: NotificationMessage) => {
    sent.push({ audience, message });
    return Promise.resolve({ mailed: audience.people.length, failed: 0 });
  },
}));
vi.mock("./approvers", () => ({ findApprovers: () => Promise.resolve([...approvers.ids]) }));
vi.mock("@/lib/config", async (importOriginal) => {
  const actual = await importOriginal<typeof Config>();
  return {
    ...actual,
    getConfig: () => {
      const config = actual.getConfig();
      // A default chat channel is configured: unrouted requests are announced there.
      const channels = {
        ...config.notifications.channels,
        default: { kind: "teams" as const, url: "https://contoso.webhook.office.com/webhookb2/x", host: "contoso.webhook.office.com" },
      };
      const withChannels = { ...config, notifications: { ...config.notifications, channels } };
      return settings.reminderDays ? { ...withChannels, requests: { ...config.requests, reminderDays: settings.reminderDays } } : withChannels;
    },
  };
});

const { getConfig } = await import("@/lib/config");
const { approveAccessRequest, cancelAccessRequest, denyAccessRequest, retryAccessRequest } = await import("./decide-request");
const { listTold, notifyAdminsOfBusinessApproval, notifyApproversOfArrival, notifyToldOfOutcome, sendDueFollowUps } = await import("./notify");
const { parseRequestPolicy } = await import("./policy");
const { runRequestJobs } = await import("./run-request-jobs");
const { submitAccessRequest } = await import("./submit-request");
const { accessRequests } = await import("./schema");

const DATA_SCIENTIST = "f6c7c914-8db3-469d-8ca1-694a8f32e121";
const ROUTE_GROUP = "0c0a5e11-0000-4000-8000-0000000000aa";
const policy = parseRequestPolicy(
  {
    pendingLifetimeHours: 48,
    durations: ["8h", "1d", "7d", "30d"],
    roles: [{ roleDefinitionId: DATA_SCIENTIST, name: "AzureML Data Scientist", maxDuration: "30d" }],
    routes: [{ id: "ml-team", name: "ML team", match: { workspaces: ["mlw-*"] }, approvers: { groups: [ROUTE_GROUP] }, channels: ["ml-ops", "ml-leads"] }],
  },
  "policy.json",
  [],
  ["ml-ops", "ml-leads"],
);
const NOW = new Date("2026-06-01T10:00:00Z");
const DAY = 86_400_000;
const system: AuditActor = { kind: "system", appId: "0c0a5e11-a910-4000-8000-000000000002", tenantId: TEST_TENANT_ID };

const lead = makeDelegatedContext("Riley Requester");
const avery = makeDelegatedContext("Avery Admin");
const blake = makeDelegatedContext("Blake Admin");

/** The messages about one request (their link names it). */
function about(request: { id: string }) {
  return sent.filter((entry) => entry.message.link?.url.endsWith(`/requests/${request.id}`));
}
/** The follow-ups about a request: messages to everyone told, not the requester's own mail. */
function followUps(request: { id: string }) {
  return about(request).filter((entry) => entry.message.link?.label === "Open the request");
}
function fact(message: NotificationMessage, name: string): string | undefined {
  return message.facts.find((entry) => entry.name === name)?.value;
}

describe.each(storageEngines())("who is told, and their follow-ups, on $name", (engine) => {
  let handle: DatabaseHandle;
  beforeAll(async () => {
    handle = await engine.open();
  });
  afterAll(async () => {
    await handle.close();
  });
  beforeEach(() => {
    sent.length = 0;
    settings.reminderDays = undefined;
    // Two admins and the requester, who is never told of their own request.
    approvers.ids = [avery.person.objectId, blake.person.objectId.toUpperCase(), lead.person.objectId];
  });

  const grants =
    (status: "granted" | "failed" = "granted") =>
    (request: AccessRequestRow): Promise<GrantResult> =>
      Promise.resolve({
        principalId: request.principalId,
        displayName: request.principalDisplayName,
        status,
        message: status === "granted" ? "Granted." : "Azure refused the grant.",
      });
  const options = (extra: object = {}) => ({ db: handle.db, policy, now: NOW, directory: trustingDirectory, grant: grants(), ...extra });

  /** Files a request (as the lead) and announces it, as the submission does; optionally under an approver route. */
  async function arrived(overrides: Parameters<typeof makeAccessRequest>[0] = {}, routeId?: string): Promise<AccessRequestRow> {
    const filed = (
      await submitAccessRequest(lead, makeAccessRequest(overrides), { db: handle.db, policy, now: NOW, notify: false, directory: trustingDirectory })
    ).request;
    await handle.db.execute(
      sql`update access_requests set route_id = ${routeId ?? null}, delta_summary = ${"+ 47 operations, including Microsoft.MachineLearningServices/workspaces/computes/write"} where id = ${filed.id}`,
    );
    const request = {
      ...filed,
      routeId: routeId ?? null,
      deltaSummary: "+ 47 operations, including Microsoft.MachineLearningServices/workspaces/computes/write",
    };
    await notifyApproversOfArrival(request, { db: handle.db, policy, now: NOW });
    return request;
  }

  it("announces a request with verified facts, the justification as the requester's quote and a link, and records who was told", async () => {
    const request = await arrived({ ticket: "CHG-1042", justification: "Needs to **train** the <churn> model" });
    const [arrival, ...rest] = about(request);
    expect(rest).toEqual([]);
    expect(new Set(arrival!.audience.people)).toEqual(new Set([avery.person.objectId, blake.person.objectId].map((id) => id.toLowerCase())));
    expect(arrival!.audience.channels).toEqual(["default"]);
    const message = arrival!.message;
    expect(fact(message, "For")).toBe("Teammate");
    expect(fact(message, "Type")).toBe("user");
    expect(fact(message, "Object id")).toBe(request.principalId);
    expect(fact(message, "Workspace")).toBe(`mlw-test (${request.workspaceId})`);
    expect(fact(message, "Role")).toBe("AzureML Data Scientist");
    expect(fact(message, "Duration")).toBe("7 days");
    expect(fact(message, "Requested by")).toBe("Riley Requester (Riley Requester@contoso.test)");
    expect(fact(message, "Ticket")).toBe("CHG-1042");
    expect(fact(message, "What it adds")).toBe("+ 47 operations, including Microsoft.MachineLearningServices/workspaces/computes/write");
    // The requester's words are a quote, attributed, and appear nowhere else in the message.
    expect(message.quote).toEqual({ by: "Riley Requester (the requester's words)", text: "Needs to **train** the <churn> model" });
    expect(JSON.stringify({ ...message, quote: undefined })).not.toContain("churn");
    expect(message.link).toEqual({ label: "Open the request to decide", url: `${getConfig().publicOrigin}/requests/${request.id}` });

    const told = await listTold(handle.db, request.id);
    expect(new Set(told.people)).toEqual(new Set([avery.person.objectId, blake.person.objectId].map((id) => id.toLowerCase())));
    expect(told.channels).toEqual(["default"]);
  });

  it("omits the delta fact when no summary could be computed, and names a routed request's channels", async () => {
    const filed = (await submitAccessRequest(lead, makeAccessRequest(), { db: handle.db, policy, now: NOW, notify: false, directory: trustingDirectory }))
      .request;
    await notifyApproversOfArrival({ ...filed, routeId: "ml-team" }, { db: handle.db, policy, now: NOW });
    const [arrival] = about(filed);
    expect(arrival!.message.facts.map((entry) => entry.name)).not.toContain("What it adds");
    expect(arrival!.audience.channels).toEqual(["ml-ops", "ml-leads"]);
  });

  it("sends one follow-up to every person and channel told when the request is granted, and the requester's own mail", async () => {
    const request = await arrived();
    await notifyAdminsOfBusinessApproval(request, "Bea Business", { people: ["cara@contoso.test"], channels: ["admins"] }, { db: handle.db, policy, now: NOW });
    sent.length = 0;
    await approveAccessRequest(avery, { requestId: request.id, comment: "" }, options());
    const [followUp, ...more] = followUps(request);
    expect(more).toEqual([]);
    expect(new Set(followUp!.audience.people)).toEqual(
      new Set([avery.person.objectId.toLowerCase(), blake.person.objectId.toLowerCase(), "cara@contoso.test"]),
    );
    expect(new Set(followUp!.audience.channels)).toEqual(new Set(["default", "admins"]));
    expect(followUp!.message.title).toBe("Granted: AzureML Data Scientist on mlw-test for Teammate");
    expect(followUp!.message.summary).toBe("Approved by Avery Admin at 2026-06-01 10:00 UTC — granted; it ends 2026-06-08 10:00 UTC.");
    expect(followUp!.message.quote).toBeUndefined();
    const requesterMail = about(request).filter((entry) => entry !== followUp);
    expect(requesterMail.map((entry) => entry.audience)).toEqual([{ people: [lead.person.objectId.toLowerCase()], channels: [] }]);
    expect(requesterMail[0]!.message.title).toBe("Your access request was granted: AzureML Data Scientist on mlw-test");

    // A retry of the call, the job's sweep, and concurrent callers: nothing more.
    const [row] = await handle.db.select().from(accessRequests).where(eq(accessRequests.id, request.id));
    expect(row!.status).toBe("granted");
    expect(await Promise.all([notifyToldOfOutcome(row!, { db: handle.db }), notifyToldOfOutcome(row!, { db: handle.db })])).toEqual([false, false]);
    expect(await sendDueFollowUps(handle.db, NOW)).toBe(0);
    expect(followUps(request)).toHaveLength(1);
  });

  it("follows up a failed grant, and again, once, when a retry grants it", async () => {
    const request = await arrived();
    sent.length = 0;
    await approveAccessRequest(avery, { requestId: request.id, comment: "" }, options({ grant: grants("failed") }));
    expect(followUps(request).map((entry) => entry.message.title)).toEqual(["Grant failed: AzureML Data Scientist on mlw-test for Teammate"]);
    expect(followUps(request)[0]!.message.summary).toMatch(/^Approved by Avery Admin at 2026-06-01 10:00 UTC — the grant failed: .+ An admin can retry it\.$/);
    await retryAccessRequest(blake, { requestId: request.id, comment: "" }, options());
    expect(followUps(request).map((entry) => entry.message.title.split(":")[0])).toEqual(["Grant failed", "Granted"]);
    expect(await sendDueFollowUps(handle.db, NOW)).toBe(0);
  });

  it("follows up a denial with the approver's comment as their quote, and a withdrawal", async () => {
    const denied = await arrived();
    const withdrawn = await arrived();
    sent.length = 0;
    await denyAccessRequest(blake, { requestId: denied.id, comment: "Use the shared <workspace>" }, options());
    await cancelAccessRequest(lead, { requestId: withdrawn.id, comment: "" }, options());
    const [denial] = followUps(denied);
    expect(denial!.message.summary).toBe("Denied by Blake Admin at 2026-06-01 10:00 UTC.");
    expect(denial!.message.quote).toEqual({ by: "Blake Admin (the approver's words)", text: "Use the shared <workspace>" });
    const [withdrawal, ...more] = followUps(withdrawn);
    expect(more).toEqual([]);
    expect(withdrawal!.message.summary).toBe("Withdrawn by the requester at 2026-06-01 10:00 UTC.");
    expect(new Set(withdrawal!.audience.people)).toEqual(new Set([avery.person.objectId.toLowerCase(), blake.person.objectId.toLowerCase()]));
    expect(withdrawal!.audience.people).not.toContain(lead.person.objectId.toLowerCase());
  });

  it("follows up requests the job lapses or closes, once, however often it runs", async () => {
    const stale = await arrived();
    const orphan = await arrived({ principal: { id: randomUUID(), kind: "user", displayName: "Gone User" } });
    sent.length = 0;
    const findDeleted = (ids: readonly string[]) => Promise.resolve(new Set(ids.filter((id) => id === orphan.principalId).map((id) => id.toLowerCase())));
    // Before the deadline: only the deleted principal's request is closed.
    await runRequestJobs(handle.db, system, new Date(NOW.getTime() + DAY), { findDeleted, reminderDays: [] });
    expect(followUps(orphan).map((entry) => entry.message.summary)).toEqual([
      "Closed: Gone User (" + orphan.principalId + ") no longer exists in the directory, so the request was closed.",
    ]);
    const later = new Date(NOW.getTime() + 3 * DAY);
    await runRequestJobs(handle.db, system, later, { findDeleted, reminderDays: [] });
    await runRequestJobs(handle.db, system, later, { findDeleted, reminderDays: [] });
    expect(followUps(stale).map((entry) => entry.message.summary)).toEqual(["Lapsed: nobody decided within 48 hours."]);
    expect(followUps(orphan)).toHaveLength(1);
    expect(followUps(stale)[0]!.audience.channels).toEqual(["default"]);
  });

  it("tells nobody of an outcome when nobody was told of the arrival", async () => {
    const silent = (await submitAccessRequest(lead, makeAccessRequest(), { db: handle.db, policy, now: NOW, notify: false, directory: trustingDirectory }))
      .request;
    sent.length = 0;
    await denyAccessRequest(avery, { requestId: silent.id, comment: "No." }, options());
    expect(followUps(silent)).toEqual([]);
    expect(await sendDueFollowUps(handle.db, NOW)).toBe(0);
  });

  it("reminds the requester and the routed owners and channels on the configured days; for an unrouted request only the requester", async () => {
    const routed = await arrived({}, "ml-team");
    const unrouted = await arrived();
    // Told of the routed request for the admin step too: reminders go to the route's owners only (told at arrival).
    await notifyAdminsOfBusinessApproval(routed, "Bea Business", { people: ["cara@contoso.test"], channels: ["admins"] }, { db: handle.db, policy, now: NOW });
    for (const request of [routed, unrouted]) await approveAccessRequest(avery, { requestId: request.id, comment: "" }, options());
    const expiresAt = NOW.getTime() + 7 * DAY;
    sent.length = 0;

    // Default days (3 and 1): nothing 6 days before the end; with 7,1 configured, the 7-day reminder goes out.
    await runRequestJobs(handle.db, system, new Date(expiresAt - 6 * DAY), { findDeleted: () => Promise.resolve(new Set()) });
    expect(about(routed)).toEqual([]);
    settings.reminderDays = [7, 1];
    await runRequestJobs(handle.db, system, new Date(expiresAt - 6 * DAY), { findDeleted: () => Promise.resolve(new Set()) });
    const [reminder] = about(routed);
    expect(reminder!.message.title).toBe("Access ends in 7 days: AzureML Data Scientist on mlw-test");
    expect(new Set(reminder!.audience.people)).toEqual(
      new Set([lead.person.objectId, avery.person.objectId, blake.person.objectId].map((id) => id.toLowerCase())),
    );
    expect(new Set(reminder!.audience.channels)).toEqual(new Set(["ml-ops", "ml-leads"]));
    expect(about(unrouted).map((entry) => entry.audience)).toEqual([{ people: [lead.person.objectId.toLowerCase()], channels: [] }]);

    // Half a day before the end both the 3-day (default) and 1-day reminders are due: only the 1-day one is sent, once.
    settings.reminderDays = [3, 1];
    sent.length = 0;
    await runRequestJobs(handle.db, system, new Date(expiresAt - DAY / 2), { findDeleted: () => Promise.resolve(new Set()) });
    await runRequestJobs(handle.db, system, new Date(expiresAt - DAY / 2), { findDeleted: () => Promise.resolve(new Set()) });
    expect(about(routed).map((entry) => entry.message.title)).toEqual(["Access ends in 1 day: AzureML Data Scientist on mlw-test"]);
  });
});

const postgres = postgresEngine();
describe.skipIf(!postgres)("follow-ups under concurrency on PostgreSQL", () => {
  it("sends one follow-up when five instances report the same outcome at once", async () => {
    const handle = await postgres!.open();
    const others = await Promise.all(Array.from({ length: 4 }, () => handle.openAnotherInstance()));
    try {
      approvers.ids = [avery.person.objectId];
      const filed = (await submitAccessRequest(lead, makeAccessRequest(), { db: handle.db, policy, now: NOW, notify: false, directory: trustingDirectory }))
        .request;
      await notifyApproversOfArrival(filed, { db: handle.db, policy, now: NOW });
      await denyAccessRequest(
        avery,
        { requestId: filed.id, comment: "Not now." },
        { db: handle.db, policy, now: NOW, notify: false, directory: trustingDirectory },
      );
      const [denied] = await handle.db.select().from(accessRequests).where(eq(accessRequests.id, filed.id));
      sent.length = 0;
      const results = await Promise.all([handle, ...others].map((instance) => notifyToldOfOutcome(denied!, { db: instance.db, policy })));
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(followUps(filed)).toHaveLength(1);
    } finally {
      for (const other of others) await other.close();
      await handle.close();
    }
  });
});
