import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { searchAuditEvents } from "@/lib/audit";
import type { DatabaseHandle } from "@/lib/db/client";
import { notificationOutbox } from "@/lib/notifications/schema";
import { storageEngines } from "@/test/support/databases";
import { appGraphClient } from "@/lib/graph/client";
import { readWorkspaceAccess, withGroupRoles } from "./access";
import { buildSnapshot } from "./build-rows";
import { readDirectoryInventory, readGroupServicePrincipals } from "./inventory";
import { readManagedIdentityFederation } from "./managed-identity-federation";
import { notifiedCount } from "./notify-owners";
import { runInventory } from "./refresh";
import { createRunningSnapshot, findSnapshot, identityDetails, latestCompleteSnapshot, snapshotRows } from "./store";

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

  // That rows are stored while the run reads is shown with slow $batch calls in refresh-failure.test.ts (faults would
  // reach the shared sandbox's other callers); here, with every application staged, the result is checked whole.
  it("stores rows as their answers come in, unseen until complete, and ends with exactly the rows of the whole inventory built at once", async () => {
    const windows = [7, 30, 90] as const;
    const at = new Date();
    const latestBefore = await latestCompleteSnapshot(handle.db);
    const id = await createRunningSnapshot(handle.db, { trigger: "scheduled", requestedBy: null, now: at, windows });
    // Watches the run: the latest complete snapshot, as every reader of rows finds it, while this one is running.
    let running = true;
    const latestWhileRunning = new Set<number | undefined>();
    const watch = (async () => {
      while (running) {
        if ((await findSnapshot(handle.db, id))?.status === "running") latestWhileRunning.add((await latestCompleteSnapshot(handle.db))?.id);
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
    })();
    const outcome = await runInventory(handle.db, id, { trigger: "scheduled", actor: SYSTEM, windows, now: () => at, stageAtLeast: 1 });
    running = false;
    await watch;
    expect(outcome.status).toBe("complete");
    expect([...latestWhileRunning]).toEqual([latestBefore?.id]);

    const [directory, access] = await Promise.all([readDirectoryInventory(appGraphClient(), () => undefined), readWorkspaceAccess()]);
    const viaGroups = await readGroupServicePrincipals(appGraphClient(), [...access.rolesByGroup.keys()], () => undefined);
    await readManagedIdentityFederation(directory.servicePrincipals);
    const whole = buildSnapshot(directory, withGroupRoles(access, viaGroups.groups), at, windows);
    const byId = (rows: readonly { id: string }[]) => [...rows].sort((a, b) => a.id.localeCompare(b.id));
    const stored = await snapshotRows(handle.db, id);
    // Roles through a group reach rows too (the seed's "Automation Identities"): staged without them, replaced at the end.
    expect(stored.some((row) => row.roles.some((role) => role.viaGroup))).toBe(true);
    expect(byId(stored)).toEqual(byId(whole.rows));
    expect((await findSnapshot(handle.db, id))!.counts).toEqual(whole.counts);
    for (const identity of whole.identities) {
      const details = await identityDetails(handle.db, id, identity.identityKey);
      expect({ ...details, rows: byId(details!.rows) }).toEqual({ ...identity, rows: byId(identity.rows) });
    }
  });
});
