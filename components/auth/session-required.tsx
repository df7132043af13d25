"use client";

import { InteractionStatus } from "@azure/msal-browser";
import { useMsal } from "@azure/msal-react";
import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { useEffect, useState } from "react";

import { Button } from "@/components/ui/button";
import { useAuthSettings } from "./auth-provider";
import { currentAccount, renewSilently } from "./session-client";

/**
 * Shown when the server has no valid session cookie (first visit, or the cookie expired with its token). If this page's
 * MSAL still knows the person, the session is renewed silently and the page reloads its data; otherwise they sign in.
 */
export function SessionRequired() {
  const { instance, inProgress } = useMsal();
  const settings = useAuthSettings();
  const router = useRouter();
  const pathname = usePathname();
  const search = useSearchParams().toString();
  const [failure, setFailure] = useState<string | null>(null);
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    if (inProgress !== InteractionStatus.None) return;
    const returnTo = encodeURIComponent(search ? `${pathname}?${search}` : pathname);
    // MSAL's cache is in memory: only a page that signed in itself (and was not reloaded since) knows the person.
    if (!currentAccount(instance)) {
      router.replace(`/signin?returnTo=${returnTo}`);
      return;
    }
    let cancelled = false;
    void renewSilently(instance, settings, undefined).then((outcome) => {
      if (cancelled) return;
      if (outcome.kind === "established") router.refresh();
      else if (outcome.kind === "needs-sign-in") router.replace(`/signin?reason=expired&returnTo=${returnTo}`);
      else setFailure(outcome.message);
    });
    return () => {
      cancelled = true;
    };
  }, [inProgress, instance, settings, router, pathname, search, attempt]);

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
