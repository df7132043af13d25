"use client";

import { InteractionStatus } from "@azure/msal-browser";
import { useMsal } from "@azure/msal-react";
import { useRouter } from "next/navigation";
import { useEffect, useState } from "react";

import { Button } from "@/components/ui/button";
import { useAuthSettings } from "./auth-provider";
import { currentAccount, establishSession, isSigningOut, signInRedirect } from "./session-client";

/** Renew a few minutes before the token (and the cookie) expires, inside MSAL's own renewal window. */
const RENEW_BEFORE_MS = 4 * 60_000;
const MIN_DELAY_MS = 5_000;

/**
 * Keeps a signed-in person's session alive: renews the token before it expires. When MSAL knows no account in this tab
 * (the server's session came from another tab, whose MSAL cache this one does not share), the renewal is a sign-in
 * redirect back to this page (Entra's session cookie makes it quick, no password). With an account, renewal is silent; when that can no longer work — an
 * SPA's refresh token lives a fixed 24 hours, and the hidden-iframe fallback needs third-party cookies — it offers an
 * interactive sign-in while the current session still lasts, so no work is lost.
 */
export function SessionKeeper({ expiresAt }: { expiresAt: string }) {
  const { instance, inProgress } = useMsal();
  const settings = useAuthSettings();
  const router = useRouter();
  const [needsSignIn, setNeedsSignIn] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);

  useEffect(() => {
    if (inProgress !== InteractionStatus.None) return;
    const delay = Math.max(MIN_DELAY_MS, new Date(expiresAt).getTime() - Date.now() - RENEW_BEFORE_MS);
    const timer = setTimeout(() => {
      if (isSigningOut()) return;
      const account = currentAccount(instance);
      if (!account) {
        const here = `${window.location.pathname}${window.location.search}`;
        signInRedirect(instance, settings, here).catch(() => setNeedsSignIn(true));
        return;
      }
      void establishSession(instance, settings, account).then((outcome) => {
        // On success the server has the new token; refreshing brings the new expiry (and any role change) in.
        if (outcome.kind === "established") {
          setNeedsSignIn(false);
          router.refresh();
        } else if (outcome.kind === "needs-sign-in") setNeedsSignIn(true);
      });
    }, delay);
    return () => clearTimeout(timer);
  }, [expiresAt, inProgress, instance, settings, router]);

  if (!needsSignIn) return null;
  const ends = new Date(expiresAt).toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
  return (
    <div role="alert" className="flex flex-wrap items-center gap-3 border-b border-line bg-surface-sunken px-4 py-2">
      <p>Your sign-in ends at {ends}. Sign in again now to keep working without losing your place.</p>
      <Button
        variant="primary"
        onClick={() => {
          setProblem(null);
          const here = `${window.location.pathname}${window.location.search}`;
          signInRedirect(instance, settings, here).catch(() => setProblem("The sign-in page could not be opened. Check your connection and try again."));
        }}
      >
        Sign in again
      </Button>
      {problem && <p className="text-danger">{problem}</p>}
    </div>
  );
}
