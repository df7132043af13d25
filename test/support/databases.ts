/**
 * Storage tests run on every engine Gatehouse supports: in-memory PGlite always, and a real PostgreSQL server when
 * TEST_DATABASE_URL is set (CI points it at the server on 127.0.0.1:5432). Each PostgreSQL handle gets a database of
 * its own, dropped afterwards, so parallel runs and test files never see each other's rows.
 */
import { randomBytes } from "node:crypto";

import pg from "pg";

import { type DatabaseHandle, openDatabase } from "@/lib/db/client";
import { testDatabaseUrl } from "./test-env";

export interface StorageEngine {
  readonly name: "pglite" | "postgres";
  open(): Promise<DatabaseHandle>;
}

/** A PostgreSQL handle that can open more clients on its own database: several console instances sharing one server. */
export interface SharedDatabaseHandle extends DatabaseHandle {
  /** Another console instance on the same database, optionally with the settings a console sets from its environment. */
  openAnotherInstance(settings?: { readonly poolSize?: number; readonly statementTimeoutSeconds?: number }): Promise<DatabaseHandle>;
  /** The database's URL (the server's admin role), for a second connection the test drives itself. */
  readonly url: string;
}

export interface SharedStorageEngine extends StorageEngine {
  open(): Promise<SharedDatabaseHandle>;
}

const pglite: StorageEngine = { name: "pglite", open: () => openDatabase({ kind: "pglite-memory" }) };

function postgres(adminUrl: string): SharedStorageEngine {
  return {
    name: "postgres",
    async open() {
      const name = `gatehouse_test_${process.pid}_${randomBytes(4).toString("hex")}`;
      const admin = new pg.Client({ connectionString: adminUrl });
      await admin.connect();
      try {
        await admin.query(`create database ${name}`);
      } finally {
        await admin.end();
      }
      const url = new URL(adminUrl);
      url.pathname = `/${name}`;
      const handle = await openDatabase({ kind: "postgres", url: url.toString(), poolSize: 25 });
      return {
        ...handle,
        url: url.toString(),
        openAnotherInstance: (settings = {}) => openDatabase({ kind: "postgres", url: url.toString(), poolSize: 5, ...settings }),
        async close() {
          await handle.close();
          const cleanup = new pg.Client({ connectionString: adminUrl });
          await cleanup.connect();
          try {
            await cleanup.query(`drop database if exists ${name} with (force)`);
          } finally {
            await cleanup.end();
          }
        },
      };
    },
  };
}

/** The engines to run storage tests on. */
export function storageEngines(): StorageEngine[] {
  const url = testDatabaseUrl();
  return url ? [pglite, postgres(url)] : [pglite];
}

/** A PostgreSQL server for tests that need real concurrency; undefined when none is configured. */
export function postgresEngine(): SharedStorageEngine | undefined {
  const url = testDatabaseUrl();
  return url ? postgres(url) : undefined;
}
