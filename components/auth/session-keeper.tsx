"use client";

import { useRouter } from "next/navigation";
import { useEffect, useState } from "react";

import { Button } from "@/components/ui/button";
import { useAuthSettings } from "./auth-provider";
import { isSigningOut, renewSilently, signInWithPopup } from "./session-client";

/** Renew a few minutes before the token (and the cookie) expires, inside MSAL's own renewal window. */
const RENEW_BEFORE_MS = 4 * 60_000;
const MIN_DELAY_MS = 5_000;

/**
 * Keeps a signed-in person's session alive: renews the token silently before it expires — from MSAL's memory cache or
 * refresh token while this page signed in itself, otherwise (a reload, another tab) through Entra's session cookie in
 * a hidden iframe for `loginHint`, the person the server's session names. When that can no longer work (no Entra
 * session, third-party cookies blocked, an SPA's refresh token past its fixed 24 hours) it offers a popup sign-in while
 * the current session still lasts: the page stays, so no work is lost.
 */
export function SessionKeeper({ expiresAt, loginHint }: { expiresAt: string; loginHint: string }) {
  const settings = useAuthSettings();
  const router = useRouter();
  const [needsSignIn, setNeedsSignIn] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    const delay = Math.max(MIN_DELAY_MS, new Date(expiresAt).getTime() - Date.now() - RENEW_BEFORE_MS);
    const timer = setTimeout(() => {
      if (isSigningOut()) return;
      void renewSilently(settings, loginHint).then((outcome) => {
        // On success the server has the new token; refreshing brings the new expiry (and any role change) in.
        if (outcome.kind === "established") {
          setNeedsSignIn(false);
          router.refresh();
        } else if (outcome.kind === "needs-sign-in") setNeedsSignIn(true);
      });
    }, delay);
    return () => clearTimeout(timer);
  }, [expiresAt, loginHint, settings, router]);

  if (!needsSignIn) return null;
  const ends = new Date(expiresAt).toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
  return (
    <div role="alert" className="flex flex-wrap items-center gap-3 border-b border-line bg-surface-sunken px-4 py-2">
      <p>Your sign-in ends at {ends}. Sign in again to continue — this page stays as it is.</p>
      <Button
        variant="primary"
        onClick={() => {
          setProblem(null);
          setBusy(true);
          void signInWithPopup(settings, { loginHint }).then((outcome) => {
            setBusy(false);
            if (outcome.kind === "established") {
              setNeedsSignIn(false);
              router.refresh();
            } else if (outcome.kind === "failed") setProblem(outcome.message);
            else setProblem("This session was ended. Sign in again to continue.");
          });
        }}
      >
        Sign in again to continue
      </Button>
      {busy && <p className="text-ink-muted">Finish signing in in the window that opened.</p>}
      {problem && <p className="text-danger">{problem}</p>}
    </div>
  );
}
