import "server-only";

/**
 * The rights of the console's own PostgreSQL role when migrations run as a separate owner role (docs/deploy.md): read
 * and write the feature tables, read the audit trail, and append to it only through `audit_lock_head()` and
 * `audit_append()` (SECURITY DEFINER, migration 0008). No UPDATE, DELETE or TRUNCATE on the audit tables, no
 * ownership (so no ALTER TABLE … DISABLE TRIGGER) and no CREATE. PGlite has a single (superuser) role: there the
 * append-only trigger is the guard, and the external anchor the evidence.
 *
 * Run by the owner after every migration that adds a table (`npm run db:grant-runtime -- <role>`); idempotent.
 */
const ROLE_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** The tables only audit_append() and the owner (audit_archive_through()) write. */
export const AUDIT_TABLES = ["audit_events", "audit_chain_head", "audit_archives"] as const;

export function runtimeRoleGrants(role: string, schema = "public"): string[] {
  if (!ROLE_NAME.test(role)) throw new Error(`"${role}" is not a plain PostgreSQL role name (lower-case letters, digits, underscores).`);
  if (!ROLE_NAME.test(schema)) throw new Error(`"${schema}" is not a plain PostgreSQL schema name.`);
  const r = `"${role}"`;
  const s = `"${schema}"`;
  const auditTables = AUDIT_TABLES.map((table) => `${s}."${table}"`).join(", ");
  return [
    `GRANT USAGE ON SCHEMA ${s} TO ${r}`,
    `GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA ${s} TO ${r}`,
    `GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA ${s} TO ${r}`,
    `REVOKE INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON ${auditTables} FROM ${r}`,
    `GRANT EXECUTE ON FUNCTION ${s}.audit_lock_head(), ${s}.audit_append(jsonb) TO ${r}`,
    // So the console can tell, at start, that the owner has applied every migration (lib/db/client.ts).
    `GRANT USAGE ON SCHEMA "drizzle" TO ${r}`,
    `GRANT SELECT ON "drizzle"."__drizzle_migrations" TO ${r}`,
  ];
}
