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
 * Resolves on the event loop's next turn. PGlite runs a query on this thread, inside the promise jobs that start it, so
 * a chain of its statements never gives the loop back: Node writes an HTTP request from a `process.nextTick` callback
 * that runs only after the pending promise jobs, and takes a new request only between turns. A database read that
 * awaits this first lets the upstream calls started beside it go out (and run while they are out); a step after a
 * commit that awaits it lets requests waiting for that commit in (the page's status reads).
 */
export function nextEventLoopTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
