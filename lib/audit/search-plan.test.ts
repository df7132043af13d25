/**
 * Free-text search at a size where the planner has choices: its two queries (the recent window, every match) must
 * use the indexes, never a sequential scan of the trail, and the results must be the same whichever one answers.
 */
import { sql } from "drizzle-orm";
import { PgDialect } from "drizzle-orm/pg-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import type { DatabaseHandle } from "@/lib/db/client";
import { makeDeniedEvent, makeUserActor } from "@/test/support/builders/audit";
import { postgresEngine, storageEngines } from "@/test/support/databases";
import type { AuditEventInput } from "./events";
import { csvField, exportAuditEvents } from "./export";
import { recordAuditEvents } from "./record";
import { type AuditEventRecord, auditTextQuery, RECENT_WINDOW_ROWS, searchAuditEvents, textSearchStatements } from "./search";

const ACTOR = makeUserActor();
const START = Date.parse("2026-01-01T00:00:00.000Z");

/**
 * `count` denied events a second apart, oldest first; the details name `step-<n % 50>`, or `needle-tag` on event 7 and
 * `rare-mark` on every thousandth (from the 500th).
 */
async function seed(handle: DatabaseHandle, count: number): Promise<void> {
  for (let done = 0; done < count; done += 2000) {
    const batch: AuditEventInput[] = Array.from({ length: Math.min(2000, count - done) }, (_, offset) => {
      const index = done + offset;
      return makeDeniedEvent(ACTOR, {
        occurredAt: new Date(START + index * 1000),
        details: {
          consoleAction: index === 7 ? "needle-tag" : index % 1000 === 500 ? "rare-mark" : `step-${index % 50}`,
          deniedBecause: "console_role_missing",
        },
      });
    });
    await handle.db.transaction((tx) => recordAuditEvents(tx, batch));
  }
}

interface PlanNode {
  "Node Type": string;
  "Relation Name"?: string;
  "Index Name"?: string;
  Plans?: PlanNode[];
}

function planNodes(node: PlanNode): PlanNode[] {
  return [node, ...(node.Plans ?? []).flatMap((child) => planNodes(child))];
}

const server = postgresEngine();
describe.skipIf(!server)("free-text search plans on PostgreSQL", () => {
  let handle: DatabaseHandle;
  beforeAll(async () => {
    handle = await server!.open();
    await seed(handle, 20_000);
    await handle.db.execute(sql`analyze audit_events`);
  }, 180_000);
  afterAll(async () => {
    await handle.close();
  });

  async function plan(statement: ReturnType<typeof sql>): Promise<PlanNode[]> {
    const { sql: text, params } = new PgDialect().sqlToQuery(statement);
    // EXPLAIN takes no bind parameters; the values here are the test's own.
    const inlined = text.replace(/\$(\d+)/g, (_, index: string) => {
      const value = params[Number(index) - 1];
      return typeof value === "number" ? String(value) : `'${String(value).replace(/'/g, "''")}'`;
    });
    const result = (await handle.db.execute(sql.raw(`explain (format json) ${inlined}`))) as { rows: { "QUERY PLAN": [{ Plan: PlanNode }] }[] };
    return planNodes(result.rows[0]!["QUERY PLAN"][0].Plan);
  }

  it("walks the occurred_at index for the recent window and the GIN index for every match, never a Seq Scan", async () => {
    for (const text of ["step-7", "needle-tag"]) {
      const statements = textSearchStatements(undefined, auditTextQuery(text)!, 51);
      const recent = await plan(statements.recent);
      expect(recent.some((node) => node["Node Type"] === "Seq Scan")).toBe(false);
      expect(recent.some((node) => node["Index Name"] === "audit_events_occurred_at_idx")).toBe(true);
      const everyMatch = await plan(statements.everyMatch);
      expect(everyMatch.some((node) => node["Node Type"] === "Seq Scan")).toBe(false);
      expect(everyMatch.some((node) => node["Node Type"] === "Bitmap Index Scan" && node["Index Name"] === "audit_events_search_idx")).toBe(true);
    }
  });

  it("reads each later export batch from where the last ended along the occurred_at index, never a Seq Scan or a Sort of the trail", async () => {
    const statements: ReturnType<typeof sql>[] = [];
    const capturing = new Proxy(handle.db, {
      get(target, property, receiver) {
        const value: unknown = Reflect.get(target, property, receiver);
        if (property !== "execute" || typeof value !== "function") return value;
        return (...args: unknown[]) => {
          statements.push(args[0] as ReturnType<typeof sql>);
          return (value as (...inner: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    const chunks = exportAuditEvents(capturing, {}, "csv", { batchSize: 1000, sliceSize: 1000 });
    for (let taken = 0; taken < 3; taken += 1) await chunks.next();
    await chunks.return(undefined);
    expect(statements).toHaveLength(2);
    const later = await plan(statements[1]!);
    expect(later.some((node) => node["Node Type"] === "Seq Scan" && node["Relation Name"] === "audit_events")).toBe(false);
    expect(later.some((node) => node["Index Name"] === "audit_events_occurred_at_idx")).toBe(true);
    // The only sort is of the batch itself (for its slices), above the Limit: the trail is walked in index order.
    const limit = later.findIndex((node) => node["Node Type"] === "Limit");
    expect(limit).toBeGreaterThanOrEqual(0);
    expect(planNodes(later[limit]!).some((node) => node["Node Type"] === "Sort")).toBe(false);
  });
});

describe.each(storageEngines())("free-text search past the recent window on $name", (engine) => {
  const TOTAL = RECENT_WINDOW_ROWS + 1000;
  let handle: DatabaseHandle;
  beforeAll(async () => {
    handle = await engine.open();
    await seed(handle, TOTAL);
  }, 180_000);
  afterAll(async () => {
    await handle.close();
  });

  const newestFirst = (predicate: (index: number) => boolean) =>
    Array.from({ length: TOTAL }, (_, index) => TOTAL - 1 - index)
      .filter(predicate)
      .map((index) => index + 1);

  it("finds a common word in the window and a rare one behind it, newest first, page after page", async () => {
    // Event n (0-based) has id n + 1: one chain, appended in order. Each word matches as a prefix: step-3 finds step-30 too.
    const common = await searchAuditEvents(handle.db, { text: "step-3" }, { size: 50 });
    expect(common.events.map((event) => event.id)).toEqual(newestFirst((index) => index % 1000 !== 500 && String(index % 50).startsWith("3")).slice(0, 50));

    const rare = await searchAuditEvents(handle.db, { text: "needle-tag" });
    expect(rare.events.map((event) => event.id)).toEqual([8]);
    expect(rare.nextCursor).toBeNull();

    // Six matches, five of them in the first window: the first page comes from the window, the last from the GIN index.
    const pages: number[][] = [];
    let cursor: string | undefined;
    do {
      const page = await searchAuditEvents(handle.db, { text: "rare-mark" }, { size: 3, cursor });
      pages.push(page.events.map((event) => event.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(pages).toEqual([
      [5501, 4501, 3501],
      [2501, 1501, 501],
    ]);
  });

  it("does not read ahead of the consumer when exporting", async () => {
    let queries = 0;
    const counting = new Proxy(handle.db, {
      get(target, property, receiver) {
        const value: unknown = Reflect.get(target, property, receiver);
        if (property !== "execute" || typeof value !== "function") return value;
        return (...args: unknown[]) => {
          queries += 1;
          return (value as (...inner: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    const chunks = exportAuditEvents(counting, {}, "csv", { batchSize: 1000, sliceSize: 500 });
    await chunks.next();
    expect(queries).toBe(0);
    // A batch's second slice comes from the batch already read; the next batch only when asked for its first.
    await chunks.next();
    expect(queries).toBe(1);
    await chunks.next();
    expect(queries).toBe(1);
    await chunks.next();
    expect(queries).toBe(2);
    await chunks.return(undefined);
    expect(queries).toBe(2);
  });
});

/** The CSV line csvField gives for a record as the audit page reads it, one field at a time. */
function expectedCsvLine(event: AuditEventRecord): string {
  const values: (string | number | null)[] = [
    event.id,
    event.occurredAt.toISOString(),
    event.actor.kind,
    event.actor.tenantId,
    event.actor.objectId,
    event.actor.displayName,
    event.actor.userPrincipalName,
    event.actor.appId,
    event.action,
    event.outcome,
    event.errorCode,
    event.target.scope,
    event.target.principalId,
    event.target.principalType,
    event.target.roleDefinitionId,
    event.target.roleName,
    event.target.requestId,
    event.reason,
    event.correlation.consoleRequestId,
    event.correlation.armRequestId,
    event.correlation.graphRequestId,
    event.origin.sessionId,
    event.origin.clientAddress,
    event.origin.userAgent,
    event.origin.job,
    JSON.stringify(event.details),
    event.prevHash,
    event.hash,
  ];
  return `${values.map((value) => csvField(value)).join(",")}\r\n`;
}

describe.each(storageEngines())("CSV fields of the export on $name", (engine) => {
  it("match csvField on formula starts, quotes, line breaks and every kind of edge whitespace", async () => {
    const handle = await engine.open();
    try {
      const awkward = [
        "plain",
        "",
        "=1+1",
        "+x",
        "-1",
        "@SUM(A1)",
        "\tleading tab",
        "\rcarriage",
        "a,b",
        'say "hi"',
        "line\nbreak",
        " leading space",
        "trailing space ",
        "\u00a0nbsp",
        "ideographic\u3000",
        // A leading BOM would not do: PGlite's decoder drops it from a field read on its own (the records here).
        "bom\ufeff",
        "\u2028separator",
        "inner\u2003space",
        "Zoë – ünïcode ✓",
        '="quoted, formula"',
      ];
      await handle.db.transaction((tx) =>
        recordAuditEvents(
          tx,
          awkward.map((text, index) =>
            makeDeniedEvent(makeUserActor({ displayName: awkward[(index + 1) % awkward.length]! }), {
              reason: text,
              details: { consoleAction: `x${text}`, deniedBecause: "console_role_missing" },
            }),
          ),
        ),
      );
      const records = (await searchAuditEvents(handle.db, {}, { size: 200 })).events;
      const exported = (await collect(exportAuditEvents(handle.db, {}, "csv", { batchSize: 7 }))).join("");
      const expected = `id,occurred_at,actor_kind,actor_tenant_id,actor_object_id,actor_display_name,actor_upn,actor_app_id,action,outcome,error_code,target_scope,target_principal_id,target_principal_type,target_role_definition_id,target_role_name,target_request_id,reason,console_request_id,arm_request_id,graph_request_id,session_id,client_address,user_agent,job,details,prev_hash,hash\r\n${records.map((record) => expectedCsvLine(record)).join("")}`;
      // Line by line, so a failure names the field.
      expect(exported.split("\r\n")).toEqual(expected.split("\r\n"));
    } finally {
      await handle.close();
    }
  }, 120_000);
});

async function collect(chunks: AsyncIterable<string>): Promise<string[]> {
  const collected: string[] = [];
  for await (const chunk of chunks) collected.push(chunk);
  return collected;
}
