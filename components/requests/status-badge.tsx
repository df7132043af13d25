import type { RequestStatus } from "@/lib/requests/schema";
import { STATUS_DESCRIPTIONS, STATUS_LABELS, STATUS_TONES } from "./format";

/** The status in words (never colour alone); the description is the tooltip and, for screen readers, the title. */
export function StatusBadge({ status }: { status: RequestStatus }) {
  return (
    <span
      title={STATUS_DESCRIPTIONS[status]}
      data-status={status}
      className={`inline-flex items-center whitespace-nowrap rounded border px-1.5 py-0.5 text-xs font-medium ${STATUS_TONES[status]}`}
    >
      {STATUS_LABELS[status]}
    </span>
  );
}
