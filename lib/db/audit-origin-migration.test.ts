/**
 * Upgrading a database whose audit trail was written before migration 0011 added where each event came from: the
 * old events keep their hashes and still verify, and events appended after the upgrade carry the new columns.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { PGlite } from "@electric-sql/pglite";
import { drizzle } from "drizzle-orm/pglite";
import { migrate } from "drizzle-orm/pglite/migrator";
import { afterAll, describe, expect, it } from "vitest";

import { recordAuditEventNow } from "@/lib/audit/record";
import { verifyAuditChain } from "@/lib/audit/verify";
import { makeDeniedEvent, makeMappingCreatedEvent, makeUserActor, SYSTEM_ACTOR } from "@/test/support/builders/audit";
import { MIGRATIONS_FOLDER } from "./client";
import * as schema from "./schema";

const ORIGIN_MIGRATION = "0011_audit_event_origin";

/** The migrations folder as it was before `tag`: its SQL files and a journal that ends just before it. */
function migrationsBefore(tag: string): string {
  const folder = mkdtempSync(path.join(tmpdir(), "gatehouse-migrations-"));
  cpSync(MIGRATIONS_FOLDER, folder, { recursive: true });
  const journalPath = path.join(folder, "meta", "_journal.json");
  const journal = JSON.parse(readFileSync(journalPath, "utf8")) as { entries: { tag: string }[] };
  const cut = journal.entries.findIndex((entry) => entry.tag === tag);
  expect(cut).toBeGreaterThan(0);
  writeFileSync(journalPath, JSON.stringify({ ...journal, entries: journal.entries.slice(0, cut) }));
  return folder;
}

describe("migration 0011 on a trail written before it", () => {
  const folder = migrationsBefore(ORIGIN_MIGRATION);
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  it("keeps every older event verifiable, and records where for events appended after it", async () => {
    const client = await PGlite.create();
    try {
      const db = drizzle(client, { schema });
      await migrate(db, { migrationsFolder: folder });
      await recordAuditEventNow(db, makeMappingCreatedEvent());
      await recordAuditEventNow(db, makeDeniedEvent(SYSTEM_ACTOR));
      // (The verifier reads the new columns, so it runs after the upgrade: the hashes were computed before it.)

      await migrate(db, { migrationsFolder: MIGRATIONS_FOLDER });
      expect(await verifyAuditChain(db)).toMatchObject({ ok: true, checkedEvents: 2 });

      const session = { id: "5e55a0e1-0000-4000-8000-000000000002", clientAddress: "203.0.113.0/24", userAgent: "Mozilla/5.0" };
      await recordAuditEventNow(db, makeMappingCreatedEvent({ actor: makeUserActor({ session }) }));
      expect(await verifyAuditChain(db)).toMatchObject({ ok: true, checkedEvents: 3 });
      const rows = await db.select().from(schema.auditEvents).orderBy(schema.auditEvents.id);
      expect(rows.map((row) => row.actorSessionId)).toEqual([null, null, session.id]);
      expect(rows[2]).toMatchObject({ actorClientAddress: session.clientAddress, actorUserAgent: session.userAgent });
    } finally {
      await client.close();
    }
  });
});
