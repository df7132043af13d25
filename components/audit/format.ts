import type { AuditEventRecord } from "@/lib/audit";

/** `2026-05-01 09:30:12` — UTC, to the second, sortable at a glance. */
export function formatUtc(date: Date): string {
  return date.toISOString().replace("T", " ").slice(0, 19);
}

export function actorName(actor: AuditEventRecord["actor"]): { primary: string; secondary: string | null } {
  switch (actor.kind) {
    case "user":
      return { primary: actor.displayName || actor.userPrincipalName || actor.objectId || "Unknown user", secondary: actor.userPrincipalName };
    case "system":
      return { primary: "Gatehouse (unattended)", secondary: actor.appId ? `app ${actor.appId}` : null };
    case "anonymous":
      return { primary: "Anonymous", secondary: "no valid session" };
  }
}

/** The last segment pair of an ARM scope (`workspaces/ml-prod`), which is what people recognise. */
export function shortScope(scope: string): string {
  const parts = scope.split("/").filter(Boolean);
  return parts.length >= 2 ? parts.slice(-2).join("/") : scope;
}
