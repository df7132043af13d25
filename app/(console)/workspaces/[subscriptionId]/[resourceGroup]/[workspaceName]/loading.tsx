/** Shown while the workspace's role assignments and their principals load. */
export default function Loading() {
  return (
    <div className="space-y-5" aria-busy="true" aria-live="polite">
      <div className="h-6 w-64 animate-pulse rounded bg-surface-sunken motion-reduce:animate-none" />
      <p className="text-ink-muted">Loading who has access…</p>
      <div className="h-24 animate-pulse rounded-md border border-line bg-surface-raised motion-reduce:animate-none" />
      <div className="space-y-2 rounded-md border border-line bg-surface-raised p-3">
        {Array.from({ length: 12 }, (_, index) => (
          <div key={index} className="h-10 animate-pulse rounded bg-surface-sunken motion-reduce:animate-none" />
        ))}
      </div>
    </div>
  );
}
