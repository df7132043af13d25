import { formatDateTime } from "@/components/shared/format";
import { TableHeader } from "@/components/ui/table";

/** One way of notifying as the page shows it (lib/notifications/status.ts `DeliveryHealth`, dates as ISO text). */
export interface DeliveryHealthRow {
  readonly name: string;
  readonly kind: "teams" | "slack" | "mail";
  readonly host: string | null;
  readonly configured: boolean;
  readonly pending: number;
  readonly sentLast24h: number;
  readonly gaveUp: number;
  readonly lastFailureAt: string | null;
  readonly lastFailure: string | null;
}

export interface GivenUpRow {
  readonly id: number;
  readonly via: string;
  readonly recipient: string;
  readonly subject: string;
  readonly attempts: number;
  readonly lastError: string | null;
  readonly lastAttemptAt: string | null;
}

const KIND_LABELS = { teams: "Teams (Workflows)", slack: "Slack", mail: "Mail (Graph)" } as const;

/** Per channel and for mail: what waits, what went out in the last day, what was given up, and the latest failure. */
export function DeliveryHealthTable({ rows }: { rows: readonly DeliveryHealthRow[] }) {
  return (
    <div className="overflow-x-auto rounded-md border border-line">
      <table className="w-full text-left text-sm">
        <TableHeader
          columns={[
            "Channel",
            "Kind",
            "Host",
            { label: "Pending", className: "text-right" },
            { label: "Sent (24 h)", className: "text-right" },
            { label: "Given up", className: "text-right" },
            "Last failure",
          ]}
        />
        <tbody className="divide-y divide-line">
          {rows.map((row) => (
            <tr key={`${row.kind}:${row.name}`} data-channel={row.name} className={row.gaveUp > 0 || row.lastFailure ? "bg-warning-subtle" : undefined}>
              <td className="px-3 py-2 font-mono">
                {row.name}
                {!row.configured && (
                  <span className="ml-2 font-sans text-xs text-ink-muted">{row.kind === "mail" ? "(mail is off)" : "(no longer configured)"}</span>
                )}
              </td>
              <td className="px-3 py-2">{row.configured || row.kind === "mail" ? KIND_LABELS[row.kind] : "—"}</td>
              <td className="px-3 py-2 font-mono">{row.host ?? "—"}</td>
              <td className="px-3 py-2 text-right tabular-nums">{row.pending}</td>
              <td className="px-3 py-2 text-right tabular-nums">{row.sentLast24h}</td>
              <td className="px-3 py-2 text-right tabular-nums">{row.gaveUp}</td>
              <td className="px-3 py-2">
                {row.lastFailure ? (
                  <>
                    <span className="whitespace-nowrap">{formatDateTime(row.lastFailureAt)}</span>
                    <span className="block text-ink-muted">{row.lastFailure}</span>
                  </>
                ) : (
                  "—"
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** The latest notifications given up, with the reason the last attempt got. */
export function GivenUpTable({ rows }: { rows: readonly GivenUpRow[] }) {
  if (rows.length === 0) return <p className="text-ink-muted">Nothing has been given up.</p>;
  return (
    <div className="overflow-x-auto rounded-md border border-line">
      <table className="w-full text-left text-sm">
        <TableHeader columns={["Last attempt", "Via", "Subject", { label: "Attempts", className: "text-right" }, "Why"]} />
        <tbody className="divide-y divide-line">
          {rows.map((row) => (
            <tr key={row.id}>
              <td className="whitespace-nowrap px-3 py-2">{formatDateTime(row.lastAttemptAt)}</td>
              <td className="px-3 py-2">
                <span className="font-mono">{row.via}</span>
                {row.recipient && <span className="block text-xs text-ink-muted">{row.recipient}</span>}
              </td>
              <td className="px-3 py-2">{row.subject}</td>
              <td className="px-3 py-2 text-right tabular-nums">{row.attempts}</td>
              <td className="px-3 py-2 text-ink-muted">{row.lastError ?? "—"}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
