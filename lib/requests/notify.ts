import "server-only";

import { and, eq, exists, gte, inArray, notExists, sql } from "drizzle-orm";

import { getConfig } from "@/lib/config";
import { type Database, type DatabaseTransaction, getDatabase } from "@/lib/db";
import { describeError, log } from "@/lib/log";
import type { NotificationAudience, NotificationFact, NotificationMessage } from "@/lib/notifications/message";
import { sendMessage } from "@/lib/notifications/send-notification";
import { placeWords } from "@/lib/shared/linked-resource-kinds";
import { requestedAccess } from "@/lib/shared/requested-access";
import { findApprovers } from "./approvers";
import { arrivalApprovers } from "./routing";
import { DEADLINE_PASSED, isRequester } from "./decision-guards";
import { channelsFor } from "@/lib/notifications/channels";
import { getRequestPolicy, type RequestPolicy, routeOfRequest } from "./policy";
import { accessRequests, type AccessRequestRow, type AudienceReason, type RequestStatus, requestAudience, requestFollowUps } from "./schema";

export { findApprovers } from "./approvers";

export interface NotifyOptions {
  /** The database the request lives in; the console's by default. */
  readonly db?: Database;
  /** The request policy (routes, bundles); the configured one by default. */
  readonly policy?: RequestPolicy;
  readonly now?: Date;
}

// --- Facts ------------------------------------------------------------------------------------------------------------

const KIND_WORDS: Record<string, string> = { user: "user", group: "group", servicePrincipal: "service principal", managedIdentity: "managed identity" };
const FLAG_WORDS: Record<string, string> = { guest: "guest user", external: "external account", other_tenant_app: "app from another organisation" };
const SECONDARY_ID_NAMES: Record<string, string> = { user: "UPN", group: "Mail", servicePrincipal: "App id", managedIdentity: "App id" };

/** "2026-06-01 14:02 UTC". */
function utcMinute(date: Date): string {
  return `${date.toISOString().replace("T", " ").slice(0, 16)} UTC`;
}

function link(request: AccessRequestRow): string {
  return `${getConfig().publicOrigin}/requests/${request.id}`;
}

function durationWords(request: AccessRequestRow): string {
  if (request.durationMinutes === null) return "permanent";
  const days = request.durationMinutes / 1440;
  if (days >= 1 && Number.isInteger(days)) return `${days} day${days === 1 ? "" : "s"}`;
  const hours = request.durationMinutes / 60;
  return `${hours} hour${hours === 1 ? "" : "s"}`;
}

/** The configured policy, or none when it cannot be read (then: no route, no bundle parts — never a failed notification). */
function policyOf(options: NotifyOptions): RequestPolicy | undefined {
  if (options.policy) return options.policy;
  try {
    return getRequestPolicy();
  } catch (error) {
    log("warn", "notifications", "request policy unreadable; notifying without routes", { error: describeError(error) });
    return undefined;
  }
}

/** The role, or the bundle with each of its parts and where it lands. */
function accessFact(request: AccessRequestRow, policy: RequestPolicy | undefined): NotificationFact {
  if (!request.bundleId) return { name: "Role", value: request.roleName };
  const bundle = policy?.bundles.find((candidate) => candidate.id === request.bundleId);
  const parts = bundle
    ? [`${bundle.workspaceRole.name} on the workspace`, ...bundle.companions.map((part) => `${part.name} on the ${placeWords(part.on)}`)]
    : [`${request.roleName} on the workspace, and its companion roles`];
  return { name: "Bundle", value: `${request.bundleName ?? request.bundleId}: ${parts.join("; ")}` };
}

/**
 * What approvers are shown about a request: only what Graph, ARM and the database said when it was filed (names as the
 * directory gives them, never the requester's text), plus the permission-delta line read as the requester.
 */
export function requestFacts(request: AccessRequestRow, policy?: RequestPolicy): NotificationFact[] {
  const kind = KIND_WORDS[request.principalKind] ?? request.principalKind;
  const flags = request.principalFlags.map((flag) => FLAG_WORDS[flag] ?? flag);
  const facts: NotificationFact[] = [
    { name: "For", value: request.principalDisplayName },
    { name: "Type", value: [kind, ...flags].join(", ") },
    { name: "Object id", value: request.principalId },
  ];
  if (request.principalSecondaryId) facts.push({ name: SECONDARY_ID_NAMES[request.principalKind] ?? "Id", value: request.principalSecondaryId });
  facts.push(
    { name: "Workspace", value: `${request.workspaceName} (${request.workspaceId})` },
    accessFact(request, policy),
    { name: "Duration", value: durationWords(request) },
    { name: "Requested by", value: `${request.requesterName} (${request.requesterUpn})` },
  );
  if (request.ticket) facts.push({ name: "Ticket", value: request.ticket });
  if (request.deltaSummary) facts.push({ name: "What it adds", value: request.deltaSummary });
  if (request.approvalsRequired > 1) facts.push({ name: "Approvals needed", value: `${request.approvalsRequired} different approvers` });
  if (request.origin === "self_grant") {
    facts.push({ name: "Origin", value: "An admin granted this to themselves (or a group they are in); it needs two other admins." });
  }
  return facts;
}

function justification(request: AccessRequestRow): NotificationMessage["quote"] {
  return { by: `${request.requesterName} (the requester's words)`, text: request.justification };
}

function subjectOf(request: AccessRequestRow): string {
  return `${requestedAccess(request)} on ${request.workspaceName} for ${request.principalDisplayName}`;
}

// --- Who is told --------------------------------------------------------------------------------------------------

/**
 * The chat channels that hear of a request: its route's, or the default channel (when one is configured) when no route
 * matched it or the route names none.
 */
export function requestChannels(request: AccessRequestRow, policy: RequestPolicy | undefined): string[] {
  const route = policy ? routeOfRequest(policy, request) : undefined;
  return channelsFor(route?.channels);
}

/** Never the requester: they are not asked to decide their own request. */
function withoutRequester(people: readonly string[], request: AccessRequestRow): string[] {
  const tenantId = getConfig().identity.tenantId;
  return [...new Set(people.map((id) => id.toLowerCase()))].filter((id) => !isRequester({ tenantId, objectId: id }, request));
}

/**
 * Who hears that a request arrived: the people who may decide its first step (a route's approvers, or the Console.Admin
 * holders when it has no route or its groups name nobody; never the requester or the principal) and its channels.
 */
export async function arrivalAudience(request: AccessRequestRow, policy: RequestPolicy | undefined): Promise<NotificationAudience> {
  const people = await arrivalApprovers(request, policy ? { policy } : {});
  return { people: withoutRequester(people, request), channels: requestChannels(request, policy) };
}

/** Remembers who was told about a request, so each of them hears how it ended. The first reason a target was told for stays. */
async function recordTold(db: Database | DatabaseTransaction, request: AccessRequestRow, audience: NotificationAudience, reason: AudienceReason, now: Date) {
  const rows: (typeof requestAudience.$inferInsert)[] = [
    ...[...new Set(audience.people.map((person) => person.toLowerCase()))].map((target) => ({ kind: "person" as const, target })),
    ...[...new Set(audience.channels)].map((target) => ({ kind: "channel" as const, target })),
  ].map((row) => ({ ...row, requestId: request.id, reason, createdAt: now }));
  if (rows.length > 0) await db.insert(requestAudience).values(rows).onConflictDoNothing();
}

/** Everyone recorded as told about a request, for one reason or for any. */
export async function listTold(db: Database | DatabaseTransaction, requestId: string, reason?: AudienceReason): Promise<NotificationAudience> {
  const rows = await db
    .select({ kind: requestAudience.kind, target: requestAudience.target })
    .from(requestAudience)
    .where(and(eq(requestAudience.requestId, requestId), reason ? eq(requestAudience.reason, reason) : undefined))
    .orderBy(requestAudience.createdAt, requestAudience.target);
  return {
    people: rows.filter((row) => row.kind === "person").map((row) => row.target),
    channels: rows.filter((row) => row.kind === "channel").map((row) => row.target),
  };
}

/** Records the audience (a failure to record must not stop the message), then sends. */
async function tell(db: Database, request: AccessRequestRow, audience: NotificationAudience, reason: AudienceReason, message: NotificationMessage, now: Date) {
  try {
    await recordTold(db, request, audience, reason, now);
  } catch (error) {
    log("error", "notifications", "could not record who was told about a request", { requestId: request.id, error: describeError(error) });
  }
  await sendMessage(audience, message);
}

// --- Arrival ------------------------------------------------------------------------------------------------------

/** Tells approvers (and the request's channels) that a request is waiting, and records who was told. Never throws. */
export async function notifyApproversOfArrival(request: AccessRequestRow, options: NotifyOptions = {}): Promise<void> {
  try {
    const db = options.db ?? (await getDatabase());
    const policy = policyOf(options);
    const audience = await arrivalAudience(request, policy);
    await tell(db, request, audience, "arrival", arrivalMessage(request, policy), options.now ?? new Date());
  } catch (error) {
    log("error", "notifications", "could not announce a request", { requestId: request.id, error: describeError(error) });
  }
}

export function arrivalMessage(request: AccessRequestRow, policy?: RequestPolicy): NotificationMessage {
  return {
    title: `Access request: ${requestedAccess(request)} on ${request.workspaceName}`,
    summary: `${request.requesterName} asks for ${subjectOf(request)} (${durationWords(request)}). Approval happens in the console, as you.`,
    facts: requestFacts(request, policy),
    quote: justification(request),
    link: { label: "Open the request to decide", url: link(request) },
  };
}

/**
 * Two-step flow: the business approver said yes, and the admins (the audience the caller chose) now decide. Records
 * them as told (`admin_step`) so they hear the outcome too. Never throws.
 */
export async function notifyAdminsOfBusinessApproval(
  request: AccessRequestRow,
  approverName: string,
  audience: NotificationAudience,
  options: NotifyOptions = {},
): Promise<void> {
  try {
    const db = options.db ?? (await getDatabase());
    const policy = policyOf(options);
    const admins = { people: withoutRequester(audience.people, request), channels: [...audience.channels] };
    await tell(
      db,
      request,
      admins,
      "admin_step",
      {
        title: `Business approval given: ${requestedAccess(request)} on ${request.workspaceName}`,
        summary: `${approverName} approved ${subjectOf(request)} for the business; an admin now decides whether it is granted.`,
        facts: requestFacts(request, policy),
        quote: justification(request),
        link: { label: "Open the request to decide", url: link(request) },
      },
      options.now ?? new Date(),
    );
  } catch (error) {
    log("error", "notifications", "could not tell the admins of a business approval", { requestId: request.id, error: describeError(error) });
  }
}

// --- Outcomes -----------------------------------------------------------------------------------------------------

/** The statuses whose arrival everyone told hears about, once each. */
export const FOLLOW_UP_OUTCOMES = ["granted", "covered", "failed", "denied", "cancelled", "lapsed"] as const satisfies readonly RequestStatus[];
type FollowUpOutcome = (typeof FOLLOW_UP_OUTCOMES)[number];

function isFollowUpOutcome(status: RequestStatus): status is FollowUpOutcome {
  return (FOLLOW_UP_OUTCOMES as readonly string[]).includes(status);
}

function approvedWords(request: AccessRequestRow): string {
  const names = request.approvals.map((approval) => approval.displayName);
  const who = names.length > 0 ? names.join(" and ") : (request.decidedByName ?? "an admin");
  return `Approved by ${who}${request.decidedAt ? ` at ${utcMinute(request.decidedAt)}` : ""}`;
}

/** What happened, in the words everyone told reads: a title word, a sentence, and an approver's own words as a quote. */
export function outcomeWords(request: AccessRequestRow): { readonly title: string; readonly summary: string; readonly quote?: NotificationMessage["quote"] } {
  switch (request.status) {
    case "granted":
      return {
        title: "Granted",
        summary: `${approvedWords(request)} — granted${request.expiresAt ? `; it ends ${utcMinute(request.expiresAt)}` : ", permanently"}.`,
      };
    case "covered":
      return { title: "Already covered", summary: `${approvedWords(request)} — nothing granted: ${request.outcomeNote ?? "the access already exists."}` };
    case "failed":
      return {
        title: "Grant failed",
        summary: `${approvedWords(request)} — the grant failed: ${request.failureReason ?? "Azure refused it."} An admin can retry it.`,
      };
    case "denied": {
      const by = request.decidedByName ?? "an admin";
      return {
        title: "Denied",
        summary: `Denied by ${by}${request.decidedAt ? ` at ${utcMinute(request.decidedAt)}` : ""}.`,
        ...(request.decisionComment ? { quote: { by: `${by} (the approver's words)`, text: request.decisionComment } } : {}),
      };
    }
    case "cancelled":
      return {
        title: "Withdrawn",
        summary: `Withdrawn by the requester${request.endedAt ? ` at ${utcMinute(request.endedAt)}` : ""}.`,
        ...(request.decisionComment ? { quote: { by: `${request.requesterName} (the requester's words)`, text: request.decisionComment } } : {}),
      };
    case "lapsed": {
      if (request.outcomeNote === DEADLINE_PASSED.note || request.outcomeNote === null) {
        const hours = Math.round((request.pendingUntil.getTime() - request.createdAt.getTime()) / 3_600_000);
        return { title: "Lapsed", summary: `Lapsed: nobody decided within ${hours} hours.` };
      }
      return { title: "Closed", summary: `Closed: ${request.outcomeNote}` };
    }
    default:
      return { title: request.status, summary: `The request is now ${request.status}.` };
  }
}

export function followUpMessage(request: AccessRequestRow, policy?: RequestPolicy): NotificationMessage {
  const words = outcomeWords(request);
  return {
    title: `${words.title}: ${subjectOf(request)}`,
    summary: words.summary,
    facts: requestFacts(request, policy),
    ...(words.quote ? { quote: words.quote } : {}),
    link: { label: "Open the request", url: link(request) },
  };
}

/**
 * Tells everyone recorded as told about the request (people and channels) how it ended: granted, already covered,
 * failed, denied, withdrawn or lapsed. Exactly once per request and outcome: the follow-up is claimed with an insert
 * the database lets only one caller make, so a second instance, a retry or the job's sweep sends nothing more.
 * Returns whether this call sent it. Never throws.
 */
export async function notifyToldOfOutcome(request: AccessRequestRow, options: NotifyOptions = {}): Promise<boolean> {
  if (!isFollowUpOutcome(request.status)) return false;
  try {
    const db = options.db ?? (await getDatabase());
    const told = await listTold(db, request.id);
    if (told.people.length === 0 && told.channels.length === 0) return false;
    const claimed = await db
      .insert(requestFollowUps)
      .values({ requestId: request.id, outcome: request.status, sentAt: options.now ?? new Date() })
      .onConflictDoNothing()
      .returning({ requestId: requestFollowUps.requestId });
    if (claimed.length === 0) return false;
    await sendMessage(told, followUpMessage(request, policyOf(options)));
    return true;
  } catch (error) {
    log("error", "notifications", "could not send a request's follow-up", { requestId: request.id, error: describeError(error) });
    return false;
  }
}

/** A follow-up about something older than this is noise rather than news: the sweep leaves it. */
const FOLLOW_UP_HORIZON_MS = 7 * 86_400_000;

/**
 * The request job's sweep: sends the follow-ups still owed — requests the job itself closed (lapsed, principal or
 * requester deleted), requests closed as stale while someone tried to approve them, and any whose follow-up was not
 * sent because the process stopped right after the decision committed. Returns how many were sent.
 */
export async function sendDueFollowUps(db: Database, now: Date, options: Omit<NotifyOptions, "db" | "now"> = {}): Promise<number> {
  const due = await db
    .select()
    .from(accessRequests)
    .where(
      and(
        inArray(accessRequests.status, [...FOLLOW_UP_OUTCOMES]),
        gte(accessRequests.updatedAt, new Date(now.getTime() - FOLLOW_UP_HORIZON_MS)),
        exists(
          db
            .select({ one: sql`1` })
            .from(requestAudience)
            .where(eq(requestAudience.requestId, accessRequests.id)),
        ),
        notExists(
          db
            .select({ one: sql`1` })
            .from(requestFollowUps)
            .where(and(eq(requestFollowUps.requestId, accessRequests.id), eq(requestFollowUps.outcome, accessRequests.status))),
        ),
      ),
    )
    .orderBy(accessRequests.updatedAt)
    .limit(200);
  let sent = 0;
  for (const request of due) if (await notifyToldOfOutcome(request, { ...options, db, now })) sent++;
  return sent;
}

const REQUESTER_VERBS: Partial<Record<RequestStatus, string>> = {
  granted: "was granted",
  covered: "is already covered",
  failed: "failed",
  denied: "was denied",
};

/** Tells the requester their request was granted, already covered, failed or denied. Never throws. */
export async function notifyRequesterOfDecision(request: AccessRequestRow, options: NotifyOptions = {}): Promise<void> {
  const words = outcomeWords(request);
  const policy = policyOf(options);
  await sendMessage(
    { people: [request.requesterObjectId], channels: [] },
    {
      title: `Your access request ${REQUESTER_VERBS[request.status] ?? `is ${request.status}`}: ${requestedAccess(request)} on ${request.workspaceName}`,
      summary: `Your request for ${subjectOf(request)} (${durationWords(request)}): ${words.summary}${request.status === "covered" ? " Nothing will expire." : ""}`,
      facts: requestFacts(request, policy),
      ...(words.quote ? { quote: words.quote } : {}),
      link: { label: "Open your request", url: link(request) },
    },
  );
}

// --- Reminders and failures ----------------------------------------------------------------------------------------

/**
 * Who is reminded that access ends: the requester, and for a request an approver route decided, the route's people and
 * channels as they were told of its arrival. Admins who approved an unrouted request are not reminded.
 */
export async function reminderAudience(db: Database | DatabaseTransaction, request: AccessRequestRow): Promise<NotificationAudience> {
  const owners = request.routeId === null ? { people: [], channels: [] } : await listTold(db, request.id, "arrival");
  return { people: [...new Set([request.requesterObjectId.toLowerCase(), ...owners.people])], channels: [...owners.channels] };
}

/** Reminds the requester and the routed owners that access ends in `daysLeft` days. Never throws. */
export async function notifyOfExpiry(request: AccessRequestRow, daysLeft: number, options: NotifyOptions = {}): Promise<void> {
  try {
    const db = options.db ?? (await getDatabase());
    const policy = policyOf(options);
    await sendMessage(await reminderAudience(db, request), {
      title: `Access ends in ${daysLeft} day${daysLeft === 1 ? "" : "s"}: ${requestedAccess(request)} on ${request.workspaceName}`,
      summary: `${request.principalDisplayName}'s ${requestedAccess(request)} on ${request.workspaceName} ends ${request.expiresAt ? utcMinute(request.expiresAt) : "soon"}. Ask for an extension before then if it is still needed.`,
      facts: requestFacts(request, policy),
      link: { label: "Open the request to extend it", url: link(request) },
    });
  } catch (error) {
    log("error", "notifications", "could not send an expiry reminder", { requestId: request.id, error: describeError(error) });
  }
}

/** Tells the admins (and the request's channels), once, that Gatehouse could not remove access that has ended. Never throws. */
export async function notifyAdminsOfExpiryFailure(request: AccessRequestRow, reason: string, options: NotifyOptions = {}): Promise<void> {
  const policy = policyOf(options);
  await sendMessage(
    { people: await findApprovers(), channels: requestChannels(request, policy) },
    {
      title: `Expiry failed: ${requestedAccess(request)} on ${request.workspaceName} is still assigned`,
      summary:
        `Time-bound access ended${request.expiresAt ? ` at ${utcMinute(request.expiresAt)}` : ""}, but Gatehouse could not remove it: ${reason} ` +
        "Gatehouse retries with back-off; until then the access stays. Check that Gatehouse's identity may still remove role assignments on this workspace, or remove the assignment in Azure.",
      facts: requestFacts(request, policy),
      link: { label: "Open the request", url: link(request) },
    },
  );
}
