"use client";

import { InteractionStatus } from "@azure/msal-browser";
import { useMsal } from "@azure/msal-react";
import { useEffect, useRef, useState } from "react";

import { Button } from "@/components/ui/button";
import { useAuthSettings } from "./auth-provider";
import { sessionRenewed, signInRedirect } from "./session-client";

/**
 * Step-up: Azure answered a change with a claims challenge (e.g. MFA) that only a new interactive sign-in satisfies.
 * The dialog or page where it happened keeps what the person chose in this tab's sessionStorage, signs in again with
 * the claims, and on coming back restores those choices so the same change is one click away. Only choices are kept
 * (ids, names, a role): never a token.
 */
const STORAGE_KEY = "gatehouse.step-up";
// Choices older than this are stale (the page they belong to may have changed): they are dropped, not restored.
const MAX_AGE_MS = 15 * 60_000;

interface Saved {
  readonly key: string;
  readonly state: unknown;
  readonly savedAt: number;
}

export function saveStepUp(key: string, state: unknown): void {
  const saved: Saved = { key, state, savedAt: Date.now() };
  window.sessionStorage.setItem(STORAGE_KEY, JSON.stringify(saved));
}

/** The choices saved under `key` before signing in again, removed as they are read; undefined when there are none. */
export function takeStepUp<T>(key: string): T | undefined {
  const raw = window.sessionStorage.getItem(STORAGE_KEY);
  if (!raw) return undefined;
  let saved: Saved;
  try {
    saved = JSON.parse(raw) as Saved;
  } catch {
    window.sessionStorage.removeItem(STORAGE_KEY);
    return undefined;
  }
  if (saved.key !== key) return undefined;
  window.sessionStorage.removeItem(STORAGE_KEY);
  return Date.now() - saved.savedAt <= MAX_AGE_MS ? (saved.state as T) : undefined;
}

/**
 * The choices saved under `key`, once, after the page came back from signing in again; `onResume` gets them too, to
 * reopen the dialog they belong to.
 */
export function useResumedStepUp<T>(key: string, onResume?: (state: T) => void): T | undefined {
  const [resumed, setResumed] = useState<T | undefined>(undefined);
  const resume = useRef(onResume);
  useEffect(() => {
    resume.current = onResume;
  });
  useEffect(() => {
    // sessionStorage exists only in the browser, so it is read after hydration; taken at once (an effect that runs
    // twice must not find it again), handed over in a callback.
    const state = takeStepUp<T>(key);
    if (state === undefined) return;
    void Promise.resolve().then(() => {
      setResumed(state);
      resume.current?.(state);
    });
  }, [key]);
  return resumed;
}

/**
 * Whether a retry may run now, and a way to wait for it: MSAL must have finished handling the sign-in it came back
 * from, and the server must hold that sign-in's token.
 */
export function useReadyToRetry(): { readonly ready: boolean; readonly afterSignIn: () => Promise<unknown> } {
  const { inProgress } = useMsal();
  return { ready: inProgress === InteractionStatus.None, afterSignIn: sessionRenewed };
}

/**
 * "Sign in again to continue", where the challenge happened. With `resume`, the dialog's choices are kept for when the
 * page comes back; a page that only reads needs none (it loads again).
 */
export function StepUpPrompt({
  claims,
  resume,
  message,
}: {
  claims: string;
  resume?: { readonly key: string; readonly choices: unknown } | undefined;
  message: string;
}) {
  const { instance } = useMsal();
  const settings = useAuthSettings();
  const [failed, setFailed] = useState(false);
  return (
    <div role="alert" className="space-y-2 rounded-md border border-warning bg-surface-sunken px-3 py-2">
      <p className="font-medium">{message}</p>
      <Button
        variant="primary"
        onClick={() => {
          setFailed(false);
          if (resume) saveStepUp(resume.key, resume.choices);
          signInRedirect(instance, settings, `${window.location.pathname}${window.location.search}`, claims).catch(() => setFailed(true));
        }}
      >
        Sign in again to continue
      </Button>
      {failed && <p className="text-danger">The sign-in page could not be opened. Check your connection and try again.</p>}
    </div>
  );
}

/** Shown when choices came back from signing in again: the change has not been made yet. */
export function ResumedNotice({ what }: { what: string }) {
  return (
    <p role="status" className="rounded-md border border-line bg-surface-sunken px-3 py-2">
      You signed in again. Nothing was changed yet: {what} to finish.
    </p>
  );
}
