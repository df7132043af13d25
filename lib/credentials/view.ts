import "server-only";

import { z } from "zod";

import { BUCKETS, type CredentialRow } from "@/lib/shared/credentials";

/** The dashboard's filters and sort, from the URL (the page and the CSV export read the same parameters). */
export const viewSchema = z.object({
  bucket: z.enum(BUCKETS).optional(),
  type: z.enum(["application", "servicePrincipal", "managedIdentity"]).optional(),
  owner: z.string().trim().max(200).optional(),
  workspace: z.string().trim().max(100).optional(),
  role: z.string().trim().max(200).optional(),
  q: z.string().trim().max(200).optional(),
  sort: z.enum(["risk", "end", "name", "bucket"]).default("risk"),
  dir: z.enum(["asc", "desc"]).optional(),
  identity: z.string().trim().max(200).optional(),
  /** The table's page (from 1); the export always has the whole view. */
  page: z.coerce.number().int().min(1).max(100_000).optional(),
});
export type CredentialView = z.output<typeof viewSchema>;

const KEYS = ["bucket", "type", "owner", "workspace", "role", "q", "sort", "dir", "identity", "page"] as const;
/** Rows per page of the table. */
export const VIEW_PAGE_SIZE = 100;

/** Reads the view from search params; empty values mean "any", invalid ones are reported. */
export function parseView(params: URLSearchParams): { ok: true; view: CredentialView } | { ok: false; messages: string[] } {
  const raw: Record<string, string> = {};
  for (const key of KEYS) {
    const value = params.get(key);
    if (value !== null && value.trim() !== "") raw[key] = value;
  }
  const parsed = viewSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, messages: parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`) };
  return { ok: true, view: parsed.data };
}

/**
 * The view as URL parameters (without the drawer's identity), for links and the export. A link that changes a filter
 * or the sort starts again at the first page.
 */
export function viewQuery(view: CredentialView, overrides: Partial<Record<(typeof KEYS)[number], string | undefined>> = {}): string {
  const params = new URLSearchParams();
  const otherView = Object.keys(overrides).some((key) => key !== "identity" && key !== "page");
  for (const key of KEYS) {
    if (key === "identity") continue;
    if (key === "page" && otherView) continue;
    const value = key in overrides ? overrides[key] : view[key];
    if (value !== undefined && value !== "" && !(key === "sort" && value === "risk")) params.set(key, String(value));
  }
  if ("identity" in overrides && overrides.identity) params.set("identity", overrides.identity);
  return params.toString();
}

const BUCKET_ORDER = new Map(BUCKETS.map((bucket, index) => [bucket, index]));

function contains(haystack: string | null | undefined, needle: string): boolean {
  return (haystack ?? "").toLowerCase().includes(needle.toLowerCase());
}

/** Whether the view filters on text inside the rows (owners, roles, names), which the database does not decide. */
export function filtersRowText(view: CredentialView): boolean {
  return Boolean(view.owner || view.workspace || view.role || view.q);
}

/** What the view's order reads of a row. */
export type ViewOrderKeys = Pick<CredentialRow, "id" | "identityName" | "risk" | "endDateTime" | "bucket">;

// The same order as String.prototype.localeCompare with the default locale, without building its collator per call.
const collator = new Intl.Collator();

/**
 * Where a row stands under the view's sort alone, when that is a number the database can group by (risk, or the
 * bucket's rank); rows of one rank are ordered by name, then id. Undefined for the sorts by name and by end date.
 */
export function sortRank(view: CredentialView): ((key: { risk: number; bucket: string }) => number) | undefined {
  const sign = (view.dir ?? (view.sort === "risk" ? "desc" : "asc")) === "asc" ? 1 : -1;
  if (view.sort === "risk") return (key) => sign * key.risk;
  if (view.sort === "bucket") return (key) => sign * (BUCKET_ORDER.get(key.bucket as CredentialRow["bucket"]) ?? 0);
  return undefined;
}

/** Sorts rows (in place) in the view's order: its sort and direction, then by name, then by id. */
export function sortInView<T extends ViewOrderKeys>(rows: T[], view: CredentialView): T[] {
  const dir = view.dir ?? (view.sort === "risk" ? "desc" : "asc");
  const sign = dir === "asc" ? 1 : -1;
  const compare = (a: T, b: T): number => {
    switch (view.sort) {
      case "risk":
        return a.risk - b.risk;
      case "end":
        return collator.compare(a.endDateTime ?? "9999", b.endDateTime ?? "9999");
      case "name":
        return collator.compare(a.identityName, b.identityName);
      case "bucket":
        return (BUCKET_ORDER.get(a.bucket) ?? 0) - (BUCKET_ORDER.get(b.bucket) ?? 0);
    }
  };
  return rows.sort((a, b) => sign * compare(a, b) || collator.compare(a.identityName, b.identityName) || collator.compare(a.id, b.id));
}

export function applyView(rows: readonly CredentialRow[], view: CredentialView): CredentialRow[] {
  const filtered = rows.filter(
    (row) =>
      (!view.bucket || row.bucket === view.bucket) &&
      (!view.type || row.objectType === view.type) &&
      (!view.owner || row.owners.some((owner) => contains(owner.displayName, view.owner!) || contains(owner.mail, view.owner!))) &&
      (!view.workspace || row.roles.some((role) => role.workspace.toLowerCase() === view.workspace!.toLowerCase())) &&
      (!view.role || row.roles.some((role) => role.roleName.toLowerCase() === view.role!.toLowerCase())) &&
      (!view.q || contains(row.identityName, view.q) || contains(row.appId, view.q) || contains(row.credentialName, view.q)),
  );
  return sortInView(filtered, view);
}

/** A page's search parameters as Next.js hands them over, keeping the first value of a repeated one (`?a=1&a=2` reads a=1). */
export function singleValueParams(raw: Record<string, string | string[] | undefined>): URLSearchParams {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(raw)) {
    if (typeof value === "string") params.set(key, value);
    else if (Array.isArray(value) && value[0] !== undefined) params.set(key, value[0]);
  }
  return params;
}

/** The workspaces any row holds a role on, sorted: the filter form's workspace choices. */
export function distinctWorkspaces(rows: readonly CredentialRow[]): string[] {
  return [...new Set(rows.flatMap((row) => row.roles.map((role) => role.workspace)))].sort();
}

/** The role names any row holds, sorted: the filter form's role choices. */
export function distinctRoles(rows: readonly CredentialRow[]): string[] {
  return [...new Set(rows.flatMap((row) => row.roles.map((role) => role.roleName)))].sort();
}

/** A row's roles with those the view's workspace or role filter asked for first (the table lists only a few). */
export function matchingFirst(roles: CredentialRow["roles"], view: CredentialView): CredentialRow["roles"] {
  if (!view.workspace && !view.role) return roles;
  const matches = (role: CredentialRow["roles"][number]) =>
    (!view.workspace || role.workspace.toLowerCase() === view.workspace.toLowerCase()) &&
    (!view.role || role.roleName.toLowerCase() === view.role.toLowerCase());
  return [...roles.filter(matches), ...roles.filter((role) => !matches(role))];
}

/** An ISO timestamp from Graph or the snapshot as `2026-05-01 09:30 UTC`, or a dash when there is none. */
export function formatUtcMinute(value: string | null): string {
  return value ? `${value.replace("T", " ").slice(0, 16)} UTC` : "—";
}
