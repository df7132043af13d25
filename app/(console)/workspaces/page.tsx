import type { Metadata } from "next";

import { Forbidden } from "@/components/auth/forbidden";
import { StepUpPrompt } from "@/components/auth/step-up";
import { MessageWithReference } from "@/components/ui/message-with-reference";
import { WorkspaceList } from "@/components/workspaces/workspace-list";
import { callerOf } from "@/lib/auth/caller";
import { authorizePage } from "@/lib/auth/authorize";
import type { DelegatedCaller } from "@/lib/azure/tokens";
import { isAppError } from "@/lib/errors";
import { describeError, log } from "@/lib/log";
import { listWorkspacePage, type WorkspacePage } from "@/lib/workspaces/list-workspaces";
import { WORKSPACE_SEARCH_MAX_LENGTH, WorkspaceListParams, type WorkspaceListRequest } from "@/lib/workspaces/schema";

export const metadata: Metadata = { title: "Workspaces" };
export const dynamic = "force-dynamic";

type Outcome = { ok: true; list: WorkspacePage } | { ok: false; message: string; reference?: string; claims?: string };

export default async function WorkspacesPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const authorization = await authorizePage("viewWorkspaces");
  if (!authorization.ok) return authorization.reason === "forbidden" ? <Forbidden permission="viewWorkspaces" /> : null;
  const params = await searchParams;
  // Each parameter on its own: a bad search is said so (and not run), a bad position starts at the first page.
  const search = WorkspaceListParams.shape.q.safeParse(params.q);
  const skip = WorkspaceListParams.shape.skip.safeParse(params.skip);
  const request: WorkspaceListRequest = { search: search.success ? search.data : "", skip: skip.success ? skip.data : 0 };
  const searchProblem = search.success ? undefined : (search.error.issues[0]?.message ?? "That search isn't valid.");
  const outcome = await load(callerOf(authorization.session), request);

  return (
    <div className="space-y-4">
      <div className="space-y-1">
        <h1 className="text-xl font-semibold">Workspaces</h1>
        <p className="text-ink-muted">Every Azure ML workspace your Azure roles let you read, across your subscriptions.</p>
      </div>
      {outcome.ok ? (
        <>
          {outcome.list.failures.length > 0 && (
            <ul role="alert" className="space-y-1 rounded-md border border-danger/40 bg-surface-raised px-4 py-3 text-danger">
              {outcome.list.failures.map((failure) => (
                <li key={failure.subscriptionId}>
                  Couldn&apos;t load {failure.subscriptionName}: <MessageWithReference message={failure.message} reference={failure.reference} />
                </li>
              ))}
            </ul>
          )}
          {outcome.list.unreadableIds.length > 0 && (
            <div role="alert" className="space-y-1 rounded-md border border-danger/40 bg-surface-raised px-4 py-3 text-danger">
              <p>
                Azure listed {outcome.list.unreadableIds.length === 1 ? "a workspace" : `${outcome.list.unreadableIds.length} workspaces`} whose id Gatehouse
                can&apos;t read, so it isn&apos;t shown below:
              </p>
              <ul className="list-disc pl-5 font-mono text-xs">
                {outcome.list.unreadableIds.map((id) => (
                  <li key={id}>{id}</li>
                ))}
              </ul>
            </div>
          )}
          <WorkspaceList
            workspaces={outcome.list.workspaces}
            total={outcome.list.total}
            skip={outcome.list.skip}
            pageSize={outcome.list.pageSize}
            search={outcome.list.search}
            searchProblem={searchProblem}
            searchMaxLength={WORKSPACE_SEARCH_MAX_LENGTH}
          />
        </>
      ) : outcome.claims ? (
        // Entra wants the person back (e.g. Conditional Access asking for MFA): signing in again reloads this page.
        <StepUpPrompt claims={outcome.claims} message={outcome.message} />
      ) : (
        <p role="alert" className="rounded-md border border-danger/40 bg-surface-raised px-4 py-3 text-danger">
          Couldn&apos;t list your workspaces: <MessageWithReference message={outcome.message} reference={outcome.reference} />
        </p>
      )}
    </div>
  );
}

async function load(caller: DelegatedCaller, request: WorkspaceListRequest): Promise<Outcome> {
  try {
    return { ok: true, list: await listWorkspacePage({ kind: "delegated", caller }, request) };
  } catch (error) {
    if (isAppError(error)) {
      return {
        ok: false,
        message: error.userMessage,
        ...(error.upstreamRequestId ? { reference: error.upstreamRequestId } : {}),
        ...(error.claims ? { claims: error.claims } : {}),
      };
    }
    log("error", "workspaces", "listing workspaces failed", { error: describeError(error) });
    return { ok: false, message: "Something went wrong while listing workspaces. Try again in a moment." };
  }
}
