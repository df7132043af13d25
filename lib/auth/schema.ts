/**
 * Console sessions: the session cookie carries an opaque random id; this table keeps only its SHA-256, who signed in,
 * when the session ends (idle, absolute, or ended on purpose), and the person's token for the console's API encrypted
 * with the session key (AES-256-GCM, lib/auth/session-crypto.ts), so neither a database reader nor a copied cookie
 * outlives a sign-out.
 */
import { index, pgTable, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";

export const SESSION_END_REASONS = ["signed_out", "ended_by_owner", "ended_by_admin", "replaced"] as const;
export type SessionEndReason = (typeof SESSION_END_REASONS)[number];

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: "date", precision: 3 });

export const consoleSessions = pgTable(
  "console_sessions",
  {
    /** Shown to the person and named in the audit trail; never the cookie's value. */
    id: text("id").primaryKey(),
    /** SHA-256 (hex) of the cookie's value. */
    cookieHash: text("cookie_hash").notNull(),
    tenantId: text("tenant_id").notNull(),
    objectId: text("object_id").notNull(),
    displayName: text("display_name").notNull(),
    userPrincipalName: text("user_principal_name").notNull(),
    createdAt: ts("created_at").notNull(),
    lastSeenAt: ts("last_seen_at").notNull(),
    idleExpiresAt: ts("idle_expires_at").notNull(),
    absoluteExpiresAt: ts("absolute_expires_at").notNull(),
    /** The client address (as requestSource() reads it) and user agent at sign-in, bounded. */
    clientAddress: text("client_address").notNull(),
    userAgent: text("user_agent").notNull(),
    /** `v1.<iv>.<ciphertext>.<tag>` (base64url), bound to the row id as additional data. */
    tokenCiphertext: text("token_ciphertext").notNull(),
    /** The kept token's `exp`: past it the session waits for a renewal (or ends with its idle time), unvalidated. */
    tokenExpiresAt: ts("token_expires_at").notNull(),
    endedAt: ts("ended_at"),
    /** `<tenant id>/<object id>` of whoever ended it. */
    endedBy: text("ended_by"),
    endReason: text("end_reason").$type<SessionEndReason>(),
  },
  (table) => [
    uniqueIndex("console_sessions_cookie_hash").on(table.cookieHash),
    index("console_sessions_person").on(table.tenantId, table.objectId),
    index("console_sessions_absolute_expires").on(table.absoluteExpiresAt),
  ],
);

export type ConsoleSessionRow = typeof consoleSessions.$inferSelect;
