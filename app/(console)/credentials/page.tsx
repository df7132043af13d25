import type { Metadata } from "next";
import Link from "next/link";

import { Forbidden } from "@/components/auth/forbidden";
import { DetailsDrawer } from "@/components/credentials/details-drawer";
import { ExpiryChart } from "@/components/credentials/expiry-chart";
import {
  BUCKETS,
  bucketLabel,
  CREDENTIAL_KIND_LABELS,
  type CredentialRow,
  type IdentityDetails,
  OBJECT_TYPE_LABELS,
  type SnapshotSummary,
} from "@/lib/shared/credentials";
import { RefreshPanel } from "@/components/credentials/refresh-panel";
import { authorizePage } from "@/lib/auth/authorize";
import { identityDetails, latestCompleteSnapshot, recentRunningSnapshot, snapshotRows, snapshotTrend } from "@/lib/credentials/store";
import { applyView, type CredentialView, parseView, viewQuery } from "@/lib/credentials/view";
import { getDatabase } from "@/lib/db";

export const metadata: Metadata = { title: "Credentials" };
export const dynamic = "force-dynamic";

/** Rows rendered in the table; the export has them all. */
const MAX_ROWS = 500;
const RUNNING_WINDOW_MS = 15 * 60_000;
/** Roles listed per row; the drawer lists them all. Privileged ones are listed first. */
const ROLES_IN_TABLE = 3;

const BUCKET_TONE: Record<string, string> = {
  expired: "text-danger",
  within1: "text-danger",
  within2: "text-warning",
  within3: "text-warning",
  longLived: "text-warning",
  healthy: "text-success",
  secretless: "text-success",
};

function toParams(raw: Record<string, string | string[] | undefined>): URLSearchParams {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(raw)) {
    if (typeof value === "string") params.set(key, value);
    else if (Array.isArray(value) && value[0] !== undefined) params.set(key, value[0]);
  }
  return params;
}

function utc(value: string | null): string {
  return value ? `${value.replace("T", " ").slice(0, 16)} UTC` : "—";
}

export default async function CredentialsPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const authorization = await authorizePage("viewCredentials");
  if (!authorization.ok) return authorization.reason === "forbidden" ? <Forbidden permission="viewCredentials" /> : null;

  const parsed = parseView(toParams(await searchParams));
  const view: CredentialView = parsed.ok ? parsed.view : { sort: "risk" };
  const db = await getDatabase();
  const [snapshot, running, trend] = await Promise.all([
    latestCompleteSnapshot(db),
    recentRunningSnapshot(db, RUNNING_WINDOW_MS),
    snapshotTrend(db, 8),
  ]);
  const rows = snapshot ? await snapshotRows(db, snapshot.id) : [];
  const visible = applyView(rows, view);
  const details = snapshot && view.identity ? await identityDetails(db, snapshot.id, view.identity) : undefined;
  const workspaces = [...new Set(rows.flatMap((row) => row.roles.map((role) => role.workspace)))].sort();
  const roles = [...new Set(rows.flatMap((row) => row.roles.map((role) => role.roleName)))].sort();
  const query = viewQuery(view);

  return (
    <div className="space-y-4">
      <div className="flex flex-wrap items-end justify-between gap-3">
        <div className="space-y-1">
          <h1 className="text-xl font-semibold">Credentials</h1>
          <p className="text-ink-muted">
            Client secrets and certificates of app registrations and service principals, when they expire, who owns them and which Azure ML workspace roles
            they unlock. Read-only; secret values are never read.
          </p>
        </div>
        {snapshot && (
          <a href={`/api/credentials/export${query ? `?${query}` : ""}`} download className="rounded border border-line bg-surface-raised px-3 py-1.5 hover:bg-surface-sunken">
            Export CSV
          </a>
        )}
      </div>

      <RefreshPanel asOf={snapshot?.asOf ?? null} running={running ?? null} />

      {!parsed.ok && (
        <div role="alert" className="rounded-md border border-danger/50 bg-surface-raised px-4 py-3">
          <p className="font-medium text-danger">These filters cannot be used:</p>
          <ul className="list-disc pl-5">
            {parsed.messages.map((message) => (
              <li key={message}>{message}</li>
            ))}
          </ul>
        </div>
      )}

      {snapshot && (
        <>
          {snapshot.warnings.length > 0 && (
            <div role="note" className="rounded-md border border-warning/50 bg-surface-raised px-4 py-3 text-warning">
              {snapshot.warnings.map((warning) => (
                <p key={warning}>{warning}</p>
              ))}
            </div>
          )}
          <SummaryCards snapshot={snapshot} view={view} />
          <ExpiryChart rows={rows} asOf={snapshot.asOf} />
          <Trend trend={trend} />
          <FilterForm view={view} workspaces={workspaces} roles={roles} windows={snapshot.windows} />
          <CredentialTable rows={visible} view={view} snapshot={snapshot} />
        </>
      )}

      {snapshot && view.identity && (
        <DetailsDrawer
          title={details?.displayName ?? "Not in this snapshot"}
          description={details ? `App id ${details.appId}` : "This identity is not in the current snapshot."}
          closeHref={`/credentials${query ? `?${query}` : ""}`}
        >
          {details ? <IdentityPanel details={details} snapshot={snapshot} /> : <p>Refresh or choose another row.</p>}
        </DetailsDrawer>
      )}
    </div>
  );
}

function SummaryCards({ snapshot, view }: { snapshot: SnapshotSummary; view: CredentialView }) {
  return (
    <section aria-label="Credentials per bucket">
      <ul className="grid grid-cols-2 gap-3 sm:grid-cols-4 lg:grid-cols-7">
        {BUCKETS.map((bucket) => (
          <li key={bucket}>
            <Link
              href={`/credentials?${viewQuery(view, { bucket: view.bucket === bucket ? undefined : bucket })}`}
              aria-current={view.bucket === bucket ? "true" : undefined}
              data-bucket={bucket}
              className={`block rounded-md border bg-surface-raised px-3 py-2 hover:bg-surface-sunken ${view.bucket === bucket ? "border-accent" : "border-line"}`}
            >
              <span className="block text-xs text-ink-muted">{bucketLabel(bucket, snapshot.windows)}</span>
              <span className={`block text-2xl font-semibold ${BUCKET_TONE[bucket] ?? ""}`} data-testid={`bucket-count-${bucket}`}>
                {snapshot.counts[bucket]}
              </span>
            </Link>
          </li>
        ))}
      </ul>
    </section>
  );
}

function Trend({ trend }: { trend: readonly SnapshotSummary[] }) {
  if (trend.length < 2) return null;
  return (
    <details className="rounded-md border border-line bg-surface-raised px-4 py-2">
      <summary className="cursor-pointer font-medium">Trend over the last {trend.length} snapshots</summary>
      <table className="mt-2 text-xs">
        <thead>
          <tr>
            <th className="pr-4 text-left">As of</th>
            {BUCKETS.map((bucket) => (
              <th key={bucket} className="pr-3 text-right">
                {bucketLabel(bucket, trend[trend.length - 1]!.windows)}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {trend.map((snapshot) => (
            <tr key={snapshot.id}>
              <td className="pr-4">{utc(snapshot.asOf)}</td>
              {BUCKETS.map((bucket) => (
                <td key={bucket} className="pr-3 text-right">
                  {snapshot.counts[bucket]}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </details>
  );
}

function FilterForm({ view, workspaces, roles, windows }: { view: CredentialView; workspaces: string[]; roles: string[]; windows: SnapshotSummary["windows"] }) {
  const field = "rounded border border-line bg-surface px-2 py-1";
  return (
    <form method="get" action="/credentials" aria-label="Filter credentials" className="flex flex-wrap items-end gap-3 rounded-md border border-line bg-surface-raised px-4 py-3">
      <label className="flex flex-col gap-1">
        <span className="text-xs text-ink-muted">Bucket</span>
        <select name="bucket" defaultValue={view.bucket ?? ""} className={field}>
          <option value="">Any</option>
          {BUCKETS.map((bucket) => (
            <option key={bucket} value={bucket}>
              {bucketLabel(bucket, windows)}
            </option>
          ))}
        </select>
      </label>
      <label className="flex flex-col gap-1">
        <span className="text-xs text-ink-muted">Object type</span>
        <select name="type" defaultValue={view.type ?? ""} className={field}>
          <option value="">Any</option>
          {Object.entries(OBJECT_TYPE_LABELS).map(([value, label]) => (
            <option key={value} value={value}>
              {label}
            </option>
          ))}
        </select>
      </label>
      <label className="flex flex-col gap-1">
        <span className="text-xs text-ink-muted">Workspace</span>
        <select name="workspace" defaultValue={view.workspace ?? ""} className={field}>
          <option value="">Any</option>
          {workspaces.map((workspace) => (
            <option key={workspace} value={workspace}>
              {workspace}
            </option>
          ))}
        </select>
      </label>
      <label className="flex flex-col gap-1">
        <span className="text-xs text-ink-muted">Role</span>
        <select name="role" defaultValue={view.role ?? ""} className={field}>
          <option value="">Any</option>
          {roles.map((role) => (
            <option key={role} value={role}>
              {role}
            </option>
          ))}
        </select>
      </label>
      <label className="flex flex-col gap-1">
        <span className="text-xs text-ink-muted">Owner</span>
        <input name="owner" defaultValue={view.owner ?? ""} maxLength={200} className={field} />
      </label>
      <label className="flex flex-col gap-1">
        <span className="text-xs text-ink-muted">Name or app id</span>
        <input name="q" type="search" defaultValue={view.q ?? ""} maxLength={200} className={field} />
      </label>
      {view.sort !== "risk" && <input type="hidden" name="sort" value={view.sort} />}
      {view.dir && <input type="hidden" name="dir" value={view.dir} />}
      <button type="submit" className="rounded bg-accent px-3 py-1.5 font-medium text-accent-ink">
        Apply filters
      </button>
      <Link href="/credentials" className="px-2 py-1.5 text-accent underline">
        Clear
      </Link>
    </form>
  );
}

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

function CredentialTable({ rows, view, snapshot }: { rows: readonly CredentialRow[]; view: CredentialView; snapshot: SnapshotSummary }) {
  const dir = view.dir ?? (view.sort === "risk" ? "desc" : "asc");
  return (
    <section aria-label="Credentials" className="space-y-2">
      <p className="text-ink-muted" role="status">
        {rows.length.toLocaleString("en-US")} credential{rows.length === 1 ? "" : "s"} in this view
        {rows.length > MAX_ROWS ? ` — showing the first ${MAX_ROWS}; narrow the filters or export the view for all of them` : ""}.
      </p>
      <div className="overflow-x-auto rounded-md border border-line">
        <table className="w-full text-left text-sm">
          <thead className="bg-surface-sunken">
            <tr>
              {COLUMNS.map((column) => {
                const active = column.key !== null && view.sort === column.key;
                return (
                  <th key={column.label} scope="col" className="px-3 py-2 font-medium" aria-sort={active ? (dir === "asc" ? "ascending" : "descending") : undefined}>
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
            {rows.slice(0, MAX_ROWS).map((row) => (
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
                  {row.hint && <div className="font-mono text-xs text-ink-muted">hint {row.hint}…</div>}
                </td>
                <td className="whitespace-nowrap px-3 py-2">{utc(row.endDateTime)}</td>
                <td className={`px-3 py-2 ${BUCKET_TONE[row.bucket] ?? ""}`}>{bucketLabel(row.bucket, snapshot.windows)}</td>
                <td className="px-3 py-2">
                  {row.roles.length === 0 ? (
                    <span className="text-ink-muted">None</span>
                  ) : (
                    <ul>
                      {matchingFirst(row.roles, view).slice(0, ROLES_IN_TABLE).map((role) => (
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

/** The roles a workspace or role filter asked for come first. */
function matchingFirst(roles: CredentialRow["roles"], view: CredentialView): CredentialRow["roles"] {
  const matches = (role: CredentialRow["roles"][number]) =>
    (!view.workspace || role.workspace.toLowerCase() === view.workspace.toLowerCase()) && (!view.role || role.roleName.toLowerCase() === view.role.toLowerCase());
  if (!view.workspace && !view.role) return roles;
  return [...roles.filter(matches), ...roles.filter((role) => !matches(role))];
}

function IdentityPanel({ details, snapshot }: { details: IdentityDetails; snapshot: SnapshotSummary }) {
  return (
    <div className="space-y-4">
      <section aria-label="Recommendation" className="rounded-md border border-accent/50 bg-surface px-3 py-2">
        <h3 className="font-medium">Recommendation</h3>
        <p>{details.recommendation}</p>
      </section>
      <dl className="grid grid-cols-[10rem_1fr] gap-x-3 gap-y-1">
        <dt className="text-ink-muted">Application object</dt>
        <dd className="font-mono text-xs">{details.applicationObjectId ?? "— (no app registration in this tenant)"}</dd>
        <dt className="text-ink-muted">Service principal</dt>
        <dd className="font-mono text-xs">{details.servicePrincipalId ?? "—"}</dd>
        <dt className="text-ink-muted">Kind</dt>
        <dd>{details.isManagedIdentity ? "Managed identity" : "App registration"}</dd>
      </dl>
      <section>
        <h3 className="mb-1 font-medium">Credentials</h3>
        <table className="w-full text-left text-xs">
          <thead>
            <tr className="text-ink-muted">
              <th className="pr-2">On</th>
              <th className="pr-2">Type</th>
              <th className="pr-2">Name / key id</th>
              <th className="pr-2">Valid</th>
              <th>Bucket</th>
            </tr>
          </thead>
          <tbody>
            {details.rows.map((row) => (
              <tr key={row.id} className="border-t border-line align-top">
                <td className="py-1 pr-2">{OBJECT_TYPE_LABELS[row.objectType]}</td>
                <td className="py-1 pr-2">{CREDENTIAL_KIND_LABELS[row.kind]}</td>
                <td className="py-1 pr-2">
                  {row.credentialName ?? "—"}
                  {row.keyId && <div className="font-mono text-ink-muted">{row.keyId}</div>}
                  {row.hint && <div className="font-mono text-ink-muted">hint {row.hint}…</div>}
                </td>
                <td className="whitespace-nowrap py-1 pr-2">
                  {utc(row.startDateTime)} → {utc(row.endDateTime)}
                </td>
                <td className={`py-1 ${BUCKET_TONE[row.bucket] ?? ""}`}>{bucketLabel(row.bucket, snapshot.windows)}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {details.federatedCredentials.length > 0 && (
          <ul className="mt-2 list-disc pl-5">
            {details.federatedCredentials.map((credential) => (
              <li key={credential.name}>
                Federated: {credential.name} ({credential.issuer}, {credential.subject})
              </li>
            ))}
          </ul>
        )}
      </section>
      <section>
        <h3 className="mb-1 font-medium">Owners</h3>
        {details.owners.length === 0 ? (
          <p className="text-warning">No owner: nobody is notified before these credentials expire.</p>
        ) : (
          <ul className="list-disc pl-5">
            {details.owners.map((owner) => (
              <li key={owner.id}>
                {owner.displayName}
                {owner.mail && <span className="text-ink-muted"> ({owner.mail})</span>}
              </li>
            ))}
          </ul>
        )}
      </section>
      <section>
        <h3 className="mb-1 font-medium">Workspace roles</h3>
        {details.roles.length === 0 ? (
          <p className="text-ink-muted">No Azure ML workspace roles, directly or through a group.</p>
        ) : (
          <ul className="list-disc pl-5">
            {details.roles.map((role) => (
              <li key={`${role.workspaceScope}|${role.roleId}|${role.assignmentScope}|${role.viaGroup ?? ""}`}>
                {role.roleName} on {role.workspace}
                {role.privileged && <span className="ml-1 text-danger">(privileged)</span>}
                <div className="break-all font-mono text-xs text-ink-muted">
                  assigned at {role.assignmentScope}
                  {role.viaGroup ? ` to the group ${role.viaGroup}, of which it is a member` : ""}
                </div>
              </li>
            ))}
          </ul>
        )}
      </section>
    </div>
  );
}
