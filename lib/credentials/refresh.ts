import "server-only";

import { hostname } from "node:os";
import { randomUUID } from "node:crypto";

import type { SnapshotSummary, Windows } from "@/lib/shared/credentials";
import { type AuditActor, recordAuditEventNow } from "@/lib/audit";
import { getConfig } from "@/lib/config";
import { type Database, nextEventLoopTurn } from "@/lib/db";
import { claimJobRun, finishJobRun } from "@/lib/db/job-leases";
import { postCredentialsDigest } from "@/lib/digests/credentials-digest";
import { AppError } from "@/lib/errors";
import { appGraphClientForRun } from "@/lib/graph/client";
import { describeError, log } from "@/lib/log";
import { deliverNotifications } from "@/lib/notifications/send-notification";
import { readWorkspaceAccess, withGroupRoles } from "./access";
import { GraphCallSlots, readDirectoryInventory, readGroupServicePrincipals } from "./inventory";
import { readManagedIdentityFederation } from "./managed-identity-federation";
import { notifyOwners } from "./notify-owners";
import { SnapshotWriter } from "./snapshot-writer";
import { completeSnapshot, createRunningSnapshot, failSnapshot, findSnapshot, pruneSnapshotRows, runningSnapshot, updateProgress } from "./store";

/** The scheduled job's lease (once per interval across instances). */
export const CREDENTIAL_JOB = "credential-inventory";
/** Manual refreshes have a lease of their own: one at a time across instances, never blocked by a stuck scheduled run. */
const MANUAL_JOB = "credential-inventory-manual";
/** A run that has not finished after this long is taken to have crashed. */
const LEASE_MS = 15 * 60_000;

export interface RefreshOutcome {
  readonly snapshotId: number;
  readonly status: "complete" | "failed";
  readonly credentials: number;
  readonly graphCalls: number;
  readonly armCalls: number;
  /** Owner notifications queued by this run, to hand to `deliverNotifications`. */
  readonly outboxIds: readonly number[];
}

/**
 * One inventory run into an existing `running` snapshot: Graph (directory) and ARM (workspace roles) as the console's
 * own identity, read-only. Rows are stored in parts as their answers arrive (`SnapshotWriter`); the last part and
 * the snapshot's completion go in one transaction, and owners are notified. No database transaction is open while
 * Graph or ARM is called; a run that fails deletes the parts it stored.
 */
export async function runInventory(
  db: Database,
  snapshotId: number,
  options: { trigger: "manual" | "scheduled"; actor: AuditActor; windows: Windows; now?: () => Date },
): Promise<RefreshOutcome> {
  const now = options.now ?? (() => new Date());
  let lastWrite = 0;
  const progress = async (phase: string, done: number, total: number) => {
    // At most a few writes a second, and always at a phase's end.
    const at = Date.now();
    if (at - lastWrite < 250 && done !== total) return;
    lastWrite = at;
    await updateProgress(db, snapshotId, { phase, done, total });
  };
  const writer = new SnapshotWriter(db, snapshotId, options.windows, now);
  try {
    const graph = appGraphClientForRun();
    // The directory's $batch calls and the group reads beside them keep one limit of Graph calls in flight.
    const slots = new GraphCallSlots();
    // User-assigned managed identities' federated credentials are on their ARM resources: read from ARM as soon as
    // the service principals are listed, while Graph's $batch calls for owners and federated credentials go on.
    let miFederationRead: ReturnType<typeof readManagedIdentityFederation> | undefined;
    const directoryRead = readDirectoryInventory(graph, progress, {
      slots,
      onServicePrincipalsListed: (servicePrincipals) => {
        miFederationRead = readManagedIdentityFederation(servicePrincipals);
        // Never rejects (its failures are warnings); awaited below all the same.
        void miFederationRead.then(() => writer.managedIdentitiesRead());
      },
      onListed: (applications, servicePrincipals) => writer.listed(applications, servicePrincipals),
      onObjectRead: (kind, index) => writer.objectRead(kind, index),
    });
    // Workspace roles: ARM's assignments, then the members of the groups that hold some (roles held through a group
    // are their service-principal members' too), read while the directory's calls go on: the rows can be built and
    // stored as their answers arrive only once every role is known. Their progress is not shown: a call or two
    // among the directory's hundreds.
    const rolesRead = readWorkspaceAccess().then(async (access) => {
      const viaGroups = await readGroupServicePrincipals(graph, [...access.rolesByGroup.keys()], () => undefined, slots);
      writer.rolesRead(withGroupRoles(access, viaGroups.groups));
      return { access, viaGroups };
    });
    // When one side fails the other is waited for, so no call is left running behind a failed refresh.
    const [directoryOutcome, rolesOutcome] = await Promise.allSettled([directoryRead, rolesRead]);
    if (directoryOutcome.status === "rejected") throw directoryOutcome.reason;
    if (rolesOutcome.status === "rejected") throw rolesOutcome.reason;
    const directory = directoryOutcome.value;
    const { access, viaGroups } = rolesOutcome.value;
    const miFederation = await (miFederationRead ?? readManagedIdentityFederation(directory.servicePrincipals));
    const graphCalls = directory.graphCalls + viaGroups.graphCalls;
    const armCalls = access.armCalls + miFederation.armCalls;
    await progress("Classifying", 0, 1);
    const { built, rest, asOf } = await writer.finish();
    const warnings = [...directory.warnings, ...access.warnings, ...viaGroups.warnings, ...miFederation.warnings];
    await completeSnapshot(
      db,
      snapshotId,
      { ...rest, counts: built.counts },
      {
        asOf,
        finishedAt: now(),
        graphCalls,
        armCalls,
        warnings,
      },
    );
    // The snapshot is complete: a status read held up by the store (PGlite runs on this thread) is answered before the
    // work that follows.
    await nextEventLoopTurn();
    await pruneSnapshotRows(db);
    await nextEventLoopTurn();
    await recordAuditEventNow(db, {
      action: "credential_inventory.refreshed",
      outcome: "succeeded",
      actor: options.actor,
      target: {},
      details: { snapshotId, trigger: options.trigger, credentials: built.rows.length, graphCalls, armCalls },
    });
    // Owners are told through the outbox: queued here with their claims, delivered by the caller (or the outbox job).
    let outboxIds: readonly number[] = [];
    try {
      await nextEventLoopTurn();
      const notified = await notifyOwners(db, built.rows, options.windows, asOf);
      outboxIds = notified.outboxIds;
      if (notified.credentials > 0) {
        await recordAuditEventNow(db, {
          action: "credential_inventory.owners_notified",
          outcome: "succeeded",
          actor: options.actor,
          target: {},
          details: { snapshotId, credentials: notified.credentials, recipients: notified.recipients, queued: notified.outboxIds.length },
        });
      }
    } catch (error) {
      log("error", "credentials", "owner notifications could not be queued", { snapshotId, error: describeError(error) });
      await recordAuditEventNow(db, {
        action: "credential_inventory.owners_notified",
        outcome: "failed",
        errorCode: "notification_failed",
        actor: options.actor,
        target: {},
        details: { snapshotId, credentials: 0, recipients: 0, queued: 0 },
      }).catch(() => undefined);
    }
    return { snapshotId, status: "complete", credentials: built.rows.length, graphCalls, armCalls, outboxIds };
  } catch (error) {
    const message = error instanceof AppError ? error.userMessage : "The inventory could not be read. Try again later.";
    log("error", "credentials", "credential inventory failed", { snapshotId, error: describeError(error) });
    await writer.abandon();
    await failSnapshot(db, snapshotId, message, now());
    await recordAuditEventNow(db, {
      action: "credential_inventory.refreshed",
      outcome: "failed",
      errorCode: error instanceof AppError ? error.code : "internal",
      actor: options.actor,
      target: {},
      details: { snapshotId, trigger: options.trigger },
    }).catch(() => undefined);
    return { snapshotId, status: "failed", credentials: 0, graphCalls: 0, armCalls: 0, outboxIds: [] };
  }
}

/** The scheduled job's body (the scheduler holds the `credential-inventory` lease around it). */
export async function scheduledInventory(db: Database, actor: AuditActor): Promise<Record<string, number>> {
  const windows = getConfig().credentials.windowsDays;
  const snapshotId = await createRunningSnapshot(db, { trigger: "scheduled", requestedBy: null, now: new Date(), windows });
  const outcome = await runInventory(db, snapshotId, { trigger: "scheduled", actor, windows });
  if (outcome.status === "complete") await postCredentialsDigest(db, snapshotId, windows, new Date());
  const delivery = await deliverNotifications(db, new Date(), outcome.outboxIds);
  return {
    snapshotId,
    complete: outcome.status === "complete" ? 1 : 0,
    credentials: outcome.credentials,
    graphCalls: outcome.graphCalls,
    armCalls: outcome.armCalls,
    ownersMailed: delivery.mailed,
    ownerMailsFailed: delivery.failed,
  };
}

/**
 * "Refresh" on the page: starts a run in the background and returns its snapshot at once (the page polls its
 * progress). When a run is already going (here or on another instance), returns that one instead of starting another.
 */
export async function requestRefresh(db: Database, actor: AuditActor & { kind: "user" }): Promise<SnapshotSummary> {
  const now = new Date();
  const running = await runningSnapshot(db, new Date(now.getTime() - LEASE_MS));
  if (running) return running;
  const holder = `${hostname()}:${process.pid}:manual:${randomUUID()}`;
  if (!(await claimJobRun(db, { jobName: MANUAL_JOB, holder, intervalMs: 0, leaseMs: LEASE_MS, now }))) {
    const other = await runningSnapshot(db, new Date(now.getTime() - LEASE_MS));
    if (other) return other;
    throw new AppError({
      code: "conflict",
      message: "credential inventory lease held without a running snapshot",
      userMessage: "A refresh is already running. Try again in a minute.",
    });
  }
  const windows = getConfig().credentials.windowsDays;
  let snapshotId: number;
  try {
    snapshotId = await createRunningSnapshot(db, { trigger: "manual", requestedBy: actor.objectId, now, windows });
    await recordAuditEventNow(db, { action: "credential_inventory.refresh_requested", outcome: "succeeded", actor, target: {}, details: { snapshotId } });
  } catch (error) {
    await finishJobRun(db, MANUAL_JOB, holder, new Date());
    throw error;
  }
  // Runs after the action has answered; the page polls the snapshot's progress.
  void runInventory(db, snapshotId, { trigger: "manual", actor, windows })
    .then((outcome) => deliverNotifications(db, new Date(), outcome.outboxIds))
    .catch((error: unknown) => log("error", "credentials", "manual refresh or its owner notifications failed", { snapshotId, error: describeError(error) }))
    .finally(() => finishJobRun(db, MANUAL_JOB, holder, new Date()).catch(() => undefined));
  return (await findSnapshot(db, snapshotId))!;
}
