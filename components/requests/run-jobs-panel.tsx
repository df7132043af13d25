"use client";

import { useRouter } from "next/navigation";
import { useState, useTransition } from "react";

import { runRequestJobsNow } from "@/app/actions/requests";
import { Button } from "@/components/ui/button";
import { ResultText } from "@/components/ui/message-with-reference";
import type { RequestJobRun } from "@/lib/requests/run-request-jobs";
import type { ActionResult } from "@/lib/shared/action-result";

function plural(count: number, one: string, many: string): string {
  return `${count} ${count === 1 ? one : many}`;
}

/** Admins: run the expiry job now (lapse stale requests, send reminders, remove expired access) and see what it did. */
export function RunJobsPanel() {
  const [result, setResult] = useState<ActionResult<RequestJobRun> | null>(null);
  const [pending, startTransition] = useTransition();
  const router = useRouter();

  return (
    <section aria-labelledby="run-jobs-heading" className="space-y-2 rounded-md border border-line bg-surface-raised p-4">
      <div className="flex flex-wrap items-center justify-between gap-3">
        <div>
          <h2 id="run-jobs-heading" className="font-medium">
            Expiry job
          </h2>
          <p className="text-ink-muted">Runs on its own every minute as Gatehouse&apos;s identity. Run it now to remove expired access at once.</p>
        </div>
        <Button
          disabled={pending}
          onClick={() =>
            startTransition(async () => {
              const next = await runRequestJobsNow({});
              setResult(next);
              // After an error too: requests it ended before the error are on the page.
              router.refresh();
            })
          }
        >
          {pending ? "Running…" : "Run expiry now"}
        </Button>
      </div>
      <div aria-live="polite">
        {result?.status === "error" && <ResultText message={result.message} reference={result.reference} />}
        {result?.status === "success" && (
          <p role="status" className={result.data.expiryFailed > 0 ? "text-warning" : "text-success"}>
            Expiry job finished: {plural(result.data.expired, "expired grant removed", "expired grants removed")},{" "}
            {plural(result.data.expiryFailed, "removal failed", "removals failed")} (retried on the next run),{" "}
            {plural(result.data.lapsed, "request lapsed", "requests lapsed")}, {plural(result.data.reminded, "reminder sent", "reminders sent")}.
          </p>
        )}
      </div>
    </section>
  );
}
