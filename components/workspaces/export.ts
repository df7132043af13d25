import { ORIGIN_LABELS } from "@/lib/shared/arm-scope";
import { csvField } from "@/lib/shared/csv";
import type { AccessRow } from "@/lib/workspaces/get-workspace-access";
import { principalName, principalTypeLabel } from "./format";

/** The columns of an export, in order: what the table shows plus the ids a script needs. */
const COLUMNS: ReadonlyArray<[string, (row: AccessRow) => string]> = [
  ["principal", (row) => principalName(row)],
  ["principalId", (row) => row.principalId],
  ["principalType", (row) => principalTypeLabel(row)],
  ["upnOrAppId", (row) => row.principal?.secondaryId ?? ""],
  ["role", (row) => row.roleName],
  ["roleDefinitionId", (row) => row.roleDefinitionId],
  ["from", (row) => ORIGIN_LABELS[row.origin]],
  ["scope", (row) => row.scope],
  ["condition", (row) => row.condition ?? ""],
  ["pimEndsAt", (row) => (row.pim ? (row.pim.endDateTime ?? "permanent") : "")],
  ["description", (row) => row.description ?? ""],
  ["createdOn", (row) => row.createdOn ?? ""],
  ["createdBy", (row) => row.createdBy ?? ""],
  ["heldInGatehouseBy", (row) => row.heldBy.map((holder) => holder.label).join("; ")],
  ["assignmentId", (row) => row.assignmentId],
];

export { csvField };

/** The rows as CSV: a header line, CRLF line endings. */
export function toCsv(rows: readonly AccessRow[]): string {
  const lines = [COLUMNS.map(([name]) => csvField(name)).join(",")];
  for (const row of rows) lines.push(COLUMNS.map(([, read]) => csvField(read(row))).join(","));
  return `${lines.join("\r\n")}\r\n`;
}

/** The rows as a JSON array of objects with the same fields as the CSV (values not neutralised: JSON is data). */
export function toJson(rows: readonly AccessRow[]): string {
  return `${JSON.stringify(
    rows.map((row) => Object.fromEntries(COLUMNS.map(([name, read]) => [name, read(row) === "" ? null : read(row)]))),
    null,
    2,
  )}\n`;
}
