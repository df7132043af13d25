import type { Metadata } from "next";
import Link from "next/link";

import { Forbidden } from "@/components/auth/forbidden";
import { RequestForm } from "@/components/requests/request-form";
import type { WorkspaceOption } from "@/components/requests/use-request-form";
import { authorizePage } from "@/lib/auth/authorize";
import { isAppError } from "@/lib/errors";
import { describeError, log } from "@/lib/log";
import { getRequestPolicy, roleChoices } from "@/lib/requests/policy";
import { listRequestableWorkspaces } from "@/lib/requests/queries";
import { parseScope } from "@/lib/shared/arm-scope";

export const metadata: Metadata = { title: "New request · Requests" };
export const dynamic = "force-dynamic";

export default async function NewRequestPage() {
  const authorization = await authorizePage("viewRequests");
  if (!authorization.ok) return authorization.reason === "forbidden" ? <Forbidden permission="viewRequests" /> : null;
  const { principal } = authorization.session;

  const policy = getRequestPolicy();
  const roles = roleChoices(policy);
  const { workspaces, notice } = await loadWorkspaces();

  return (
    <div className="space-y-5">
      <Link href="/requests" className="text-accent underline-offset-2 hover:underline">
        ← All requests
      </Link>
      <div className="space-y-1">
        <h1 className="text-xl font-semibold">New access request</h1>
        <p className="text-ink-muted">
          An admin decides, or the approvers the request policy names for the workspace (see Policy); when approved, Gatehouse grants the role and, for
          time-bound access, removes it when the time is up. Requests nobody decides within {policy.pendingLifetimeHours} hours lapse.
        </p>
      </div>
      <RequestForm workspaces={workspaces} workspaceNotice={notice} roles={roles} me={{ id: principal.objectId, displayName: principal.displayName }} />
    </div>
  );
}

/**
 * Workspaces a request can target, listed as Gatehouse's own identity (requesters often have no Azure rights of their
 * own). If that fails, the form asks for a workspace id instead.
 */
async function loadWorkspaces(): Promise<{ workspaces: WorkspaceOption[] | null; notice?: string }> {
  try {
    const list = await listRequestableWorkspaces();
    const workspaces = list
      .map((workspace) => ({ ...workspace, arm: parseScope(workspace.id) }))
      .filter((workspace) => workspace.arm?.level === "workspace")
      .map((workspace) => ({
        id: workspace.arm!.scope,
        name: workspace.arm!.workspaceName!,
        friendlyName: workspace.name,
        subscriptionName: workspace.subscriptionName,
      }))
      .sort((a, b) => a.name.localeCompare(b.name));
    return workspaces.length ? { workspaces } : { workspaces: null, notice: "Gatehouse found no workspaces to offer." };
  } catch (error) {
    log("warn", "requests", "listing requestable workspaces failed", { error: describeError(error) });
    return { workspaces: null, notice: isAppError(error) ? error.userMessage : "The workspace list could not be loaded." };
  }
}
