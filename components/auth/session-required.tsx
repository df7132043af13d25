"use client";

import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { useEffect, useState } from "react";

import { Button } from "@/components/ui/button";
import { useAuthSettings } from "./auth-provider";
import { loadedMsal } from "./msal-client";
import { currentAccount, renewSilently } from "./session-client";

/**
 * Shown when the server has no valid session cookie (first visit, or the cookie expired with its token). If this page's
 * MSAL still knows the person, the session is renewed silently and the page reloads its data; otherwise they sign in.
 */
export function SessionRequired() {
  const settings = useAuthSettings();
  const router = useRouter();
  const pathname = usePathname();
  const search = useSearchParams().toString();
  const [failure, setFailure] = useState<string | null>(null);
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    const returnTo = encodeURIComponent(search ? `${pathname}?${search}` : pathname);
    // MSAL's cache is in memory: only a page that signed in itself (and was not reloaded since) knows the person, and
    // such a page has loaded MSAL.
    const client = loadedMsal()?.client;
    if (!client || !currentAccount(client)) {
      router.replace(`/signin?returnTo=${returnTo}`);
      return;
    }
    let cancelled = false;
    void renewSilently(settings, undefined).then((outcome) => {
      if (cancelled) return;
      if (outcome.kind === "established") router.refresh();
      else if (outcome.kind === "needs-sign-in") router.replace(`/signin?reason=expired&returnTo=${returnTo}`);
      else setFailure(outcome.message);
    });
    return () => {
      cancelled = true;
    };
  }, [settings, router, pathname, search, attempt]);

  if (failure) {
    return (
      <div role="alert" className="max-w-xl space-y-3 rounded-md border border-line bg-surface-raised p-4">
        <p className="font-medium">Your session could not be restored</p>
        <p className="text-ink-muted">{failure}</p>
        <Button
          variant="primary"
          onClick={() => {
            setFailure(null);
            setAttempt((value) => value + 1);
          }}
        >
          Try again
        </Button>
      </div>
    );
  }
  return (
    <div aria-live="polite" aria-busy="true" className="space-y-3">
      <p className="text-ink-muted">Restoring your session…</p>
      <div className="h-4 w-64 animate-pulse rounded bg-surface-sunken" />
      <div className="h-4 w-96 animate-pulse rounded bg-surface-sunken" />
    </div>
  );
}
