import "server-only";

import { getConfig } from "@/lib/config";
import { snapshotRows } from "@/lib/credentials/store";
import type { Database } from "@/lib/db";
import { describeError, log } from "@/lib/log";
import type { NotificationFact, NotificationMessage } from "@/lib/notifications/message";
import { type Bucket, bucketLabel, CREDENTIAL_KIND_LABELS, type CredentialRow, type Windows } from "@/lib/shared/credentials";
import { type Digest, fingerprintOf, postDigest } from "./post-digest";

/** Credentials named in a digest (the soonest to expire); the rest are counted. */
const CREDENTIALS_NAMED = 5;
/** Roles named per credential; the rest are counted. */
const ROLES_NAMED = 3;
const EXPIRING: readonly Bucket[] = ["expired", "within1", "within2", "within3"];

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? "" : "s"}`;
}

function credentialsLink() {
  return { label: "Open the credentials dashboard", url: `${getConfig().publicOrigin}/credentials` };
}

function describeCredential(row: CredentialRow): string {
  const ends = row.endDateTime ? `ends ${row.endDateTime.replace("T", " ").slice(0, 16)} UTC` : "no end date";
  const owners = row.owners.length === 0 ? "no owners" : plural(row.owners.length, "owner");
  const roles = row.roles.slice(0, ROLES_NAMED).map((role) => `${role.roleName} on ${role.workspace}`);
  if (row.roles.length > ROLES_NAMED) roles.push(`${row.roles.length - ROLES_NAMED} more`);
  return `${CREDENTIAL_KIND_LABELS[row.kind]}${row.credentialName ? ` "${row.credentialName}"` : ""}, ${ends}; ${owners}${roles.length > 0 ? `; holds ${roles.join(", ")}` : ""}`;
}

/**
 * What the scheduled credentials refresh found expired or expiring in the dashboard's windows: counts per window and the
 * soonest few, with how many owners each has and the workspace roles it holds. Undefined: nothing expiring.
 */
export function credentialsDigest(rows: readonly CredentialRow[], windows: Windows): Digest | undefined {
  const expiring = rows.filter((row) => EXPIRING.includes(row.bucket));
  if (expiring.length === 0) return undefined;
  const facts: NotificationFact[] = EXPIRING.map((bucket) => ({ bucket, count: expiring.filter((row) => row.bucket === bucket).length }))
    .filter((entry) => entry.count > 0)
    .map((entry) => ({ name: bucketLabel(entry.bucket, windows), value: String(entry.count) }));
  const soonest = expiring
    .filter((row) => row.bucket !== "expired")
    .sort((a, b) => (a.endDateTime ?? "").localeCompare(b.endDateTime ?? "") || a.identityName.localeCompare(b.identityName));
  for (const row of soonest.slice(0, CREDENTIALS_NAMED)) facts.push({ name: row.identityName, value: describeCredential(row) });
  if (soonest.length > CREDENTIALS_NAMED) facts.push({ name: "Others expiring", value: String(soonest.length - CREDENTIALS_NAMED) });
  const expired = expiring.length - soonest.length;
  const message: NotificationMessage = {
    title: `Credentials: ${soonest.length} expiring${expired > 0 ? `, ${expired} expired` : ""}`,
    summary:
      `The scheduled credentials refresh found ${plural(soonest.length, "credential")} expiring within ${windows[2]} days` +
      `${expired > 0 ? ` and ${plural(expired, "credential")} already expired` : ""}. Rotate them, or move them to a federated credential or a managed identity.`,
    facts,
    link: credentialsLink(),
  };
  return { fingerprint: fingerprintOf(expiring.map((row) => `${row.id}|${row.bucket}`)), message };
}

const ALL_CLEAR: () => NotificationMessage = () => ({
  title: "Credentials: none expiring",
  summary: "The scheduled credentials refresh found no credential expired or expiring in the dashboard's windows any more.",
  facts: [],
  link: credentialsLink(),
});

/** After the scheduled credentials refresh: posts the snapshot's digest to the digest channel when there is news. Never throws. */
export async function postCredentialsDigest(db: Database, snapshotId: number, windows: Windows, now: Date): Promise<boolean> {
  let rows: CredentialRow[];
  try {
    rows = await snapshotRows(db, snapshotId);
  } catch (error) {
    log("error", "notifications", "could not read the credentials snapshot for its digest", { snapshotId, error: describeError(error) });
    return false;
  }
  return postDigest(db, "credentials", credentialsDigest(rows, windows), ALL_CLEAR(), now);
}
