/**
 * Resource Graph's per-user quota, from the console's side: pages and queries wait for the quota to reset when an
 * answer says none is left, a 429 is retried once after the reset it names, and a reset too far away fails as
 * throttled. Runs on a sandbox of its own with a small quota (it changes what every caller of that tenant sees). The
 * pacer's clock is a fake one that moves the sandbox clock with it, so nothing here sleeps for a quota window, except
 * the 429 case, whose retry is the pipeline's own (a one-second window).
 */
import { afterAll, beforeEach, describe, expect, it } from "vitest";

import type { AppError } from "@/lib/errors";
import { startPrivateSandbox } from "@/test/support/private-sandbox";

const tenant = await startPrivateSandbox();
const { queryResourceGraph, ResourceGraphPacer } = await import("./resource-graph");
const { personaContext } = await import("@/test/support/persona-token");
const { listWorkspaces } = await import("@/lib/workspaces/list-workspaces");

const WORKSPACES = "resources | where type =~ 'microsoft.machinelearningservices/workspaces' | project id, name";
const model = tenant.sandbox.tenant;
const subscriptions = [...model.subscriptions.keys()];
const identity = { kind: "delegated", caller: (await personaContext("security")).caller } as const;

// 2,500 more workspaces in a subscription the security persona reads: the query takes three pages of 1,000.
const template = [...model.workspaces.values()][0]!;
for (let index = 0; index < 2500; index++) model.addWorkspace({ ...template, name: `mlw-paced-${String(index).padStart(4, "0")}` });
const totalWorkspaces = model.workspaces.size;
/** A one-page query: a subscription without the added workspaces. */
const one = { query: WORKSPACES, subscriptions: subscriptions.filter((id) => id !== template.subscriptionId.toLowerCase()).slice(0, 1) };

afterAll(() => tenant.close());

let fakeNow = 0;
let sleeps: number[] = [];
/** A pacer whose sleeping moves the sandbox clock instead of waiting. */
const fakePacer = () =>
  new ResourceGraphPacer({
    now: () => fakeNow,
    async sleep(ms) {
      sleeps.push(ms);
      // Answers that arrive while it sleeps arrive before the time has passed, as they would in real time.
      await tenant.control.clock.advance(ms / 1000);
      fakeNow += ms;
    },
  });

async function resourceGraphAnswers(work: () => Promise<unknown>): Promise<number[]> {
  const since = await tenant.control.journal.lastSeq();
  await work();
  const { entries } = await tenant.control.journal.since(since);
  return entries.filter((entry) => entry.path.toLowerCase().includes("/microsoft.resourcegraph/")).map((entry) => entry.status);
}

beforeEach(async () => {
  // A fresh window for everyone: move past any window an earlier test opened (the longest here is a minute; the
  // persona's token lives an hour of sandbox time).
  await tenant.control.clock.advance(61);
  fakeNow = 0;
  sleeps = [];
});

describe("queryResourceGraph and the per-user quota", () => {
  it("waits for the quota to reset between sequential pages, and sends no query the quota would refuse", async () => {
    await tenant.control.updateSettings({ resourceGraphQuotaPerWindow: 2, resourceGraphQuotaWindowSeconds: 5 });
    let result: Awaited<ReturnType<typeof queryResourceGraph>> | undefined;
    const statuses = await resourceGraphAnswers(async () => {
      result = await queryResourceGraph(identity, { query: WORKSPACES, subscriptions }, { pacer: fakePacer() });
    });
    expect(result!.rows).toHaveLength(totalWorkspaces);
    expect(result!.pages).toBe(3);
    expect(statuses).toEqual([200, 200, 200]);
    // Two pages spend the quota; the third waits the whole window the second answer named.
    expect(sleeps).toEqual([5000]);
    expect(result).toMatchObject({ quotaWaits: 1, quotaWaitedMs: 5000 });
  });

  it("shares one quota between queries sent side by side, so neither spends a query the other holds", async () => {
    await tenant.control.updateSettings({ resourceGraphQuotaPerWindow: 2, resourceGraphQuotaWindowSeconds: 5 });
    const pacer = fakePacer();
    let results: Awaited<ReturnType<typeof queryResourceGraph>>[] = [];
    const statuses = await resourceGraphAnswers(async () => {
      results = await Promise.all([
        queryResourceGraph(identity, { query: WORKSPACES, subscriptions }, { pacer }),
        queryResourceGraph(identity, one, { pacer }),
      ]);
    });
    expect(statuses).toEqual([200, 200, 200, 200]);
    expect(results.map((result) => result.pages)).toEqual([3, 1]);
    expect(results[0]!.rows).toHaveLength(totalWorkspaces);
    // Four queries at two a window: one reset, or two when the one-page query reached Resource Graph only after the
    // first reset (it was held as in flight while its token was fetched). Either way, no query was refused.
    expect(sleeps.length === 1 || sleeps.length === 2).toBe(true);
    expect(sleeps.every((ms) => ms === 5000)).toBe(true);
  });

  it("carries the wait over to the person's next query, and not to someone else's", async () => {
    await tenant.control.updateSettings({ resourceGraphQuotaPerWindow: 3, resourceGraphQuotaWindowSeconds: 5 });
    const pacer = fakePacer();
    const statuses = await resourceGraphAnswers(async () => {
      for (let query = 0; query < 7; query++) await queryResourceGraph(identity, one, { pacer });
    });
    expect(statuses).toEqual(Array.from({ length: 7 }, () => 200));
    expect(sleeps).toEqual([5000, 5000]);

    const admin = { kind: "delegated", caller: (await personaContext("admin")).caller } as const;
    const other = await queryResourceGraph(admin, one, { pacer });
    expect(other.quotaWaits).toBe(0);
    expect(sleeps).toHaveLength(2);
  });

  it("retries a 429 once the quota it names has reset (another instance spent it), without a Retry-After", async () => {
    await tenant.control.updateSettings({ resourceGraphQuotaPerWindow: 1, resourceGraphQuotaWindowSeconds: 1 });
    let result: Awaited<ReturnType<typeof queryResourceGraph>> | undefined;
    const statuses = await resourceGraphAnswers(async () => {
      await queryResourceGraph(identity, one, { pacer: new ResourceGraphPacer() });
      result = await queryResourceGraph(identity, one, { pacer: new ResourceGraphPacer() });
    });
    expect(statuses).toEqual([200, 429, 200]);
    expect(result!.rows.length).toBeGreaterThan(0);
  });

  it("fails as throttled, naming the wait, when the quota resets later than a query may wait, without sending it", async () => {
    await tenant.control.updateSettings({ resourceGraphQuotaPerWindow: 1, resourceGraphQuotaWindowSeconds: 60 });
    const pacer = fakePacer();
    await queryResourceGraph(identity, one, { pacer });
    let failure: AppError | undefined;
    const statuses = await resourceGraphAnswers(async () => {
      failure = await queryResourceGraph(identity, one, { pacer }).then(
        () => undefined,
        (error: AppError) => error,
      );
    });
    expect(statuses).toEqual([]);
    expect(sleeps).toEqual([]);
    expect(failure?.code).toBe("upstream_throttled");
    expect(failure?.userMessage).toMatch(/Try again in (59|60) seconds\./);
  });

  it("fails as throttled after a 429 whose reset is too far away, telling the person when to try again", async () => {
    await tenant.control.updateSettings({ resourceGraphQuotaPerWindow: 1, resourceGraphQuotaWindowSeconds: 60 });
    await queryResourceGraph(identity, one, { pacer: new ResourceGraphPacer() });
    let failure: AppError | undefined;
    const statuses = await resourceGraphAnswers(async () => {
      failure = await queryResourceGraph(identity, one, { pacer: new ResourceGraphPacer() }).then(
        () => undefined,
        (error: AppError) => error,
      );
    });
    // Not retried: waiting a minute is longer than the console's retry rule allows.
    expect(statuses).toEqual([429]);
    expect(failure?.code).toBe("upstream_throttled");
    expect(failure?.userMessage).toMatch(/Try again in (59|60) seconds\./);
  });
});

describe("the workspace list when the quota is spent for longer than a page may wait", () => {
  it("falls back to ARM per subscription rather than keep the person waiting", async () => {
    await tenant.control.updateSettings({ resourceGraphQuotaPerWindow: 1, resourceGraphQuotaWindowSeconds: 60 });
    const admin = { kind: "delegated", caller: (await personaContext("admin")).caller } as const;
    let list: Awaited<ReturnType<typeof listWorkspaces>> | undefined;
    const statuses = await resourceGraphAnswers(async () => {
      list = await listWorkspaces(admin);
    });
    // Its two queries go side by side: one is answered, the other refused for a minute, which is not retried.
    expect(statuses.sort()).toEqual([200, 429]);
    expect(list!.source).toBe("arm");
    expect(list!.workspaces.length).toBeGreaterThan(0);
  });
});

describe("ResourceGraphPacer", () => {
  const answer = (remaining: string, resetsAfter: string) => (name: string) =>
    ({ "x-ms-user-quota-remaining": remaining, "x-ms-user-quota-resets-after": resetsAfter })[name];
  const caller = { kind: "app" } as const;

  it("keeps the lowest count and the latest reset of answers from one window, whatever order they arrive in", async () => {
    let now = 0;
    const waits: number[] = [];
    const pacer = new ResourceGraphPacer({
      now: () => now,
      sleep(ms) {
        waits.push(ms);
        now += ms;
        return Promise.resolve();
      },
    });
    const first = await pacer.acquire(caller);
    const second = await pacer.acquire(caller);
    first.release(answer("1", "00:00:05"));
    now = 300;
    second.release(answer("0", "00:00:05"));
    expect((await pacer.acquire(caller)).waitedMs).toBe(5000);
    expect(waits).toEqual([5000]);
  });

  it("holds requests in flight against the quota, and lets a failed one go without reading anything", async () => {
    let now = 0;
    const pacer = new ResourceGraphPacer({
      now: () => now,
      sleep(ms) {
        now += ms;
        return Promise.resolve();
      },
    });
    (await pacer.acquire(caller)).release(answer("2", "00:00:05"));
    const inFlight = [await pacer.acquire(caller), await pacer.acquire(caller)];
    const third = pacer.acquire(caller);
    expect((await third).waitedMs).toBe(5000);
    for (const slot of inFlight) slot.release();
  });
});
