import type { Metadata } from "next";

import { Forbidden } from "@/components/auth/forbidden";
import { CredentialTable } from "@/components/credentials/credential-table";
import { DetailsDrawer } from "@/components/credentials/details-drawer";
import { ExpiryChart } from "@/components/credentials/expiry-chart";
import { FilterForm } from "@/components/credentials/filter-form";
import { IdentityPanel } from "@/components/credentials/identity-panel";
import { RefreshPanel } from "@/components/credentials/refresh-panel";
import { SummaryCards } from "@/components/credentials/summary-cards";
import { Trend } from "@/components/credentials/trend";
import { Alert, FilterErrors } from "@/components/ui/alert";
import { buttonClass } from "@/components/ui/button";
import { authorizePage } from "@/lib/auth/authorize";
import {
  expiryPerWeek,
  identityDetails,
  latestCompleteSnapshot,
  readViewPage,
  recentRunningSnapshot,
  snapshotTrend,
  viewChoices,
} from "@/lib/credentials/store";
import { type CredentialView, parseView, singleValueParams, VIEW_PAGE_SIZE, viewQuery } from "@/lib/credentials/view";
import { getDatabase } from "@/lib/db";

export const metadata: Metadata = { title: "Credentials" };
export const dynamic = "force-dynamic";

/** A refresh shows as running only if it started within this window. */
const RUNNING_WINDOW_MS = 15 * 60_000;

export default async function CredentialsPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const authorization = await authorizePage("viewCredentials");
  if (!authorization.ok) return authorization.reason === "forbidden" ? <Forbidden permission="viewCredentials" /> : null;

  const parsed = parseView(singleValueParams(await searchParams));
  const view: CredentialView = parsed.ok ? parsed.view : { sort: "risk" };
  const db = await getDatabase();
  const [snapshot, running, trend] = await Promise.all([latestCompleteSnapshot(db), recentRunningSnapshot(db, RUNNING_WINDOW_MS), snapshotTrend(db, 8)]);
  // One page of the view, the chart's counts and the filter's choices come from the database: the snapshot's rows are
  // never all read to show one page.
  const offset = ((view.page ?? 1) - 1) * VIEW_PAGE_SIZE;
  const [viewPage, expiries, choices, details] = snapshot
    ? await Promise.all([
        readViewPage(db, snapshot.id, view, { offset, limit: VIEW_PAGE_SIZE }),
        expiryPerWeek(db, snapshot.id, snapshot.asOf),
        viewChoices(db, snapshot.id),
        view.identity ? identityDetails(db, snapshot.id, view.identity) : undefined,
      ])
    : [undefined, undefined, undefined, undefined];
  const query = viewQuery(view);

  return (
    <div className="space-y-4">
      <div className="flex flex-wrap items-end justify-between gap-3">
        <div className="space-y-1">
          <h1 className="text-xl font-semibold">Credentials</h1>
          <p className="text-ink-muted">
            Client secrets and certificates of app registrations and service principals, when they expire, who owns them and which Azure ML workspace roles they
            unlock. Read-only; secret values are never read.
          </p>
        </div>
        {snapshot && (
          <a href={`/api/credentials/export${query ? `?${query}` : ""}`} download className={buttonClass("secondary")}>
            Export CSV
          </a>
        )}
      </div>

      <RefreshPanel asOf={snapshot?.asOf ?? null} running={running ?? null} />

      {!parsed.ok && <FilterErrors messages={parsed.messages} />}

      {snapshot && viewPage && expiries && choices && (
        <>
          {snapshot.warnings.length > 0 && (
            <Alert tone="warning" role="note">
              {snapshot.warnings.map((warning) => (
                <p key={warning}>{warning}</p>
              ))}
            </Alert>
          )}
          <SummaryCards snapshot={snapshot} view={view} />
          <ExpiryChart counts={expiries} asOf={snapshot.asOf} />
          <Trend trend={trend} />
          <FilterForm view={view} workspaces={choices.workspaces} roles={choices.roles} windows={snapshot.windows} />
          <CredentialTable rows={viewPage.rows} total={viewPage.total} offset={offset} view={view} snapshot={snapshot} />
        </>
      )}

      {snapshot && view.identity && (
        <DetailsDrawer
          title={details?.displayName ?? "Not in this snapshot"}
          description={details ? `App id ${details.appId}` : "This identity is not in the current snapshot."}
          closeHref={`/credentials${query ? `?${query}` : ""}`}
        >
          {details ? <IdentityPanel details={details} snapshot={snapshot} /> : <p>Refresh or choose another row.</p>}
        </DetailsDrawer>
      )}
    </div>
  );
}
