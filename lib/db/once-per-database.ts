import "server-only";

import type { Database } from "./client";

/**
 * `build(db)` made once per database and reused after: for statements a hot path runs on every request (drizzle's
 * `prepare`), where building the SQL again costs more than running it. Weakly keyed, so a database a test closes
 * takes its statements with it.
 */
export function oncePerDatabase<T>(build: (db: Database) => T): (db: Database) => T {
  const built = new WeakMap<Database, T>();
  return (db) => {
    let value = built.get(db);
    if (value === undefined) {
      value = build(db);
      built.set(db, value);
    }
    return value;
  };
}
