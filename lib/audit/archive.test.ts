import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { asc, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import type { DatabaseHandle } from "@/lib/db/client";
import { auditArchives, auditEvents } from "@/lib/db/schema";
import { makeMappingCreatedEvent, SYSTEM_ACTOR } from "@/test/support/builders/audit";
import { storageEngines } from "@/test/support/databases";
import { archiveAuditEvents, checkAuditArchiveFile, planAuditArchive, writeAuditArchiveFile } from "./archive";
import { recordAuditEventNow } from "./record";
import { verifyAuditChain } from "./verify";

const DAY = 86_400_000;
const START = Date.parse("2025-01-01T00:00:00.000Z");
const day = (index: number) => new Date(START + index * DAY);

describe.each(storageEngines())("archiving the audit trail on $name", (engine) => {
  let handle: DatabaseHandle;
  let directory: string;
  beforeAll(async () => {
    handle = await engine.open();
    directory = mkdtempSync(path.join(tmpdir(), "gatehouse-audit-archive-"));
    // Ten events, one a day from 2025-01-01.
    for (let index = 0; index < 10; index += 1) await recordAuditEventNow(handle.db, makeMappingCreatedEvent({ occurredAt: day(index) }));
  });
  afterAll(async () => {
    await handle.close();
    rmSync(directory, { recursive: true, force: true });
  });

  it("moves the events before a date into a file, and the chain in the database starts after them", async () => {
    const plan = await planAuditArchive(handle.db, { before: day(4) });
    expect(plan).toEqual({ ok: true, range: { firstEventId: 1, lastEventId: 4, eventCount: 4 } });
    if (!plan.ok) return;
    const file = path.join(directory, "first.ndjson");
    const written = await writeAuditArchiveFile(handle.db, plan.range, file, { batchSize: 3 });
    const [fourth] = await handle.db
      .select()
      .from(auditEvents)
      .where(sql`${auditEvents.id} = 4`);
    expect(written.lastHash).toBe(fourth!.hash);

    const { archived } = await archiveAuditEvents(handle.db, {
      range: plan.range,
      fileSha256: written.sha256,
      lastHash: written.lastHash,
      actor: SYSTEM_ACTOR,
    });
    expect(archived).toBe(4);
    const remaining = await handle.db.select({ id: auditEvents.id, action: auditEvents.action }).from(auditEvents).orderBy(asc(auditEvents.id));
    expect(remaining.map((row) => row.id)).toEqual([5, 6, 7, 8, 9, 10, 11]);
    // The archive is itself on the trail, with the range and the file's SHA-256.
    expect(remaining.at(-1)?.action).toBe("audit.archived");
    const [event] = await handle.db
      .select()
      .from(auditEvents)
      .where(sql`${auditEvents.id} = 11`);
    expect(event!.details).toMatchObject({ firstEventId: 1, lastEventId: 4, eventCount: 4, lastHash: fourth!.hash, fileSha256: written.sha256 });
    expect(await handle.db.select().from(auditArchives)).toEqual([
      expect.objectContaining({ firstEventId: 1, lastEventId: 4, eventCount: 4, lastHash: fourth!.hash, fileSha256: written.sha256 }),
    ]);
    expect(await verifyAuditChain(handle.db)).toEqual({ ok: true, checkedEvents: 7, lastEventId: 11 });
    expect(await checkAuditArchiveFile(file)).toEqual({
      ok: true,
      firstEventId: 1,
      lastEventId: 4,
      prevHash: "0".repeat(64),
      lastHash: fourth!.hash,
      sha256: written.sha256,
    });
  });

  it("continues from the previous archive, and never takes the newest event", async () => {
    const plan = await planAuditArchive(handle.db, { before: new Date(START + 1000 * DAY) });
    // Everything happened before then, but event 11 (the archive's own event) is the head and stays.
    expect(plan).toEqual({ ok: true, range: { firstEventId: 5, lastEventId: 10, eventCount: 6 } });
    if (!plan.ok) return;
    const file = path.join(directory, "second.ndjson");
    const written = await writeAuditArchiveFile(handle.db, plan.range, file);
    await archiveAuditEvents(handle.db, { range: plan.range, fileSha256: written.sha256, lastHash: written.lastHash, actor: SYSTEM_ACTOR });
    expect(await verifyAuditChain(handle.db)).toEqual({ ok: true, checkedEvents: 2, lastEventId: 12 });
    expect((await checkAuditArchiveFile(file)).ok).toBe(true);
    // The second file's chain continues from the first file's last hash.
    const first = await checkAuditArchiveFile(path.join(directory, "first.ndjson"));
    const second = await checkAuditArchiveFile(file);
    expect(first.ok && second.ok && second.prevHash === first.lastHash).toBe(true);
  });

  it("archives only what is anchored outside the database, and says why when nothing is", async () => {
    for (let index = 0; index < 3; index += 1) await recordAuditEventNow(handle.db, makeMappingCreatedEvent({ occurredAt: day(20 + index) }));
    // Events 11 to 15 are in the table now (11 and 12 recorded today, 13 to 15 back-dated); only 13 is anchored.
    const later = new Date(START + 1000 * DAY);
    expect(await planAuditArchive(handle.db, { before: later, anchoredThrough: 13 })).toEqual({
      ok: true,
      range: { firstEventId: 11, lastEventId: 13, eventCount: 3 },
    });
    const notYet = await planAuditArchive(handle.db, { before: later, anchoredThrough: 10 });
    expect(notYet.ok).toBe(false);
    expect(!notYet.ok && notYet.reason).toContain("is anchored outside the database yet");
    // Event 11 happened today: no run of events from the first one happened before day 30, though 13 to 15 did.
    const tooEarly = await planAuditArchive(handle.db, { before: day(30) });
    expect(!tooEarly.ok && tooEarly.reason).toContain("No event in the database happened before");
  });

  it("refuses to archive the head, a range with nothing in it, or without the file's SHA-256, and a plain DELETE stays refused", async () => {
    const result = (await handle.db.execute(sql`select last_event_id::int as head from audit_chain_head`)) as { rows: { head: number }[] };
    const head = result.rows[0]!.head;
    await expect(handle.db.execute(sql`select audit_archive_through(${head}::bigint, ${"a".repeat(64)})`)).rejects.toThrow();
    await expect(handle.db.execute(sql`select audit_archive_through(3::bigint, ${"a".repeat(64)})`)).rejects.toThrow();
    await expect(handle.db.execute(sql`select audit_archive_through(${head - 1}::bigint, 'not a hash')`)).rejects.toThrow();
    await expect(handle.db.execute(sql`delete from audit_events where id = ${head}`)).rejects.toThrow();
    await expect(handle.db.execute(sql`delete from audit_archives`)).rejects.toThrow();
    await expect(handle.db.execute(sql`update audit_archives set last_hash = ${"b".repeat(64)}`)).rejects.toThrow();
    expect((await verifyAuditChain(handle.db)).ok).toBe(true);
  });

  it("never writes over an existing file, and a file whose events were edited fails its check", async () => {
    const existing = path.join(directory, "first.ndjson");
    await expect(writeAuditArchiveFile(handle.db, { firstEventId: 11, lastEventId: 12, eventCount: 2 }, existing)).rejects.toThrow(/EEXIST/);
    const edited = path.join(directory, "edited.ndjson");
    writeFileSync(edited, readFileSync(existing, "utf8").replace('"reason":null', '"reason":"edited"'));
    const check = await checkAuditArchiveFile(edited);
    expect(check.ok).toBe(false);
    expect(!check.ok && check.problem).toContain("fields do not give its hash");
    const cut = path.join(directory, "cut.ndjson");
    const lines = readFileSync(existing, "utf8").split("\n");
    writeFileSync(cut, [lines[0], lines[1], lines[3], lines[4], ""].join("\n"));
    expect(await checkAuditArchiveFile(cut)).toEqual({ ok: false, problem: "Event 2 is missing from the file." });
  });
});
