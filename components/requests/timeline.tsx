import { formatDateTime } from "@/components/shared/format";
import { durationText, requestedAccess, type RequestView } from "./format";

interface Entry {
  readonly key: string;
  readonly at: string | null;
  readonly title: string;
  readonly detail?: string | undefined;
  readonly quote?: string | undefined;
  readonly tone?: "danger" | "success" | "warning" | undefined;
  /** In the future: shown as "ends", not as something that happened. */
  readonly upcoming?: boolean;
}

const TONES = { danger: "text-danger", success: "text-success", warning: "text-warning" } as const;

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}

function entries(request: RequestView, isAdmin: boolean): Entry[] {
  const list: Entry[] = [
    {
      key: "asked",
      at: request.createdAt,
      title: `${request.requesterName} asked for ${requestedAccess(request)} on ${request.workspaceName} for ${request.principalDisplayName}`,
      detail: `${durationText(request.durationMinutes)}${request.ticket ? ` · ticket ${request.ticket}` : ""}${request.extendsRequestId ? " · an extension of earlier access" : ""}`,
      quote: request.justification,
    },
  ];
  request.approvals.forEach((approval, index) => {
    list.push({
      key: `approval-${index}`,
      at: approval.at,
      title: `Approved by ${approval.displayName}${request.approvalsRequired > 1 ? ` (approval ${index + 1} of ${request.approvalsRequired})` : ""}`,
      quote: approval.comment || undefined,
      tone: "success",
    });
  });
  if (request.status === "pending") {
    const missing = request.approvalsRequired - request.approvals.length;
    list.push({
      key: "waiting",
      at: request.pendingUntil,
      upcoming: true,
      title: `Waiting for ${missing} approval${missing === 1 ? "" : "s"} from admins; lapses if not decided by`,
    });
  }
  if (request.status === "denied") {
    list.push({
      key: "denied",
      at: request.decidedAt,
      title: `Denied by ${request.decidedByName ?? "an admin"}`,
      quote: request.decisionComment ?? undefined,
      tone: "danger",
    });
  }
  if (request.status === "cancelled") {
    list.push({
      key: "cancelled",
      at: request.decidedAt,
      title: `Withdrawn by ${request.decidedByName ?? request.requesterName}`,
      quote: request.decisionComment ?? undefined,
    });
  }
  if (request.status === "lapsed") {
    // A request closed because it could no longer be granted (policy, principal or requester changed) says why.
    list.push(
      request.outcomeNote
        ? { key: "lapsed", at: request.endedAt, title: "Closed without a grant", detail: request.outcomeNote }
        : { key: "lapsed", at: request.endedAt, title: "Lapsed: nobody decided in time" },
    );
  }
  if (request.status === "failed") {
    list.push({ key: "failed", at: request.decidedAt, title: "Nothing was granted", detail: request.failureReason ?? undefined, tone: "danger" });
  }
  if (request.status === "covered") {
    list.push({
      key: "covered",
      at: request.endedAt,
      title: "Already covered: nothing was granted and nothing will expire",
      detail: request.outcomeNote ?? undefined,
    });
  }
  if (request.grantedAt) list.push({ key: "granted", at: request.grantedAt, title: "Access granted in Azure", tone: "success" });
  if (request.status === "expiry_failed") {
    list.push({
      key: "expiry-failed",
      at: request.nextExpiryAttemptAt,
      upcoming: true,
      title: "Removing the access failed; Gatehouse tries again at",
      detail: isAdmin ? (request.failureReason ?? undefined) : undefined,
      tone: "danger",
    });
  }
  if (request.status === "granted" || request.status === "expiring") {
    list.push({
      key: "ends",
      at: request.expiresAt,
      upcoming: true,
      title: request.expiresAt ? "Access ends" : "Permanent: the access does not end on its own",
    });
  }
  if (request.status === "expired") {
    list.push({
      key: "expired",
      at: request.endedAt,
      title: `Access ended: ${request.outcomeNote ? lowerFirst(request.outcomeNote) : "the role assignment was removed"}`,
    });
  }
  if (request.status === "extended") list.push({ key: "extended", at: request.endedAt, title: "Extended: a newer approved request carries this access now" });
  if (request.status === "superseded") {
    list.push({ key: "superseded", at: request.endedAt, title: "Made permanent: an admin granted the same access directly, so it no longer ends" });
  }
  if (request.status === "revoked") {
    list.push({ key: "revoked", at: request.endedAt, title: "Access removed early by an admin", detail: request.outcomeNote ?? undefined });
  }
  return list;
}

/** Who asked and why, who decided with what comment, when access started and when it ends. */
export function RequestTimeline({ request, isAdmin }: { request: RequestView; isAdmin: boolean }) {
  return (
    <section aria-labelledby="timeline-heading" className="space-y-3">
      <h2 id="timeline-heading" className="text-lg font-semibold">
        Timeline
      </h2>
      <ol aria-label="Timeline" className="space-y-3 border-l-2 border-line pl-4">
        {entries(request, isAdmin).map((entry) => (
          <li key={entry.key} className="space-y-1">
            <p className="text-xs text-ink-muted">{entry.at ? formatDateTime(entry.at) : ""}</p>
            <p className={`font-medium ${entry.tone ? TONES[entry.tone] : ""}`}>
              {entry.title}
              {entry.upcoming && entry.at ? ` ${formatDateTime(entry.at)}` : ""}
            </p>
            {entry.detail && <p className="text-ink-muted">{entry.detail}</p>}
            {entry.quote && <blockquote className="whitespace-pre-wrap rounded border-l-4 border-line bg-surface-sunken px-3 py-1.5">{entry.quote}</blockquote>}
          </li>
        ))}
      </ol>
    </section>
  );
}
