import "server-only";

import { bucketLabel, CREDENTIAL_KIND_LABELS, type CredentialRow, OBJECT_TYPE_LABELS, type Windows } from "@/lib/shared/credentials";

/**
 * One CSV field. A text cell a spreadsheet would run as a formula (starting `=`, `+`, `-`, `@`, or a tab or carriage
 * return) gets a leading apostrophe; every field is quoted, quotes doubled. App and credential names are chosen by
 * whoever registers an app, so they are untrusted.
 */
export function csvField(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '""';
  let text = String(value);
  if (typeof value === "string" && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return `"${text.replace(/"/g, '""')}"`;
}

export const CSV_HEADER = [
  "Identity",
  "App id",
  "Object type",
  "Object id",
  "Credential type",
  "Key id",
  "Credential name",
  "Hint",
  "Start",
  "End",
  "Bucket",
  "Risk",
  "Owners",
  "Workspace roles",
];

export function credentialsCsv(rows: readonly CredentialRow[], windows: Windows, asOf: string): string {
  const lines = [`${csvField(`As of ${asOf}`)}`, CSV_HEADER.map(csvField).join(",")];
  for (const row of rows) {
    lines.push(
      [
        row.identityName,
        row.appId,
        OBJECT_TYPE_LABELS[row.objectType],
        row.objectId,
        CREDENTIAL_KIND_LABELS[row.kind],
        row.keyId,
        row.credentialName,
        row.hint,
        row.startDateTime,
        row.endDateTime,
        bucketLabel(row.bucket, windows),
        row.risk,
        row.owners.map((owner) => owner.mail ?? owner.displayName).join("; "),
        row.roles.map((role) => `${role.roleName} on ${role.workspace}${role.viaGroup ? ` (via ${role.viaGroup})` : ""}`).join("; "),
      ]
        .map(csvField)
        .join(","),
    );
  }
  return `${lines.join("\r\n")}\r\n`;
}
