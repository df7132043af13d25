/**
 * A refresh whose Graph calls fail part-way (the `$batch` calls that run while the lists are read) fails cleanly: the
 * snapshot is marked failed with a message for the page, holds no rows, and no owner is notified. On a tenant of this
 * file's own, since its faults would reach every other caller of the shared one.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import type { DatabaseHandle } from "@/lib/db/client";
import { notificationOutbox } from "@/lib/notifications/schema";
import { storageEngines } from "@/test/support/databases";
import { startPrivateSandbox } from "@/test/support/private-sandbox";

const tenant = await startPrivateSandbox();
const { searchAuditEvents } = await import("@/lib/audit");
const { notifiedCount } = await import("./notify-owners");
const { runInventory } = await import("./refresh");
const { createRunningSnapshot, findSnapshot, snapshotRows } = await import("./store");

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
});
