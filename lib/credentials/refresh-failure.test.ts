/**
 * A refresh whose Graph calls fail part-way (the `$batch` calls that run while the lists are read) fails cleanly: the
 * snapshot is marked failed with a message for the page, holds no rows, and no owner is notified. On a tenant of this
 * file's own, since its faults would reach every other caller of the shared one.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { eq } from "drizzle-orm";

import type { DatabaseHandle } from "@/lib/db/client";
import { notificationOutbox } from "@/lib/notifications/schema";
import { storageEngines } from "@/test/support/databases";
import { startPrivateSandbox } from "@/test/support/private-sandbox";
import { credentialSnapshotIdentities, credentialSnapshotItems } from "./schema";

const tenant = await startPrivateSandbox();
const { searchAuditEvents } = await import("@/lib/audit");
const { notifiedCount } = await import("./notify-owners");
const { runInventory } = await import("./refresh");
const { createRunningSnapshot, findSnapshot, latestCompleteSnapshot, snapshotRows } = await import("./store");

const SYSTEM = { kind: "system", appId: "0c0a5e11-a910-4000-8000-000000000002" } as const;

afterAll(async () => {
  await tenant.close();
});

describe.each(storageEngines())("a credential inventory run whose Graph calls fail, on $name", (engine) => {
  let handle: DatabaseHandle;
  beforeAll(async () => {
    handle = await engine.open();
  });
  afterAll(async () => {
    await handle.close();
  });

  // Every attempt of a $batch call fails (the Graph client retries a 500 a few times).
  it("a failed $batch call fails the snapshot: no rows, no notification, a failed run in the audit trail", async () => {
    const windows = [7, 30, 90] as const;
    const rule = tenant.sandbox.faults.add({ method: "POST", pathRegex: "/\\$batch$", status: 500, times: 20 });
    const id = await createRunningSnapshot(handle.db, { trigger: "scheduled", requestedBy: null, now: new Date(), windows });
    const outcome = await runInventory(handle.db, id, { trigger: "scheduled", actor: SYSTEM, windows });
    tenant.sandbox.faults.remove(rule.id);

    expect(outcome).toMatchObject({ status: "failed", credentials: 0, outboxIds: [] });
    const snapshot = await findSnapshot(handle.db, id);
    expect(snapshot).toMatchObject({ status: "failed", errorMessage: expect.any(String) as string });
    expect(snapshot!.finishedAt).not.toBeNull();
    expect(await snapshotRows(handle.db, id)).toEqual([]);
    expect(await notifiedCount(handle.db)).toBe(0);
    expect(await handle.db.select().from(notificationOutbox)).toEqual([]);
    const events = await searchAuditEvents(handle.db, { actions: ["credential_inventory.refreshed"] });
    expect(events.events.map((event) => [event.action, event.outcome])).toEqual([["credential_inventory.refreshed", "failed"]]);
  });

  it("a run that fails after storing rows while it read leaves none of them: failed, and the snapshot before stays the latest", async () => {
    const windows = [7, 30, 90] as const;
    const before = await createRunningSnapshot(handle.db, { trigger: "scheduled", requestedBy: null, now: new Date(), windows });
    expect((await runInventory(handle.db, before, { trigger: "scheduled", actor: SYSTEM, windows, stageAtLeast: 1 })).status).toBe("complete");

    // Slow $batch calls, so the run is still reading when its first rows are stored; then every $batch call fails
    // (the directory's last ones, or the groups' read after them).
    const slow = tenant.sandbox.faults.add({ method: "POST", pathRegex: "/\\$batch$", latencyMs: 150 });
    const id = await createRunningSnapshot(handle.db, { trigger: "scheduled", requestedBy: null, now: new Date(), windows });
    let finished = false;
    const run = runInventory(handle.db, id, { trigger: "scheduled", actor: SYSTEM, windows, stageAtLeast: 1 }).finally(() => {
      finished = true;
    });
    const staged = () => handle.db.select().from(credentialSnapshotItems).where(eq(credentialSnapshotItems.snapshotId, id));
    while (!finished && (await staged()).length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(finished).toBe(false);
    expect((await latestCompleteSnapshot(handle.db))?.id).toBe(before);
    const failing = tenant.sandbox.faults.add({ method: "POST", pathRegex: "/\\$batch$", status: 500, times: 100 });
    const outcome = await run;
    tenant.sandbox.faults.remove(failing.id);
    tenant.sandbox.faults.remove(slow.id);

    expect(outcome).toMatchObject({ status: "failed", credentials: 0, outboxIds: [] });
    expect(await findSnapshot(handle.db, id)).toMatchObject({ status: "failed" });
    expect(await staged()).toEqual([]);
    expect(await handle.db.select().from(credentialSnapshotIdentities).where(eq(credentialSnapshotIdentities.snapshotId, id))).toEqual([]);
    expect((await latestCompleteSnapshot(handle.db))?.id).toBe(before);
    expect((await snapshotRows(handle.db, before)).length).toBeGreaterThan(0);
  });
});
