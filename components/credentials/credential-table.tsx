import Link from "next/link";

import { type CredentialView, formatUtcMinute, matchingFirst, VIEW_PAGE_SIZE, viewQuery } from "@/lib/credentials/view";
import { bucketLabel, CREDENTIAL_KIND_LABELS, type CredentialRow, OBJECT_TYPE_LABELS, type SnapshotSummary } from "@/lib/shared/credentials";
import { BUCKET_TONE } from "./bucket-tone";

/** Roles listed per row; the drawer lists them all. Privileged ones are listed first. */
const ROLES_IN_TABLE = 3;

const COLUMNS: readonly { key: CredentialView["sort"] | null; label: string }[] = [
  { key: "name", label: "Identity" },
  { key: null, label: "Object" },
  { key: null, label: "Credential" },
  { key: "end", label: "Expires" },
  { key: "bucket", label: "Bucket" },
  { key: null, label: "Workspace roles" },
  { key: null, label: "Owners" },
  { key: "risk", label: "Risk" },
];

/** The credentials in the view; sortable columns are links, so the sort is part of the URL like the filters. */
export function CredentialTable({
  rows,
  total,
  offset,
  view,
  snapshot,
}: {
  /** The page's rows. */
  rows: readonly CredentialRow[];
  /** Rows in the whole view. */
  total: number;
  /** Rows in the view before this page. */
  offset: number;
  view: CredentialView;
  snapshot: SnapshotSummary;
}) {
  const dir = view.dir ?? (view.sort === "risk" ? "desc" : "asc");
  const page = view.page ?? 1;
  const paged = total > VIEW_PAGE_SIZE || offset > 0;
  return (
    <section aria-label="Credentials" className="space-y-2">
      <p className="text-ink-muted" role="status">
        {total.toLocaleString("en-US")} credential{total === 1 ? "" : "s"} in this view
        {paged
          ? rows.length > 0
            ? ` — showing ${(offset + 1).toLocaleString("en-US")}–${(offset + rows.length).toLocaleString("en-US")}; export the view for all of them`
            : " — none on this page"
          : ""}
        .
      </p>
      {paged && (
        <nav aria-label="Pages of credentials" className="flex gap-3">
          {page > 1 && (
            <Link href={`/credentials?${viewQuery(view, { page: page > 2 ? String(page - 1) : undefined })}`} className="underline">
              Previous
            </Link>
          )}
          {offset + rows.length < total && (
            <Link href={`/credentials?${viewQuery(view, { page: String(page + 1) })}`} className="underline">
              Next
            </Link>
          )}
        </nav>
      )}
      <div className="overflow-x-auto rounded-md border border-line">
        <table className="w-full text-left text-sm">
          <thead className="bg-surface-sunken">
            <tr>
              {COLUMNS.map((column) => {
                const active = column.key !== null && view.sort === column.key;
                return (
                  <th
                    key={column.label}
                    scope="col"
                    className="px-3 py-2 font-medium"
                    aria-sort={active ? (dir === "asc" ? "ascending" : "descending") : undefined}
                  >
                    {column.key ? (
                      <Link
                        href={`/credentials?${viewQuery(view, { sort: column.key, dir: active ? (dir === "asc" ? "desc" : "asc") : undefined })}`}
                        className="underline decoration-dotted"
                      >
                        {column.label}
                        {active ? (dir === "asc" ? " ▲" : " ▼") : ""}
                      </Link>
                    ) : (
                      column.label
                    )}
                  </th>
                );
              })}
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={row.id} className="border-t border-line align-top">
                <td className="px-3 py-2">
                  <Link
                    href={`/credentials?${viewQuery(view, { identity: row.identityKey })}`}
                    scroll={false}
                    aria-label={`Details of ${row.identityName}`}
                    className="font-medium text-accent underline"
                  >
                    {row.identityName}
                  </Link>
                  <div className="font-mono text-xs text-ink-muted">{row.appId}</div>
                </td>
                <td className="px-3 py-2">{OBJECT_TYPE_LABELS[row.objectType]}</td>
                <td className="px-3 py-2">
                  {CREDENTIAL_KIND_LABELS[row.kind]}
                  {row.credentialName && <div className="text-xs text-ink-muted">{row.credentialName}</div>}
                </td>
                <td className="whitespace-nowrap px-3 py-2">{formatUtcMinute(row.endDateTime)}</td>
                <td className={`px-3 py-2 ${BUCKET_TONE[row.bucket]}`}>{bucketLabel(row.bucket, snapshot.windows)}</td>
                <td className="px-3 py-2">
                  {row.roles.length === 0 ? (
                    <span className="text-ink-muted">None</span>
                  ) : (
                    <ul>
                      {matchingFirst(row.roles, view)
                        .slice(0, ROLES_IN_TABLE)
                        .map((role) => (
                          <li key={`${role.workspaceScope}|${role.roleId}|${role.assignmentScope}|${role.viaGroup ?? ""}`}>
                            {role.roleName} on {role.workspace}
                            {role.viaGroup && <span className="ml-1 text-xs text-ink-muted">via {role.viaGroup}</span>}
                            {role.privileged && <span className="ml-1 text-xs text-danger">(privileged)</span>}
                          </li>
                        ))}
                      {row.roles.length > ROLES_IN_TABLE && <li className="text-ink-muted">and {row.roles.length - ROLES_IN_TABLE} more (see details)</li>}
                    </ul>
                  )}
                </td>
                <td className="px-3 py-2">
                  {row.owners.length === 0 ? <span className="text-warning">No owner</span> : row.owners.map((owner) => owner.displayName).join(", ")}
                </td>
                <td className="px-3 py-2 text-right">{row.risk}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
