import { formatUtcMinute } from "@/lib/credentials/view";
import { BUCKETS, bucketLabel, type SnapshotSummary } from "@/lib/shared/credentials";

/** Counts per bucket over the recent snapshots, folded away; nothing to show until there are two. */
export function Trend({ trend }: { trend: readonly SnapshotSummary[] }) {
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
              <td className="pr-4">{formatUtcMinute(snapshot.asOf)}</td>
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
