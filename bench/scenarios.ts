/**
 * The benchmark scenarios, run by bench/run.ts against the production build of the console (`next start`) on the
 * sandbox tenant, in a process that trusts the sandbox's CA. Pages are loaded and server actions posted over HTTP
 * as a browser would; upstream calls are counted from the sandbox's call journal and the console's memory is read
 * from /proc. Figures are printed beside their floor (upstream round trips × latency), never asserted.
 */
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";

import autocannon from "autocannon";

import { delegatedGraphClient } from "@/lib/graph/client";
import { workspaceScope } from "@/lib/shared/arm-scope";
import { assignmentNameFor } from "@/lib/workspaces/grant-workspace-roles";
import { listWorkspaces } from "@/lib/workspaces/list-workspaces";
import { workspacePath } from "@/components/workspaces/format";
import { personaContext } from "@/test/support/persona-token";
import { testSandbox } from "@/test/support/sandbox-control";
import { buildActionIds, ConsoleClient } from "./console-client";
import { ConsoleMemory, megabytes } from "./process-memory";

const { values } = parseArgs({
  options: {
    latency: { type: "string", default: "40" },
    console: { type: "string" },
    "console-pid": { type: "string" },
    "audit-events": { type: "string", default: "1000000" },
    "audit-seed-ms": { type: "string", default: "0" },
    "build-ms": { type: "string", default: "0" },
    only: { type: "string" },
    connections: { type: "string", default: "20" },
    duration: { type: "string", default: "15" },
  },
});
const LATENCY_MS = Number(values.latency);
const CONSOLE = values.console ?? "";
const AUDIT_EVENTS = Number(values["audit-events"]);
const GROUPS = new Set((values.only ?? "pages,grant,credentials,audit,load,fuzz").split(","));
const CONNECTIONS = Number(values.connections);
const DURATION_S = Number(values.duration);
/** Page loads per figure; the median is shown, so one slow load (a GC, a busy core) does not decide it. */
const RUNS = 5;
const NAIVE_CONCURRENCY = 20;
const DATA_SCIENTIST = "f6c7c914-8db3-469d-8ca1-694a8f32e121";

interface Row {
  readonly scenario: string;
  /** null where a column does not apply (the memory row). */
  readonly ms: number | null;
  readonly floorMs: number | null;
  readonly roundTrips: number | null;
  readonly armCalls: number | null;
  readonly graphCalls: number | null;
  readonly note: string;
}

const rows: Row[] = [];
const memory = new ConsoleMemory(Number(values["console-pid"]));

function median(samples: readonly number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? 0;
}

/**
 * Runs `work` `runs` times and records the median time beside its floor and the upstream calls of one run (the
 * journal's count over all runs ÷ runs).
 */
async function measure<T>(scenario: string, roundTrips: number, note: string, work: () => Promise<T>, runs = 1): Promise<T> {
  memory.during(scenario);
  const since = await testSandbox().journal.lastSeq();
  const times: number[] = [];
  let result: T | undefined;
  for (let run = 0; run < runs; run++) {
    const start = performance.now();
    result = await work();
    times.push(performance.now() - start);
  }
  const calls = (await testSandbox().journal.since(since)).entries;
  memory.during(undefined);
  rows.push({
    scenario,
    ms: Math.round(median(times)),
    floorMs: roundTrips * LATENCY_MS,
    roundTrips,
    armCalls: Math.round(calls.filter((call) => call.system === "arm").length / runs),
    graphCalls: Math.round(calls.filter((call) => call.system === "graph").length / runs),
    note: runs > 1 ? `median of ${runs}; ${note}` : note,
  });
  return result as T;
}

interface Clients {
  readonly admin: ConsoleClient;
  readonly limitedAdmin: ConsoleClient;
  readonly security: ConsoleClient;
}

async function main(): Promise<void> {
  memory.start();
  const actionIds = buildActionIds();
  const clients: Clients = {
    admin: await ConsoleClient.signIn(CONSOLE, "admin", actionIds),
    limitedAdmin: await ConsoleClient.signIn(CONSOLE, "limited-admin", actionIds),
    security: await ConsoleClient.signIn(CONSOLE, "security", actionIds),
  };
  const idleRss = memory.rss();
  // Where things are, read directly (not measured): the workspaces and their ids.
  const security = await personaContext("security");
  const { workspaces } = await listWorkspaces({ kind: "delegated", caller: security.caller });
  const find = (name: string) => {
    const workspace = workspaces.find((candidate) => candidate.name === name);
    if (!workspace) throw new Error(`the large sandbox has no ${name} workspace`);
    return workspace;
  };
  const subscriptions = new Set(workspaces.map((workspace) => workspace.subscriptionId)).size;

  // Warm-up, not measured: each persona's on-behalf-of token, and the first render of each route in this process.
  for (const client of [clients.admin, clients.limitedAdmin, clients.security]) await client.page("/workspaces");

  if (GROUPS.has("pages")) await pageScenarios(clients, find("mlw-scale-prod"), workspaces.length, subscriptions, security.caller);
  if (GROUPS.has("grant")) await grantScenarios(clients, find("mlw-churn-prod"));
  if (GROUPS.has("credentials")) await credentialScenarios(clients);
  if (GROUPS.has("audit")) await auditScenarios(clients);
  if (GROUPS.has("load")) await loadScenario(clients, find("mlw-fraud-prod"));
  if (GROUPS.has("fuzz")) await fuzzScenario(clients);
  memory.stop();
  rows.push({
    scenario: "Console process memory (resident set)",
    ms: null,
    floorMs: null,
    roundTrips: null,
    armCalls: null,
    graphCalls: null,
    note: `peak ${megabytes(Math.max(memory.peak, memory.highWaterMark()))} MB over the whole run (kernel high-water mark); ${megabytes(idleRss)} MB after start-up and sign-in`,
  });
  printAndSave();
}

type Workspace = Awaited<ReturnType<typeof listWorkspaces>>["workspaces"][number];

async function pageScenarios(
  clients: Clients,
  scale: Workspace,
  workspaceCount: number,
  subscriptions: number,
  caller: Awaited<ReturnType<typeof personaContext>>["caller"],
): Promise<void> {
  await measure(
    `Workspace list page (${workspaceCount} workspaces, ${subscriptions} subscriptions)`,
    2,
    "1 subscription list, then Resource Graph: workspaces ∥ assignment counts by scope (1 page each)",
    () => clients.security.page("/workspaces"),
    RUNS,
  );
  const path = workspacePath(scale.subscriptionId, scale.resourceGroup, scale.name);
  // Cold: the first view of this subscription's workspace in this console process (role definitions not cached).
  await measure(
    "Workspace access page, cold (2,000 assignments, ~1,500 principals)",
    3,
    "workspace ∥ atScope list (2 pages) ∥ role definitions, then getByIds ×⌈principals/1000⌉ in parallel",
    () => clients.security.page(path),
  );
  await measure("Workspace access page, warm", 3, "role definitions cached: 0 role-definition calls", () => clients.security.page(path), RUNS);

  // The approach Gatehouse avoids, run here for comparison: one Graph lookup per principal, 20 at a time.
  const access = await listScaleWorkspacePrincipals(scale, caller);
  const naiveTrips = 2 + Math.ceil(access.length / NAIVE_CONCURRENCY);
  await measure(
    `Naive: one Graph lookup per principal (${access.length}, ${NAIVE_CONCURRENCY} at a time)`,
    naiveTrips,
    "for comparison only (in the bench process, not the console)",
    async () => {
      const client = delegatedGraphClient(caller);
      for (let start = 0; start < access.length; start += NAIVE_CONCURRENCY) {
        await Promise.all(
          access.slice(start, start + NAIVE_CONCURRENCY).map((id) =>
            client
              .api(`/directoryObjects/${id}`)
              .get()
              .catch(() => undefined),
          ),
        );
      }
    },
  );
}

/** The distinct principals assigned at the scale workspace, read from the sandbox's state (not measured). */
async function listScaleWorkspacePrincipals(scale: Workspace, caller: Awaited<ReturnType<typeof personaContext>>["caller"]): Promise<string[]> {
  const { getWorkspaceAccess } = await import("@/lib/workspaces/get-workspace-access");
  const access = await getWorkspaceAccess(caller, workspaceScope(scale.subscriptionId, scale.resourceGroup, scale.name));
  return [...new Set(access.rows.map((row) => row.principalId))];
}

interface GrantOutcome {
  readonly status: string;
  readonly data?: readonly { status: string; message: string }[];
  readonly message?: string;
}

async function grantScenarios(clients: Clients, target: Workspace): Promise<void> {
  // The large tenant fills the production subscription to its 4,000-assignment limit: raise it for this step only.
  await setSandboxLimit(4100);
  const scope = workspaceScope(target.subscriptionId, target.resourceGroup, target.name);
  const principal = await someUser();
  const assignmentId = `${scope}/providers/Microsoft.Authorization/roleAssignments/${assignmentNameFor(scope, principal, DATA_SCIENTIST)}`;
  const grants: number[] = [];
  const revokes: number[] = [];
  let grantCalls = { arm: 0, graph: 0 };
  let revokeCalls = { arm: 0, graph: 0 };
  for (let run = 0; run < 3; run++) {
    let since = await testSandbox().journal.lastSeq();
    let start = performance.now();
    const granted = await clients.admin.action<GrantOutcome>("grantWorkspaceRoles", {
      workspaceId: scope,
      roleDefinitionId: DATA_SCIENTIST,
      principals: [{ id: principal, kind: "user", displayName: "Bench user" }],
    });
    grants.push(performance.now() - start);
    grantCalls = countCalls((await testSandbox().journal.since(since)).entries);
    if (granted.status !== "success" || granted.data?.[0]?.status !== "granted") throw new Error(`grant failed: ${JSON.stringify(granted)}`);
    since = await testSandbox().journal.lastSeq();
    start = performance.now();
    const revoked = await clients.admin.action<GrantOutcome>("revokeWorkspaceRoles", {
      workspaceId: scope,
      assignmentIds: [assignmentId],
      confirmSelfLockout: true,
    });
    revokes.push(performance.now() - start);
    revokeCalls = countCalls((await testSandbox().journal.since(since)).entries);
    if (revoked.status !== "success") throw new Error(`revoke failed: ${JSON.stringify(revoked)}`);
  }
  await setSandboxLimit(4000);
  rows.push({
    scenario: "Grant one role (server action: intent, ARM PUT, outcome)",
    ms: Math.round(median(grants)),
    floorMs: 2 * LATENCY_MS,
    roundTrips: 2,
    armCalls: grantCalls.arm,
    graphCalls: grantCalls.graph,
    note: "median of 3; role definitions ∥ nothing, then PUT",
  });
  rows.push({
    scenario: "Revoke one assignment (server action: re-read, intent, DELETE, outcome)",
    ms: Math.round(median(revokes)),
    floorMs: 4 * LATENCY_MS,
    roundTrips: 4,
    armCalls: revokeCalls.arm,
    graphCalls: revokeCalls.graph,
    note: "median of 3; re-read access (3) + DELETE",
  });
}

function countCalls(calls: readonly { system: string }[]): { arm: number; graph: number } {
  return { arm: calls.filter((call) => call.system === "arm").length, graph: calls.filter((call) => call.system === "graph").length };
}

/** A seeded user the grant scenario gives a role to (any member of the large tenant's directory will do). */
async function someUser(): Promise<string> {
  const admin = await personaContext("admin");
  const page = (await delegatedGraphClient(admin.caller).api("/users").select(["id"]).top(5).get()) as { value: { id: string }[] };
  const user = page.value[4] ?? page.value[0];
  if (!user) throw new Error("the sandbox has no users");
  return user.id;
}

interface RefreshStatus {
  readonly status: string;
  readonly data?: { id: number; status: string; graphCalls?: number | null; progress?: unknown };
}

async function credentialScenarios(clients: Clients): Promise<void> {
  const listTrips = Math.ceil(5000 / 999);
  const outboxBefore = await sandboxOutboxSize();
  let graphCalls = 0;
  const snapshot = await measure(
    "Credentials refresh (5,000 applications; server action, then polling)",
    listTrips,
    "apps ∥ SPs paged by 999 (the floor counts these), then federated credentials and owners via $batch (20 per call, 4 at a time)",
    async () => {
      const started = await clients.security.action<RefreshStatus>("refreshCredentialInventory", {});
      if (started.status !== "success" || !started.data) throw new Error(`refresh refused: ${JSON.stringify(started)}`);
      for (;;) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        const current = await clients.security.action<RefreshStatus>("getCredentialRefreshStatus", { snapshotId: started.data.id });
        if (current.status === "success" && current.data && current.data.status !== "running") {
          graphCalls = current.data.graphCalls ?? 0;
          return current.data;
        }
      }
    },
  );
  if (snapshot.status !== "complete") throw new Error(`the credentials refresh did not complete: ${JSON.stringify(snapshot)}`);
  // The refresh's own floor: the list pages plus the $batch calls, 4 at a time.
  const row = rows.at(-1)!;
  const batchTrips = Math.ceil(Math.max(0, graphCalls - 2 * listTrips) / 4);
  rows[rows.length - 1] = { ...row, roundTrips: listTrips + batchTrips, floorMs: (listTrips + batchTrips) * LATENCY_MS };

  // Owners' mails leave from the outbox after the refresh, 4 at a time; the page does not wait for them.
  const mailStart = performance.now();
  const mails = await waitForOutboxToSettle(outboxBefore);
  rows.push({
    scenario: `Owner mails from the outbox (${mails})`,
    ms: Math.round(performance.now() - mailStart),
    floorMs: Math.ceil(mails / 4) * LATENCY_MS,
    roundTrips: Math.ceil(mails / 4),
    armCalls: 0,
    graphCalls: mails,
    note: "after the refresh, in the background: Graph sendMail 4 at a time (Outlook's limit per mailbox)",
  });
  await measure(
    "Credentials page (from the snapshot)",
    0,
    "latest snapshot, its rows, trend; no Graph or ARM call",
    () => clients.security.page("/credentials"),
    RUNS,
  );
}

async function sandboxOutboxSize(): Promise<number> {
  return (await testSandbox().state()).counts.outbox;
}

/** Waits until no mail has arrived at the sandbox for 2 s; returns how many arrived since `before`. */
async function waitForOutboxToSettle(before: number): Promise<number> {
  let last = await sandboxOutboxSize();
  let quietSince = performance.now();
  while (performance.now() - quietSince < 2000) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    const now = await sandboxOutboxSize();
    if (now !== last) {
      last = now;
      quietSince = performance.now();
    }
  }
  return last - before;
}

async function auditScenarios(clients: Clients): Promise<void> {
  const events = AUDIT_EVENTS.toLocaleString("en");
  await measure(
    `Audit page, free-text search (${events} events)`,
    0,
    `first page of 50 hits; seeding them took ${Math.round(Number(values["audit-seed-ms"]) / 1000)} s`,
    () => clients.admin.page("/audit?q=bench-7"),
    RUNS,
  );
  await measure(`Audit page, newest first (${events} events)`, 0, "first page of 50, keyset paging", () => clients.admin.page("/audit"), RUNS);
  const before = memory.rss();
  let bytes = 0;
  await measure(`Audit export CSV (${events} events)`, 0, "streamed", async () => {
    bytes = await clients.admin.download("/api/audit/export?format=csv");
  });
  const row = rows.at(-1)!;
  const peak = memory.peaks.get(row.scenario) ?? before;
  rows[rows.length - 1] = {
    ...row,
    note: `${(bytes / 1e6).toFixed(0)} MB streamed; console RSS ${megabytes(before)} MB before, peak ${megabytes(peak)} MB during`,
  };
}

/** Server-action throughput: CONNECTIONS clients, each a signed-in session, posting a read-only action for DURATION_S. */
async function loadScenario(clients: Clients, target: Workspace): Promise<void> {
  const scope = workspaceScope(target.subscriptionId, target.resourceGroup, target.name);
  const admin = await personaContext("admin");
  const sessions = [clients.admin, clients.limitedAdmin, clients.security];
  // Checked once, so the load below is known to exercise the real path, not an error reply.
  const probe = await clients.security.action<{ status: string }>("checkWorkspaceAccess", { workspaceId: scope, principalId: admin.caller.objectId });
  if (probe.status !== "success") throw new Error(`checkWorkspaceAccess failed: ${JSON.stringify(probe)}`);
  const requests = sessions.map((session) => session.actionRequest("checkWorkspaceAccess", { workspaceId: scope, principalId: admin.caller.objectId }));
  const latencies: number[] = [];
  const statuses = new Map<number, number>();
  const since = await testSandbox().journal.lastSeq();
  const cpuBefore = memory.cpuMs();
  memory.during("server-action load");
  let connection = 0;
  let finished: (result: autocannon.Result) => void = () => undefined;
  let failed: (error: unknown) => void = () => undefined;
  const done = new Promise<autocannon.Result>((resolve, reject) => {
    finished = resolve;
    failed = reject;
  });
  const instance = autocannon(
    {
      url: CONSOLE,
      connections: CONNECTIONS,
      duration: DURATION_S,
      requests: [
        {
          // Each connection keeps one session, spread over the three personas allowed to call the action.
          setupRequest: (request, context: { session?: number }) => {
            context.session ??= connection++ % requests.length;
            const chosen = requests[context.session]!;
            return { ...request, method: "POST", path: chosen.path, headers: chosen.headers, body: chosen.body };
          },
        },
      ],
    },
    (error: unknown, outcome: autocannon.Result) => (error ? failed(error) : finished(outcome)),
  );
  instance.on("response", (_client, statusCode, _bytes, responseTime) => {
    latencies.push(responseTime);
    statuses.set(statusCode, (statuses.get(statusCode) ?? 0) + 1);
  });
  const result = await done;
  const cpuMs = memory.cpuMs() - cpuBefore;
  memory.during(undefined);
  const calls = countCalls((await testSandbox().journal.since(since)).entries);
  latencies.sort((a, b) => a - b);
  const total = latencies.length;
  const ok = statuses.get(200) ?? 0;
  rows.push({
    scenario: `Server action under load (${CONNECTIONS} concurrent sessions, ${DURATION_S} s)`,
    ms: Math.round(percentile(latencies, 50)),
    floorMs: 2 * LATENCY_MS,
    roundTrips: 2,
    armCalls: total > 0 ? Math.round(calls.arm / total) : 0,
    graphCalls: total > 0 ? Math.round(calls.graph / total) : 0,
    note:
      `checkWorkspaceAccess: ${(total / DURATION_S).toFixed(1)} actions/s; p50 ${Math.round(percentile(latencies, 50))} / p95 ${Math.round(percentile(latencies, 95))} / ` +
      `p99 ${Math.round(percentile(latencies, 99))} ms; ${total} replies, ${total - ok} not 200, ${result.errors + result.timeouts} errors/timeouts; ` +
      `console CPU ${total > 0 ? (cpuMs / total).toFixed(1) : "—"} ms per action (${Math.round((cpuMs / (DURATION_S * 1000)) * 100)}% of one core); calls per action shown`,
  });
}

const FUZZ_S = 30;
const FUZZ_LOOPS = 4;

/**
 * Security.md row 23's latency canary: FUZZ_LOOPS loops post bodies React would never send (deep nesting, a 900 kB
 * string, references to nothing or in a cycle, multipart parts that reference each other) to a real action for
 * FUZZ_S seconds while a canary GETs /api/health every second; the canary's latency and the console's memory are
 * reported (the e2e run checks the behaviour: no server error, bounded memory).
 */
async function fuzzScenario(clients: Clients): Promise<void> {
  const boundary = "----gatehouse-bench";
  const part = (name: string, value: string) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
  const bodies: { body: string; type: string }[] = [
    { body: `[${"[".repeat(20_000)}"x"${"]".repeat(20_000)}]`, type: "text/plain;charset=UTF-8" },
    { body: JSON.stringify([`$x${"x".repeat(900_000)}`]), type: "text/plain;charset=UTF-8" },
    { body: '["$1","$Q1","$@1","$h1"]', type: "text/plain;charset=UTF-8" },
    { body: '[{"then":"$1:then","__proto__":{"constructor":"$1:constructor"}}]', type: "text/plain;charset=UTF-8" },
    { body: `${part("0", '["$1"]')}${part("1", '["$0"]')}--${boundary}--\r\n`, type: `multipart/form-data; boundary=${boundary}` },
  ];
  const template = clients.admin.actionRequest("getGrantOptions", {});
  const statuses = new Map<number, number>();
  const canary: number[] = [];
  const before = memory.rss();
  memory.during("malformed Flight fuzz");
  const end = Date.now() + FUZZ_S * 1000;
  let posted = 0;
  const loop = async (offset: number) => {
    for (let index = offset; Date.now() < end; index += FUZZ_LOOPS) {
      const { body, type } = bodies[index % bodies.length]!;
      const response = await fetch(`${CONSOLE}${template.path}`, { method: "POST", headers: { ...template.headers, "content-type": type }, body });
      await response.arrayBuffer();
      posted += 1;
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
    }
  };
  const probe = async () => {
    while (Date.now() < end) {
      const start = performance.now();
      await (await fetch(`${CONSOLE}/api/health`)).arrayBuffer();
      canary.push(performance.now() - start);
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  };
  await Promise.all([...Array.from({ length: FUZZ_LOOPS }, (_, offset) => loop(offset)), probe()]);
  memory.during(undefined);
  const peak = memory.peaks.get("malformed Flight fuzz") ?? before;
  canary.sort((a, b) => a - b);
  rows.push({
    scenario: `Malformed Flight fuzz (${FUZZ_LOOPS} loops, ${FUZZ_S} s), health canary`,
    ms: Math.round(percentile(canary, 99)),
    floorMs: null,
    roundTrips: null,
    armCalls: null,
    graphCalls: null,
    note:
      `canary p50 ${Math.round(percentile(canary, 50))} / p99 ${Math.round(percentile(canary, 99))} ms over ${canary.length} probes; ${posted} bodies posted, ` +
      `answers ${JSON.stringify(Object.fromEntries(statuses))}; console RSS ${megabytes(before)} MB before, peak ${megabytes(peak)} MB during`,
  });
}

async function setSandboxLimit(limit: number): Promise<void> {
  await testSandbox().updateSettings({ roleAssignmentLimitPerSubscription: limit });
}

function printAndSave(): void {
  const header = ["Scenario", "Time ms", "Floor ms", "Round trips", "ARM calls", "Graph calls", "Note"];
  const cell = (value: number | null) => (value === null ? "—" : String(value));
  const table = rows.map((row) => [row.scenario, cell(row.ms), cell(row.floorMs), cell(row.roundTrips), cell(row.armCalls), cell(row.graphCalls), row.note]);
  const widths = header.map((title, column) => Math.max(title.length, ...table.map((line) => line[column]!.length)));
  const format = (cells: string[]) =>
    cells.map((cell, column) => (column >= 1 && column <= 5 ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!))).join("  ");
  console.log(`\n${format(header)}\n${widths.map((width) => "-".repeat(width)).join("  ")}`);
  for (const line of table) console.log(format(line));
  const setup = { latencyMs: LATENCY_MS, auditEvents: AUDIT_EVENTS, buildMs: Number(values["build-ms"]), auditSeedMs: Number(values["audit-seed-ms"]) };
  writeFileSync("bench/results.json", `${JSON.stringify({ ...setup, measuredAt: new Date().toISOString(), rows }, null, 2)}\n`);
  console.log("\nWritten to bench/results.json. Figures are measurements, not assertions.");
}

main().catch((error: unknown) => {
  console.error(`benchmark failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exit(1);
});
