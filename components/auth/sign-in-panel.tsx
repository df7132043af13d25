"use client";

import { EventType, InteractionStatus, InteractionType } from "@azure/msal-browser";
import { useMsal } from "@azure/msal-react";
import { useRouter } from "next/navigation";
import { useEffect, useState } from "react";

import { Button } from "@/components/ui/button";
import { safeReturnPath } from "@/lib/shared/browser-auth";
import { useAuthSettings } from "./auth-provider";
import { currentAccount, establishSession, signInRedirect } from "./session-client";
import { describeSignInFailure } from "./sign-in-errors";

export interface SignInPanelProps {
  readonly returnTo: string;
  readonly notice: "signed-out" | "expired" | null;
}

export function SignInPanel({ returnTo, notice }: SignInPanelProps) {
  const { instance, inProgress } = useMsal();
  const settings = useAuthSettings();
  const router = useRouter();
  const [error, setError] = useState<string | null>(null);
  const target = safeReturnPath(returnTo);

  // Back from Entra with an error instead of a code (e.g. AADSTS50105, not assigned): MSAL's redirect handling reports
  // it as an event. Registered before the provider handles the redirect, since children's effects run first.
  useEffect(() => {
    const id = instance.addEventCallback((event) => {
      if (event.eventType === EventType.ACQUIRE_TOKEN_FAILURE && event.interactionType === InteractionType.Redirect) {
        setError(describeSignInFailure(event.error));
      }
    });
    return () => {
      if (id) instance.removeEventCallback(id);
    };
  }, [instance]);

  // Someone MSAL already knows (e.g. back from the sign-in page) goes straight on.
  useEffect(() => {
    if (inProgress !== InteractionStatus.None || notice === "signed-out") return;
    const account = currentAccount(instance);
    if (!account) return;
    void establishSession(instance, settings, account).then((outcome) => {
      if (outcome.kind === "established") router.replace(target);
      else if (outcome.kind === "failed") setError(outcome.message);
    });
  }, [inProgress, instance, settings, router, target, notice]);

  const busy = inProgress !== InteractionStatus.None;
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
      {error && (
        <p role="alert" className="rounded border border-danger px-3 py-2 text-danger">
          {error}
        </p>
      )}
      <Button
        variant="primary"
        size="lg"
        disabled={busy}
        onClick={() => {
          setError(null);
          signInRedirect(instance, settings, target).catch(() => setError("The sign-in page could not be opened. Check your connection and try again."));
        }}
        className="w-full"
      >
        {busy ? "Signing in…" : "Sign in with Microsoft"}
      </Button>
    </div>
  );
}
