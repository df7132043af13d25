import type { Metadata } from "next";

import { AzureAccessCheck } from "@/components/auth/azure-access-check";
import { SessionsPanel } from "@/components/auth/sessions-panel";
import { listOwnSessions } from "@/lib/account/sessions";
import { getSession } from "@/lib/auth/session";

export const metadata: Metadata = { title: "Account" };
export const dynamic = "force-dynamic";

export default async function AccountPage() {
  const session = await getSession();
  if (!session) return null;
  const { principal } = session;
  const sessions = await listOwnSessions(session);
  return (
    <div className="max-w-3xl space-y-6">
      <h1 className="text-xl font-semibold">Account</h1>
      <dl className="grid grid-cols-[12rem_1fr] gap-x-4 gap-y-2 rounded-md border border-line bg-surface-raised px-4 py-3">
        <dt className="text-ink-muted">Name</dt>
        <dd>{principal.displayName}</dd>
        <dt className="text-ink-muted">Sign-in name</dt>
        <dd>{principal.userPrincipalName}</dd>
        <dt className="text-ink-muted">Object id</dt>
        <dd className="font-mono">{principal.objectId}</dd>
        <dt className="text-ink-muted">Tenant</dt>
        <dd className="font-mono">{principal.tenantId}</dd>
        <dt className="text-ink-muted">Gatehouse roles</dt>
        <dd>{principal.roles.join(", ")}</dd>
        <dt className="text-ink-muted">Sign-in token ends</dt>
        <dd>
          <time dateTime={principal.expiresAt.toISOString()}>{principal.expiresAt.toUTCString()}</time> (renewed automatically)
        </dd>
      </dl>
      <SessionsPanel sessions={sessions} isAdmin={principal.roles.includes("Console.Admin")} />
      <AzureAccessCheck />
    </div>
  );
}
