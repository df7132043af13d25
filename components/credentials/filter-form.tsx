import Link from "next/link";

import { Button } from "@/components/ui/button";
import type { CredentialView } from "@/lib/credentials/view";
import { BUCKETS, bucketLabel, OBJECT_TYPE_LABELS, type SnapshotSummary } from "@/lib/shared/credentials";

const FIELD = "rounded border border-line bg-surface px-2 py-1";

/**
 * The dashboard's filters as a plain GET form, so a filtered view is a URL to share. The sort and its direction ride
 * along as hidden fields; "Clear" drops everything.
 */
export function FilterForm({
  view,
  workspaces,
  roles,
  windows,
}: {
  view: CredentialView;
  workspaces: readonly string[];
  roles: readonly string[];
  windows: SnapshotSummary["windows"];
}) {
  return (
    <form
      method="get"
      action="/credentials"
      aria-label="Filter credentials"
      className="flex flex-wrap items-end gap-3 rounded-md border border-line bg-surface-raised px-4 py-3"
    >
      <label className="flex flex-col gap-1">
        <span className="text-xs text-ink-muted">Bucket</span>
        <select name="bucket" defaultValue={view.bucket ?? ""} className={FIELD}>
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
        <select name="type" defaultValue={view.type ?? ""} className={FIELD}>
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
        <select name="workspace" defaultValue={view.workspace ?? ""} className={FIELD}>
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
        <select name="role" defaultValue={view.role ?? ""} className={FIELD}>
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
        <input name="owner" defaultValue={view.owner ?? ""} maxLength={200} className={FIELD} />
      </label>
      <label className="flex flex-col gap-1">
        <span className="text-xs text-ink-muted">Name or app id</span>
        <input name="q" type="search" defaultValue={view.q ?? ""} maxLength={200} className={FIELD} />
      </label>
      {view.sort !== "risk" && <input type="hidden" name="sort" value={view.sort} />}
      {view.dir && <input type="hidden" name="dir" value={view.dir} />}
      <Button type="submit" variant="primary">
        Apply filters
      </Button>
      <Link href="/credentials" className="px-2 py-1.5 text-accent underline">
        Clear
      </Link>
    </form>
  );
}
