import "server-only";

import { csvField as sharedCsvField } from "@/lib/shared/csv";
import { bucketLabel, CREDENTIAL_KIND_LABELS, type CredentialRow, OBJECT_TYPE_LABELS, type Windows } from "@/lib/shared/credentials";

/** One field of the credentials CSV: every field quoted (app and credential names are untrusted; see lib/shared/csv). */
export function csvField(value: string | number | null | undefined): string {
  return sharedCsvField(value, "always");
}

export const CSV_HEADER = [
  "Identity",
  "App id",
  "Object type",
  "Object id",
  "Credential type",
  "Key id",
  "Credential name",
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
