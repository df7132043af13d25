/**
 * Upgrading a database from before ownership was recorded (migration 0007): the access Gatehouse held gets its
 * holders from the history it has — grant and revoke intents, mappings, granted requests — so that no later expiry
 * or mapping deletion removes access whose owners it does not know. Where the history is ambiguous, a holder is added.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { PGlite } from "@electric-sql/pglite";
import { sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/pglite";
import { migrate } from "drizzle-orm/pglite/migrator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { makeUserActor } from "@/test/support/builders/audit";
import { MIGRATIONS_FOLDER } from "@/lib/db/client";
import * as schema from "@/lib/db/schema";

const SCOPE = "/subscriptions/00000000-0000-4000-8000-000000000001/resourceGroups/rg-ml/providers/Microsoft.MachineLearningServices/workspaces/mlw-upgrade";
const READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7";
const DS = "f6c7c914-8db3-469d-8ca1-694a8f32e121";
const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;
const directUser = id(101);
const mappedGroup = id(102);
const requestUser = id(103);
const bothUser = id(104);
const revokedUser = id(105);
const importedGroup = id(106);
const admin = makeUserActor();

/** The migrations folder as it was before ownership: 0000–0006 and a journal that ends there. */
function legacyMigrations(into: string): string {
  const folder = path.join(into, "migrations");
  mkdirSync(path.join(folder, "meta"), { recursive: true });
  const journal = JSON.parse(readFileSync(path.join(MIGRATIONS_FOLDER, "meta", "_journal.json"), "utf8")) as { entries: { idx: number; tag: string }[] };
  journal.entries = journal.entries.filter((entry) => entry.idx <= 6);
  writeFileSync(path.join(folder, "meta", "_journal.json"), JSON.stringify(journal));
  for (const file of readdirSync(MIGRATIONS_FOLDER)) {
    if (journal.entries.some((entry) => file === `${entry.tag}.sql`)) copyFileSync(path.join(MIGRATIONS_FOLDER, file), path.join(folder, file));
  }
  return folder;
}

describe("migration 0007 backfills holders for access held before ownership", () => {
  const workDir = mkdtempSync(path.join(tmpdir(), "gatehouse-backfill-"));
  let client: PGlite;
  let db: ReturnType<typeof drizzle<typeof schema>>;
  beforeAll(async () => {
    client = await PGlite.create();
    db = drizzle(client, { schema });
    await migrate(db, { migrationsFolder: legacyMigrations(workDir) });

    let nextIntent = 0;
    const intent = async (
      kind: "grant" | "revoke",
      principalId: string,
      role: string,
      at: string,
      options: { requestId?: string; reason?: string; type?: string } = {},
    ) => {
      nextIntent++;
      const result = (await db.execute(sql`
        insert into azure_change_intents (kind, scope, principal_id, principal_type, role_definition_id, role_name, assignment_name, requested_by, request_id, state, created_at, updated_at)
        values (${kind}, ${SCOPE}, ${principalId}, ${options.type ?? "User"}, ${role}, 'Role', ${id(900 + (kind === "grant" ? 0 : 50) + nextIntent)}, ${JSON.stringify(admin)}::jsonb, ${options.requestId ?? null}, 'succeeded', ${at}, ${at})
        returning id`)) as unknown as { rows: { id: number }[] };
      const intentId = Number(result.rows[0]!.id);
      if (kind === "grant") {
        // Written as the console wrote events before audit_append() existed (a plain insert that moves the head); the
        // chain's hashes are not what this test is about.
        await db.execute(sql`
          with head as (select last_event_id + 1 as next_id, last_hash from audit_chain_head where id = 1 for update),
          appended as (
            insert into audit_events (id, occurred_at, actor_kind, actor_object_id, action, target_scope, target_principal_id, target_principal_type, target_role_definition_id, outcome, reason, details, prev_hash, hash)
            select next_id, ${at}::timestamptz, 'user', ${admin.kind === "user" ? admin.objectId : null}, 'role_assignment.grant_requested', ${SCOPE}, ${principalId},
              ${options.type === "Group" ? "Group" : "User"}, ${role}, 'succeeded', ${options.reason ?? null},
              ${JSON.stringify({ intentId, assignmentName: id(900 + nextIntent) })}::jsonb, last_hash, md5(next_id::text || last_hash)
            from head returning id, hash)
          update audit_chain_head set last_event_id = appended.id, last_hash = appended.hash from appended where audit_chain_head.id = 1`);
      }
    };
    const mapping = (mappingId: string, groupId: string, assignmentName: string) =>
      db.execute(sql`
        insert into group_mappings (id, scope, scope_key, group_id, group_display_name, role_definition_id, role_name, assignment_name, created_by, created_at)
        values (${mappingId}, ${SCOPE}, ${SCOPE.toLowerCase()}, ${groupId}, 'A group', ${READER}, 'Reader', ${assignmentName}, ${JSON.stringify(admin)}::jsonb, now())`);
    const request = (requestId: string, principalId: string, role: string) =>
      db.execute(sql`
        insert into access_requests (id, workspace_id, workspace_key, workspace_name, role_definition_id, role_name, principal_id, principal_kind, principal_display_name,
          requester_object_id, requester_tenant_id, requester_name, requester_upn, justification, duration_minutes, status, approvals_required, created_at, pending_until, granted_at, expires_at, updated_at)
        values (${requestId}, ${SCOPE}, ${SCOPE.toLowerCase()}, 'mlw-upgrade', ${role}, 'Role', ${principalId}, 'user', 'Someone', ${id(700)}, ${id(701)}, 'Lead', 'lead@contoso.test',
          'Needs it for a week', 480, 'granted', 1, now(), now(), now(), '2030-01-01T00:00:00Z', now())`);

    await intent("grant", directUser, READER, "2026-01-01T00:00:00Z", { reason: "Needs it" });
    await intent("grant", mappedGroup, READER, "2026-01-02T00:00:00Z", { reason: "Managed by a Gatehouse group mapping", type: "Group" });
    await mapping(id(801), mappedGroup, id(999));
    await request(id(601), requestUser, DS);
    await intent("grant", requestUser, DS, "2026-01-03T00:00:00Z", { requestId: id(601), reason: `Gatehouse request ${id(601)}` });
    // The defect this issue fixes: a permanent grant, then a request for the same access.
    await intent("grant", bothUser, READER, "2026-01-04T00:00:00Z");
    await request(id(602), bothUser, READER);
    await intent("grant", bothUser, READER, "2026-01-05T00:00:00Z", { requestId: id(602) });
    await intent("grant", revokedUser, READER, "2026-01-06T00:00:00Z");
    await intent("revoke", revokedUser, READER, "2026-01-07T00:00:00Z");
    // Imported from an assignment made in the portal: no grant by Gatehouse at all.
    await mapping(id(802), importedGroup, id(998));

    await migrate(db, { migrationsFolder: MIGRATIONS_FOLDER });
  });
  afterAll(async () => {
    await client.close();
    rmSync(workDir, { recursive: true, force: true });
  });

  async function held(principalId: string) {
    const rows = (await db.execute(sql`
      select h.created_by_gatehouse, h.assignment_name, coalesce(json_agg(json_build_object('kind', x.kind, 'requestId', x.request_id, 'mappingId', x.mapping_id) order by x.kind) filter (where x.id is not null), '[]') as holders
      from held_assignments h left join assignment_holders x on x.assignment_id = h.id and x.status = 'active'
      where h.principal_id = ${principalId} group by h.id`)) as unknown as {
      rows: { created_by_gatehouse: boolean; assignment_name: string; holders: { kind: string; requestId: string | null; mappingId: string | null }[] }[];
    };
    return rows.rows;
  }

  it("a direct grant gets a direct holder; a mapping's grant only its mapping", async () => {
    expect(await held(directUser)).toEqual([
      { created_by_gatehouse: true, assignment_name: expect.any(String) as string, holders: [{ kind: "direct", requestId: null, mappingId: null }] },
    ]);
    expect((await held(mappedGroup))[0]?.holders).toEqual([{ kind: "mapping", requestId: null, mappingId: id(801) }]);
  });

  it("a granted request gets its holder with its end; with a permanent grant before it, both are kept", async () => {
    expect((await held(requestUser))[0]?.holders).toEqual([{ kind: "request", requestId: id(601), mappingId: null }]);
    expect((await held(bothUser))[0]?.holders).toEqual([
      { kind: "direct", requestId: null, mappingId: null },
      { kind: "request", requestId: id(602), mappingId: null },
    ]);
    const [expiry] = (
      (await db.execute(sql`select expires_at from assignment_holders where request_id = ${id(601)}`)) as unknown as { rows: { expires_at: Date | string }[] }
    ).rows;
    expect(new Date(expiry!.expires_at).toISOString()).toBe("2030-01-01T00:00:00.000Z");
  });

  it("revoked access gets nothing; access found in place is held but never counted as Gatehouse's", async () => {
    expect(await held(revokedUser)).toEqual([]);
    expect(await held(importedGroup)).toEqual([
      { created_by_gatehouse: false, assignment_name: id(998), holders: [{ kind: "mapping", requestId: null, mappingId: id(802) }] },
    ]);
  });
});
