"use client";

import { useRouter } from "next/navigation";
import { useEffect, useState } from "react";

import { Button } from "@/components/ui/button";
import { safeReturnPath } from "@/lib/shared/browser-auth";
import { useAuthSettings } from "./auth-provider";
import { preloadMsal } from "./msal-client";
import { signInWithPopup } from "./session-client";

export interface SignInPanelProps {
  readonly returnTo: string;
  readonly notice: "signed-out" | "expired" | null;
}

export function SignInPanel({ returnTo, notice }: SignInPanelProps) {
  const settings = useAuthSettings();
  const router = useRouter();
  const [error, setError] = useState<string | null>(null);
  const target = safeReturnPath(returnTo);
  useEffect(() => preloadMsal(settings), [settings]);

  // Not MSAL's own progress: a popup the person closed keeps MSAL "in progress" until its timeout, and the button must
  // then open a new one.
  const [busy, setBusy] = useState(false);
  return (
    <div className="mx-auto mt-16 max-w-md space-y-5 rounded-lg border border-line bg-surface-raised p-6 shadow-sm">
      <div className="space-y-1">
        <h1 className="text-lg font-semibold">Sign in to Gatehouse</h1>
        <p className="text-ink-muted">Use your Microsoft Entra work account. Gatehouse acts as you towards Azure, so your own Azure roles still apply.</p>
      </div>
      {notice === "signed-out" && (
        <p role="status" className="rounded border border-line bg-surface-sunken px-3 py-2">
          You have signed out.
        </p>
      )}
      {notice === "expired" && (
        <p role="status" className="rounded border border-line bg-surface-sunken px-3 py-2">
          Your session has ended. Sign in again to continue where you were.
        </p>
      )}
      {busy && (
        <p role="status" className="text-ink-muted">
          Finish signing in in the window that opened. If you closed it, select the button again.
        </p>
      )}
      {error && (
        <p role="alert" className="rounded border border-danger px-3 py-2 text-danger">
          {error}
        </p>
      )}
      <Button
        variant="primary"
        size="lg"
        onClick={() => {
          setError(null);
          setBusy(true);
          void signInWithPopup(settings).then((outcome) => {
            setBusy(false);
            if (outcome.kind === "established") {
              // The page stays loaded (MSAL's memory cache with it); the refresh renders the layout again with the session.
              router.replace(target);
              router.refresh();
            } else if (outcome.kind === "failed") setError(outcome.message);
          });
        }}
        className="w-full"
      >
        Sign in with Microsoft
      </Button>
    </div>
  );
}
