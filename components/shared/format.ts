const KIND_LABELS: Record<string, string> = {
  user: "User",
  group: "Group",
  servicePrincipal: "Service principal",
  managedIdentity: "Managed identity",
  partner: "Partner (CSP)",
};

/** A directory principal's kind, as people read it. */
export function kindLabel(kind: string): string {
  return KIND_LABELS[kind] ?? kind;
}

/** Dates in UTC, the same on the server and in the browser (no hydration mismatch, no time-zone surprises). */
export function formatDateTime(iso: string | null): string {
  if (!iso) return "—";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return `${date.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}
