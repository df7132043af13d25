import type { AuditEventRecord } from "@/lib/audit";
import { EventDetails } from "./event-details";
import { EventDetailsDialog } from "./event-details-dialog";
import { actorName, formatUtc, shortScope } from "./format";
import { OutcomeBadge } from "./outcome-badge";

const TH = "whitespace-nowrap border-b border-line px-3 py-2 text-left text-xs font-semibold uppercase tracking-wide text-ink-muted";
const TD = "border-b border-line px-3 py-1.5 align-top";

/** One page of events, newest first; each row's "Details" opens every field and correlation id. */
export function AuditTable({ events }: { events: readonly AuditEventRecord[] }) {
  return (
    <div className="overflow-x-auto rounded-md border border-line bg-surface-raised">
      <table className="w-full border-collapse text-sm">
        <caption className="sr-only">Audit events matching the filters, newest first</caption>
        <thead className="bg-surface-sunken">
          <tr>
            <th scope="col" className={TH}>
              Time (UTC)
            </th>
            <th scope="col" className={TH}>
              Actor
            </th>
            <th scope="col" className={TH}>
              Action
            </th>
            <th scope="col" className={TH}>
              Outcome
            </th>
            <th scope="col" className={TH}>
              Target
            </th>
            <th scope="col" className={TH}>
              Reason
            </th>
            <th scope="col" className={TH}>
              <span className="sr-only">Details</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {events.map((event) => {
            const actor = actorName(event.actor);
            return (
              <tr key={event.id} className="hover:bg-surface-sunken/60">
                <td className={`${TD} whitespace-nowrap font-mono text-xs leading-5`}>
                  <time dateTime={event.occurredAt.toISOString()}>{formatUtc(event.occurredAt)}</time>
                </td>
                <td className={`${TD} max-w-56`}>
                  <div className="truncate" title={actor.primary}>
                    {actor.primary}
                  </div>
                  {actor.secondary && (
                    <div className="truncate text-xs text-ink-muted" title={actor.secondary}>
                      {actor.secondary}
                    </div>
                  )}
                </td>
                <td className={`${TD} whitespace-nowrap font-mono text-xs leading-5`}>{event.action}</td>
                <td className={TD}>
                  <OutcomeBadge outcome={event.outcome} errorCode={event.errorCode} />
                </td>
                <td className={`${TD} max-w-72`}>
                  <Target target={event.target} />
                </td>
                <td className={`${TD} max-w-80`}>
                  <Reason event={event} />
                </td>
                <td className={`${TD} text-right`}>
                  <EventDetailsDialog eventId={event.id} title={`${event.action} — ${event.outcome}`}>
                    <EventDetails event={event} />
                  </EventDetailsDialog>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

function Target({ target }: { target: AuditEventRecord["target"] }) {
  const lines: { key: string; text: string; title?: string; mono?: boolean }[] = [];
  if (target.roleName ?? target.roleDefinitionId) {
    lines.push({ key: "role", text: target.roleName ?? shortScope(target.roleDefinitionId ?? ""), title: target.roleDefinitionId ?? undefined });
  }
  if (target.principalId) {
    lines.push({ key: "principal", text: `${target.principalType ?? "principal"} ${target.principalId}`, mono: true });
  }
  if (target.scope) lines.push({ key: "scope", text: shortScope(target.scope), title: target.scope, mono: true });
  if (target.requestId) lines.push({ key: "request", text: `request ${target.requestId}`, mono: true });
  if (lines.length === 0) return <span className="text-ink-muted">—</span>;
  return (
    <>
      {lines.map((line) => (
        <div key={line.key} title={line.title ?? line.text} className={`truncate ${line.mono ? "font-mono text-xs leading-5" : ""}`}>
          {line.text}
        </div>
      ))}
    </>
  );
}

function Reason({ event }: { event: AuditEventRecord }) {
  if (event.reason) {
    return (
      <div className="line-clamp-2" title={event.reason}>
        {event.reason}
      </div>
    );
  }
  // A refusal's "why" lives in its details.
  const details = event.details;
  if (event.action === "authz.denied" && typeof details === "object" && details !== null && "deniedBecause" in details) {
    const { consoleAction, deniedBecause } = details as { consoleAction?: unknown; deniedBecause?: unknown };
    return (
      <span className="text-ink-muted">
        {String(deniedBecause).replace(/_/g, " ")}
        {typeof consoleAction === "string" && <> ({consoleAction})</>}
      </span>
    );
  }
  if (event.action === "security.refusals_counted" && typeof details === "object" && details !== null && "count" in details && "source" in details) {
    const { count, source } = details as { count?: unknown; source?: unknown };
    return (
      <span className="text-ink-muted">
        {String(count)} refused from {String(source)}
      </span>
    );
  }
  return <span className="text-ink-muted">—</span>;
}
