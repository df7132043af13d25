import type { Metadata } from "next";
import Link from "next/link";
import { z } from "zod";

import { Forbidden } from "@/components/auth/forbidden";
import { DecisionButtons, DecisionHost } from "@/components/requests/decision-dialog";
import { type RelatedRequestView, STATUS_LABELS, toRelatedRequestView, toRequestView, type RequestView } from "@/components/requests/format";
import { RequestTable } from "@/components/requests/request-table";
import { RunJobsPanel } from "@/components/requests/run-jobs-panel";
import { Button, buttonClass } from "@/components/ui/button";
import { INPUT_CLASS } from "@/components/ui/field";
import { authorizePage } from "@/lib/auth/authorize";
import { getRequestPolicy } from "@/lib/requests/policy";
import { countExpiryFailures, isRoutedApprover, listAccessRequests, listRelatedRequests, type Viewer } from "@/lib/requests/queries";
import { type Decidee, mayApprove, whoDecides } from "@/lib/requests/routing";
import { REQUEST_STATUSES } from "@/lib/requests/schema";

export const metadata: Metadata = { title: "Requests" };
export const dynamic = "force-dynamic";

const single = (value: unknown): unknown => (Array.isArray(value) ? (value as unknown[])[0] : value);
const filterSchema = z.object({
  status: z.preprocess(single, z.enum([...REQUEST_STATUSES, "all"]).catch("pending")).default("pending"),
  workspace: z.preprocess(single, z.string().trim().max(512).catch("")).default(""),
  role: z.preprocess(single, z.string().trim().toLowerCase().max(64).catch("")).default(""),
  q: z.preprocess(single, z.string().trim().max(100).catch("")).default(""),
});

const LABEL = "block text-xs font-medium text-ink-muted";

export default async function RequestsPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const authorization = await authorizePage("viewRequests");
  if (!authorization.ok) return authorization.reason === "forbidden" ? <Forbidden permission="viewRequests" /> : null;
  const { principal } = authorization.session;
  const isAdmin = principal.roles.includes("Console.Admin");
  const viewer = { tenantId: principal.tenantId, objectId: principal.objectId, isAdmin };

  // Routed approvers (members or owners an approver route names) get a queue of their routes' requests.
  const [mine, expiryFailures, routed] = await Promise.all([
    listAccessRequests(viewer, { mine: true }).then((rows) => rows.map(toRequestView)),
    isAdmin ? countExpiryFailures() : Promise.resolve(0),
    isRoutedApprover(viewer),
  ]);

  return (
    <div className="space-y-6">
      <div className="flex flex-wrap items-end justify-between gap-3">
        <div className="space-y-1">
          <h1 className="text-xl font-semibold">Access requests</h1>
          <p className="text-ink-muted">
            Ask for a role on an Azure ML workspace; an admin (or the approver the request policy names) approves and Gatehouse grants it, and takes it away
            again when it ends. Times are UTC.
          </p>
        </div>
        <Link href="/requests/new" className={buttonClass("primary")}>
          New request
        </Link>
      </div>

      {expiryFailures > 0 && (
        <p role="alert" className="rounded-md border border-danger/40 bg-surface-raised px-4 py-3 text-danger">
          {expiryFailures === 1 ? "1 time-bound grant has" : `${expiryFailures} time-bound grants have`} ended but could not be removed from Azure; the access
          stays until a retry succeeds.{" "}
          <Link href="/requests?status=expiry_failed" className="font-medium underline">
            Review {expiryFailures === 1 ? "it" : "them"}
          </Link>
        </p>
      )}

      {(isAdmin || routed) && (
        <ApprovalQueue
          searchParams={await searchParams}
          viewer={viewer}
          decidee={{ tenantId: principal.tenantId, objectId: principal.objectId, roles: principal.roles }}
        />
      )}

      <section aria-labelledby="mine-heading" className="space-y-3">
        <h2 id="mine-heading" className="text-lg font-semibold">
          My requests
        </h2>
        {mine.length === 0 ? (
          <p className="rounded-md border border-line bg-surface-raised px-4 py-6 text-center text-ink-muted">
            You have not asked for access yet.{" "}
            <Link href="/requests/new" className="text-accent underline">
              Make a request
            </Link>
          </p>
        ) : (
          <RequestTable label="My requests" requests={mine} showRequester={false} />
        )}
      </section>
    </div>
  );
}

async function ApprovalQueue({
  searchParams,
  viewer,
  decidee,
}: {
  searchParams: Record<string, string | string[] | undefined>;
  viewer: Viewer;
  decidee: Decidee;
}) {
  const filter = filterSchema.parse(searchParams);
  const rows = await listAccessRequests(viewer, {
    mine: false,
    ...(filter.status === "all" ? {} : { status: filter.status }),
    ...(filter.q ? { q: filter.q } : {}),
  });
  const all = rows.map(toRequestView);
  // Workspace and role are narrowed here: the query offers status and free text; the lists come from the same rows.
  const workspaces = [...new Map(all.map((request) => [request.workspaceId.toLowerCase(), request.workspaceName])).entries()].sort((a, b) =>
    a[1].localeCompare(b[1]),
  );
  const roles = getRequestPolicy().roles;
  const shown = all.filter(
    (request) =>
      (!filter.workspace || request.workspaceId.toLowerCase() === filter.workspace.toLowerCase()) && (!filter.role || request.roleDefinitionId === filter.role),
  );
  // What an approver weighs next to each pending request: earlier ones on its workspace for the principal or by the requester.
  const shownIds = new Set(shown.filter((request) => request.status === "pending").map((request) => request.id));
  const pendingRows = rows.filter((row) => shownIds.has(row.id));
  const visibleIds = new Set(rows.map((row) => row.id));
  const [relatedAll, deciders] = await Promise.all([
    listRelatedRequests(pendingRows),
    Promise.all(pendingRows.map(async (row) => [row.id, await whoDecides(row)] as const)),
  ]);
  // A routed approver weighs only requests they may see (their routes' and their own), never other routes'.
  const related = viewer.isAdmin
    ? relatedAll
    : new Map(
        [...relatedAll].map(([id, list]) => [
          id,
          list.filter((other) => visibleIds.has(other.id) || other.requesterObjectId === viewer.objectId.toLowerCase()),
        ]),
      );
  const decides = new Map(deciders.map(([id, decider]) => [id, { may: mayApprove(decidee, decider), route: decider.route?.name, step: decider.step }]));
  const routeNames = new Map(
    rows.map((row) => [row.id, row.routeId ? (getRequestPolicy().routes.find((route) => route.id === row.routeId)?.name ?? row.routeId) : undefined]),
  );
  if (filter.workspace && !workspaces.some(([key]) => key === filter.workspace.toLowerCase())) {
    workspaces.push([filter.workspace.toLowerCase(), filter.workspace]);
  }

  // The decision dialog lives above the table: after a decision the row may leave the filtered queue.
  return (
    <DecisionHost>
      <section aria-labelledby="queue-heading" className="space-y-3">
        <h2 id="queue-heading" className="text-lg font-semibold">
          Approval queue
        </h2>
        <form
          method="get"
          action="/requests"
          role="search"
          aria-label="Filter the approval queue"
          className="grid grid-cols-1 gap-3 rounded-md border border-line bg-surface-raised p-4 sm:grid-cols-2 lg:grid-cols-5"
        >
          <div className="space-y-1">
            <label htmlFor="queue-status" className={LABEL}>
              Status
            </label>
            <select id="queue-status" name="status" defaultValue={filter.status} className={INPUT_CLASS}>
              <option value="all">Any status</option>
              {REQUEST_STATUSES.map((status) => (
                <option key={status} value={status}>
                  {STATUS_LABELS[status]}
                </option>
              ))}
            </select>
          </div>
          <div className="space-y-1">
            <label htmlFor="queue-workspace" className={LABEL}>
              Workspace
            </label>
            <select id="queue-workspace" name="workspace" defaultValue={filter.workspace.toLowerCase()} className={INPUT_CLASS}>
              <option value="">Any workspace</option>
              {workspaces.map(([key, name]) => (
                <option key={key} value={key}>
                  {name}
                </option>
              ))}
            </select>
          </div>
          <div className="space-y-1">
            <label htmlFor="queue-role" className={LABEL}>
              Role
            </label>
            <select id="queue-role" name="role" defaultValue={filter.role} className={INPUT_CLASS}>
              <option value="">Any role</option>
              {roles.map((role) => (
                <option key={role.roleDefinitionId} value={role.roleDefinitionId}>
                  {role.name}
                </option>
              ))}
            </select>
          </div>
          <div className="space-y-1">
            <label htmlFor="queue-q" className={LABEL}>
              Words
            </label>
            <input
              id="queue-q"
              name="q"
              type="search"
              defaultValue={filter.q}
              maxLength={100}
              autoComplete="off"
              placeholder="Person, requester, role…"
              className={INPUT_CLASS}
            />
          </div>
          <div className="flex items-end gap-3">
            <Button type="submit" variant="primary">
              Apply filters
            </Button>
            <a href="/requests" className="py-1.5 text-accent underline-offset-2 hover:underline">
              Clear
            </a>
          </div>
        </form>

        <p className="text-ink-muted" data-testid="queue-count">
          {shown.length} request{shown.length === 1 ? "" : "s"}
          {filter.status === "all" ? "" : ` ${STATUS_LABELS[filter.status].toLowerCase()}`}
        </p>
        {shown.length === 0 ? (
          <p className="rounded-md border border-line bg-surface-raised px-4 py-6 text-center text-ink-muted">No requests match these filters.</p>
        ) : (
          <RequestTable
            label="Approval queue"
            requests={shown}
            showRequester
            actions={(request) => (
              <QueueActions
                request={request}
                related={(related.get(request.id) ?? []).map(toRelatedRequestView)}
                route={routeNames.get(request.id)}
                decision={decides.get(request.id)}
              />
            )}
          />
        )}

        {viewer.isAdmin && <RunJobsPanel />}
      </section>
    </DecisionHost>
  );
}

const STEP_WORDS = { business: "business approval next", admin: "admin grant next", single: "" } as const;

/** The route a request was filed under (admins see every request marked so), and the buttons for those who may decide it. */
function QueueActions({
  request,
  related,
  route,
  decision,
}: {
  request: RequestView;
  related: readonly RelatedRequestView[];
  route: string | undefined;
  decision: { may: boolean; step: keyof typeof STEP_WORDS } | undefined;
}) {
  const routeNote = route ? (
    <p className="text-xs text-ink-muted" data-testid="queue-route">
      Route: {route}
      {decision && STEP_WORDS[decision.step] ? ` · ${STEP_WORDS[decision.step]}` : ""}
    </p>
  ) : null;
  if (request.status !== "pending" || !decision?.may) {
    return (
      <div className="space-y-1">
        {routeNote}
        <span className="text-ink-muted">—</span>
      </div>
    );
  }
  return (
    <div className="space-y-1">
      {routeNote}
      <DecisionButtons request={{ ...request, related }} compact />
    </div>
  );
}
