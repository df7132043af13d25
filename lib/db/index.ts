import "server-only";

import { getConfig } from "@/lib/config";
import { type Database, type DatabaseHandle, openDatabase } from "./client";

export type { Database, DatabaseTransaction } from "./client";

// Kept on globalThis so Next's dev-mode module reloads reuse one connection instead of leaking PGlite instances.
const globalForDb = globalThis as typeof globalThis & { gatehouseDb?: Promise<DatabaseHandle> };

/**
 * The console's database, opened (and migrated) on first use rather than at import: `next build` imports server
 * modules while collecting page data, and must not create a database file then.
 */
export async function getDatabase(): Promise<Database> {
  globalForDb.gatehouseDb ??= openDatabase(getConfig().database).catch((error: unknown) => {
    globalForDb.gatehouseDb = undefined;
    throw error;
  });
  return (await globalForDb.gatehouseDb).db;
}

/**
 * Resolves on the event loop's next turn, once the upstream calls started in this one have been written to their
 * sockets. PGlite runs a query on this thread, inside the promise jobs that start it, and Node writes an HTTP request
 * from a `process.nextTick` callback, which runs only after the pending promise jobs: a page that starts its Graph and
 * ARM calls beside its database reads would otherwise send those calls only once the reads are done. A read that
 * awaits this first runs while the calls are out instead.
 */
export function afterUpstreamCallsLeave(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
