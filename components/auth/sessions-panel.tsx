"use client";

import { useRouter } from "next/navigation";
import { useState, useTransition } from "react";

import { endSession } from "@/app/actions/account";
import { formatDateTime } from "@/components/shared/format";
import { searchSessions } from "@/components/shared/reads";
import { useLatestCall } from "@/components/shared/use-latest-call";
import { Button } from "@/components/ui/button";
import { INPUT_CLASS } from "@/components/ui/field";
import { MessageWithReference } from "@/components/ui/message-with-reference";
import { TableHeader } from "@/components/ui/table";
import type { SessionView } from "@/lib/account/sessions";
import { useAuthSettings } from "./auth-provider";
import { signOutEverywhere } from "./sign-out";

/**
 * The person's live sessions (each browser they signed in on), this one marked, each of which they can end; for an
 * admin, a search for anyone's live sessions by sign-in name or name. Ending a session signs that browser out at its
 * next request.
 */
export function SessionsPanel({ sessions, isAdmin }: { sessions: readonly SessionView[]; isAdmin: boolean }) {
  return (
    <section aria-labelledby="sessions-heading" className="space-y-3 rounded-md border border-line bg-surface-raised px-4 py-3">
      <h2 id="sessions-heading" className="font-medium">
        Your sessions
      </h2>
      <p className="text-ink-muted">Where you are signed in to Gatehouse. End a session you do not recognise, or one on a device you no longer use.</p>
      <SessionTable sessions={sessions} label="Your sessions" showPerson={false} />
      {isAdmin && <AdminSessionSearch />}
    </section>
  );
}

function SessionTable({
  sessions,
  label,
  showPerson,
  onEnded,
}: {
  sessions: readonly SessionView[];
  label: string;
  showPerson: boolean;
  onEnded?: (id: string) => void;
}) {
  const router = useRouter();
  const settings = useAuthSettings();
  const [pending, startTransition] = useTransition();
  const [problem, setProblem] = useState<{ message: string; reference?: string | undefined } | null>(null);

  const end = (session: SessionView) =>
    startTransition(async () => {
      setProblem(null);
      const result = await endSession({ sessionId: session.id });
      if (result.status === "error") {
        setProblem({ message: result.message, reference: result.reference });
        return;
      }
      // This browser's own session: sign out of Entra too, as the account menu does.
      if (result.data.endedCurrent) {
        await signOutEverywhere(settings);
        return;
      }
      onEnded?.(session.id);
      router.refresh();
    });

  if (sessions.length === 0) return <p className="text-ink-muted">No live sessions.</p>;
  return (
    <div className="space-y-2">
      <table className="w-full text-left text-sm" aria-label={label}>
        <TableHeader columns={[showPerson && "Person", "Session", "Signed in", "Last seen", "From", { label: "", className: "text-right" }]} />
        <tbody>
          {sessions.map((session) => (
            <tr key={session.id} className="border-t border-line align-top">
              {showPerson && (
                <td className="px-3 py-2">
                  {session.displayName}
                  <div className="text-ink-muted">{session.userPrincipalName}</div>
                </td>
              )}
              <td className="px-3 py-2">
                {/* The start of the session's id, as the audit trail names it. */}
                <span className="font-mono">{shortId(session.id)}</span>
                {session.current && <span className="ml-2 rounded bg-surface-sunken px-1.5 py-0.5 text-xs font-medium">This session</span>}
              </td>
              <td className="px-3 py-2">{formatDateTime(session.createdAt)}</td>
              <td className="px-3 py-2">{formatDateTime(session.lastSeenAt)}</td>
              <td className="px-3 py-2">
                <span className="font-mono">{session.clientAddress}</span>
                <div className="max-w-xs truncate text-ink-muted" title={session.userAgent}>
                  {session.userAgent || "Unknown browser"}
                </div>
              </td>
              <td className="px-3 py-2 text-right">
                <Button
                  size="sm"
                  variant="danger"
                  disabled={pending}
                  aria-label={`End session ${shortId(session.id)}${showPerson ? ` of ${session.userPrincipalName}` : ""}${session.current ? " (this session)" : ""}`}
                  onClick={() => end(session)}
                >
                  End
                </Button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {problem && (
        <p role="alert" className="text-danger">
          <MessageWithReference message={problem.message} reference={problem.reference} />
        </p>
      )}
    </div>
  );
}

function shortId(id: string): string {
  return id.slice(0, 8);
}

function AdminSessionSearch() {
  const [query, setQuery] = useState("");
  const [found, setFound] = useState<readonly SessionView[] | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [pending, startTransition] = useTransition();
  const startCall = useLatestCall();
  const search = () => {
    const isLatest = startCall();
    startTransition(async () => {
      setProblem(null);
      const result = await searchSessions({ query });
      if (!isLatest()) return;
      if (result.status === "error") {
        setProblem(result.fieldErrors?.query?.[0] ?? result.message);
        setFound(null);
      } else setFound(result.data);
    });
  };
  return (
    <div className="space-y-2 border-t border-line pt-3">
      <h3 className="font-medium">Anyone&apos;s sessions (admin)</h3>
      <form
        className="flex flex-wrap items-end gap-2"
        onSubmit={(event) => {
          event.preventDefault();
          search();
        }}
      >
        <label className="space-y-1">
          <span className="block text-ink-muted">Sign-in name or name</span>
          <input className={`${INPUT_CLASS} w-72`} value={query} maxLength={100} onChange={(event) => setQuery(event.target.value)} />
        </label>
        <Button type="submit" disabled={pending}>
          {pending ? "Searching…" : "Find sessions"}
        </Button>
      </form>
      {problem && (
        <p role="alert" className="text-danger">
          {problem}
        </p>
      )}
      {found && (
        <SessionTable
          sessions={found}
          label="Sessions found"
          showPerson
          onEnded={(id) => setFound((current) => current?.filter((session) => session.id !== id) ?? null)}
        />
      )}
    </div>
  );
}
