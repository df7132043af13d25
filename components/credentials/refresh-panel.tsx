"use client";

import { useRouter } from "next/navigation";
import { useEffect, useState, useTransition } from "react";

import { refreshCredentialInventory } from "@/app/actions/credentials";
import { getCredentialRefreshStatus } from "@/components/shared/reads";
import { Button } from "@/components/ui/button";
import type { SnapshotSummary } from "@/lib/shared/credentials";

const POLL_MS = 1000;

/** "As of" time, and a Refresh button that follows the run's progress until it completes, then reloads the page data. */
export function RefreshPanel({ asOf, running }: { asOf: string | null; running: SnapshotSummary | null }) {
  const router = useRouter();
  const [current, setCurrent] = useState<SnapshotSummary | null>(running);
  const [error, setError] = useState<{ message: string; reference?: string | undefined } | null>(null);
  const [pending, startTransition] = useTransition();

  useEffect(() => {
    if (!current || current.status !== "running") return;
    const timer = setTimeout(() => {
      void getCredentialRefreshStatus({ snapshotId: current.id }).then((result) => {
        if (result.status !== "success") {
          setError({ message: result.message, reference: result.reference });
          setCurrent(null);
          return;
        }
        setCurrent(result.data);
        if (result.data.status === "complete") router.refresh();
        if (result.data.status === "failed") setError({ message: result.data.errorMessage ?? "The refresh failed." });
      });
    }, POLL_MS);
    return () => clearTimeout(timer);
  }, [current, router]);

  function refresh() {
    setError(null);
    startTransition(async () => {
      const result = await refreshCredentialInventory({});
      if (result.status === "success") setCurrent(result.data);
      else setError({ message: result.message, reference: result.reference });
    });
  }

  const busy = pending || current?.status === "running";
  const progress = current?.status === "running" ? current.progress : null;
  return (
    <section aria-label="Snapshot" className="flex flex-wrap items-center gap-x-4 gap-y-2 rounded-md border border-line bg-surface-raised px-4 py-3">
      <p className="min-w-0 flex-1">
        {asOf ? (
          <>
            As of{" "}
            <time dateTime={asOf} data-testid="credentials-as-of">
              {asOf.replace("T", " ").slice(0, 19)} UTC
            </time>
          </>
        ) : (
          "No snapshot yet: refresh to read the directory."
        )}
      </p>
      <div role="status" aria-live="polite" className="flex items-center gap-2 text-ink-muted">
        {progress && (
          <>
            <span>
              {progress.phase}
              {progress.total > 0 ? ` (${progress.done.toLocaleString("en-US")} of ${progress.total.toLocaleString("en-US")})` : "…"}
            </span>
            <progress
              aria-label="Refresh progress"
              className="h-2 w-32"
              max={progress.total > 0 ? progress.total : undefined}
              value={progress.total > 0 ? progress.done : undefined}
            />
          </>
        )}
        {current?.status === "complete" && !busy && <span>Refreshed.</span>}
      </div>
      {error && (
        <p role="alert" className="w-full text-danger">
          {error.message}
          {error.reference && <span className="text-ink-muted"> (reference {error.reference})</span>}
        </p>
      )}
      <Button variant="primary" disabled={busy} onClick={refresh}>
        {busy ? "Refreshing…" : "Refresh"}
      </Button>
    </section>
  );
}
