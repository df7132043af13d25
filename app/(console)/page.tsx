import { getSession } from "@/lib/auth/session";
import { getHealth, hasHealthDetails } from "@/lib/health/get-health";
import { CONSOLE_ROLE_DESCRIPTIONS } from "@/lib/shared/console-roles";

export const dynamic = "force-dynamic";

export default async function OverviewPage() {
  const session = await getSession();
  if (!session) return null; // the (console) layout renders the sign-in flow instead
  const health = await getHealth(session);
  const { principal } = session;
  return (
    <div className="space-y-6">
      <section className="max-w-3xl space-y-2">
        <h1 className="text-xl font-semibold">Welcome, {principal.displayName}</h1>
        <p className="text-ink-muted">
          Gatehouse shows who can do what in your Azure Machine Learning workspaces: role assignments, group mappings, access requests with approvals and
          expiry, and the credentials behind your automation — with an audit trail of every change.
        </p>
      </section>
      <section aria-labelledby="roles-heading" className="max-w-3xl rounded-md border border-line bg-surface-raised">
        <h2 id="roles-heading" className="border-b border-line px-4 py-2 font-medium">
          Your Gatehouse roles
        </h2>
        <ul className="divide-y divide-line">
          {principal.roles.map((role) => (
            <li key={role} className="px-4 py-2">
              <span className="font-mono font-medium">{role}</span>
              <span className="text-ink-muted"> — {CONSOLE_ROLE_DESCRIPTIONS[role]}</span>
            </li>
          ))}
        </ul>
      </section>
      {hasHealthDetails(health) && (
        <section aria-labelledby="status-heading" className="max-w-3xl rounded-md border border-line bg-surface-raised">
          <h2 id="status-heading" className="border-b border-line px-4 py-2 font-medium">
            This console
          </h2>
          <dl className="grid grid-cols-[12rem_1fr] gap-x-4 gap-y-2 px-4 py-3">
            <dt className="text-ink-muted">Tenant</dt>
            <dd>{health.mode === "sandbox" ? "Sandbox tenant (local emulator of Entra ID, Graph and ARM)" : "Microsoft Entra ID"}</dd>
            <dt className="text-ink-muted">Database</dt>
            <dd>
              {health.database.engine === "pglite" ? "Embedded PostgreSQL (PGlite)" : "PostgreSQL server"} —{" "}
              <span className={health.database.reachable ? "text-success" : "text-danger"}>{health.database.reachable ? "reachable" : "unreachable"}</span>
            </dd>
            <dt className="text-ink-muted">Version</dt>
            <dd className="font-mono">{health.version}</dd>
          </dl>
        </section>
      )}
    </div>
  );
}
