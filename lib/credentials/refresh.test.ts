import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { searchAuditEvents } from "@/lib/audit";
import type { DatabaseHandle } from "@/lib/db/client";
import { notificationOutbox } from "@/lib/notifications/schema";
import { storageEngines } from "@/test/support/databases";
import { notifiedCount } from "./notify-owners";
import { runInventory } from "./refresh";
import { createRunningSnapshot, findSnapshot, identityDetails, snapshotRows } from "./store";

const SYSTEM = { kind: "system", appId: "0c0a5e11-a910-4000-8000-000000000002" } as const;

describe.each(storageEngines())("a credential inventory run on $name (shared sandbox, read-only)", (engine) => {
  let handle: DatabaseHandle;
  beforeAll(async () => {
    handle = await engine.open();
  });
  afterAll(async () => {
    await handle.close();
  });

  it("fills the snapshot, records the run, and notifies owners once per credential per window", async () => {
    const windows = [7, 30, 90] as const;
    const id = await createRunningSnapshot(handle.db, { trigger: "scheduled", requestedBy: null, now: new Date(), windows });
    const outcome = await runInventory(handle.db, id, { trigger: "scheduled", actor: SYSTEM, windows });
    expect(outcome.status).toBe("complete");
    const snapshot = await findSnapshot(handle.db, id);
    expect(snapshot).toMatchObject({ status: "complete", progress: { phase: "Complete" } });
    expect(snapshot!.graphCalls).toBeGreaterThanOrEqual(3);
    expect(snapshot!.armCalls).toBeGreaterThanOrEqual(1);
    const rows = await snapshotRows(handle.db, id);
    expect(rows.length).toBe(Object.values(snapshot!.counts).reduce((a, b) => a + b, 0));
    const fraud = rows.find((row) => row.identityName === "fraud-scoring-batch")!;
    const details = await identityDetails(handle.db, id, fraud.identityKey);
    expect(details?.recommendation).toMatch(/Rotate/);
    expect(details?.rows).toHaveLength(1);

    const events = await searchAuditEvents(handle.db, { actions: ["credential_inventory.refreshed", "credential_inventory.owners_notified"] });
    expect(events.events.map((event) => event.action).sort()).toEqual(["credential_inventory.owners_notified", "credential_inventory.refreshed"]);
    const windowed = rows.filter((row) => ["within1", "within2", "within3"].includes(row.bucket)).length;
    expect(await notifiedCount(handle.db)).toBe(windowed);
    // Owners' mails are queued in the outbox with the claims, not sent during the run.
    expect(outcome.outboxIds.length).toBeGreaterThan(0);
    const queued = await handle.db.select().from(notificationOutbox);
    expect(queued.map((row) => row.id).sort((a, b) => a - b)).toEqual([...outcome.outboxIds].sort((a, b) => a - b));
    expect(queued.every((row) => row.status === "pending" && row.recipient.includes("@"))).toBe(true);

    // A second run: the same credentials in the same windows are not notified again.
    const again = await createRunningSnapshot(handle.db, { trigger: "scheduled", requestedBy: null, now: new Date(), windows });
    const second = await runInventory(handle.db, again, { trigger: "scheduled", actor: SYSTEM, windows });
    expect(second.status).toBe("complete");
    expect(second.outboxIds).toEqual([]);
    expect(await handle.db.select().from(notificationOutbox)).toHaveLength(queued.length);
    expect(await notifiedCount(handle.db)).toBe(windowed);
  });
});
