import { CONSOLE_ROLE_DESCRIPTIONS, CONSOLE_ROLES, type ConsoleRole } from "@/lib/shared/console-roles";
import { PERMISSIONS, type Permission } from "@/lib/shared/permissions";

/** For a signed-in person whose console roles do not include one this page needs (the refusal is already audited). */
export function Forbidden({ permission }: { permission: Permission }) {
  const allowed = PERMISSIONS[permission].allowed;
  const roles: readonly ConsoleRole[] = allowed === "anyone-signed-in" ? CONSOLE_ROLES : allowed;
  return (
    <section aria-labelledby="forbidden-heading" className="max-w-2xl space-y-4">
      <h1 id="forbidden-heading" className="text-xl font-semibold">
        You don&apos;t have access to this page
      </h1>
      <p>This page ({PERMISSIONS[permission].description.toLowerCase()}) needs one of these Gatehouse roles, and yours include none of them:</p>
      <ul className="divide-y divide-line rounded-md border border-line bg-surface-raised">
        {roles.map((role) => (
          <li key={role} className="px-4 py-2">
            <span className="font-mono font-medium">{role}</span>
            <span className="text-ink-muted"> — {CONSOLE_ROLE_DESCRIPTIONS[role]}</span>
          </li>
        ))}
      </ul>
      <p className="text-ink-muted">If you need it, ask your admin for one of these roles, then sign out and sign in again.</p>
    </section>
  );
}
