import { randomUUID } from "node:crypto";

import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import type { DatabaseHandle } from "@/lib/db/client";
import { storageEngines } from "@/test/support/databases";
import type { AuditEventInput } from "./events";
import { exportAuditEvents } from "./export";
import { recordAuditEventNow, recordAuditEvents } from "./record";
import { type AuditEventRecord, type AuditFilter, searchAuditEvents } from "./search";
import { verifyAuditChain } from "./verify";
import { makeDeniedEvent, makeMappingCreatedEvent, makeUserActor, SYSTEM_ACTOR, WORKSPACE_SCOPE } from "@/test/support/builders/audit";

const OTHER_SCOPE =
  "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-ml/providers/Microsoft.MachineLearningServices/workspaces/ws-finance";
const SAME_MOMENT = new Date("2026-05-01T12:00:00.000Z");

/** Parses RFC 4180 CSV (quoted fields, doubled quotes, CRLF inside quotes). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let index = 0; index < text.length; index += 1) {
    const character = text[index]!;
    if (quoted) {
      if (character === '"' && text[index + 1] === '"') {
        field += '"';
        index += 1;
      } else if (character === '"') quoted = false;
      else field += character;
    } else if (character === '"') quoted = true;
    else if (character === ",") {
      row.push(field);
      field = "";
    } else if (character === "\r" && text[index + 1] === "\n") {
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
      index += 1;
    } else field += character;
  }
  return rows;
}

async function collect(chunks: AsyncIterable<string>): Promise<string[]> {
  const collected: string[] = [];
  for await (const chunk of chunks) collected.push(chunk);
  return collected;
}

describe.each(storageEngines())("audit search and export on $name", (engine) => {
  let handle: DatabaseHandle;
  const bob = makeUserActor({ displayName: "Bob Builder", userPrincipalName: "bob.builder@contoso.example" });
  const principalId = randomUUID();
  const seeded: { id: number; occurredAt: Date }[] = [];

  beforeAll(async () => {
    handle = await engine.open();
    const events: AuditEventInput[] = [
      // Seven events in the same millisecond: pagination must order and split them by id.
      ...Array.from({ length: 7 }, () => makeMappingCreatedEvent({ occurredAt: SAME_MOMENT })),
      makeDeniedEvent(bob, { occurredAt: new Date("2026-05-02T00:00:00Z"), reason: "tried the quarterly budget" }),
      makeDeniedEvent({ kind: "anonymous" }, { occurredAt: new Date("2026-05-03T00:00:00Z"), target: { scope: OTHER_SCOPE } }),
      makeMappingCreatedEvent({
        actor: bob,
        occurredAt: new Date("2026-04-01T00:00:00Z"),
        target: { scope: WORKSPACE_SCOPE.toUpperCase(), principalId },
      }),
      {
        action: "credentials.refreshed",
        outcome: "failed",
        errorCode: "CertificateExpired",
        actor: SYSTEM_ACTOR,
        target: {},
        details: { credentialKind: "certificate" },
        occurredAt: new Date("2026-03-01T00:00:00Z"),
      },
    ];
    seeded.push(...(await handle.db.transaction((tx) => recordAuditEvents(tx, events))));
  });
  afterAll(async () => {
    await handle.close();
  });

  const ids = (events: readonly AuditEventRecord[]) => events.map((event) => event.id);
  const search = async (filter: AuditFilter) => ids((await searchAuditEvents(handle.db, filter, { size: 200 })).events);

  it("pages newest first without gaps or repeats, splitting equal timestamps by id", async () => {
    const expected = [...seeded].sort((a, b) => b.occurredAt.getTime() - a.occurredAt.getTime() || b.id - a.id).map((event) => event.id);
    const seen: number[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await searchAuditEvents(handle.db, {}, { size: 3, cursor });
      seen.push(...ids(page.events));
      cursor = page.nextCursor ?? undefined;
      pages += 1;
    } while (cursor);
    expect(seen).toEqual(expected);
    expect(pages).toBe(Math.ceil(expected.length / 3));
  });

  it("filters by time range, actor, workspace, principal, action and outcome", async () => {
    const [first] = seeded;
    expect(await search({ from: SAME_MOMENT, to: new Date(SAME_MOMENT.getTime() + 1) })).toHaveLength(7);
    expect(await search({ actorObjectId: bob.kind === "user" ? bob.objectId.toUpperCase() : "" })).toHaveLength(2);
    expect(await search({ actorText: "BOB.b" })).toHaveLength(2);
    expect(await search({ actorText: "bob builder" })).toHaveLength(2);
    expect(await search({ actorText: "%" })).toHaveLength(0);
    expect(await search({ scope: OTHER_SCOPE.toLowerCase() })).toHaveLength(1);
    expect(await search({ scope: WORKSPACE_SCOPE })).toHaveLength(9);
    expect(await search({ principalId })).toHaveLength(1);
    expect(await search({ actions: ["authz.denied", "credentials.refreshed"] })).toHaveLength(3);
    expect(await search({ outcome: "failed" })).toHaveLength(1);
    expect(await search({ outcome: "denied", actorText: "bob" })).toHaveLength(1);
    expect(first).toBeDefined();
  });

  it("finds events by free text in names, scopes, reasons and detail strings", async () => {
    expect(await search({ text: "quarterly" })).toHaveLength(1);
    expect(await search({ text: "bob" })).toHaveLength(2);
    expect(await search({ text: "ws-finance" })).toHaveLength(1);
    expect(await search({ text: "researchers" })).toHaveLength(8);
    expect(await search({ text: "CertificateExpired" })).toHaveLength(1);
    expect(await search({ text: "quarterly bob" })).toHaveLength(1);
    expect(await search({ text: "nothing-like-this" })).toHaveLength(0);
    expect(await search({ text: "' & | ! :* (" })).toHaveLength(seeded.length);
  });

  it("refuses a malformed cursor, an oversized page and unknown filter fields", async () => {
    await expect(searchAuditEvents(handle.db, {}, { cursor: "not-a-cursor" })).rejects.toMatchObject({ code: "invalid_input" });
    await expect(searchAuditEvents(handle.db, {}, { size: 201 })).rejects.toMatchObject({ code: "invalid_input" });
    await expect(searchAuditEvents(handle.db, { tenant: "x" } as AuditFilter)).rejects.toThrow();
  });

  it("exports the filter as escaped CSV and as JSON Lines", async () => {
    const event = await recordAuditEventNow(
      handle.db,
      makeDeniedEvent(bob, { reason: '=HYPERLINK("http://evil.example"), then\r\na "quote"', occurredAt: new Date("2027-01-01T00:00:00Z") }),
    );
    const csv = parseCsv((await collect(exportAuditEvents(handle.db, { actorText: "bob" }, "csv"))).join(""));
    const [header, newest] = csv;
    expect(header?.[0]).toBe("id");
    expect(csv).toHaveLength(1 + 3);
    const column = (name: string) => newest?.[header!.indexOf(name)];
    expect(column("id")).toBe(String(event.id));
    expect(column("reason")).toBe(`'=HYPERLINK("http://evil.example"), then\r\na "quote"`);
    expect(JSON.parse(column("details")!)).toMatchObject({ deniedBecause: "console_role_missing" });

    const lines = (await collect(exportAuditEvents(handle.db, { actorText: "bob" }, "jsonl"))).join("").split("\n");
    expect(lines.at(-1)).toBe("");
    const records = lines.slice(0, -1).map((line) => JSON.parse(line) as { id: number; reason: string; occurredAt: string });
    expect(records.map((record) => record.id)).toEqual(csv.slice(1).map((row) => Number(row[0])));
    expect(records[0]?.reason).toContain('"quote"');
    expect(records[0]?.occurredAt).toBe("2027-01-01T00:00:00.000Z");
  });
});

describe.each(storageEngines())("audit export in batches on $name", (engine) => {
  it("streams 5,000 events in keyset batches, each exactly once and newest first", async () => {
    const handle = await engine.open();
    try {
      const base = new Date("2026-01-01T00:00:00Z").getTime();
      // Pairs of events share a millisecond, so batch boundaries fall between equal timestamps too.
      const events = Array.from({ length: 5000 }, (_, index) => makeDeniedEvent(SYSTEM_ACTOR, { occurredAt: new Date(base + Math.floor(index / 2)) }));
      await handle.db.transaction((tx) => recordAuditEvents(tx, events));
      expect((await verifyAuditChain(handle.db, { batchSize: 999 })).ok).toBe(true);
      const chunks = await collect(exportAuditEvents(handle.db, {}, "csv", { batchSize: 333, sliceSize: 100 }));
      // A chunk per slice of each batch: 15 full batches of 100+100+100+33, then the last 5.
      expect(chunks.slice(1).map((chunk) => chunk.split("\r\n").length - 1)).toEqual([...Array.from({ length: 15 }, () => [100, 100, 100, 33]).flat(), 5]);
      const exportedIds = parseCsv(chunks.join(""))
        .slice(1)
        .map((row) => Number(row[0]));
      expect(exportedIds).toEqual(Array.from({ length: 5000 }, (_, index) => 5000 - index));

      const jsonl = await collect(exportAuditEvents(handle.db, { actions: ["authz.denied"] }, "jsonl", { batchSize: 1000, sliceSize: 1000 }));
      expect(jsonl).toHaveLength(5);
      expect(jsonl.join("").split("\n").filter(Boolean)).toHaveLength(5000);
    } finally {
      await handle.close();
    }
    // Seeding and verifying 5,000 events took 10 s alone and over 30 s on a busy machine.
  }, 120_000);

  it("writes each time exactly as PostgreSQL's to_char does, inside and outside years 1 to 9999", async () => {
    const handle = await engine.open();
    try {
      const times = [
        "1969-12-31T23:59:59.999Z",
        "1970-01-01T00:00:00.000Z",
        "0001-01-01T00:00:00.000Z",
        "2026-05-02T03:04:05.678Z",
        "9999-12-31T23:59:59.999Z",
        "0001-12-31T23:59:59.999Z BC",
        "10000-01-01T00:00:00.001Z",
      ];
      const events = times.map(() => makeDeniedEvent(SYSTEM_ACTOR));
      await handle.db.transaction((tx) => recordAuditEvents(tx, events));
      // Times the console's clock never writes, set past the append-only guard: the export must still write them as they are.
      await handle.db.execute(sql`alter table audit_events disable trigger audit_events_append_only`);
      const ids = ((await handle.db.execute(sql`select id from audit_events order by id`)) as { rows: { id: number | string }[] }).rows;
      expect(ids).toHaveLength(times.length);
      for (const [index, time] of times.entries()) {
        await handle.db.execute(sql`update audit_events set occurred_at = ${time}::timestamptz where id = ${ids[index]!.id}`);
      }
      await handle.db.execute(sql`alter table audit_events enable trigger audit_events_append_only`);
      const expected = (await handle.db.execute(
        sql`select id::text as id, to_char(occurred_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as time
            from audit_events order by occurred_at desc, id desc`,
      )) as { rows: { id: string; time: string }[] };
      expect(new Set(expected.rows.map((row) => row.time)).size).toBe(times.length);
      const csv = parseCsv((await collect(exportAuditEvents(handle.db, {}, "csv"))).join(""));
      expect(csv.slice(1).map((row) => ({ id: row[0], time: row[1] }))).toEqual(expected.rows);
      // One event per batch: each of these times is also where the next batch starts reading.
      const oneByOne = parseCsv((await collect(exportAuditEvents(handle.db, {}, "csv", { batchSize: 1, sliceSize: 1 }))).join(""));
      expect(oneByOne.slice(1).map((row) => ({ id: row[0], time: row[1] }))).toEqual(expected.rows);
      const lines = (await collect(exportAuditEvents(handle.db, {}, "jsonl", { batchSize: 1, sliceSize: 1 })))
        .join("")
        .split("\n")
        .filter(Boolean)
        .map((line) => JSON.parse(line) as { id: number; occurredAt: string | null });
      expect(lines.map((line) => String(line.id))).toEqual(expected.rows.map((row) => row.id));
      // JSON Lines writes JavaScript's ISO form: year 10000 with its sign and six digits, never an unreadable null.
      expect(lines[0]!.occurredAt).toBe("+010000-01-01T00:00:00.001Z");
      expect(lines.every((line) => typeof line.occurredAt === "string")).toBe(true);
    } finally {
      await handle.close();
    }
  }, 60_000);
});
