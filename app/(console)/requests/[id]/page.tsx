import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import type { ReactNode } from "react";

import { Forbidden } from "@/components/auth/forbidden";
import { BundleParts } from "@/components/bundles/bundle-parts";
import { ResumeBundleButton } from "@/components/bundles/resume-bundle-button";
import { durationText, requestedAccess, shortId, STATUS_DESCRIPTIONS, toRelatedRequestView, toRequestView } from "@/components/requests/format";
import { RequestActions } from "@/components/requests/request-actions";
import { StatusBadge } from "@/components/requests/status-badge";
import { RequestTimeline } from "@/components/requests/timeline";
import { PrincipalFacts } from "@/components/requests/principal-facts";
import { formatDateTime } from "@/components/shared/format";
import { authorizePage } from "@/lib/auth/authorize";
import { allowedActions } from "@/lib/requests/allowed-actions";
import { bundlePartsOfRequest } from "@/lib/bundles/views";
import { getRequestPolicy } from "@/lib/requests/policy";
import { findAccessRequest, listRelatedRequests } from "@/lib/requests/queries";
import { mayApprove, whoDecides } from "@/lib/requests/routing";

export const metadata: Metadata = { title: "Request · Requests" };
export const dynamic = "force-dynamic";

export default async function RequestPage({ params }: { params: Promise<{ id: string }> }) {
  const authorization = await authorizePage("viewRequests");
  if (!authorization.ok) return authorization.reason === "forbidden" ? <Forbidden permission="viewRequests" /> : null;
  const { principal } = authorization.session;
  const isAdmin = principal.roles.includes("Console.Admin");

  const row = await findAccessRequest({ tenantId: principal.tenantId, objectId: principal.objectId, isAdmin }, (await params).id);
  if (!row) notFound();
  const request = toRequestView(row);

  // Who decides it, by its approver route (Graph as the console, cached); the buttons show only to them.
  const decider = await whoDecides(row);
  const allowed = allowedActions(row, principal, getRequestPolicy(), mayApprove(principal, decider));
  const bundle = row.bundleId ? await bundlePartsOfRequest(row) : undefined;
  // Only a decider is shown the earlier requests, in the approval dialog; a routed approver only their route's and their own.
  const related = allowed.decide
    ? ((await listRelatedRequests([row])).get(row.id) ?? [])
        .filter((other) => isAdmin || other.routeId === row.routeId || other.requesterObjectId === principal.objectId.toLowerCase())
        .map(toRelatedRequestView)
    : undefined;

  return (
    <div className="space-y-5">
      <Link href="/requests" className="text-accent underline-offset-2 hover:underline">
        ← All requests
      </Link>
      <header className="space-y-2">
        <div className="flex flex-wrap items-center gap-3">
          <h1 className="text-xl font-semibold">
            {requestedAccess(request)} on {request.workspaceName}
          </h1>
          <StatusBadge status={request.status} />
        </div>
        <p className="text-ink-muted" data-testid="request-status">
          Status: <span className="font-medium text-ink">{request.status}</span> — {STATUS_DESCRIPTIONS[request.status]}
        </p>
        <dl className="grid grid-cols-1 gap-x-6 gap-y-1 sm:grid-cols-2">
          <Item label="For">
            <PrincipalFacts facts={request} />
          </Item>
          <Item label="Asked by">
            {request.requesterName} <span className="text-ink-muted">({request.requesterUpn})</span>
          </Item>
          <Item label="Duration">{durationText(request.durationMinutes)}</Item>
          <Item label="Approvals">
            {request.approvals.length} of {request.approvalsRequired} needed
          </Item>
          <Item label="Granted">{formatDateTime(request.grantedAt)}</Item>
          <Item label="Ends">{request.grantedAt && request.expiresAt === null ? "Never (permanent)" : formatDateTime(request.expiresAt)}</Item>
          <Item label="Request">
            <span className="font-mono text-xs">{shortId(request.id)}</span>
          </Item>
          <Item label="Workspace id">
            <span className="break-all font-mono text-xs">{request.workspaceId}</span>
          </Item>
        </dl>
        {row.status === "pending" && (
          <p className="rounded-md border border-line bg-surface-raised px-3 py-2" data-testid="who-decides">
            <span className="font-medium">Who can decide:</span> {decider.explanation}
          </p>
        )}
        {row.status !== "pending" && decider.route && (
          <p className="text-ink-muted" data-testid="request-route">
            Approver route: {decider.route.name} ({decider.route.why}).
          </p>
        )}
        {request.origin === "self_grant" && (
          <p className="rounded-md border border-warning/50 bg-surface-raised px-3 py-2">
            An admin granted this privileged role to themselves (or a group they are in) on the {request.createsMapping ? "mappings" : "workspace"} page. It
            takes effect only when {request.approvalsRequired} other admins approve{request.createsMapping ? ", and then as a group mapping" : ""}.
          </p>
        )}
        {request.outcomeNote && (
          <p role="note" className="rounded-md border border-line bg-surface-raised px-3 py-2" data-testid="request-outcome">
            {request.outcomeNote}
          </p>
        )}
        {request.status === "expiry_failed" && (
          <p role="alert" className="rounded-md border border-danger/40 bg-surface-raised px-3 py-2 text-danger">
            The access has ended but is still assigned in Azure: {request.failureReason ?? "the removal failed."} Gatehouse has tried {request.expiryAttempts}{" "}
            time{request.expiryAttempts === 1 ? "" : "s"}
            {request.nextExpiryAttemptAt ? ` and tries again at ${formatDateTime(request.nextExpiryAttemptAt)}` : ""}. Check that Gatehouse may still remove
            role assignments on this workspace, or remove it in Azure.
          </p>
        )}
        {request.extendsRequestId && (
          <p>
            Extends{" "}
            <Link href={`/requests/${request.extendsRequestId}`} className="text-accent underline">
              request {shortId(request.extendsRequestId)}
            </Link>
          </p>
        )}
      </header>

      {bundle && (
        <section className="space-y-2 rounded-md border border-line p-3" aria-label="Bundle parts">
          <BundleParts parts={bundle.parts} caption={bundle.caption} />
          {bundle.status === "partial" && (
            <div role="alert" className="space-y-2 rounded-md border border-warning/50 px-3 py-2">
              <p>
                <span className="font-medium">Bundle partial:</span> some parts could not be granted. The parts that hold stay, and end with the request;
                resuming grants only the missing ones.
              </p>
              {isAdmin && bundle.grantId && <ResumeBundleButton bundleGrantId={bundle.grantId} />}
            </div>
          )}
        </section>
      )}

      <RequestActions request={related ? { ...request, related } : request} allowed={allowed} />
      <RequestTimeline request={request} isAdmin={isAdmin} />
    </div>
  );
}

function Item({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="flex gap-2">
      <dt className="text-ink-muted">{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}
