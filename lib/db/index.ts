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
