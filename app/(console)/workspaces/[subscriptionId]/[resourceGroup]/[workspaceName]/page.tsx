import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { Suspense } from "react";

import { Forbidden } from "@/components/auth/forbidden";
import { StepUpPrompt } from "@/components/auth/step-up";
import { GrantBundle } from "@/components/bundles/grant-bundle";
import { WorkspaceBundleList } from "@/components/bundles/workspace-bundle-list";
import { AccessTableFromWire } from "@/components/workspaces/access-table-wire";
import { DenyAssignmentList, EligibleAccess } from "@/components/workspaces/beyond-assignments";
import { CheckAccessPanelFromWire } from "@/components/workspaces/check-access-panel-wire";
import { GrantAccess } from "@/components/workspaces/grant-access";
import { HubAccess } from "@/components/workspaces/hub-access";
import { MessageWithReference } from "@/components/ui/message-with-reference";
import { type ChangeIntent, findUnknownIntents } from "@/lib/audit";
import { callerOf } from "@/lib/auth/caller";
import { authorizePage } from "@/lib/auth/authorize";
import type { DelegatedCaller } from "@/lib/azure/tokens";
import { bundleOffers, type WorkspaceBundleView, workspaceBundles } from "@/lib/bundles/workspace-bundles";
import { nextEventLoopTurn, getDatabase } from "@/lib/db";
import { isAppError } from "@/lib/errors";
import { describeError, log } from "@/lib/log";
import { listMappings } from "@/lib/mappings/store";
import { encodeAccessRows, packAccessRows } from "@/components/workspaces/access-rows-wire";
import { parseScope, workspaceScope } from "@/lib/shared/arm-scope";
import type { ConsoleRole } from "@/lib/shared/console-roles";
import { isAllowed } from "@/lib/shared/permissions";
import { WORKSPACE_KIND_LABELS } from "@/lib/shared/workspace-kinds";
import { readWorkspaceAccess, type WorkspaceAccess, type WorkspaceSummary } from "@/lib/workspaces/get-workspace-access";

export const dynamic = "force-dynamic";

type Params = { subscriptionId: string; resourceGroup: string; workspaceName: string };
type Failure = { message: string; reference?: string; claims?: string };

export async function generateMetadata({ params }: { params: Promise<Params> }): Promise<Metadata> {
  const { workspaceName } = await params;
  return { title: `${decode(workspaceName) ?? "Workspace"} · Workspaces` };
}

export default async function WorkspacePage({ params }: { params: Promise<Params> }) {
  const authorization = await authorizePage("viewWorkspaces");
  if (!authorization.ok) return authorization.reason === "forbidden" ? <Forbidden permission="viewWorkspaces" /> : null;

  const raw = await params;
  const [subscriptionId, resourceGroup, workspaceName] = [decode(raw.subscriptionId), decode(raw.resourceGroup), decode(raw.workspaceName)];
  const parsed = subscriptionId && resourceGroup && workspaceName ? parseScope(workspaceScope(subscriptionId, resourceGroup, workspaceName)) : undefined;
  if (parsed?.level !== "workspace") notFound();

  const { principal } = authorization.session;
  const caller = callerOf(authorization.session);
  // Bundles check each part in Azure: started now, shown when ready (below, in a Suspense boundary of their own).
  const bundles = loadBundles(caller, parsed.scope);
  // The workspace answers one round trip in and the page shows it then; the assignments and their principals take
  // longer and stream in below it (a Suspense boundary), from reads started now.
  const reading = readWorkspaceAccess(caller, parsed.scope);
  const access = settle(reading.access, "reading workspace access failed");
  const [outcome, mappingCount, unknown] = await Promise.all([
    settle(reading.workspace, "reading the workspace failed"),
    isAllowed("viewMappings", principal.roles) ? countMappings(parsed.scope) : Promise.resolve(null),
    unknownChanges(parsed.scope),
  ]);
  if ("notFound" in outcome) notFound();
  if ("failure" in outcome) {
    return (
      <div className="space-y-4">
        <BackLink />
        <h1 className="text-xl font-semibold">{parsed.workspaceName}</h1>
        <AccessFailure failure={outcome.failure} />
      </div>
    );
  }

  const workspace = outcome.value;
  const roles = principal.roles;
  const canGrant = isAllowed("grantWorkspaceRoles", roles);

  return (
    <div className="space-y-5">
      <BackLink />
      <header className="flex flex-wrap items-start justify-between gap-4">
        <div className="space-y-1">
          <h1 className="text-xl font-semibold">
            {workspace.name}
            {workspace.kind !== "Default" && (
              <span className="ml-2 rounded border border-line px-1.5 py-0.5 align-middle text-xs font-normal text-ink-muted">
                {WORKSPACE_KIND_LABELS[workspace.kind]}
              </span>
            )}
          </h1>
          {workspace.friendlyName && workspace.friendlyName !== workspace.name && <p className="text-ink-muted">{workspace.friendlyName}</p>}
          <dl className="flex flex-wrap gap-x-6 gap-y-1 text-ink-muted">
            <div className="flex gap-1">
              <dt>Subscription</dt>
              <dd className="font-mono text-ink">{workspace.subscriptionId}</dd>
            </div>
            <div className="flex gap-1">
              <dt>Resource group</dt>
              <dd className="font-mono text-ink">{workspace.resourceGroup}</dd>
            </div>
            <div className="flex gap-1">
              <dt>Region</dt>
              <dd className="text-ink">{workspace.location}</dd>
            </div>
          </dl>
          {mappingCount !== null && (
            <p>
              <Link href={`/mappings?workspace=${encodeURIComponent(workspace.id)}`} className="text-accent underline-offset-2 hover:underline">
                {mappingCount === 0 ? "No group mappings on this workspace" : `${mappingCount} group mapping${mappingCount === 1 ? "" : "s"} on this workspace`}
              </Link>
            </p>
          )}
        </div>
        {canGrant && (
          <div className="flex flex-wrap items-start gap-2">
            {isAllowed("grantBundle", roles) && bundleOffers().length > 0 && (
              <GrantBundle workspaceId={workspace.id} workspaceName={workspace.name} bundles={bundleOffers()} />
            )}
            <GrantAccess workspaceId={workspace.id} workspaceName={workspace.name} />
          </div>
        )}
      </header>

      {unknown.length > 0 && (
        <div role="alert" className="rounded-md border border-danger/40 bg-surface-raised px-4 py-3 text-danger">
          <p className="font-medium">
            Gatehouse could not confirm {unknown.length === 1 ? "whether a change happened" : `whether ${unknown.length} changes happened`}: Azure would not
            show the outcome. Check these assignments in Azure.
          </p>
          <ul className="mt-1 list-disc pl-5 text-ink">
            {unknown.map((intent) => (
              <li key={intent.id}>
                {intent.kind === "grant" ? "Grant" : "Removal"} of {intent.roleName ?? intent.roleDefinitionId} for{" "}
                <span className="font-mono text-xs">{intent.principalId}</span>, asked {intent.createdAt.toISOString().replace("T", " ").slice(0, 16)} UTC
              </li>
            ))}
          </ul>
        </div>
      )}

      <Suspense fallback={<AccessLoading />}>
        <AccessSections access={access} bundles={bundles} workspace={workspace} roles={roles} />
      </Suspense>
    </div>
  );
}

/** Shown, and announced, while the assignments and their principals load under the workspace's header. */
function AccessLoading() {
  return (
    <div className="space-y-2" aria-busy="true" aria-live="polite">
      <p className="text-ink-muted">Loading who has access…</p>
      <div className="space-y-2 rounded-md border border-line bg-surface-raised p-3">
        {Array.from({ length: 12 }, (_, index) => (
          <div key={index} className="h-10 animate-pulse rounded bg-surface-sunken motion-reduce:animate-none" />
        ))}
      </div>
    </div>
  );
}

function AccessFailure({ failure }: { failure: Failure }) {
  return failure.claims ? (
    // Entra wants the person back (e.g. Conditional Access asking for MFA): signing in again reloads this page.
    <StepUpPrompt claims={failure.claims} message={failure.message} />
  ) : (
    <p role="alert" className="rounded-md border border-danger/40 bg-surface-raised px-4 py-3 text-danger">
      Couldn&apos;t load who has access: <MessageWithReference message={failure.message} reference={failure.reference} />
    </p>
  );
}

/** Everything on the page that needs the assignments, streamed in once they and their principals are read. */
async function AccessSections({
  access: reading,
  bundles,
  workspace,
  roles,
}: {
  access: Promise<Outcome<WorkspaceAccess>>;
  bundles: Promise<WorkspaceBundleView[] | null>;
  workspace: WorkspaceSummary;
  roles: readonly ConsoleRole[];
}) {
  const outcome = await reading;
  // The workspace was read a moment ago; its assignments not being there means it has just been deleted.
  if ("notFound" in outcome) notFound();
  if ("failure" in outcome) return <AccessFailure failure={outcome.failure} />;
  const { value: access, settledAt: renderedAt } = outcome;
  const canRevoke = isAllowed("revokeWorkspaceRoles", roles);
  const canCheck = isAllowed("checkWorkspaceAccess", roles);
  const canSearchDirectory = isAllowed("searchPrincipals", roles);
  // One principal table for the access table and the check panel's local search (React sends the packed object once).
  const wire = packAccessRows(
    encodeAccessRows(
      access.rows,
      access.eligible.flatMap((row) => (row.principal ? [row.principal] : [])),
    ),
  );

  return (
    <>
      {access.notice && (
        <p role="status" className="rounded-md border border-warning bg-surface-raised px-4 py-3 text-warning">
          {access.notice}
        </p>
      )}

      {canCheck && <CheckAccessPanelFromWire workspaceId={workspace.id} canSearchDirectory={canSearchDirectory} wire={canSearchDirectory ? null : wire} />}

      <Suspense
        fallback={
          <p role="status" className="text-ink-muted">
            Checking the access bundles on this workspace…
          </p>
        }
      >
        <Bundles bundles={bundles} canChange={isAllowed("resumeBundleGrant", roles)} />
      </Suspense>

      <AccessTableFromWire wire={wire} renderedAt={renderedAt} workspaceId={workspace.id} workspaceName={workspace.name} canRevoke={canRevoke} />

      {access.lighthouseTenants && access.lighthouseTenants.length > 0 && (
        <p role="note" className="rounded-md border border-line bg-surface-raised px-4 py-3">
          <span className="font-medium">Lighthouse delegation — not listed.</span> This subscription is managed through Azure Lighthouse by{" "}
          {access.lighthouseTenants.length === 1 ? "another tenant" : `${access.lighthouseTenants.length} other tenants`} (
          <span className="font-mono text-xs">{access.lighthouseTenants.join(", ")}</span>): what their people may do here comes from that delegation and is not
          shown on this page.
        </p>
      )}

      {access.beyondAssignmentsNotice ? (
        <p role="status" className="rounded-md border border-warning bg-surface-raised px-4 py-3 text-warning">
          {access.beyondAssignmentsNotice}
        </p>
      ) : (
        <>
          <EligibleAccess rows={access.eligible} />
          <DenyAssignmentList denies={access.denies} />
        </>
      )}

      {access.hub && <HubAccess hub={access.hub} />}
    </>
  );
}

/** Changes to this workspace whose outcome Azure would not show (closed as unknown), for admins to check. */
async function unknownChanges(scope: string): Promise<ChangeIntent[]> {
  try {
    await nextEventLoopTurn();
    return await findUnknownIntents(await getDatabase(), scope);
  } catch (error) {
    log("error", "workspaces", "listing changes of unknown outcome failed", { error: describeError(error) });
    return [];
  }
}

/** How many group mappings name this workspace; null (no link shown) when the database cannot say. */
async function countMappings(scope: string): Promise<number | null> {
  try {
    await nextEventLoopTurn();
    return (await listMappings(await getDatabase(), scope)).length;
  } catch (error) {
    log("error", "mappings", "counting a workspace's mappings failed", { error: describeError(error) });
    return null;
  }
}

function BackLink() {
  return (
    <Link href="/workspaces" className="text-accent underline-offset-2 hover:underline">
      ← All workspaces
    </Link>
  );
}

type Outcome<T> = { value: T; settledAt: number } | { notFound: true } | { failure: Failure };

/** A read's result as the page shows it: the value (and when it arrived), Azure's "not found", or a failure in words. */
async function settle<T>(read: Promise<T>, logMessage: string): Promise<Outcome<T>> {
  try {
    const value = await read;
    return { value, settledAt: Date.now() };
  } catch (error) {
    if (isAppError(error)) {
      if (error.code === "not_found") return { notFound: true };
      return {
        failure: {
          message: error.userMessage,
          ...(error.upstreamRequestId ? { reference: error.upstreamRequestId } : {}),
          ...(error.claims ? { claims: error.claims } : {}),
        },
      };
    }
    log("error", "workspaces", logMessage, { error: describeError(error) });
    return { failure: { message: "Something went wrong while reading who has access. Try again in a moment." } };
  }
}

/** Route segments arrive decoded by Next; decode again only if something is still percent-encoded, and safely. */
function decode(segment: string): string | undefined {
  if (!segment.includes("%")) return segment;
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

async function Bundles({ bundles, canChange }: { bundles: Promise<WorkspaceBundleView[] | null>; canChange: boolean }) {
  const loaded = await bundles;
  if (loaded === null) {
    return (
      <p role="status" className="rounded-md border border-warning bg-surface-raised px-4 py-3 text-warning">
        The access bundles on this workspace could not be loaded just now; refresh in a minute.
      </p>
    );
  }
  return <WorkspaceBundleList bundles={loaded} canChange={canChange} />;
}

/** Bundle grants on the workspace, with whether each still holds every part; the page stands without them. */
async function loadBundles(caller: DelegatedCaller, workspaceId: string): Promise<WorkspaceBundleView[] | null> {
  try {
    // Its database read waits for the workspace's own calls to leave (they are what the page waits for first).
    await nextEventLoopTurn();
    return await workspaceBundles(caller, workspaceId);
  } catch (error) {
    log("warn", "bundles", "loading the workspace's bundles failed", { error: describeError(error) });
    return null;
  }
}
