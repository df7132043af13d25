import type { AuditOutcome } from "@/lib/audit";

const STYLES: Record<AuditOutcome, string> = {
  succeeded: "border-success/40 text-success",
  failed: "border-danger/40 text-danger",
  denied: "border-warning/50 text-warning",
};

/** The outcome in words (never colour alone), with the error code of a failure. */
export function OutcomeBadge({ outcome, errorCode }: { outcome: AuditOutcome; errorCode: string | null }) {
  return (
    <span className={`inline-flex items-center gap-1 whitespace-nowrap rounded border px-1.5 py-0.5 text-xs font-medium ${STYLES[outcome]}`}>
      {outcome}
      {errorCode && <span className="font-mono font-normal">({errorCode})</span>}
    </span>
  );
}
