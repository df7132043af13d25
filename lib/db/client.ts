import "server-only";

import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readFile } from "node:fs/promises";
import path from "node:path";

import { ManagedIdentityCredential } from "@azure/identity";
import { PGlite } from "@electric-sql/pglite";
import { sql } from "drizzle-orm";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import { drizzle as drizzlePostgres } from "drizzle-orm/node-postgres";
import { migrate as migratePostgres } from "drizzle-orm/node-postgres/migrator";
import pg from "pg";
import { parse as parseConnectionString } from "pg-connection-string";

import type { GatehouseConfig } from "@/lib/config";
import { type AccessTokenSource, entraPassword } from "./entra-password";
import * as schema from "./schema";

export type Database = PgDatabase<PgQueryResultHKT, typeof schema>;

/** A drizzle transaction on the console's database (what `db.transaction(async (tx) => …)` passes). */
export type DatabaseTransaction = Parameters<Parameters<Database["transaction"]>[0]>[0];

export interface DatabaseHandle {
  readonly db: Database;
  readonly engine: "pglite" | "postgres";
  close(): Promise<void>;
}

/** Where a database lives: PGlite on disk or in memory, or a PostgreSQL server. */
export type DatabaseLocation = GatehouseConfig["database"] | { kind: "pglite-memory" };

// Resolved from the project root (where `next start`, the scripts and the tests run): bundlers rewrite
// `import.meta.url`, so a module-relative path would point into the build output.
export const MIGRATIONS_FOLDER = path.join(process.cwd(), "lib", "db", "migrations");

// Any constant works; it only has to be the same in every instance so concurrent start-ups migrate one at a time.
const MIGRATION_LOCK_KEY = 0x6761_7465;

/**
 * The pool's settings. With Entra authentication the URL is parsed here rather than handed to `pg` as a connection
 * string: `pg` lets a connection string's (empty) password override a password function.
 */
export function postgresPoolConfig(location: Extract<DatabaseLocation, { kind: "postgres" }>, tokenSource?: AccessTokenSource): pg.PoolConfig {
  // Sent in each connection's start-up message, so the server applies it to every statement of every pooled connection.
  const timeout = location.statementTimeoutSeconds ? { statement_timeout: location.statementTimeoutSeconds * 1000 } : {};
  if (!location.entra) return { connectionString: location.url, max: location.poolSize, ...timeout };
  const { password: _none, ...parsed } = parseConnectionString(location.url);
  const source = tokenSource ?? new ManagedIdentityCredential({ clientId: location.entra.managedIdentityClientId });
  return {
    ...(parsed as pg.PoolConfig),
    port: parsed.port ? Number(parsed.port) : undefined,
    max: location.poolSize,
    password: entraPassword(source, { scope: location.entra.scope }),
    ...timeout,
  };
}

/**
 * PGlite's defaults plus a smaller buffer pool. PostgreSQL's 128 MB `shared_buffers` does not fit PGlite's initial
 * 128 MB of WebAssembly memory, so the memory grows past it at start (memory WebAssembly never gives back); 32 MB fits,
 * and measured the console's database ~110 MB smaller when opened. 16 MB saves another 20-30 MB after start (the
 * console's resident set then near 250 MB) for a full audit export about 9 % slower on a million events; search,
 * server actions and pages measured the same (README "PGlite's memory"). Pages beyond the pool are read through the
 * operating system's file cache.
 */
const PGLITE_OPTIONS = { startParams: [...PGlite.defaultStartParams, "-c", "shared_buffers=16MB"] };

/**
 * Creates a PGlite database in a child process of its own. PGlite creates one by running initdb: a second PostgreSQL
 * instance, initdb's own instance and a copy of the first's memory, then a tar of the new data directory to copy it
 * across — about 630 MB of WebAssembly memory and buffers that V8 frees only at a late full collection, and of which
 * the allocator keeps about 150 MB even then. A child returns all of it when it exits, and the console then opens the
 * new database as it opens an existing one. The child resolves PGlite from the working directory, as the migrations
 * folder is (the standalone server runs from its own directory, which has PGlite in its `node_modules`).
 */
async function createPgliteDatabase(dataDir: string): Promise<void> {
  const script = [
    'import { PGlite } from "@electric-sql/pglite";',
    "const [dataDir, options] = JSON.parse(process.argv[1]);",
    "const client = await PGlite.create(dataDir, options);",
    "await client.close();",
  ].join("\n");
  await new Promise<void>((resolve, reject) => {
    execFile(
      process.execPath,
      ["--input-type=module", "-e", script, JSON.stringify([dataDir, PGLITE_OPTIONS])],
      { cwd: process.cwd(), maxBuffer: 16 * 1024 * 1024 },
      (error, _stdout, stderr) => {
        if (error) reject(new Error(`Creating the PGlite database in ${dataDir} failed: ${stderr.trim() || error.message}`, { cause: error }));
        else resolve();
      },
    );
  });
}

/** Opens a database and applies every pending migration before returning it. */
export async function openDatabase(location: DatabaseLocation, options: { tokenSource?: AccessTokenSource } = {}): Promise<DatabaseHandle> {
  if (location.kind === "postgres") {
    const pool = openPool(postgresPoolConfig(location, options.tokenSource));
    const db = drizzlePostgres(pool, { schema });
    // With role separation the console's own role may not change the schema: the owner's connection migrates.
    const migrationPool = location.migrationUrl
      ? openPool(postgresPoolConfig({ ...location, url: location.migrationUrl, poolSize: 1 }, options.tokenSource))
      : pool;
    try {
      const client = await migrationPool.connect();
      try {
        // The console's own role (no CREATE: docs/deploy.md) starts only once the owner has migrated.
        if (!location.migrationUrl && !(await mayChangeSchema(client))) {
          await requireMigrated(client);
          return { db, engine: "postgres", close: () => pool.end() };
        }
        // Waiting for another instance's migrations, or a migration rewriting a large table, may take longer than any
        // request should: no statement timeout on this session (RESET puts the connection's own back before pooling).
        await client.query("set statement_timeout = 0");
        await client.query("select pg_advisory_lock($1)", [MIGRATION_LOCK_KEY]);
        await migratePostgres(drizzlePostgres(client, { schema }), { migrationsFolder: MIGRATIONS_FOLDER });
      } finally {
        await client.query("select pg_advisory_unlock($1)", [MIGRATION_LOCK_KEY]).catch(() => undefined);
        await client.query("reset statement_timeout").catch(() => undefined);
        client.release();
      }
    } catch (error) {
      await pool.end().catch(() => undefined);
      if (!location.migrationUrl && isInsufficientPrivilege(error)) {
        throw new Error(
          "The role in DATABASE_URL may not change the schema (the console's own role, as docs/deploy.md sets it up): set DATABASE_MIGRATION_URL to the owner role that runs the migrations.",
          { cause: error },
        );
      }
      throw error;
    } finally {
      if (migrationPool !== pool) await migrationPool.end();
    }
    return { db, engine: "postgres", close: () => pool.end() };
  }

  let client: PGlite;
  if (location.kind === "pglite") {
    await mkdir(path.dirname(location.dataDir), { recursive: true });
    // PGlite's own test for an existing database (it runs initdb when the file is absent).
    if (!existsSync(path.join(location.dataDir, "PG_VERSION"))) await createPgliteDatabase(location.dataDir);
    client = await PGlite.create(location.dataDir, PGLITE_OPTIONS);
  } else {
    client = await PGlite.create(PGLITE_OPTIONS);
  }
  const db = drizzlePglite(client, { schema });
  await migratePglite(db, { migrationsFolder: MIGRATIONS_FOLDER });
  return { db, engine: "pglite", close: () => client.close() };
}

/**
 * A pool whose connections may be lost at any moment without taking the process down. An idle connection dropped by
 * the server (restart, failover) emits on the pool. A connection lost while checked out (ended by
 * `pg_terminate_backend`, a failover in the middle of a transaction) emits on the client itself, where pg-pool listens
 * only while the client is idle: without a listener of its own that `error` is uncaught and ends the process. Either
 * way the statement in flight fails, and the pool discards the connection when it is released (`_queryable` is false),
 * opening a new one on next use.
 */
function openPool(config: pg.PoolConfig): pg.Pool {
  const pool = new pg.Pool(config);
  pool.on("error", (error) => logDatabaseWarning("idle PostgreSQL connection closed", error));
  pool.on("connect", (client) => client.on("error", (error) => logDatabaseWarning("PostgreSQL connection lost", error)));
  return pool;
}

async function mayChangeSchema(client: pg.PoolClient): Promise<boolean> {
  const result = await client.query<{ allowed: boolean }>("select has_database_privilege(current_user, current_database(), 'CREATE') as allowed");
  return result.rows[0]?.allowed === true;
}

/** Throws unless the newest migration in the folder has been applied (by the owner: `npm run db:migrate`). */
async function requireMigrated(client: pg.PoolClient): Promise<void> {
  const journal = JSON.parse(await readFile(path.join(MIGRATIONS_FOLDER, "meta", "_journal.json"), "utf8")) as { entries: { when: number; tag: string }[] };
  const newest = journal.entries.at(-1);
  let applied: number | undefined;
  try {
    const result = await client.query<{ applied: string | null }>('select max(created_at) as applied from drizzle."__drizzle_migrations"');
    applied = result.rows[0]?.applied === null ? undefined : Number(result.rows[0]?.applied);
  } catch {
    applied = undefined;
  }
  if (newest && (applied === undefined || applied < newest.when)) {
    throw new Error(
      `The role in DATABASE_URL may not change the schema (the console's own role, as docs/deploy.md sets it up) and migration ${newest.tag} has not been applied: run npm run db:migrate as the owner, or set DATABASE_MIGRATION_URL to the owner role.`,
    );
  }
}

/** PostgreSQL's 42501, also when drizzle wraps it as the cause of "Failed query". */
function isInsufficientPrivilege(error: unknown): boolean {
  for (let current: unknown = error; current instanceof Error; current = current.cause) {
    if ((current as { code?: unknown }).code === "42501") return true;
  }
  return false;
}

function logDatabaseWarning(message: string, error: Error): void {
  console.warn(JSON.stringify({ level: "warn", source: "db", message, error: error.message }));
}

/** True when the database answers a trivial query. */
export async function pingDatabase(db: Database): Promise<boolean> {
  try {
    await db.execute(sql`select 1`);
    return true;
  } catch {
    return false;
  }
}
