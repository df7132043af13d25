"use client";

import { useState, useTransition } from "react";

import { verifyAuditChain } from "@/components/shared/reads";
import type { ChainStatus } from "@/lib/audit/chain-status";
import { Button } from "@/components/ui/button";

/** The tamper-evidence status: the last verification (cached on the server) and a button to verify now. */
export function ChainStatusPanel({ initial }: { initial: ChainStatus }) {
  const [status, setStatus] = useState<ChainStatus>(initial);
  const [error, setError] = useState<{ message: string; reference?: string | undefined } | null>(null);
  const [pending, startTransition] = useTransition();

  function verifyNow() {
    startTransition(async () => {
      const result = await verifyAuditChain(undefined);
      if (result.status === "success") {
        setStatus(result.data);
        setError(null);
      } else {
        setError({ message: result.message, reference: result.reference });
      }
    });
  }

  return (
    <section aria-labelledby="chain-heading" className="flex flex-wrap items-center gap-x-4 gap-y-2 rounded-md border border-line bg-surface-raised px-4 py-3">
      <h2 id="chain-heading" className="font-medium">
        Tamper evidence
      </h2>
      <div aria-live="polite" className="min-w-0 flex-1">
        <StatusLine status={status} />
        {error && (
          <p role="alert" className="text-danger">
            {error.message}
            {error.reference && <span className="text-ink-muted"> (reference {error.reference})</span>}
          </p>
        )}
      </div>
      <Button variant="primary" disabled={pending} onClick={verifyNow}>
        {pending ? "Verifying…" : "Verify now"}
      </Button>
    </section>
  );
}

function StatusLine({ status }: { status: ChainStatus }) {
  if (status.state === "unknown") {
    return <p className="text-ink-muted">{status.running ? "Verification is running; check back shortly or verify now." : "Not verified yet."}</p>;
  }
  const when = (
    <span className="text-ink-muted">
      {" "}
      (verified <time dateTime={status.verifiedAt}>{status.verifiedAt.replace("T", " ").slice(0, 19)} UTC</time>)
    </span>
  );
  if (status.state === "intact") {
    return (
      <p>
        <span aria-hidden="true" className="text-success">
          ✓{" "}
        </span>
        <span className="font-medium text-success">Audit chain intact</span> — {status.checkedEvents.toLocaleString("en-US")}{" "}
        {status.checkedEvents === 1 ? "event" : "events"} verified{when}
      </p>
    );
  }
  return (
    <p>
      <span aria-hidden="true" className="text-danger">
        ✕{" "}
      </span>
      <span className="font-medium text-danger">Broken at event #{status.eventId}</span>: {status.detail} ({status.problem.replace(/_/g, " ")}).{" "}
      {status.checkedEvents.toLocaleString("en-US")} events before it verified{when}
    </p>
  );
}
