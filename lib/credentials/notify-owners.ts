import "server-only";

import { sql } from "drizzle-orm";

import { bucketLabel, type CredentialRow, OBJECT_TYPE_LABELS, type Windows } from "@/components/credentials/model";
import type { Database } from "@/lib/db";
import { sendNotification } from "@/lib/notifications/send-notification";
import { credentialNotifications } from "./schema";

/** Windows owners are told about. Expired, long-lived and healthy credentials do not notify. */
const NOTIFY_BUCKETS = new Set(["within1", "within2", "within3"]);

export interface OwnerNotificationResult {
  readonly credentials: number;
  readonly recipients: number;
  readonly mailed: number;
  readonly failed: number;
}

/**
 * Tells owners about credentials that entered an expiry window since they were last told: at most once per credential
 * per window. The (credential, window) pair is claimed in the database first (a unique index decides between
 * instances), then one notification goes to each owner listing their credentials. A failed delivery stays in the
 * notification outbox, which retries it; the claim is not undone, so no one is told twice.
 */
export async function notifyOwners(db: Database, rows: readonly CredentialRow[], windows: Windows, now: Date): Promise<OwnerNotificationResult> {
  const candidates = rows.filter((row) => NOTIFY_BUCKETS.has(row.bucket));
  if (candidates.length === 0) return { credentials: 0, recipients: 0, mailed: 0, failed: 0 };
  const claimed = new Set<string>();
  for (let start = 0; start < candidates.length; start += 500) {
    const chunk = candidates.slice(start, start + 500);
    const inserted = await db
      .insert(credentialNotifications)
      .values(
        chunk.map((row) => ({
          rowId: row.id,
          bucket: row.bucket,
          endDateTime: row.endDateTime ? new Date(row.endDateTime) : null,
          notifiedAt: now,
          recipients: row.owners.filter((owner) => owner.mail).length,
        })),
      )
      .onConflictDoNothing()
      .returning({ rowId: credentialNotifications.rowId, bucket: credentialNotifications.bucket });
    for (const row of inserted) claimed.add(`${row.rowId}|${row.bucket}`);
  }
  const fresh = candidates.filter((row) => claimed.has(`${row.id}|${row.bucket}`));
  const byOwner = new Map<string, CredentialRow[]>();
  for (const row of fresh) {
    for (const owner of row.owners) {
      if (!owner.mail) continue;
      const list = byOwner.get(owner.id) ?? [];
      list.push(row);
      byOwner.set(owner.id, list);
    }
  }
  let mailed = 0;
  let failed = 0;
  for (const [ownerId, ownerRows] of byOwner) {
    const lines = ownerRows.map(
      (row) =>
        `- ${row.identityName} (${OBJECT_TYPE_LABELS[row.objectType]}): ${row.kind === "secret" ? "client secret" : "certificate"} ` +
        `${row.credentialName ?? row.keyId ?? ""} (key id ${row.keyId ?? "—"}) expires ${row.endDateTime ?? "—"} — ${bucketLabel(row.bucket, windows)}` +
        (row.roles.length > 0 ? `; unlocks ${row.roles.map((role) => `${role.roleName} on ${role.workspace}`).join(", ")}` : ""),
    );
    const result = await sendNotification({
      to: [ownerId],
      subject: `Gatehouse: ${ownerRows.length} credential${ownerRows.length === 1 ? "" : "s"} you own expire${ownerRows.length === 1 ? "s" : ""} soon`,
      text:
        `You are an owner of these app registrations or service principals. Their credentials enter an expiry window:\n\n${lines.join("\n")}\n\n` +
        "Rotate them before they expire (add a new credential, switch the workload, remove the old one), or better, move the " +
        "workload to a federated credential or a managed identity. The Credentials page in Gatehouse shows the details.",
      webhookSummary: `${ownerRows.length} credential(s) entering an expiry window`,
    });
    mailed += result.mailed;
    failed += result.failed;
  }
  return { credentials: fresh.length, recipients: byOwner.size, mailed, failed };
}

/** For tests and diagnostics: how many (credential, window) pairs have been notified. */
export async function notifiedCount(db: Database): Promise<number> {
  const [row] = await db.select({ count: sql<number>`count(*)::int` }).from(credentialNotifications);
  return row?.count ?? 0;
}
