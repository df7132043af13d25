import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import type { DatabaseHandle } from "@/lib/db/client";
import { auditEvents, jobLeases } from "@/lib/db/schema";
import { postgresEngine, storageEngines } from "@/test/support/databases";
import { hashAuditEvent } from "./chain";
import { recordAuditEvent, recordAuditEventNow, recordAuditEvents } from "./record";
import { makeDeniedEvent, makeMappingCreatedEvent, makeUserActor, SYSTEM_ACTOR } from "@/test/support/builders/audit";
import { verifyAuditChain } from "./verify";

// Each test opens a fresh database so chain positions are predictable.
describe.each(storageEngines())("audit trail storage on $name", (engine) => {
  const open = () => engine.open();

  describe("appending", () => {
    let handle: DatabaseHandle;
    beforeAll(async () => {
      handle = await open();
    });
    afterAll(async () => {
      await handle.close();
    });

    it("appends gapless, chained events and reads them back as written", async () => {
      const first = await recordAuditEventNow(handle.db, makeMappingCreatedEvent());
      const second = await recordAuditEventNow(handle.db, makeDeniedEvent(SYSTEM_ACTOR));
      expect([first.id, second.id]).toEqual([1, 2]);
      const rows = await handle.db.select().from(auditEvents).orderBy(auditEvents.id);
      expect(rows[0]?.prevHash).toBe("0".repeat(64));
      expect(rows[1]?.prevHash).toBe(first.hash);
      expect(rows[1]?.actorKind).toBe("system");
      expect(await verifyAuditChain(handle.db)).toEqual({ ok: true, checkedEvents: 2, lastEventId: 2 });
    });

    it("stores where an event came from (a person's session, a job) through audit_append(), covered by the chain", async () => {
      const session = { id: "5e55a0e1-0000-4000-8000-000000000001", clientAddress: "198.51.100.0/24", userAgent: "Mozilla/5.0 (X11)" };
      const person = await recordAuditEventNow(handle.db, makeMappingCreatedEvent({ actor: makeUserActor({ session }) }));
      const job = await recordAuditEventNow(
        handle.db,
        makeDeniedEvent({ kind: "system", appId: "22222222-2222-4222-8222-222222222222", job: "access-request-expiry" }),
      );
      const rows = await handle.db.select().from(auditEvents).orderBy(auditEvents.id);
      const byId = (id: number) => rows.find((row) => row.id === id)!;
      expect(byId(person.id)).toMatchObject({
        actorSessionId: session.id,
        actorClientAddress: session.clientAddress,
        actorUserAgent: session.userAgent,
        actorJob: null,
      });
      expect(byId(job.id)).toMatchObject({ actorSessionId: null, actorClientAddress: null, actorUserAgent: null, actorJob: "access-request-expiry" });
      expect(hashAuditEvent(byId(person.id).prevHash, { ...byId(person.id), actorClientAddress: "203.0.113.1" })).not.toBe(person.hash);
      expect((await verifyAuditChain(handle.db)).ok).toBe(true);
    });

    it("refuses UPDATE, DELETE and TRUNCATE on the table", async () => {
      await recordAuditEventNow(handle.db, makeMappingCreatedEvent());
      await expect(handle.db.execute(sql`update audit_events set reason = 'edited'`)).rejects.toThrow();
      await expect(handle.db.execute(sql`delete from audit_events`)).rejects.toThrow();
      await expect(handle.db.execute(sql`truncate audit_events`)).rejects.toThrow();
      await expect(handle.db.execute(sql`delete from audit_chain_head`)).rejects.toThrow();
      const [{ count } = { count: 0 }] = await handle.db.select({ count: sql<number>`count(*)::int` }).from(auditEvents);
      expect(count).toBeGreaterThan(0);
      expect((await verifyAuditChain(handle.db)).ok).toBe(true);
    });

    it("keeps the chain intact when many appends run at once", async () => {
      await Promise.all(Array.from({ length: 20 }, () => recordAuditEventNow(handle.db, makeMappingCreatedEvent())));
      expect((await verifyAuditChain(handle.db, { batchSize: 7 })).ok).toBe(true);
    });

    it("lets timers and requests run between the batches of a walk", async () => {
      // On PGlite nothing in a walk waits on real I/O: without a pause between batches this timer fired only after it.
      await handle.db.transaction((tx) =>
        recordAuditEvents(
          tx,
          Array.from({ length: 6 }, () => makeDeniedEvent(SYSTEM_ACTOR)),
        ),
      );
      let timerFired = false;
      const timer = setTimeout(() => {
        timerFired = true;
      }, 0);
      const walk = verifyAuditChain(handle.db, { batchSize: 2 }).then((result) => ({ result, timerFiredBefore: timerFired }));
      const { result, timerFiredBefore } = await walk;
      clearTimeout(timer);
      expect(result.ok).toBe(true);
      expect(timerFiredBefore).toBe(true);
    });

    it("waits for the caller's pause between batches, told how long each batch took", async () => {
      await handle.db.transaction((tx) =>
        recordAuditEvents(
          tx,
          Array.from({ length: 5 }, () => makeDeniedEvent(SYSTEM_ACTOR)),
        ),
      );
      const [{ count } = { count: 0 }] = await handle.db.select({ count: sql<number>`count(*)::int` }).from(auditEvents);
      const pauses: number[] = [];
      let pausing = false;
      const result = await verifyAuditChain(handle.db, {
        batchSize: 2,
        betweenBatches: async (batchMs) => {
          expect(pausing).toBe(false);
          pausing = true;
          pauses.push(batchMs);
          await new Promise((resolve) => setTimeout(resolve, 5));
          pausing = false;
        },
      });
      expect(result).toMatchObject({ ok: true, checkedEvents: count });
      // One pause after every full batch: the last batch is short (or empty) and ends the walk.
      expect(pauses).toHaveLength(Math.floor(count / 2));
      expect(pauses.every((batchMs) => batchMs >= 0 && Number.isFinite(batchMs))).toBe(true);
    });
  });

  describe("in the caller's transaction", () => {
    let handle: DatabaseHandle;
    beforeAll(async () => {
      handle = await open();
    });
    afterAll(async () => {
      await handle.close();
    });

    const leaseFor = (jobName: string) => ({
      jobName,
      holder: "test",
      lastStartedAt: new Date(),
      leaseExpiresAt: new Date(),
    });
    const leaseExists = async (jobName: string) =>
      (
        await handle.db
          .select()
          .from(jobLeases)
          .where(sql`${jobLeases.jobName} = ${jobName}`)
      ).length === 1;

    it("commits the state change and its event together", async () => {
      await handle.db.transaction(async (tx) => {
        await tx.insert(jobLeases).values(leaseFor("committed"));
        await recordAuditEvent(tx, makeMappingCreatedEvent());
      });
      expect(await leaseExists("committed")).toBe(true);
    });

    it("rolls the state change back when the event is invalid", async () => {
      const before = await verifyAuditChain(handle.db);
      await expect(
        handle.db.transaction(async (tx) => {
          await tx.insert(jobLeases).values(leaseFor("invalid-event"));
          await recordAuditEvent(tx, { ...makeMappingCreatedEvent(), reason: "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.c2ln" });
        }),
      ).rejects.toThrow(/Invalid audit event/);
      expect(await leaseExists("invalid-event")).toBe(false);
      expect(await verifyAuditChain(handle.db)).toEqual(before);
    });

    it("rolls the state change back when the database refuses the audit insert", async () => {
      await handle.db.execute(sql`
        create function audit_test_refuse_insert() returns trigger language plpgsql as $$
        begin raise exception 'forced audit failure'; end; $$`);
      await handle.db.execute(sql`
        create trigger audit_test_refuse_insert before insert on audit_events
        for each row execute function audit_test_refuse_insert()`);
      try {
        await expect(
          handle.db.transaction(async (tx) => {
            await tx.insert(jobLeases).values(leaseFor("forced-failure"));
            await recordAuditEvent(tx, makeMappingCreatedEvent());
          }),
        ).rejects.toThrow();
      } finally {
        await handle.db.execute(sql`drop trigger audit_test_refuse_insert on audit_events`);
      }
      expect(await leaseExists("forced-failure")).toBe(false);
      // The failed append rolled the chain head back too: the next event continues the chain without a gap.
      await recordAuditEventNow(handle.db, makeMappingCreatedEvent());
      expect((await verifyAuditChain(handle.db)).ok).toBe(true);
    });
  });

  describe("tamper detection", () => {
    const tamper = async (handle: DatabaseHandle, statement: ReturnType<typeof sql>) => {
      // As the table owner a test can switch the guard off; an attacker with that power is what the chain is for.
      await handle.db.execute(sql`alter table audit_events disable trigger audit_events_append_only`);
      await handle.db.execute(statement);
      await handle.db.execute(sql`alter table audit_events enable trigger audit_events_append_only`);
    };
    const seed = async (handle: DatabaseHandle, count: number) => {
      for (let index = 0; index < count; index += 1) {
        await recordAuditEventNow(handle.db, makeMappingCreatedEvent({ actor: makeUserActor() }));
      }
    };

    it("names an edited row by its hash", async () => {
      const handle = await open();
      try {
        await seed(handle, 12);
        await tamper(handle, sql`update audit_events set reason = 'nothing to see' where id = 7`);
        const result = await verifyAuditChain(handle.db, { batchSize: 5 });
        expect(result).toMatchObject({ ok: false, checkedEvents: 6, brokenAt: { eventId: 7, problem: "hash_mismatch" } });
      } finally {
        await handle.close();
      }
    });

    it("names the next row when an edited row's hash was recomputed to hide the edit", async () => {
      const handle = await open();
      try {
        await seed(handle, 6);
        const [row] = await handle.db
          .select()
          .from(auditEvents)
          .where(sql`${auditEvents.id} = 3`);
        const forgedHash = hashAuditEvent(row!.prevHash, { ...row!, reason: "forged" });
        await tamper(handle, sql`update audit_events set reason = 'forged', hash = ${forgedHash} where id = 3`);
        const result = await verifyAuditChain(handle.db);
        // Row 3 is self-consistent now, but row 4 still links to its original hash.
        expect(result).toMatchObject({ ok: false, checkedEvents: 3, brokenAt: { eventId: 4, problem: "prev_hash_mismatch" } });
      } finally {
        await handle.close();
      }
    });

    it("names the link after a deleted row, and a row cut off the end", async () => {
      const handle = await open();
      try {
        await seed(handle, 5);
        await tamper(handle, sql`delete from audit_events where id = 5`);
        expect(await verifyAuditChain(handle.db)).toMatchObject({ ok: false, brokenAt: { eventId: 5, problem: "head_mismatch" } });
        await tamper(handle, sql`delete from audit_events where id = 2`);
        expect(await verifyAuditChain(handle.db)).toMatchObject({ ok: false, brokenAt: { eventId: 3, problem: "missing_events" } });
      } finally {
        await handle.close();
      }
    });

    it("detects a row whose prev_hash was rewritten", async () => {
      const handle = await open();
      try {
        await seed(handle, 4);
        await tamper(handle, sql`update audit_events set prev_hash = ${"a".repeat(64)} where id = 4`);
        expect(await verifyAuditChain(handle.db)).toMatchObject({ ok: false, brokenAt: { eventId: 4, problem: "prev_hash_mismatch" } });
      } finally {
        await handle.close();
      }
    });
  });
});

const server = postgresEngine();
describe.skipIf(!server)("audit chain under real concurrency (PostgreSQL)", () => {
  it("keeps one unforked chain when 50 writers append at the same moment", async () => {
    const handle = await server!.open();
    try {
      const recorded = await Promise.all(
        Array.from({ length: 50 }, (_, index) =>
          handle.db.transaction(async (tx) => {
            await tx.insert(jobLeases).values({
              jobName: `writer-${index}`,
              holder: "test",
              lastStartedAt: new Date(),
              leaseExpiresAt: new Date(),
            });
            return recordAuditEvent(tx, makeMappingCreatedEvent());
          }),
        ),
      );
      expect(new Set(recorded.map((event) => event.id)).size).toBe(50);
      expect(recorded.map((event) => event.id).sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
      expect(await verifyAuditChain(handle.db, { batchSize: 8 })).toEqual({ ok: true, checkedEvents: 50, lastEventId: 50 });
    } finally {
      await handle.close();
    }
  });
});
