import { CONSOLE_ROLE_DESCRIPTIONS, CONSOLE_ROLES } from "@/lib/shared/console-roles";

/** For people who signed in but hold none of the console's roles. */
export function NoAccess({ displayName, userPrincipalName }: { displayName: string; userPrincipalName: string }) {
  return (
    <section aria-labelledby="no-access-heading" className="max-w-2xl space-y-4">
      <h1 id="no-access-heading" className="text-xl font-semibold">
        No access to Gatehouse
      </h1>
      <p>
        You are signed in as <strong>{displayName}</strong> ({userPrincipalName}), but your account has no Gatehouse role yet. Ask your admin for one of these
        roles on the Gatehouse app in Microsoft Entra ID:
      </p>
      <ul className="divide-y divide-line rounded-md border border-line bg-surface-raised">
        {CONSOLE_ROLES.map((role) => (
          <li key={role} className="px-4 py-2">
            <span className="font-mono font-medium">{role}</span>
            <span className="text-ink-muted"> — {CONSOLE_ROLE_DESCRIPTIONS[role]}</span>
          </li>
        ))}
      </ul>
      <p className="text-ink-muted">After the role is assigned, sign out and sign in again.</p>
    </section>
  );
}
