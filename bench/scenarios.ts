/**
 * The benchmark scenarios, run by bench/run.ts in a process that trusts the sandbox's CA. Each measures the same
 * server-side code the console's pages and actions run, and counts upstream calls from the sandbox's call journal.
 */
import { randomUUID } from "node:crypto";
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";

import { type AuditEventInput, exportAuditEvents, recordAuditEvents, searchAuditEvents } from "@/lib/audit";
import { runInventory } from "@/lib/credentials/refresh";
import { createRunningSnapshot, latestCompleteSnapshot, snapshotRows, snapshotTrend } from "@/lib/credentials/store";
import { getConfig } from "@/lib/config";
import { deliverNotifications } from "@/lib/notifications/send-notification";
import { getDatabase } from "@/lib/db";
import { systemActor } from "@/lib/jobs/scheduler";
import { delegatedGraphClient } from "@/lib/graph/client";
import { workspaceScope } from "@/lib/shared/arm-scope";
import { getWorkspaceAccess } from "@/lib/workspaces/get-workspace-access";
import { grantWorkspaceRoles } from "@/lib/workspaces/grant-workspace-roles";
import { listWorkspaces } from "@/lib/workspaces/list-workspaces";
import { revokeWorkspaceRoles } from "@/lib/workspaces/revoke-workspace-roles";
import { personaContext, sandboxOrigin } from "@/test/support/persona-token";
import { journalSeq, journalSince } from "@/test/support/sandbox-control";

const { values } = parseArgs({
  options: { latency: { type: "string", default: "40" }, "audit-events": { type: "string", default: "100000" }, only: { type: "string" } },
});
const LATENCY_MS = Number(values.latency);
const AUDIT_EVENTS = Number(values["audit-events"]);
const NAIVE_CONCURRENCY = 20;

interface Row {
  readonly scenario: string;
  readonly ms: number;
  readonly floorMs: number;
  readonly roundTrips: number;
  readonly armCalls: number;
  readonly graphCalls: number;
  readonly note: string;
}

const rows: Row[] = [];

/** Like `measure`, for work whose round trips are known only from its result. */
async function measureWith<T>(scenario: string, note: string, work: () => Promise<{ result: T; roundTrips: number }>): Promise<T> {
  const since = await journalSeq();
  const start = performance.now();
  const { result, roundTrips } = await work();
  const ms = performance.now() - start;
  const calls = await journalSince(since);
  rows.push({
    scenario,
    ms: Math.round(ms),
    floorMs: roundTrips * LATENCY_MS,
    roundTrips,
    armCalls: calls.filter((call) => call.system === "arm").length,
    graphCalls: calls.filter((call) => call.system === "graph").length,
    note,
  });
  return result;
}

/** Runs `work`, and records its time beside its floor and the Graph/ARM calls it made. */
async function measure<T>(scenario: string, roundTrips: number, note: string, work: () => Promise<T>): Promise<T> {
  return measureWith(scenario, note, async () => ({ result: await work(), roundTrips }));
}

async function main(): Promise<void> {
  if (values.only === "credentials") {
    await credentialScenarios();
    printAndSave();
    return;
  }
  const security = await personaContext("security");
  const admin = await personaContext("admin");
  // Warm the database (opened and migrated on first use) and the token caches (on-behalf-of), so figures show
  // Gatehouse's steady-state work rather than one-off start-up costs.
  await getDatabase();
  await listWorkspaces({ kind: "delegated", caller: security.caller });
  await listWorkspaces({ kind: "delegated", caller: admin.caller });

  const list = await measure("Workspace list (all subscriptions)", 5, "1 subscription list, then per subscription workspaces ∥ assignment pages (4,000 in one → 4 pages)", () =>
    listWorkspaces({ kind: "delegated", caller: security.caller }),
  );
  const scale = list.workspaces.find((workspace) => workspace.name === "mlw-scale-prod");
  if (!scale) throw new Error("the large sandbox has no mlw-scale-prod workspace");
  const scaleId = workspaceScope(scale.subscriptionId, scale.resourceGroup, scale.name);

  // Cold: this process has not fetched the subscription's role definitions yet.
  const cold = await measure("Workspace access page, cold (2,000 assignments)", 3, "workspace ∥ atScope list (2 pages) ∥ role definitions, then getByIds ×⌈principals/1000⌉ in parallel", () =>
    getWorkspaceAccess(security.caller, scaleId),
  );
  const principals = new Set(cold.rows.map((row) => row.principalId)).size;
  await measure(`Workspace access page, warm (${cold.rows.length} rows, ${principals} principals)`, 3, "role definitions cached: 0 role-definition calls", () =>
    getWorkspaceAccess(security.caller, scaleId),
  );

  // The approach Gatehouse avoids: one Graph lookup per principal, NAIVE_CONCURRENCY at a time.
  const ids = [...new Set(cold.rows.map((row) => row.principalId))];
  const naiveTrips = 2 + Math.ceil(ids.length / NAIVE_CONCURRENCY);
  await measure(`Naive: one Graph lookup per principal (${NAIVE_CONCURRENCY} at a time)`, naiveTrips, "for comparison only", async () => {
    const client = delegatedGraphClient(security.caller);
    for (let start = 0; start < ids.length; start += NAIVE_CONCURRENCY) {
      await Promise.all(ids.slice(start, start + NAIVE_CONCURRENCY).map((id) => client.api(`/directoryObjects/${id}`).get().catch(() => undefined)));
    }
  });

  // Grant and revoke as the admin (Owner of the production subscription). The large tenant fills that subscription to
  // its 4,000-assignment limit, so the sandbox's limit is raised for this one step.
  await setSandboxLimit(4100);
  const target = list.workspaces.find((workspace) => workspace.name === "mlw-churn-prod");
  if (target) {
    const targetId = workspaceScope(target.subscriptionId, target.resourceGroup, target.name);
    const someone = cold.rows.find((row) => row.principal?.kind === "user")!;
    const grantContext = admin;
    const [granted] = await measure("Grant one role (intent, ARM PUT, outcome)", 2, "role definitions ∥ nothing; then PUT", () =>
      grantWorkspaceRoles(grantContext, {
        workspaceId: targetId,
        roleDefinitionId: "acdd72a7-3385-48ef-bd42-f606fba81ae7",
        principals: [{ id: someone.principalId, kind: "user", displayName: "bench" }],
      }),
    );
    const access = await getWorkspaceAccess(security.caller, targetId);
    const row = access.rows.find((candidate) => candidate.principalId === someone.principalId && candidate.origin === "workspace");
    if (row) {
      await measure("Revoke one assignment (re-read, intent, ARM DELETE, outcome)", 4, "re-read access (3) + DELETE", () =>
        revokeWorkspaceRoles(grantContext, { workspaceId: targetId, assignmentIds: [row.assignmentId], confirmSelfLockout: true }),
      );
    }
    if (granted?.status !== "granted") console.log(`(grant did not succeed: ${granted?.message ?? "no result"})`);
  }

  await credentialScenarios();
  await auditScenarios();
  printAndSave();
}

/**
 * The credentials refresh at 5,000 applications (directory + workspace roles, classify, store, queue owner mails),
 * owners' mail delivery from the outbox, and what the page does on each view: read the snapshot.
 */
async function credentialScenarios(): Promise<void> {
  const db = await getDatabase();
  const pageSize = 999;
  const windows = getConfig().credentials.windowsDays;
  const snapshotId = await createRunningSnapshot(db, { trigger: "scheduled", requestedBy: null, now: new Date(), windows });
  // Floor: the application and service-principal lists run side by side (⌈5000/999⌉ pages each, one after another),
  // then the $batch calls for federated credentials and owners, BATCH_CONCURRENCY at a time.
  const listTrips = Math.ceil(5000 / pageSize);
  const outcome = await measureWith("Credentials refresh (5,000 applications)", "apps ∥ SPs paged by 999, then federated credentials and owners via $batch (20 per call, 4 at a time)", async () => {
    const result = await runInventory(db, snapshotId, { trigger: "scheduled", actor: systemActor(), windows });
    return { result, roundTrips: listTrips + Math.ceil(Math.max(0, result.graphCalls - 2 * listTrips) / 4) };
  });
  if (outcome.status !== "complete") throw new Error(`the credentials refresh did not complete: ${JSON.stringify(outcome)}`);
  await measureWith(`Owner mails from the outbox (${outcome.outboxIds.length} queued)`, "Graph sendMail, 4 at a time (Outlook's limit per mailbox); one call per mail", async () => {
    const result = await deliverNotifications(db, new Date(), outcome.outboxIds);
    return { result, roundTrips: Math.ceil(result.mailed / 4) };
  });
  const rows = await measure("Credentials page data from the snapshot", 0, "latest snapshot, its rows, trend; no Graph or ARM call", async () => {
    const [latest, trend] = await Promise.all([latestCompleteSnapshot(db), snapshotTrend(db, 8)]);
    const items = latest ? await snapshotRows(db, latest.id) : [];
    return { items, trend };
  });
  console.log(`(credentials snapshot: ${rows.items.length} rows; refresh made ${outcome.graphCalls} Graph and ${outcome.armCalls} ARM calls)`);
}

async function setSandboxLimit(limit: number): Promise<void> {
  const response = await fetch(`${sandboxOrigin()}/_sandbox/settings`, {
    method: "PATCH",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ roleAssignmentLimitPerSubscription: limit }),
  });
  if (!response.ok) throw new Error(`could not change the sandbox limit: ${response.status}`);
}

async function seedAuditEvents(count: number, actor: AuditEventInput["actor"]): Promise<void> {
  const db = await getDatabase();
  for (let done = 0; done < count; done += 1000) {
    const batch: AuditEventInput[] = Array.from({ length: Math.min(1000, count - done) }, (_, index) => ({
      action: "authz.denied",
      outcome: "denied",
      actor,
      target: {},
      correlation: { consoleRequestId: randomUUID() },
      details: { consoleAction: `bench-${(done + index) % 50}`, deniedBecause: "console_role_missing" },
    }));
    await db.transaction((tx) => recordAuditEvents(tx, batch));
  }
}

/** Streams a full CSV export and reports its time and the JS heap it needed above a collected baseline. */
async function measureExport(total: number): Promise<void> {
  const db = await getDatabase();
  const collect = (globalThis as { gc?: () => void }).gc;
  collect?.();
  const baseline = process.memoryUsage();
  let peakHeap = baseline.heapUsed;
  let peakRss = baseline.rss;
  const sample = () => {
    const usage = process.memoryUsage();
    peakHeap = Math.max(peakHeap, usage.heapUsed);
    peakRss = Math.max(peakRss, usage.rss);
  };
  const sampler = setInterval(sample, 10);
  const start = performance.now();
  let bytes = 0;
  let chunks = 0;
  // What the export keeps alive, measured after collections during the run: garbage V8 has not collected yet says
  // nothing about whether memory is bounded.
  let peakRetained = baseline.heapUsed;
  for await (const chunk of exportAuditEvents(db, {}, "csv")) {
    bytes += Buffer.byteLength(chunk);
    if (collect && ++chunks % 10 === 0) {
      collect();
      peakRetained = Math.max(peakRetained, process.memoryUsage().heapUsed);
    }
  }
  clearInterval(sampler);
  sample();
  const mb = (value: number) => (value / 1e6).toFixed(1);
  rows.push({
    scenario: `Audit export CSV (${total.toLocaleString("en")} events)`,
    ms: Math.round(performance.now() - start),
    floorMs: 0,
    roundTrips: 0,
    armCalls: 0,
    graphCalls: 0,
    note: collect
      ? `${mb(bytes)} MB streamed; retained JS heap +${mb(peakRetained - baseline.heapUsed)} MB (peak before GC +${mb(peakHeap - baseline.heapUsed)} MB); RSS +${mb(peakRss - baseline.rss)} MB`
      : `${mb(bytes)} MB streamed; peak JS heap +${mb(peakHeap - baseline.heapUsed)} MB (run with --expose-gc for retained memory)`,
  });
}

async function auditScenarios(): Promise<void> {
  const db = await getDatabase();
  const actor = { kind: "user" as const, tenantId: randomUUID(), objectId: randomUUID(), displayName: "Bench Admin", userPrincipalName: "bench@contosoml.onmicrosoft.com" };
  // Exported at a tenth and at the full size: memory that stays flat while the export grows tenfold is bounded.
  const first = Math.max(1000, Math.round(AUDIT_EVENTS / 10));
  await seedAuditEvents(first, actor);
  await measureExport(first);
  const seedStart = performance.now();
  await seedAuditEvents(AUDIT_EVENTS - first, actor);
  const seedMs = Math.round(performance.now() - seedStart);

  const searchStart = performance.now();
  const page = await searchAuditEvents(db, { text: "bench-7" }, { size: 50 });
  rows.push({ scenario: `Audit search, free text (${AUDIT_EVENTS.toLocaleString("en")} events)`, ms: Math.round(performance.now() - searchStart), floorMs: 0, roundTrips: 0, armCalls: 0, graphCalls: 0, note: `${page.events.length} hits on the first page; seeding took ${seedMs} ms` });
  await measureExport(AUDIT_EVENTS);
}

function printAndSave(): void {
  const header = ["Scenario", "Time ms", "Floor ms", "Round trips", "ARM calls", "Graph calls", "Note"];
  const table = rows.map((row) => [row.scenario, String(row.ms), String(row.floorMs), String(row.roundTrips), String(row.armCalls), String(row.graphCalls), row.note]);
  const widths = header.map((title, column) => Math.max(title.length, ...table.map((line) => line[column]!.length)));
  const format = (cells: string[]) => cells.map((cell, column) => (column >= 1 && column <= 5 ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!))).join("  ");
  console.log(`\n${format(header)}\n${widths.map((width) => "-".repeat(width)).join("  ")}`);
  for (const line of table) console.log(format(line));
  writeFileSync("bench/results.json", `${JSON.stringify({ latencyMs: LATENCY_MS, measuredAt: new Date().toISOString(), rows }, null, 2)}\n`);
  console.log("\nWritten to bench/results.json. Figures are measurements, not assertions.");
}

main().catch((error: unknown) => {
  console.error(`benchmark failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exit(1);
});
