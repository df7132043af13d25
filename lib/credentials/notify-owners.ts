import "server-only";

import { sql } from "drizzle-orm";

import { bucketLabel, type CredentialKind, type CredentialRow, OBJECT_TYPE_LABELS, type Windows } from "@/lib/shared/credentials";
import type { Database } from "@/lib/db";
import { queueNotificationBatch } from "@/lib/notifications/send-notification";
import { credentialNotifications } from "./schema";

/** Windows owners are told about. Expired, long-lived and healthy credentials do not notify. */
const NOTIFY_BUCKETS = new Set(["within1", "within2", "within3"]);
/** Claims per insert statement (each chunk is one JSON parameter). */
const CLAIM_CHUNK = 2000;
const KIND_IN_MAIL: Record<CredentialKind, string> = {
  secret: "client secret",
  certificate: "certificate",
  samlSigning: "SAML signing certificate",
  federated: "federated credential",
  managedIdentity: "managed identity",
};

export interface OwnerNotificationResult {
  /** Credentials that entered a window since their owners were last told. */
  readonly credentials: number;
  /** Owners with a mail address who get one mail each. */
  readonly recipients: number;
  /** The outbox rows queued (mails, plus one webhook post when configured), for `deliverNotifications`. */
  readonly outboxIds: readonly number[];
}

/**
 * Tells owners about credentials that entered an expiry window since they were last told: at most once per credential
 * per window. In one transaction, each (credential, window) pair is claimed (a unique index decides between
 * instances) and one mail per owner, listing all their credentials, is queued in the notification outbox; a crash
 * cannot claim without queueing or queue without claiming. Nothing is sent here: the caller hands the ids to
 * `deliverNotifications`, and the outbox job retries whatever fails, so a slow mail server never holds up a refresh.
 */
export async function notifyOwners(db: Database, rows: readonly CredentialRow[], windows: Windows, now: Date): Promise<OwnerNotificationResult> {
  const candidates = rows.filter((row) => NOTIFY_BUCKETS.has(row.bucket));
  if (candidates.length === 0) return { credentials: 0, recipients: 0, outboxIds: [] };
  return db.transaction(async (tx) => {
    const claimed = new Set<string>();
    // One JSON parameter per chunk, unpacked by the database, rather than five bound parameters a row.
    for (let start = 0; start < candidates.length; start += CLAIM_CHUNK) {
      const chunk = candidates.slice(start, start + CLAIM_CHUNK).map((row) => ({
        r: row.id,
        b: row.bucket,
        e: row.endDateTime ? new Date(row.endDateTime).toISOString() : null,
        n: row.owners.filter((owner) => owner.mail).length,
      }));
      const inserted = (await tx.execute(sql`
        insert into credential_notifications (row_id, bucket, end_date_time, notified_at, recipients)
        select x->>'r', x->>'b', (x->>'e')::timestamptz, ${now.toISOString()}::timestamptz, (x->>'n')::integer
        from jsonb_array_elements(${JSON.stringify(chunk)}::jsonb) as x
        on conflict do nothing
        returning row_id, bucket`)) as { rows: { row_id: string; bucket: string }[] };
      for (const row of inserted.rows) claimed.add(`${row.row_id}|${row.bucket}`);
    }
    const fresh = candidates.filter((row) => claimed.has(`${row.id}|${row.bucket}`));
    // Keyed by owner id; mailed to the address the inventory already read, so delivery needs no lookup per owner.
    const byOwner = new Map<string, { address: string; rows: CredentialRow[] }>();
    for (const row of fresh) {
      for (const owner of row.owners) {
        if (!owner.mail) continue;
        const entry = byOwner.get(owner.id) ?? { address: owner.mail, rows: [] };
        entry.rows.push(row);
        byOwner.set(owner.id, entry);
      }
    }
    const mails = [...byOwner.values()].map(({ address, rows: ownerRows }) => {
      const lines = ownerRows.map(
        (row) =>
          `- ${row.identityName} (${OBJECT_TYPE_LABELS[row.objectType]}): ${KIND_IN_MAIL[row.kind]} ` +
          `${row.credentialName ?? row.keyId ?? ""} (key id ${row.keyId ?? "—"}) expires ${row.endDateTime ?? "—"} — ${bucketLabel(row.bucket, windows)}` +
          // A SAML signing certificate unlocks no role: what its expiry breaks is single sign-on.
          (row.kind === "samlSigning"
            ? "; single sign-on to the application breaks when it expires"
            : row.roles.length > 0
              ? `; unlocks ${row.roles.map((role) => `${role.roleName} on ${role.workspace}${role.viaGroup ? ` (via ${role.viaGroup})` : ""}`).join(", ")}`
              : ""),
      );
      return {
        to: address,
        subject: `Gatehouse: ${ownerRows.length} credential${ownerRows.length === 1 ? "" : "s"} you own expire${ownerRows.length === 1 ? "s" : ""} soon`,
        text:
          `You are an owner of these app registrations or service principals. Their credentials enter an expiry window:\n\n${lines.join("\n")}\n\n` +
          "Rotate them before they expire (add a new credential, switch the workload, remove the old one), or better, move the " +
          "workload to a federated credential or a managed identity. The Credentials page in Gatehouse shows the details.",
      };
    });
    const outboxIds = await queueNotificationBatch(tx, {
      mails,
      webhook: {
        title: "Gatehouse: credentials entering an expiry window",
        summary: `${fresh.length} credential(s) entered an expiry window; ${mails.length} owner(s) were mailed. See the Credentials page.`,
      },
    });
    return { credentials: fresh.length, recipients: mails.length, outboxIds };
  });
}

/** For tests and diagnostics: how many (credential, window) pairs have been notified. */
export async function notifiedCount(db: Database): Promise<number> {
  const [row] = await db.select({ count: sql<number>`count(*)::int` }).from(credentialNotifications);
  return row?.count ?? 0;
}
