/**
 * The benchmark scenarios, run by bench/run.ts against the production build of the console (`next start`) on the
 * sandbox tenant, in a process that trusts the sandbox's CA. Pages are loaded and server actions posted over HTTP
 * as a browser would; upstream calls are counted from the sandbox's call journal and the console's memory is read
 * from /proc. Figures are printed beside their floor (upstream round trips × latency), never asserted.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";

import autocannon from "autocannon";

import { delegatedGraphClient } from "@/lib/graph/client";
import { workspaceScope } from "@/lib/shared/arm-scope";
import type { WorkspaceAccess } from "@/lib/workspaces/get-workspace-access";
import { assignmentNameFor } from "@/lib/workspaces/grant-workspace-roles";
import { listWorkspaces } from "@/lib/workspaces/list-workspaces";
import { workspacePath } from "@/components/workspaces/format";
import { personaContext } from "@/test/support/persona-token";
import { testSandbox } from "@/test/support/sandbox-control";
import { type ReplayedRequest, buildActionIds, ConsoleClient } from "./console-client";
import { measureConsole } from "./first-load-js";
import { ConsoleMemory, megabytes } from "./process-memory";
import { formatTable, type Goal, goals, type Row } from "./report";

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
    /** Fewer runs per figure, a shorter fuzz, no naive comparison: a check before a commit, not figures to publish. */
    quick: { type: "boolean", default: false },
    /** The console runs bench/memory-probe.mjs: read what its memory is made of after sign-in and after each group. */
    "memory-detail": { type: "boolean", default: false },
    /** Where the rows go (JSON); bench/run.ts merges them with the estate case's and writes the results. */
    out: { type: "string" },
  },
});
const LATENCY_MS = Number(values.latency);
const CONSOLE = values.console ?? "";
const AUDIT_EVENTS = Number(values["audit-events"]);
const GROUPS = new Set((values.only ?? "pages,grant,credentials,audit,load,fuzz").split(","));
const CONNECTIONS = Number(values.connections);
const DURATION_S = Number(values.duration);
const QUICK = values.quick === true;
/** Page loads per figure; the median is shown, so one slow load (a GC, a busy core) does not decide it. */
const RUNS = QUICK ? 3 : 5;
const NAIVE_CONCURRENCY = 20;
const DATA_SCIENTIST = "f6c7c914-8db3-469d-8ca1-694a8f32e121";

const rows: Row[] = [];
const memory = new ConsoleMemory(Number(values["console-pid"]));

interface ProbeReading {
  readonly rssMb: number;
  readonly peakRssMb: number;
  readonly heapTotalMb: number;
  readonly heapUsedMb: number;
  readonly externalMb: number;
  readonly arrayBuffersMb: number;
  readonly mallocedMb: number;
  readonly wasmResidentMb: number;
  readonly fileResidentMb: number;
  readonly jitCodeResidentMb: number;
  readonly mallocResidentMb: number;
  readonly otherAnonymousResidentMb: number;
  readonly spacesUsedMb: Record<string, number>;
}
const memoryDetail: { label: string; before: ProbeReading; after: ProbeReading }[] = [];

/** With --memory-detail: asks the console's probe for its memory before and after a forced full collection. */
async function memoryCheckpoint(label: string): Promise<void> {
  if (!values["memory-detail"]) return;
  const file = path.join(tmpdir(), `gatehouse-memory-${values["console-pid"]}.jsonl`);
  const lines = () => (existsSync(file) ? readFileSync(file, "utf8").trim().split("\n").filter(Boolean) : []);
  const seen = lines().length;
  process.kill(Number(values["console-pid"]), "SIGUSR2");
  const deadline = Date.now() + 30_000;
  while (lines().length <= seen) {
    if (Date.now() > deadline) throw new Error(`the console's memory probe did not answer in ${file}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const reading = JSON.parse(lines()[seen]!) as { before: ProbeReading; after: ProbeReading };
  memoryDetail.push({ label, ...reading });
}

function printMemoryDetail(): void {
  if (memoryDetail.length === 0) return;
  console.log("\nThe console's memory (MB) after each group: before → after a forced full garbage collection");
  console.log("checkpoint | RSS | kernel peak | V8 heap used (total) | external | WebAssembly memory | files | run-time code | malloc heaps | other anonymous");
  for (const { label, before, after } of memoryDetail) {
    console.log(
      `${label} | ${before.rssMb} → ${after.rssMb} | ${after.peakRssMb} | ${before.heapUsedMb} (${before.heapTotalMb}) → ${after.heapUsedMb} (${after.heapTotalMb}) | ` +
        `${before.externalMb} → ${after.externalMb} | ${before.wasmResidentMb} → ${after.wasmResidentMb} | ${after.fileResidentMb} | ` +
        `${before.jitCodeResidentMb} → ${after.jitCodeResidentMb} | ${before.mallocResidentMb} → ${after.mallocResidentMb} | ` +
        `${before.otherAnonymousResidentMb} → ${after.otherAnonymousResidentMb}`,
    );
  }
  console.log(`live heap by space after the last collection: ${JSON.stringify(memoryDetail.at(-1)!.after.spacesUsedMb)}`);
}

function median(samples: readonly number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? 0;
}

interface Measured {
  readonly id: string;
  readonly scenario: string;
  readonly roundTrips: number;
  readonly note: string;
  /** The goal from the floor (round trips × latency); ≤ floor + 100 ms unless said; null: a comparison, no goal. */
  readonly goal?: ((floorMs: number) => Goal) | null;
}

/**
 * Runs `work` `runs` times and records the median time beside its goal and floor, and the upstream calls of one run
 * (the journal's count over all runs ÷ runs).
 */
async function measure<T>(what: Measured, work: () => Promise<T>, runs = 1): Promise<T> {
  memory.during(what.scenario);
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
  const floorMs = what.roundTrips * LATENCY_MS;
  rows.push({
    id: what.id,
    scenario: what.scenario,
    value: Math.round(median(times)),
    unit: "ms",
    goal: what.goal === null ? null : (what.goal ?? goals.floorPlus100)(floorMs),
    floorMs,
    roundTrips: what.roundTrips,
    armCalls: Math.round(calls.filter((call) => call.system === "arm").length / runs),
    graphCalls: Math.round(calls.filter((call) => call.system === "graph").length / runs),
    note: runs > 1 ? `median of ${runs}; ${what.note}` : what.note,
  });
  return result as T;
}

/** A figure with no upstream part (memory, CPU, bytes). */
function pushFigure(id: string, scenario: string, value: number, unit: Row["unit"], goal: Goal | null, note: string): void {
  rows.push({ id, scenario, value, unit, goal, floorMs: null, roundTrips: null, armCalls: null, graphCalls: null, note });
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
  await memoryCheckpoint("after start-up and sign-in");
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

  // Before any figure that opens /audit: the walk of the hash chain a page view starts (when the last is older than 5
  // minutes) is measured on its own, at full speed ("Verify now"), so the figures after it do not share the console with it.
  if (GROUPS.has("pages") || GROUPS.has("audit")) await chainWalkScenario(clients);
  if (GROUPS.has("pages")) {
    await pageScenarios(clients, find("mlw-scale-prod"), find("mlw-fraud-prod"), workspaces.length, subscriptions, security.caller);
    await memoryCheckpoint("pages");
  }
  if (GROUPS.has("grant")) {
    await grantScenarios(clients, find("mlw-churn-prod"));
    // The large tenant fills the production subscription to Azure's 4,000-assignment limit, which the console checks
    // before a bundle's parts go out: some of the scale workspace's seeded assignments make room first (not measured),
    // for the warm-up grant and each measured one (a bundle adds at most 5 assignments; 6 leaves one to spare).
    await makeRoomInSubscription(find("mlw-scale-prod"), security.caller, 6 * (RUNS + 1));
    await bundleScenario(clients, find("mlw-churn-prod"));
    await memoryCheckpoint("grant");
  }
  if (GROUPS.has("credentials")) {
    await credentialScenarios(clients);
    await memoryCheckpoint("credentials");
  }
  if (GROUPS.has("audit")) {
    await auditScenarios(clients);
    await memoryCheckpoint("audit");
  }
  if (GROUPS.has("load")) {
    await loadScenario(clients, find("mlw-fraud-prod"));
    await memoryCheckpoint("load");
  }
  if (GROUPS.has("fuzz")) {
    await fuzzScenario(clients);
    await memoryCheckpoint("fuzz");
  }
  memory.stop();
  printMemoryDetail();
  // The PostgreSQL run (`postgres-memory`) measures only this, on a console whose data is not in its own process.
  const onPostgres = GROUPS.has("postgres-memory");
  pushFigure(
    onPostgres ? "console-rss-after-start-postgres" : "console-rss-after-start",
    `Console memory after start-up and sign-in${onPostgres ? ", data in PostgreSQL" : ""} (resident set)`,
    Number(megabytes(idleRss)),
    "MB",
    goals.at(250, "MB"),
    `${onPostgres ? "DATABASE_URL set: the console without the embedded database; " : ""}three personas signed in, no page loaded yet`,
  );
  if (onPostgres) {
    printAndSave();
    return;
  }
  pushFigure(
    "console-rss-peak",
    "Console memory, peak over the whole run (resident set)",
    Number(megabytes(Math.max(memory.peak, memory.highWaterMark()))),
    "MB",
    goals.at(400, "MB"),
    "the kernel's high-water mark of the console process (VmHWM), or the sampled peak of its process tree when higher",
  );
  printAndSave();
}

type Workspace = Awaited<ReturnType<typeof listWorkspaces>>["workspaces"][number];

async function pageScenarios(
  clients: Clients,
  scale: Workspace,
  /** Another workspace, whose page renders the access route once before the cold figure (as every route is warmed). */
  warmUp: Workspace,
  workspaceCount: number,
  subscriptions: number,
  caller: Awaited<ReturnType<typeof personaContext>>["caller"],
): Promise<void> {
  await measure(
    {
      id: "workspace-list-page",
      scenario: `Workspace list page (${workspaceCount} workspaces, ${subscriptions} subscriptions)`,
      roundTrips: 2,
      note: "Resource Graph: the page of workspaces at tenant scope, then assignment counts for its scopes ∥ its subscriptions",
    },
    () => clients.security.page("/workspaces"),
    RUNS,
  );
  const path = workspacePath(scale.subscriptionId, scale.resourceGroup, scale.name);
  // Cold: the first view of this workspace in this console process (its role definitions not cached, its principals
  // never looked up). The route itself is rendered once first on another workspace, like every route in the warm-up:
  // the first render of a route in a process (module loading, cold JIT) is start-up cost, paid once per process.
  await clients.security.page(workspacePath(warmUp.subscriptionId, warmUp.resourceGroup, warmUp.name));
  let pageBytes = 0;
  await measure(
    {
      id: "workspace-access-page-cold",
      scenario: "Workspace access page, cold (2,000 assignments, ~1,500 principals)",
      roundTrips: 3,
      note: "first view of this workspace (the route rendered before on another): workspace ∥ atScope list (2 pages) ∥ role definitions; the first page's principals looked up (getByIds) while ARM sends the second, then the second page's new ones",
    },
    async () => (pageBytes = (await clients.security.page(path)).bytes),
  );
  await measure(
    { id: "workspace-access-page-warm", scenario: "Workspace access page, warm", roundTrips: 3, note: "role definitions cached: 0 role-definition calls" },
    () => clients.security.page(path),
    RUNS,
  );
  pushFigure(
    "workspace-access-page-bytes",
    "Workspace access page, HTML and RSC payload as sent (2,000 assignments)",
    Math.round(pageBytes / 1000),
    "KB",
    null,
    "the whole streamed document as the browser receives it, before compression",
  );

  await firstLoadScenario(clients);

  if (QUICK) return;
  // The approach Gatehouse avoids, run here for comparison: one Graph lookup per principal, 20 at a time.
  const access = await listScaleWorkspacePrincipals(scale, caller);
  const naiveTrips = 2 + Math.ceil(access.length / NAIVE_CONCURRENCY);
  await measure(
    {
      id: "naive-principal-lookups",
      scenario: `Naive: one Graph lookup per principal (${access.length}, ${NAIVE_CONCURRENCY} at a time)`,
      roundTrips: naiveTrips,
      note: "for comparison only (in the bench process, not the console)",
      goal: null,
    },
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

/**
 * First-load JavaScript of every page, as the admin's browser downloads it (gzip); /signin signed out. A request's
 * page is measured when the requests list links to one.
 */
async function firstLoadScenario(clients: Clients): Promise<void> {
  for (const page of await measureConsole(CONSOLE, clients.admin.cookie)) {
    const largest = page.scripts
      .slice(0, 2)
      .map((script) => `${script.src.split("/").at(-1)} ${(script.gzipBytes / 1024).toFixed(1)}`)
      .join(", ");
    pushFigure(
      `first-load-js ${page.path.replace(/\/workspaces\/.+/, "/workspaces/[workspace]").replace(/\/requests\/(?!new).+/, "/requests/[id]")}`,
      `First-load JavaScript, ${page.path.length > 40 ? `${page.path.slice(0, 37)}…` : page.path}`,
      Math.round((page.gzipBytes / 1024) * 10) / 10,
      "KB",
      goals.at(170, "KB"),
      `gzip, ${page.scripts.length} scripts (KB of 1,024 bytes); largest: ${largest}`,
    );
  }
}

/**
 * The scale workspace's access, read once per run (not measured): the naive comparison takes its principals and the
 * bundle's preparation some of its own assignments, and neither changes what the other reads.
 */
let scaleAccessRead: Promise<WorkspaceAccess> | undefined;
function readScaleAccess(scale: Workspace, caller: Awaited<ReturnType<typeof personaContext>>["caller"]): Promise<WorkspaceAccess> {
  scaleAccessRead ??= import("@/lib/workspaces/get-workspace-access").then(({ getWorkspaceAccess }) =>
    getWorkspaceAccess(caller, workspaceScope(scale.subscriptionId, scale.resourceGroup, scale.name)),
  );
  return scaleAccessRead;
}

/** Removes `count` of the workspace's own assignments in the sandbox, so a bundle's parts fit under the subscription's limit. */
async function makeRoomInSubscription(workspace: Workspace, caller: Awaited<ReturnType<typeof personaContext>>["caller"], count: number): Promise<void> {
  const scope = workspaceScope(workspace.subscriptionId, workspace.resourceGroup, workspace.name);
  const access = await readScaleAccess(workspace, caller);
  const own = access.rows.filter((row) => row.scope.toLowerCase() === scope.toLowerCase()).slice(0, count);
  for (const row of own) await testSandbox().roleAssignments.remove(row.assignmentId.split("/").at(-1)!);
}

/** The distinct principals assigned at the scale workspace, read from the sandbox's state (not measured). */
async function listScaleWorkspacePrincipals(scale: Workspace, caller: Awaited<ReturnType<typeof personaContext>>["caller"]): Promise<string[]> {
  const access = await readScaleAccess(scale, caller);
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
  rows.push({
    id: "grant-one-role",
    scenario: "Grant one role (server action: intent, ARM PUT, outcome)",
    value: Math.round(median(grants)),
    unit: "ms",
    goal: goals.floorPlus100(2 * LATENCY_MS),
    floorMs: 2 * LATENCY_MS,
    roundTrips: 2,
    armCalls: grantCalls.arm,
    graphCalls: grantCalls.graph,
    note: "median of 3; role definitions cached: the assignment read by name (is it there already?), then PUT",
  });
  rows.push({
    id: "revoke-one-assignment",
    scenario: "Revoke one assignment (server action: re-read, intent, DELETE, outcome)",
    value: Math.round(median(revokes)),
    unit: "ms",
    goal: goals.floorPlus100(4 * LATENCY_MS),
    floorMs: 4 * LATENCY_MS,
    roundTrips: 4,
    armCalls: revokeCalls.arm,
    graphCalls: revokeCalls.graph,
    note: "median of 3; re-read access (3) + DELETE",
  });
  await setSandboxLimit(4000);
}

interface BundleOutcome {
  readonly status: string;
  readonly data?: { status: string; parts: readonly { status: string }[] };
}

/**
 * The policy's data-scientist bundle granted as one unit (the workspace role and its companions on the linked storage,
 * registry and vault), three times to three users, the median shown. Its floor: the principal, then the workspace and
 * its linked resources, then every part's PUT side by side.
 */
async function bundleScenario(clients: Clients, target: Workspace): Promise<void> {
  const scope = workspaceScope(target.subscriptionId, target.resourceGroup, target.name);
  const users = await someUsers(RUNS + 1, 6);
  const grant = async () => {
    const principalId = users.shift();
    if (!principalId) throw new Error("no user left for the bundle grant");
    const outcome = await clients.admin.action<BundleOutcome>("grantBundle", { workspaceId: scope, bundleId: "data-scientist", principalId });
    if (outcome.status !== "success" || outcome.data?.status !== "granted") throw new Error(`bundle grant failed: ${JSON.stringify(outcome)}`);
    return outcome.data.parts.length;
  };
  // Not measured: the first bundle granted in this process (its code's first run), as every route is warmed.
  await grant();
  let parts = 0;
  await measure(
    {
      id: "grant-bundle",
      scenario: `Grant a bundle (data scientist on ${target.name}: the workspace role and its companions on linked resources)`,
      // Each part reads its assignment by name before its PUT: ARM answers 201 whether or not it existed, and only the
      // read tells the grant whether the bundle created it (and so may remove it when the bundle ends).
      roundTrips: 4,
      note: "the workspace ∥ ARM's assignment count ∥ the principal ∥ the admin's rights, then the linked resources ∥ role definitions, then each part's read by name and its PUT, parts side by side",
    },
    async () => {
      parts = await grant();
    },
    RUNS,
  );
  rows[rows.length - 1] = { ...rows.at(-1)!, note: `${parts} parts; ${rows.at(-1)!.note}` };
}

function countCalls(calls: readonly { system: string }[]): { arm: number; graph: number } {
  return { arm: calls.filter((call) => call.system === "arm").length, graph: calls.filter((call) => call.system === "graph").length };
}

/** A seeded user the grant scenario gives a role to (any member of the large tenant's directory will do). */
async function someUser(): Promise<string> {
  const [user] = await someUsers(1, 4);
  return user!;
}

/** `count` seeded users from the `from`-th on, so scenarios do not give roles to the same people. */
async function someUsers(count: number, from: number): Promise<string[]> {
  const admin = await personaContext("admin");
  const page = (await delegatedGraphClient(admin.caller)
    .api("/users")
    .select(["id"])
    .top(from + count)
    .get()) as { value: { id: string }[] };
  const users = page.value.slice(from, from + count).map((user) => user.id);
  if (users.length < count) throw new Error(`the sandbox has fewer than ${from + count} users`);
  return users;
}

interface RefreshStatus {
  readonly status: string;
  readonly data?: { id: number; status: string; graphCalls?: number | null; progress?: unknown };
}

async function credentialScenarios(clients: Clients): Promise<void> {
  const outboxBefore = await sandboxOutboxSize();
  // The first refresh after start-up runs the inventory's code for the first time (its compilation, the first token
  // and connections, the database's first plans for its statements); measured on its own, as the other figures'
  // first runs are left out. The second is measured after the first one's owner mails have left, as a console that
  // has been up for a while runs its scheduled refreshes.
  await refreshScenario(clients, {
    id: "credentials-refresh-first",
    scenario: "Credentials refresh, the first after start-up (5,000 applications; server action, then polling)",
  });
  // Owners' mails leave from the outbox after the refresh, 4 at a time; the page does not wait for them, but the
  // figures after this one would pay for them: always waited for.
  const mailStart = performance.now();
  const { mails, lastArrivedAt } = await waitForOutboxToSettle(outboxBefore);
  const mailFloor = Math.ceil(mails / 4) * LATENCY_MS;
  rows.push({
    id: "owner-mails",
    scenario: `Owner mails from the outbox (${mails})`,
    // Until the last mail arrived: the quiet that tells the wait it is over comes after the work, not in it.
    value: Math.round(lastArrivedAt - mailStart),
    unit: "ms",
    goal: goals.floorTimes1_1(mailFloor),
    floorMs: mailFloor,
    roundTrips: Math.ceil(mails / 4),
    armCalls: 0,
    graphCalls: mails,
    note: "after the refresh, in the background: Graph sendMail 4 at a time (Outlook's limit per mailbox); until the last mail arrived (seen within 50 ms)",
  });
  await refreshScenario(clients, { id: "credentials-refresh", scenario: "Credentials refresh (5,000 applications; server action, then polling)" });
  await measure(
    {
      id: "credentials-page",
      scenario: "Credentials page (from the snapshot)",
      roundTrips: 0,
      note: "latest snapshot, its rows, trend; no Graph or ARM call",
      goal: () => goals.at(100, "ms"),
    },
    () => clients.security.page("/credentials"),
    RUNS,
  );
}

/** One refresh from the page's action until a status read (every 100 ms, as the page's) sees it complete. */
async function refreshScenario(clients: Clients, what: { id: string; scenario: string }): Promise<void> {
  const listTrips = Math.ceil(5000 / 999);
  let graphCalls = 0;
  const snapshot = await measure(
    {
      ...what,
      roundTrips: listTrips,
      note: "apps ∥ SPs paged by 999, then federated credentials and owners via $batch (20 per call, 4 at a time); the floor counts both",
      goal: goals.floorTimes1_1,
    },
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
  const floorMs = (listTrips + batchTrips) * LATENCY_MS;
  rows[rows.length - 1] = { ...row, roundTrips: listTrips + batchTrips, floorMs, goal: goals.floorTimes1_1(floorMs) };
}

async function sandboxOutboxSize(): Promise<number> {
  return (await testSandbox().state()).counts.outbox;
}

/**
 * Waits until no mail has arrived at the sandbox for 2 s; returns how many arrived since `before` and when the last of
 * them was first seen (polled every 50 ms).
 */
async function waitForOutboxToSettle(before: number): Promise<{ mails: number; lastArrivedAt: number }> {
  let last = await sandboxOutboxSize();
  let lastArrivedAt = performance.now();
  while (performance.now() - lastArrivedAt < 2000) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    const now = await sandboxOutboxSize();
    if (now !== last) {
      last = now;
      lastArrivedAt = performance.now();
    }
  }
  return { mails: last - before, lastArrivedAt };
}

async function auditScenarios(clients: Clients): Promise<void> {
  const events = AUDIT_EVENTS.toLocaleString("en");
  await measure(
    {
      id: "audit-search",
      scenario: `Audit page, free-text search (${events} events)`,
      roundTrips: 0,
      note: `first page of 50 hits (the term matches 2% of the trail); seeding the trail took ${Math.round(Number(values["audit-seed-ms"]) / 1000)} s`,
      goal: () => goals.at(100, "ms"),
    },
    () => clients.admin.page("/audit?q=bench-7"),
    RUNS,
  );
  await measure(
    {
      id: "audit-newest",
      scenario: `Audit page, newest first (${events} events)`,
      roundTrips: 0,
      note: "first page of 50, keyset paging",
      goal: () => goals.at(100, "ms"),
    },
    () => clients.admin.page("/audit"),
    RUNS,
  );
  const before = memory.rss();
  let bytes = 0;
  const exportScenario = `Audit export CSV (${events} events)`;
  await measure(
    {
      id: "audit-export",
      scenario: exportScenario,
      roundTrips: 0,
      note: "streamed to the end",
      // Four times faster than the 40 s it took for a million events, pro rata for a smaller trail.
      goal: () => goals.at(Math.max(100, Math.round((10_000 * AUDIT_EVENTS) / 1_000_000)), "ms"),
    },
    async () => {
      bytes = await clients.admin.download("/api/audit/export?format=csv");
    },
  );
  const peak = memory.peaks.get(exportScenario) ?? before;
  rows[rows.length - 1] = { ...rows.at(-1)!, note: `${(bytes / 1e6).toFixed(0)} MB streamed` };
  pushFigure(
    "audit-export-rss-growth",
    `Audit export CSV, console memory growth while streaming`,
    Math.max(0, Number(megabytes(peak - before))),
    "MB",
    goals.at(50, "MB"),
    `resident set ${megabytes(before)} MB before, peak ${megabytes(peak)} MB during`,
  );
}

/** The audit chain's walk through the whole trail, as "Verify now" runs it (the page's background walk pauses between batches). */
async function chainWalkScenario(clients: Clients): Promise<void> {
  const started = performance.now();
  const result = await clients.security.action<{ status: string; data?: { state: string; checkedEvents?: number } }>("verifyAuditChain", undefined);
  const elapsed = Math.round(performance.now() - started);
  if (result.status !== "success" || result.data?.state !== "intact") throw new Error(`verifyAuditChain did not verify the trail: ${JSON.stringify(result)}`);
  pushFigure(
    "audit-chain-walk",
    `Audit hash chain walk (${AUDIT_EVENTS.toLocaleString("en")} events), "Verify now"`,
    elapsed,
    "ms",
    null,
    `${(result.data.checkedEvents ?? 0).toLocaleString("en")} events checked at full speed; a walk a page view starts runs in the background in batches of 250, pausing after each as long as it took`,
  );
}

/** What CONNECTIONS clients posting one action for DURATION_S saw, and what it cost the console. */
interface LoadRun {
  readonly latencies: readonly number[];
  readonly statuses: ReadonlyMap<number, number>;
  readonly failures: number;
  readonly cpuMs: number;
  readonly calls: ReturnType<typeof countCalls>;
  /** Upstream TLS handshakes: kept-alive connections make none; a handshake per call would cost 1–2 ms of CPU each. */
  readonly handshakes: number;
}

/** Sends `requests` (one per session, each connection keeping one) from CONNECTIONS clients for DURATION_S. */
async function driveLoad(label: string, requests: readonly ReplayedRequest[]): Promise<LoadRun> {
  const latencies: number[] = [];
  const statuses = new Map<number, number>();
  const since = await testSandbox().journal.lastSeq();
  const handshakesBefore = (await testSandbox().state()).tlsConnections.opened;
  const cpuBefore = memory.cpuMs();
  memory.during(label);
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
          setupRequest: (request, context: { session?: number }) => {
            context.session ??= connection++ % requests.length;
            const chosen = requests[context.session]!;
            return chosen.method === "GET"
              ? { ...request, method: "GET", path: chosen.path, headers: chosen.headers }
              : { ...request, method: "POST", path: chosen.path, headers: chosen.headers, body: chosen.body };
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
  const handshakes = (await testSandbox().state()).tlsConnections.opened - handshakesBefore;
  latencies.sort((a, b) => a - b);
  return { latencies, statuses, failures: result.errors + result.timeouts, cpuMs, calls, handshakes };
}

/** CPU per action in tenths of a millisecond: the kernel counts CPU in 10 ms ticks, summed here over hundreds of actions. */
function cpuPerAction(run: LoadRun): number {
  return run.latencies.length > 0 ? Math.round((run.cpuMs / run.latencies.length) * 10) / 10 : 0;
}

/**
 * Throughput of the console's calls: CONNECTIONS clients, each a signed-in session, posting Check access (a read,
 * served by `POST /api/reads/checkWorkspaceAccess`) for DURATION_S. Then the same load on calls that reach neither
 * Graph nor ARM, for what each way in costs on its own: a read (the action pipeline behind a route handler), a server
 * action (Next's action handling around the same pipeline) and a bare route handler.
 */
async function loadScenario(clients: Clients, target: Workspace): Promise<void> {
  const scope = workspaceScope(target.subscriptionId, target.resourceGroup, target.name);
  const admin = await personaContext("admin");
  const sessions = [clients.admin, clients.limitedAdmin, clients.security];
  // Checked once, so the load below is known to exercise the real path, not an error reply.
  const probe = await clients.security.action<{ status: string }>("checkWorkspaceAccess", { workspaceId: scope, principalId: admin.caller.objectId });
  if (probe.status !== "success") throw new Error(`checkWorkspaceAccess failed: ${JSON.stringify(probe)}`);
  const run = await driveLoad(
    "check access load",
    sessions.map((session) => session.actionRequest("checkWorkspaceAccess", { workspaceId: scope, principalId: admin.caller.objectId })),
  );
  const { latencies, statuses } = run;
  const total = latencies.length;
  const ok = statuses.get(200) ?? 0;
  rows.push({
    id: "check-access-load-p95",
    scenario: `Check access under load (a read), p95 (${CONNECTIONS} concurrent sessions, ${DURATION_S} s)`,
    value: Math.round(percentile(latencies, 95)),
    unit: "ms",
    goal: goals.floorPlus100(2 * LATENCY_MS),
    floorMs: 2 * LATENCY_MS,
    roundTrips: 2,
    armCalls: total > 0 ? Math.round(run.calls.arm / total) : 0,
    graphCalls: total > 0 ? Math.round(run.calls.graph / total) : 0,
    note:
      `checkWorkspaceAccess at /api/reads: ${(total / DURATION_S).toFixed(1)} calls/s; p50 ${Math.round(percentile(latencies, 50))} / p95 ${Math.round(percentile(latencies, 95))} / ` +
      `p99 ${Math.round(percentile(latencies, 99))} ms; ${total} replies, ${total - ok} not 200, ${run.failures} errors/timeouts; ${run.handshakes} upstream TLS handshakes; calls per action shown`,
  });
  pushFigure(
    "check-access-load-cpu",
    "Check access under load (a read), console CPU per call",
    cpuPerAction(run),
    "ms",
    goals.at(5, "ms"),
    `${Math.round((run.cpuMs / (DURATION_S * 1000)) * 100)}% of one core over the run (user + system time of the console's processes)`,
  );

  const mappings = await clients.security.action<{ status: string }>("exportMappings", {});
  if (mappings.status !== "success") throw new Error(`exportMappings failed: ${JSON.stringify(mappings)}`);
  const readFloor = await driveLoad(
    "read load, no upstream call",
    sessions.map((session) => session.actionRequest("exportMappings", {})),
  );
  pushFigure(
    "read-cpu-floor",
    "A read under load without Graph or ARM, console CPU per call (for comparison)",
    cpuPerAction(readFloor),
    "ms",
    null,
    `exportMappings at /api/reads (one small database read): ${(readFloor.latencies.length / DURATION_S).toFixed(1)} calls/s, p95 ${Math.round(percentile(readFloor.latencies, 95))} ms; ` +
      `${readFloor.latencies.length - (readFloor.statuses.get(200) ?? 0)} not 200; ${readFloor.calls.arm + readFloor.calls.graph} Graph/ARM calls; what the route and the action pipeline cost before any work`,
  );

  // Ending a session that does not exist: one small database read and a "has already ended" answer, nothing written.
  const noSession = { sessionId: "00000000-0000-4000-8000-000000000000" };
  const ended = await clients.security.action<{ status: string; code?: string }>("endSession", noSession);
  if (ended.code !== "not_found") throw new Error(`endSession did not answer not_found: ${JSON.stringify(ended)}`);
  const actionFloor = await driveLoad(
    "server-action load, no upstream call",
    sessions.map((session) => session.actionRequest("endSession", noSession)),
  );
  pushFigure(
    "server-action-cpu-floor",
    "Server action under load without Graph or ARM, console CPU per action (for comparison)",
    cpuPerAction(actionFloor),
    "ms",
    null,
    `endSession for a session that does not exist (one small database read): ${(actionFloor.latencies.length / DURATION_S).toFixed(1)} actions/s, p95 ${Math.round(percentile(actionFloor.latencies, 95))} ms; ` +
      `${actionFloor.latencies.length - (actionFloor.statuses.get(200) ?? 0)} not 200; ${actionFloor.calls.arm + actionFloor.calls.graph} Graph/ARM calls; what Next's action handling and the console's wrapper cost before any work`,
  );

  // The same load on a route handler that also reads the session and the database: what Next costs a request that is
  // not a server action (no action id to resolve, no React reply to decode or encode).
  const route = await driveLoad(
    "route handler load, no upstream call",
    sessions.map((session) => session.getRequest("/api/health")),
  );
  pushFigure(
    "route-handler-cpu-floor",
    "Route handler under load without Graph or ARM, console CPU per request (for comparison)",
    cpuPerAction(route),
    "ms",
    null,
    `GET /api/health in each session (the session and a database ping): ${(route.latencies.length / DURATION_S).toFixed(1)} requests/s, p95 ${Math.round(percentile(route.latencies, 95))} ms; ` +
      `${route.latencies.length - (route.statuses.get(200) ?? 0)} not 200; a route handler without the action pipeline`,
  );
}

const FUZZ_S = QUICK ? 10 : 30;
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
  const template = clients.admin.actionRequest("createMapping", {});
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
  pushFigure(
    "fuzz-canary-p99",
    `Malformed Flight fuzz (${FUZZ_LOOPS} loops, ${FUZZ_S} s), health canary p99`,
    Math.round(percentile(canary, 99)),
    "ms",
    // The console stays responsive while it refuses bodies React would never send.
    goals.at(250, "ms"),
    `canary p50 ${Math.round(percentile(canary, 50))} / p99 ${Math.round(percentile(canary, 99))} ms over ${canary.length} probes; ${posted} bodies posted, ` +
      `answers ${JSON.stringify(Object.fromEntries(statuses))}; console RSS ${megabytes(before)} MB before, peak ${megabytes(peak)} MB during`,
  );
}

async function setSandboxLimit(limit: number): Promise<void> {
  await testSandbox().updateSettings({ roleAssignmentLimitPerSubscription: limit });
}

/** Prints this process's rows and hands them to bench/run.ts, which writes the results. */
function printAndSave(): void {
  console.log(`\n${formatTable(rows)}`);
  if (values.out) writeFileSync(values.out, JSON.stringify({ rows }));
}

main().then(
  // Keep-alive sockets (the Graph and ARM clients, the load tool's connections) would keep this process, and so the
  // whole run, waiting after the last figure.
  () => process.exit(process.exitCode ?? 0),
  (error: unknown) => {
    console.error(`benchmark failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  },
);
