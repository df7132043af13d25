import Link from "next/link";

import { type CredentialView, viewQuery } from "@/lib/credentials/view";
import { BUCKETS, bucketLabel, type SnapshotSummary } from "@/lib/shared/credentials";
import { BUCKET_TONE } from "./bucket-tone";

/** One card per bucket with its count; a card filters the view to its bucket, and again clears that filter. */
export function SummaryCards({ snapshot, view }: { snapshot: SnapshotSummary; view: CredentialView }) {
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
              <span className={`block text-2xl font-semibold ${BUCKET_TONE[bucket]}`} data-testid={`bucket-count-${bucket}`}>
                {snapshot.counts[bucket]}
              </span>
            </Link>
          </li>
        ))}
      </ul>
    </section>
  );
}
