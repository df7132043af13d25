import { generateKeyPairSync } from "node:crypto";

import { asc, eq, sql } from "drizzle-orm";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";

import { getConfig } from "@/lib/config";
import type { Database, DatabaseHandle } from "@/lib/db/client";
import { auditEvents, auditShipping } from "@/lib/db/schema";
import { makeMappingCreatedEvent, makeUserActor } from "@/test/support/builders/audit";
import { storageEngines } from "@/test/support/databases";
import { type PrivateSandbox, startPrivateSandbox } from "@/test/support/private-sandbox";
import { testSandbox } from "@/test/support/sandbox-control";
import { hashAuditEvent } from "./chain";
import { checkpointSigner } from "./checkpoint";
import { recordAuditEventNow } from "./record";
import { shipAuditTrail } from "./ship";
import { logsIngestionSink, readSandboxAnchors } from "./sink";
import { verifyAuditChain, verifyAuditChainAgainstAnchors } from "./verify";

/**
 * The review's H3 attacks (full re-chain plus a moved head, a cut-off tail) done with the owner's rights, which can
 * switch the append-only trigger off: the walk inside the database passes, the external anchor does not. Events
 * travel through `@azure/monitor-ingestion` to the sandbox's Logs Ingestion endpoint and are read back from it.
 */
const keys = generateKeyPairSync("ed25519");
const signer = checkpointSigner(keys.privateKey);
const sinkSettings = () => {
  const sink = getConfig().audit.sink;
  if (!sink) throw new Error("sandbox mode ships the audit trail to the sandbox's ingestion endpoint");
  return sink;
};
const anchors = () => readSandboxAnchors(getConfig().sandboxOrigin ?? "", sinkSettings());
const ship = (db: Database, options: { checkpointEveryEvents?: number; batchEvents?: number } = {}) =>
  shipAuditTrail(db, logsIngestionSink(sinkSettings()), signer, {
    checkpointEveryEvents: options.checkpointEveryEvents ?? 4,
    checkpointIntervalMs: 3_600_000,
    batchEvents: options.batchEvents ?? 3,
  });

async function seed(db: Database, count: number): Promise<void> {
  for (let index = 0; index < count; index += 1) await recordAuditEventNow(db, makeMappingCreatedEvent({ actor: makeUserActor() }));
}

/** As the owner: switch the guard off, run the statements, switch it on again. */
async function asOwner(db: Database, run: () => Promise<void>): Promise<void> {
  await db.execute(sql`alter table audit_events disable trigger audit_events_append_only`);
  await run();
  await db.execute(sql`alter table audit_events enable trigger audit_events_append_only`);
}

/** Rewrites one event's reason and re-hashes it and every later event, then moves the head: the review's A1. */
async function rewriteAndRechain(db: Database, fromId: number): Promise<void> {
  await asOwner(db, async () => {
    const rows = await db.select().from(auditEvents).orderBy(asc(auditEvents.id));
    let previousHash = rows.find((row) => row.id === fromId - 1)?.hash ?? "0".repeat(64);
    for (const row of rows.filter((candidate) => candidate.id >= fromId)) {
      const reason = row.id === fromId ? "nothing happened here" : row.reason;
      const hash = hashAuditEvent(previousHash, { ...row, reason });
      await db.update(auditEvents).set({ reason, prevHash: previousHash, hash }).where(eq(auditEvents.id, row.id));
      previousHash = hash;
    }
    const last = rows.at(-1);
    await db.execute(sql`update audit_chain_head set last_hash = ${previousHash} where id = 1 and last_event_id = ${last?.id ?? 0}`);
  });
}

// A tenant of this file's own: its ingestion endpoint's records are what the verifier reads, and other files (the
// scheduler's instances, the other anchoring tests) ship and clear the shared sandbox's records in parallel.
const tenant: PrivateSandbox = await startPrivateSandbox();
afterAll(() => tenant.close());

describe.each(storageEngines())("the audit trail's external anchor on $name", (engine) => {
  let handle: DatabaseHandle;
  beforeEach(async () => {
    await testSandbox().ingestedLogs.clear();
    handle = await engine.open();
  });
  afterEach(async () => {
    await testSandbox().faults.clear();
    await handle.close();
  });

  it("ships every event in order with signed checkpoints, and the chain verifies against them", async () => {
    await seed(handle.db, 10);
    const result = await ship(handle.db);
    expect(result).toMatchObject({ shipped: 10, shippedThrough: 10 });

    const received = await anchors();
    const order = received.map((record) => `${record.RecordType === "event" ? "e" : "c"}${record.Sequence}`);
    // Checkpoints follow the events they cover: the first as soon as there is one, then once 4 more were shipped
    // (batches of 3: at 9); event 10 is anchored by its shipped copy until the next checkpoint.
    expect(order).toEqual(["e1", "e2", "e3", "c3", "e4", "e5", "e6", "e7", "e8", "e9", "c9", "e10"]);
    const logs = await testSandbox().ingestedLogs.list({ dcr: sinkSettings().dcrImmutableId });
    expect(new Set(logs.map((entry) => entry.ingestedByAppId))).toEqual(new Set([getConfig().identity.apiClientId]));

    const verification = await verifyAuditChainAgainstAnchors(handle.db, received, keys.publicKey);
    expect(verification).toMatchObject({
      ok: true,
      findings: [],
      shippedEvents: 10,
      validCheckpoints: 2,
      lastCheckpoint: { sequence: 9 },
      unanchoredEvents: 0,
    });
    // A second run finds nothing new and sends nothing.
    expect(await ship(handle.db)).toMatchObject({ shipped: 0, checkpoints: 0 });
    expect(await anchors()).toHaveLength(received.length);
  });

  it("keeps the cursor when the sink refuses an upload, and sends the same events again on the next run", async () => {
    await seed(handle.db, 5);
    await testSandbox().faults.add({ method: "POST", path: "/dataCollectionRules/**", status: 400, times: 1 });
    await expect(ship(handle.db)).rejects.toThrow(/Logs Ingestion API refused/);
    const [cursor] = await handle.db.select().from(auditShipping);
    expect(cursor).toMatchObject({ shippedThrough: 0, failures: 1 });
    expect(cursor?.lastError).toMatch(/400/);

    expect(await ship(handle.db)).toMatchObject({ shipped: 5, shippedThrough: 5 });
    const [after] = await handle.db.select().from(auditShipping);
    expect(after).toMatchObject({ shippedThrough: 5, failures: 0, lastError: null });
    expect((await verifyAuditChainAgainstAnchors(handle.db, await anchors(), keys.publicKey)).ok).toBe(true);
  });

  it("detects a full re-chain with the head moved, which the walk inside the database accepts", async () => {
    await seed(handle.db, 10);
    await ship(handle.db);
    await rewriteAndRechain(handle.db, 4);

    // The review's reproduction: the database alone still says intact.
    expect(await verifyAuditChain(handle.db)).toEqual({ ok: true, checkedEvents: 10, lastEventId: 10 });
    const verification = await verifyAuditChainAgainstAnchors(handle.db, await anchors(), keys.publicKey);
    expect(verification.ok).toBe(false);
    expect(verification.findings.map((finding) => [finding.problem, finding.eventId])).toEqual([["rechained", 4]]);
    expect(verification.findings[0]?.detail).toMatch(/^event 4's hash differs from the copy shipped to the sink at /);
  });

  it("names the conflicting copies when a rewritten trail is shipped again after the cursor was reset", async () => {
    await seed(handle.db, 6);
    await ship(handle.db);
    await rewriteAndRechain(handle.db, 2);
    await handle.db.update(auditShipping).set({ shippedThrough: 0, checkpointThrough: 0 });
    await ship(handle.db);

    const verification = await verifyAuditChainAgainstAnchors(handle.db, await anchors(), keys.publicKey);
    expect(verification.findings.map((finding) => [finding.problem, finding.eventId])).toEqual([
      ["sink_conflict", 2],
      ["rechained", 2],
    ]);
  });

  it("detects a tail cut off with the head moved back", async () => {
    await seed(handle.db, 10);
    await ship(handle.db);
    await asOwner(handle.db, async () => {
      const [seventh] = await handle.db.select().from(auditEvents).where(eq(auditEvents.id, 7));
      await handle.db.execute(sql`delete from audit_events where id > 7`);
      await handle.db.execute(sql`update audit_chain_head set last_event_id = 7, last_hash = ${seventh?.hash ?? ""} where id = 1`);
    });

    expect(await verifyAuditChain(handle.db)).toEqual({ ok: true, checkedEvents: 7, lastEventId: 7 });
    const verification = await verifyAuditChainAgainstAnchors(handle.db, await anchors(), keys.publicKey);
    expect(verification.findings.map((finding) => [finding.problem, finding.eventId])).toEqual([
      ["truncated", 8],
      ["head_moved", 7],
    ]);
    expect(verification.findings.map((finding) => finding.detail)).toEqual([
      expect.stringMatching(/^the database ends at event 7, but a checkpoint signed at \S+ names event 9: events 8 to 10 were removed$/),
      expect.stringMatching(/^the chain head names event 7, but a checkpoint signed at \S+ names event 9: the head was moved back$/),
    ]);
  });

  it("names a checkpoint that the configured key did not sign", async () => {
    await seed(handle.db, 3);
    const otherKey = generateKeyPairSync("ed25519").privateKey;
    await shipAuditTrail(handle.db, logsIngestionSink(sinkSettings()), checkpointSigner(otherKey), { checkpointEveryEvents: 1, checkpointIntervalMs: 60_000 });

    const verification = await verifyAuditChainAgainstAnchors(handle.db, await anchors(), keys.publicKey);
    expect(verification).toMatchObject({ ok: false, validCheckpoints: 0, findings: [{ problem: "checkpoint_invalid", eventId: 3 }] });
  });
});
