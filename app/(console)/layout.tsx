import type { ReactNode } from "react";

import { SessionRequired } from "@/components/auth/session-required";
import { NoAccess } from "@/components/auth/no-access";
import { getSession } from "@/lib/auth/session";

/**
 * Pages of the console proper. This only decides what to render; each page, action and data function still checks
 * the session and the permission matrix itself.
 */
export default async function ConsoleLayout({ children }: { children: ReactNode }) {
  const session = await getSession();
  if (!session) return <SessionRequired />;
  if (session.principal.roles.length === 0) {
    return <NoAccess displayName={session.principal.displayName} userPrincipalName={session.principal.userPrincipalName} />;
  }
  return children;
}
