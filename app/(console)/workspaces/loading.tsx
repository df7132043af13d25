/** Shown while subscriptions and their workspaces load. */
export default function Loading() {
  return (
    <div className="space-y-4" aria-busy="true" aria-live="polite">
      <h1 className="text-xl font-semibold">Workspaces</h1>
      <p className="text-ink-muted">Loading your subscriptions and workspaces…</p>
      <div className="space-y-2 rounded-md border border-line bg-surface-raised p-3">
        {Array.from({ length: 8 }, (_, index) => (
          <div key={index} className="h-8 animate-pulse rounded bg-surface-sunken motion-reduce:animate-none" />
        ))}
      </div>
    </div>
  );
}
