import "server-only";

import { and, desc, eq, inArray, lt, notInArray, or, sql } from "drizzle-orm";

import { BUCKETS, type Bucket, type CredentialRow, type IdentityDetails, type SnapshotSummary, type Windows } from "@/lib/shared/credentials";
import type { Database, DatabaseTransaction } from "@/lib/db";
import { oncePerDatabase } from "@/lib/db/once-per-database";
import type { BuiltSnapshot, SnapshotPart } from "./build-rows";
import { applyView, type CredentialView, filtersRowText, sortInView, sortRank, type ViewOrderKeys } from "./view";
import { credentialSnapshotIdentities, credentialSnapshotItems, credentialSnapshots } from "./schema";

/** Snapshots whose rows are kept; older ones keep only their counts (for trends). */
export const SNAPSHOTS_WITH_ROWS = 10;
/** Rows per insert statement (each chunk is one JSON parameter). */
const INSERT_CHUNK = 2000;
const STALE_RUN_MS = 60 * 60_000;

type SnapshotRecord = typeof credentialSnapshots.$inferSelect;

function toSummary(record: SnapshotRecord): SnapshotSummary {
  const counts = Object.fromEntries(BUCKETS.map((bucket) => [bucket, record.counts[bucket] ?? 0])) as Record<Bucket, number>;
  return {
    id: record.id,
    status: record.status as SnapshotSummary["status"],
    trigger: record.trigger as SnapshotSummary["trigger"],
    startedAt: record.startedAt.toISOString(),
    finishedAt: record.finishedAt?.toISOString() ?? null,
    asOf: record.asOf.toISOString(),
    windows: record.windowsDays,
    counts,
    progress: record.progress,
    graphCalls: record.graphCalls,
    armCalls: record.armCalls,
    warnings: record.warnings,
    errorMessage: record.errorMessage,
  };
}

export async function createRunningSnapshot(
  db: Database,
  input: { trigger: "manual" | "scheduled"; requestedBy: string | null; now: Date; windows: Windows },
): Promise<number> {
  // A run still "running" after this long crashed with its instance; it is closed so it never shows as in progress,
  // and the rows it stored on its way are deleted.
  await db.transaction(async (tx) => {
    const crashed = await tx
      .update(credentialSnapshots)
      .set({ status: "failed", finishedAt: input.now, errorMessage: "The run stopped without finishing (its instance restarted)." })
      .where(and(eq(credentialSnapshots.status, "running"), lt(credentialSnapshots.startedAt, new Date(input.now.getTime() - STALE_RUN_MS))))
      .returning({ id: credentialSnapshots.id });
    if (crashed.length === 0) return;
    await deleteStoredRows(
      tx,
      crashed.map((run) => run.id),
    );
  });
  const [row] = await db
    .insert(credentialSnapshots)
    .values({
      status: "running",
      trigger: input.trigger,
      requestedBy: input.requestedBy,
      startedAt: input.now,
      asOf: input.now,
      windowsDays: [...input.windows] as [number, number, number],
      progress: { phase: "Starting", done: 0, total: 0 },
    })
    .returning({ id: credentialSnapshots.id });
  return row!.id;
}

export async function updateProgress(db: Database, id: number, progress: { phase: string; done: number; total: number }): Promise<void> {
  await db
    .update(credentialSnapshots)
    .set({ progress })
    .where(and(eq(credentialSnapshots.id, id), eq(credentialSnapshots.status, "running")));
}

/** Inserts rows and identities of a snapshot (in the caller's transaction). */
async function insertPart(tx: DatabaseTransaction, id: number, part: SnapshotPart): Promise<void> {
  // Thousands of rows go in as one JSON parameter per chunk, unpacked by the database, rather than seven bound
  // parameters a row that the ORM would build and the database parse one by one. `e` is the end date as the ORM
  // would have bound it (JavaScript's reading of Graph's timestamp).
  for (let start = 0; start < part.rows.length; start += INSERT_CHUNK) {
    const chunk = part.rows.slice(start, start + INSERT_CHUNK).map((row) => ({ r: row, e: row.endDateTime ? new Date(row.endDateTime).toISOString() : null }));
    await tx.execute(sql`
      insert into credential_snapshot_items (snapshot_id, row_id, identity_key, bucket, risk, end_date_time, row)
      select ${id}::bigint, x->'r'->>'id', x->'r'->>'identityKey', x->'r'->>'bucket', (x->'r'->>'risk')::integer, (x->>'e')::timestamptz, x->'r'
      from jsonb_array_elements(${JSON.stringify(chunk)}::jsonb) as x`);
  }
  for (let start = 0; start < part.identities.length; start += INSERT_CHUNK) {
    // Rows are stored once, in the items, and so are an identity's owners and roles, which each of its rows carries
    // (an identity has at least one row): the drawer reads all three from its rows. Stored here as well, they made
    // the identities' JSON 40 % larger and its insert take over twice as long (5,000 identities: ~250 ms, now ~95).
    const chunk = part.identities.slice(start, start + INSERT_CHUNK).map(({ rows: _rows, owners: _owners, roles: _roles, ...identity }) => identity);
    await tx.execute(sql`
      insert into credential_snapshot_identities (snapshot_id, identity_key, details)
      select ${id}::bigint, x->>'identityKey', x from jsonb_array_elements(${JSON.stringify(chunk)}::jsonb) as x`);
  }
}

/**
 * Stores part of a running snapshot's rows while its run goes on, so that little is left to store when the last
 * answer arrives. Nothing reads a snapshot's rows before it is complete; a run that fails deletes them
 * (`failSnapshot`).
 */
export async function storeSnapshotPart(db: Database, id: number, part: SnapshotPart): Promise<void> {
  if (part.rows.length === 0 && part.identities.length === 0) return;
  await db.transaction((tx) => insertPart(tx, id, part));
}

/**
 * Stores the rest of the rows and completes the snapshot in one transaction (no upstream call inside it): `rest` holds
 * what `storeSnapshotPart` has not stored, `counts` are those of the whole snapshot.
 */
export async function completeSnapshot(
  db: Database,
  id: number,
  rest: SnapshotPart & Pick<BuiltSnapshot, "counts">,
  meta: { asOf: Date; finishedAt: Date; graphCalls: number; armCalls: number; warnings: readonly string[] },
): Promise<void> {
  await db.transaction(async (tx) => {
    await insertPart(tx, id, rest);
    const total = BUCKETS.reduce((sum, bucket) => sum + rest.counts[bucket], 0);
    await tx
      .update(credentialSnapshots)
      .set({
        status: "complete",
        asOf: meta.asOf,
        finishedAt: meta.finishedAt,
        counts: rest.counts,
        graphCalls: meta.graphCalls,
        armCalls: meta.armCalls,
        warnings: [...meta.warnings],
        progress: { phase: "Complete", done: total, total },
      })
      .where(eq(credentialSnapshots.id, id));
  });
}

/** The rows and identities of snapshots that never completed (their runs failed or crashed on the way). */
async function deleteStoredRows(tx: DatabaseTransaction, snapshotIds: number[]): Promise<void> {
  await tx.delete(credentialSnapshotItems).where(inArray(credentialSnapshotItems.snapshotId, snapshotIds));
  await tx.delete(credentialSnapshotIdentities).where(inArray(credentialSnapshotIdentities.snapshotId, snapshotIds));
}

/** Marks the run failed and deletes any rows it stored on its way (with the mark, in one transaction). */
export async function failSnapshot(db: Database, id: number, message: string, now: Date): Promise<void> {
  await db.transaction(async (tx) => {
    await deleteStoredRows(tx, [id]);
    await tx
      .update(credentialSnapshots)
      .set({ status: "failed", finishedAt: now, errorMessage: message.slice(0, 2000) })
      .where(eq(credentialSnapshots.id, id));
  });
}

/** Keeps rows for the newest snapshots only; older snapshots keep their counts for the trend. */
export async function pruneSnapshotRows(db: Database): Promise<void> {
  const keep = await db
    .select({ id: credentialSnapshots.id })
    .from(credentialSnapshots)
    .where(eq(credentialSnapshots.status, "complete"))
    .orderBy(desc(credentialSnapshots.id))
    .limit(SNAPSHOTS_WITH_ROWS);
  if (keep.length < SNAPSHOTS_WITH_ROWS) return;
  const ids = keep.map((row) => row.id);
  const oldest = Math.min(...ids);
  await db.delete(credentialSnapshotItems).where(and(lt(credentialSnapshotItems.snapshotId, oldest), notInArray(credentialSnapshotItems.snapshotId, ids)));
  await db
    .delete(credentialSnapshotIdentities)
    .where(and(lt(credentialSnapshotIdentities.snapshotId, oldest), notInArray(credentialSnapshotIdentities.snapshotId, ids)));
}

export async function latestCompleteSnapshot(db: Database): Promise<SnapshotSummary | undefined> {
  const [record] = await db.select().from(credentialSnapshots).where(eq(credentialSnapshots.status, "complete")).orderBy(desc(credentialSnapshots.id)).limit(1);
  return record ? toSummary(record) : undefined;
}

export async function findSnapshot(db: Database, id: number): Promise<SnapshotSummary | undefined> {
  const [record] = await db.select().from(credentialSnapshots).where(eq(credentialSnapshots.id, id)).limit(1);
  return record ? toSummary(record) : undefined;
}

/** The newest snapshot still running (started after `since`), for "a refresh is in progress". */
export async function runningSnapshot(db: Database, since: Date): Promise<SnapshotSummary | undefined> {
  const [record] = await db
    .select()
    .from(credentialSnapshots)
    .where(and(eq(credentialSnapshots.status, "running"), sql`${credentialSnapshots.startedAt} >= ${since}`))
    .orderBy(desc(credentialSnapshots.id))
    .limit(1);
  return record ? toSummary(record) : undefined;
}

/** A run started within the last `withinMs` that has not finished yet. */
export function recentRunningSnapshot(db: Database, withinMs: number): Promise<SnapshotSummary | undefined> {
  return runningSnapshot(db, new Date(Date.now() - withinMs));
}

/** Counts per bucket of the newest complete snapshots, oldest first (the trend). */
export async function snapshotTrend(db: Database, limit = 30): Promise<SnapshotSummary[]> {
  const records = await db
    .select()
    .from(credentialSnapshots)
    .where(eq(credentialSnapshots.status, "complete"))
    .orderBy(desc(credentialSnapshots.id))
    .limit(limit);
  return records.reverse().map(toSummary);
}

export async function snapshotRows(db: Database, snapshotId: number): Promise<CredentialRow[]> {
  const records = await db
    .select({ row: credentialSnapshotItems.row })
    .from(credentialSnapshotItems)
    .where(eq(credentialSnapshotItems.snapshotId, snapshotId))
    .orderBy(desc(credentialSnapshotItems.risk), credentialSnapshotItems.endDateTime, credentialSnapshotItems.rowId);
  return records.map((record) => storedRow(record.row));
}

/**
 * A stored row as the dashboard shows it. Rows written before Gatehouse stopped keeping Graph's `hint` (the secret's
 * first characters) may still hold it until their snapshot is pruned: it never leaves the database.
 */
function storedRow(row: unknown): CredentialRow {
  const { hint: _hint, ...rest } = row as CredentialRow & { hint?: unknown };
  return rest;
}

export async function identityDetails(db: Database, snapshotId: number, identityKey: string): Promise<IdentityDetails | undefined> {
  const [record] = await db
    .select({ details: credentialSnapshotIdentities.details })
    .from(credentialSnapshotIdentities)
    .where(and(eq(credentialSnapshotIdentities.snapshotId, snapshotId), eq(credentialSnapshotIdentities.identityKey, identityKey)))
    .limit(1);
  if (!record) return undefined;
  const rows = (
    await db
      .select({ row: credentialSnapshotItems.row })
      .from(credentialSnapshotItems)
      .where(and(eq(credentialSnapshotItems.snapshotId, snapshotId), inArray(credentialSnapshotItems.identityKey, [identityKey])))
      .orderBy(credentialSnapshotItems.endDateTime)
  ).map((row) => storedRow(row.row));
  // Owners and roles are the identity's own on every one of its rows; snapshots stored before they were left out of
  // the details still carry them there.
  const details = record.details as Omit<IdentityDetails, "rows" | "owners" | "roles"> & Partial<Pick<IdentityDetails, "owners" | "roles">>;
  return { ...details, owners: details.owners ?? rows[0]?.owners ?? [], roles: details.roles ?? rows[0]?.roles ?? [], rows };
}

export interface CredentialViewPage {
  /** Rows in the view (all pages). */
  readonly total: number;
  /** The page's rows, in the view's order. */
  readonly rows: CredentialRow[];
}

/**
 * One page of the dashboard's view. The bucket and object-type filters are decided by the database; the order is
 * decided on the few fields it reads (names compared as the export compares them), so only the page's rows are read
 * whole. A view that filters on text inside the rows (owners, roles, names) reads the rows it may match and filters
 * them as the export does.
 */
export async function readViewPage(
  db: Database,
  snapshotId: number,
  view: CredentialView,
  page: { offset: number; limit: number },
): Promise<CredentialViewPage> {
  const where = and(
    eq(credentialSnapshotItems.snapshotId, snapshotId),
    view.bucket ? eq(credentialSnapshotItems.bucket, view.bucket) : undefined,
    view.type ? sql`${credentialSnapshotItems.row}->>'objectType' = ${view.type}` : undefined,
  );
  if (filtersRowText(view)) {
    const records = await db.select({ row: credentialSnapshotItems.row }).from(credentialSnapshotItems).where(where);
    const rows = applyView(
      records.map((record) => storedRow(record.row)),
      view,
    );
    return { total: rows.length, rows: rows.slice(page.offset, page.offset + page.limit) };
  }
  // Under the sort by risk or by bucket, rows come in ranks the database can count without reading a row's document:
  // only the ranks the page falls in are read and ordered by name.
  let total: number | undefined;
  let skipped = 0;
  let ranked = where;
  const rankOf = sortRank(view);
  if (rankOf) {
    const groups = await db
      .select({ risk: credentialSnapshotItems.risk, bucket: credentialSnapshotItems.bucket, count: sql<number>`count(*)::int` })
      .from(credentialSnapshotItems)
      .where(where)
      .groupBy(credentialSnapshotItems.risk, credentialSnapshotItems.bucket);
    const ranks = new Map<number, { count: number; groups: { risk: number; bucket: string }[] }>();
    for (const group of groups) {
      const rank = ranks.get(rankOf(group)) ?? { count: 0, groups: [] };
      rank.count += group.count;
      rank.groups.push(group);
      ranks.set(rankOf(group), rank);
    }
    total = groups.reduce((sum, group) => sum + group.count, 0);
    const onPage: { risk: number; bucket: string }[] = [];
    let before = 0;
    for (const [, rank] of [...ranks].sort((a, b) => a[0] - b[0])) {
      if (before + rank.count > page.offset && before < page.offset + page.limit) {
        if (onPage.length === 0) skipped = before;
        onPage.push(...rank.groups);
      }
      before += rank.count;
    }
    if (onPage.length === 0) return { total, rows: [] };
    ranked = and(where, or(...onPage.map((group) => and(eq(credentialSnapshotItems.risk, group.risk), eq(credentialSnapshotItems.bucket, group.bucket)))));
  }
  const keys: ViewOrderKeys[] = await db
    .select({
      id: credentialSnapshotItems.rowId,
      identityName: sql<string>`${credentialSnapshotItems.row}->>'identityName'`,
      risk: credentialSnapshotItems.risk,
      endDateTime: sql<string | null>`${credentialSnapshotItems.row}->>'endDateTime'`,
      bucket: sql<CredentialRow["bucket"]>`${credentialSnapshotItems.bucket}`,
    })
    .from(credentialSnapshotItems)
    .where(ranked);
  const ids = sortInView(keys, view)
    .slice(page.offset - skipped, page.offset - skipped + page.limit)
    .map((key) => key.id);
  total ??= keys.length;
  if (ids.length === 0) return { total, rows: [] };
  const records = await db
    .select({ row: credentialSnapshotItems.row })
    .from(credentialSnapshotItems)
    .where(and(eq(credentialSnapshotItems.snapshotId, snapshotId), inArray(credentialSnapshotItems.rowId, ids)));
  const byId = new Map(records.map((record) => storedRow(record.row)).map((row) => [row.id, row]));
  return { total, rows: ids.flatMap((id) => byId.get(id) ?? []) };
}

/** Weeks the expiry chart shows (26: at least the next 180 days). */
export const EXPIRY_WEEKS = 26;

/**
 * What is derived from all of a complete snapshot's rows (the chart's weeks, the filter's choices), worked out once per
 * snapshot in this process: a complete snapshot's rows never change, and every view of the dashboard otherwise read
 * every row's document again for them (~20 ms of a 100 ms page at 6,000 rows). Per database handle, so another
 * database never sees these; a few snapshots each, the newest kept.
 */
const derivedPerSnapshot = oncePerDatabase((): Map<string, Promise<unknown>> => new Map());
const DERIVED_SNAPSHOT_ENTRIES = 8;

function oncePerSnapshot<T>(db: Database, key: string, derive: () => Promise<T>): Promise<T> {
  const entries = derivedPerSnapshot(db);
  const known = entries.get(key) as Promise<T> | undefined;
  if (known) return known;
  const derived = derive();
  entries.set(key, derived);
  while (entries.size > DERIVED_SNAPSHOT_ENTRIES) entries.delete(entries.keys().next().value!);
  // A failed read is not remembered: the next view asks the database again.
  derived.catch(() => entries.delete(key));
  return derived;
}

/**
 * Credentials expiring in each week after `asOf` over the next 180 days (secretless rows have no expiry), counted by
 * the database: `EXPIRY_WEEKS` numbers, the first for the week starting at `asOf`.
 */
export function expiryPerWeek(db: Database, snapshotId: number, asOf: string): Promise<readonly number[]> {
  return oncePerSnapshot(db, `expiry ${snapshotId} ${asOf}`, () => countExpiryPerWeek(db, snapshotId, asOf));
}

async function countExpiryPerWeek(db: Database, snapshotId: number, asOf: string): Promise<number[]> {
  const start = new Date(asOf);
  const end = new Date(start.getTime() + 180 * 86_400_000);
  const records = await db
    .select({
      week: sql<number>`floor(extract(epoch from (${credentialSnapshotItems.endDateTime} - ${start.toISOString()}::timestamptz)) / 604800)::int`,
      count: sql<number>`count(*)::int`,
    })
    .from(credentialSnapshotItems)
    .where(
      and(
        eq(credentialSnapshotItems.snapshotId, snapshotId),
        sql`${credentialSnapshotItems.bucket} <> 'secretless'`,
        sql`${credentialSnapshotItems.endDateTime} > ${start.toISOString()}::timestamptz`,
        sql`${credentialSnapshotItems.endDateTime} <= ${end.toISOString()}::timestamptz`,
      ),
    )
    .groupBy(sql`1`);
  const weeks = Array.from({ length: EXPIRY_WEEKS }, () => 0);
  for (const record of records) if (record.week >= 0 && record.week < EXPIRY_WEEKS) weeks[record.week] = record.count;
  return weeks;
}

/** The workspaces and role names any row of the snapshot holds, sorted: the filter form's choices. */
export function viewChoices(db: Database, snapshotId: number): Promise<{ readonly workspaces: readonly string[]; readonly roles: readonly string[] }> {
  return oncePerSnapshot(db, `choices ${snapshotId}`, () => readViewChoices(db, snapshotId));
}

async function readViewChoices(db: Database, snapshotId: number): Promise<{ workspaces: string[]; roles: string[] }> {
  const result = (await db.execute(sql`
    select distinct role->>'workspace' as workspace, role->>'roleName' as role_name
    from ${credentialSnapshotItems}, jsonb_array_elements(${credentialSnapshotItems.row}->'roles') as role
    where ${credentialSnapshotItems.snapshotId} = ${snapshotId}`)) as { rows: { workspace: string | null; role_name: string | null }[] };
  const workspaces = new Set<string>();
  const roles = new Set<string>();
  for (const record of result.rows) {
    if (record.workspace !== null) workspaces.add(record.workspace);
    if (record.role_name !== null) roles.add(record.role_name);
  }
  return { workspaces: [...workspaces].sort(), roles: [...roles].sort() };
}
