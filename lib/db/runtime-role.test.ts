import { generateKeyPairSync, randomBytes } from "node:crypto";

import { sql } from "drizzle-orm";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { hashAuditEvent } from "@/lib/audit/chain";
import { checkpointSigner } from "@/lib/audit/checkpoint";
import { recordAuditEventNow } from "@/lib/audit/record";
import { shipAuditTrail } from "@/lib/audit/ship";
import { logsIngestionSink, readSandboxAnchors } from "@/lib/audit/sink";
import { verifyAuditChain, verifyAuditChainAgainstAnchors } from "@/lib/audit/verify";
import { getConfig } from "@/lib/config";
import { makeMappingCreatedEvent, makeUserActor } from "@/test/support/builders/audit";
import { type PrivateSandbox, startPrivateSandbox } from "@/test/support/private-sandbox";
import { testSandbox } from "@/test/support/sandbox-control";
import { testDatabaseUrl } from "@/test/support/test-env";
import { type DatabaseHandle, openDatabase } from "./client";
import { auditEvents } from "./schema";
import { runtimeRoleGrants } from "./runtime-grants";

/**
 * The review's H3 attacks on PostgreSQL with the roles docs/deploy.md sets up: an owner that runs the migrations and
 * a console role with the rights of runtimeRoleGrants(). As the console's role every rewrite is refused; as the owner
 * it is possible, and the external anchor shows it.
 */
const adminUrl = testDatabaseUrl();

/** PostgreSQL's own message for a statement that must fail (drizzle wraps it as the cause of "Failed query"). */
async function refusal(statement: Promise<unknown>): Promise<string> {
  try {
    await statement;
  } catch (error) {
    const cause = (error as { cause?: unknown }).cause;
    return cause instanceof Error ? cause.message : String(error);
  }
  throw new Error("the statement was not refused");
}

// A tenant of this file's own: its ingestion endpoint's records are what the verifier reads, and other files (the
// scheduler's instances, the other anchoring tests) ship and clear the shared sandbox's records in parallel.
const tenant: PrivateSandbox = await startPrivateSandbox();
afterAll(() => tenant.close());

describe.skipIf(!adminUrl)("the console's PostgreSQL role", () => {
  const suffix = `${process.pid}_${randomBytes(4).toString("hex")}`;
  const names = { database: `gatehouse_roles_${suffix}`, owner: `gatehouse_owner_${suffix}`, runtime: `gatehouse_app_${suffix}` };
  const urlFor = (user: string) => {
    const url = new URL(adminUrl ?? "");
    url.username = user;
    url.password = "";
    url.pathname = `/${names.database}`;
    return url.toString();
  };
  let handle: DatabaseHandle;
  let owner: pg.Client;

  const admin = async (statements: string[]) => {
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    try {
      for (const statement of statements) await client.query(statement);
    } finally {
      await client.end();
    }
  };

  beforeAll(async () => {
    await admin([
      `create role ${names.owner} login`,
      `create role ${names.runtime} login`,
      `create database ${names.database} owner ${names.owner}`,
      // PostgreSQL 15+ gives PUBLIC no CREATE on the public schema; say so for older servers too.
      `revoke all on database ${names.database} from public`,
      `grant connect on database ${names.database} to ${names.runtime}`,
    ]);
    handle = await openDatabase({ kind: "postgres", url: urlFor(names.runtime), poolSize: 4, migrationUrl: urlFor(names.owner) });
    owner = new pg.Client({ connectionString: urlFor(names.owner) });
    await owner.connect();
    await owner.query("revoke create on schema public from public");
    for (const statement of runtimeRoleGrants(names.runtime)) await owner.query(statement);
    await testSandbox().ingestedLogs.clear();
  });

  afterAll(async () => {
    await handle?.close();
    await owner?.end();
    await admin([`drop database if exists ${names.database} with (force)`, `drop role if exists ${names.runtime}`, `drop role if exists ${names.owner}`]);
  });

  it("is not the owner and no superuser, and appends, ships and verifies through the owner's functions", async () => {
    const role = await handle.db.execute(
      sql`select current_user as name, rolsuper as superuser, (select tableowner from pg_tables where tablename = 'audit_events') as owner from pg_roles where rolname = current_user`,
    );
    expect((role as { rows: unknown[] }).rows).toEqual([{ name: names.runtime, superuser: false, owner: names.owner }]);
    for (let index = 0; index < 6; index += 1) await recordAuditEventNow(handle.db, makeMappingCreatedEvent({ actor: makeUserActor() }));
    expect(await verifyAuditChain(handle.db)).toEqual({ ok: true, checkedEvents: 6, lastEventId: 6 });
  });

  it("cannot switch the append-only trigger off, edit, delete, truncate, insert or move the head", async () => {
    const refused = /must be owner|permission denied/;
    expect(await refusal(handle.db.execute(sql`alter table audit_events disable trigger audit_events_append_only`))).toMatch(refused);
    expect(await refusal(handle.db.execute(sql`alter table audit_events disable trigger all`))).toMatch(refused);
    expect(await refusal(handle.db.execute(sql`update audit_events set reason = 'edited' where id = 2`))).toMatch(refused);
    expect(await refusal(handle.db.execute(sql`delete from audit_events where id > 4`))).toMatch(refused);
    expect(await refusal(handle.db.execute(sql`truncate audit_events`))).toMatch(refused);
    expect(await refusal(handle.db.execute(sql`update audit_chain_head set last_event_id = 4 where id = 1`))).toMatch(refused);
    expect(await refusal(handle.db.execute(sql`drop function audit_append(jsonb)`))).toMatch(refused);
    expect(
      await refusal(
        handle.db.execute(sql`insert into audit_events (id, occurred_at, actor_kind, action, outcome, details, prev_hash, hash)
        values (7, now(), 'system', 'mapping.created', 'succeeded', '{}', ${"0".repeat(64)}, ${"0".repeat(64)})`),
      ),
    ).toMatch(refused);
    expect(await verifyAuditChain(handle.db)).toEqual({ ok: true, checkedEvents: 6, lastEventId: 6 });
  });

  it("cannot archive (remove) events: audit_archive_through() needs the owner's DELETE, and the archive setting opens nothing", async () => {
    const refused = /must be owner|permission denied/;
    expect(await refusal(handle.db.execute(sql`select audit_archive_through(3, ${"a".repeat(64)})`))).toMatch(refused);
    expect(
      await refusal(
        handle.db.transaction(async (tx) => {
          await tx.execute(sql`select set_config('gatehouse.audit_archive', 'on', true)`);
          await tx.execute(sql`delete from audit_events where id <= 3`);
        }),
      ),
    ).toMatch(refused);
    expect(
      await refusal(
        handle.db.execute(
          sql`insert into audit_archives (first_event_id, last_event_id, last_hash, event_count, file_sha256, archived_by) values (1, 3, ${"0".repeat(64)}, 3, ${"0".repeat(64)}, 'me')`,
        ),
      ),
    ).toMatch(refused);
    expect(await verifyAuditChain(handle.db)).toEqual({ ok: true, checkedEvents: 6, lastEventId: 6 });
  });

  it("can only extend the chain through audit_append(): a replaced event or a forked link is refused", async () => {
    const [third] = await handle.db
      .select()
      .from(auditEvents)
      .where(sql`${auditEvents.id} = 3`);
    const replacement = [
      { ...third, id: 3, reason: "rewritten", occurred_at: third?.occurredAt.toISOString(), prev_hash: third?.prevHash, hash: "a".repeat(64) },
    ];
    expect(await refusal(handle.db.execute(sql`select audit_append(${JSON.stringify(replacement)}::jsonb)`))).toMatch(/does not follow the chain head/);
    const forked = [
      {
        id: 7,
        occurred_at: new Date().toISOString(),
        actor_kind: "system",
        action: "mapping.created",
        outcome: "succeeded",
        details: {},
        prev_hash: "b".repeat(64),
        hash: "c".repeat(64),
      },
    ];
    expect(await refusal(handle.db.execute(sql`select audit_append(${JSON.stringify(forked)}::jsonb)`))).toMatch(/does not link to the chain head/);
    expect(await verifyAuditChain(handle.db)).toEqual({ ok: true, checkedEvents: 6, lastEventId: 6 });
  });

  it("starts without the owner's connection once the owner has migrated, and never changes the schema itself", async () => {
    const again = await openDatabase({ kind: "postgres", url: urlFor(names.runtime), poolSize: 1 });
    expect(await verifyAuditChain(again.db)).toMatchObject({ ok: true });
    await again.close();
    // A migration the owner has not applied yet: the console's role stops with the remedy instead of trying it.
    await owner.query(
      'update drizzle."__drizzle_migrations" set created_at = 0 where created_at = (select max(created_at) from drizzle."__drizzle_migrations")',
    );
    await expect(openDatabase({ kind: "postgres", url: urlFor(names.runtime), poolSize: 1 })).rejects.toThrow(
      /may not change the schema .* has not been applied: run npm run db:migrate as the owner, or set DATABASE_MIGRATION_URL/,
    );
  });

  it("as the owner the rewrite is still possible, and the checkpoints shipped by the console's role show it", async () => {
    const keys = generateKeyPairSync("ed25519");
    const sink = getConfig().audit.sink;
    if (!sink) throw new Error("sandbox mode ships to the sandbox's ingestion endpoint");
    await shipAuditTrail(handle.db, logsIngestionSink(sink), checkpointSigner(keys.privateKey), { checkpointEveryEvents: 100, checkpointIntervalMs: 60_000 });

    // The owner re-hashes events 2..6 after editing event 2 and moves the head: the review's A1.
    await owner.query("alter table audit_events disable trigger audit_events_append_only");
    const rows = await handle.db.select().from(auditEvents).orderBy(auditEvents.id);
    let previousHash = rows[0]?.hash ?? "";
    for (const row of rows.slice(1)) {
      const reason = row.id === 2 ? "nothing to see" : row.reason;
      const hash = hashAuditEvent(previousHash, { ...row, reason });
      await owner.query("update audit_events set reason = $1, prev_hash = $2, hash = $3 where id = $4", [reason, previousHash, hash, row.id]);
      previousHash = hash;
    }
    await owner.query("update audit_chain_head set last_hash = $1 where id = 1", [previousHash]);
    await owner.query("alter table audit_events enable trigger audit_events_append_only");

    expect(await verifyAuditChain(handle.db)).toEqual({ ok: true, checkedEvents: 6, lastEventId: 6 });
    const anchors = await readSandboxAnchors(getConfig().sandboxOrigin ?? "", sink);
    const verification = await verifyAuditChainAgainstAnchors(handle.db, anchors, keys.publicKey);
    expect(verification.findings.map((finding) => [finding.problem, finding.eventId])).toEqual([["rechained", 2]]);
  });
});
