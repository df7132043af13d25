"use client";

import { useRouter } from "next/navigation";
import { useEffect, useRef, useState } from "react";

import { Button } from "@/components/ui/button";
import { useAuthSettings } from "./auth-provider";
import { preloadMsal } from "./msal-client";
import { sessionRenewed, signInWithPopup } from "./session-client";

/**
 * Step-up: Azure answered a change with a claims challenge (e.g. MFA) that only a new interactive sign-in satisfies.
 * The person signs in again with the claims in a popup; the server then holds the new token. The dialog or page where
 * it happened keeps what the person chose in this tab's sessionStorage and the page loads again (its data may have
 * changed with the new sign-in), restoring those choices so the same change is one click away. Only choices are kept
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

/** Whether a retry may run now, and a way to wait for it: the server must hold the last popup sign-in's token. */
export function useReadyToRetry(): { readonly ready: boolean; readonly afterSignIn: () => Promise<unknown> } {
  return { ready: true, afterSignIn: sessionRenewed };
}

/**
 * "Sign in again to continue", where the challenge happened. With `resume`, the dialog's choices are kept for when the
 * page loads again after the sign-in; a page that only reads needs none (its data loads again).
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
  const settings = useAuthSettings();
  const router = useRouter();
  const [busy, setBusy] = useState(false);
  useEffect(() => preloadMsal(settings), [settings]);
  const [problem, setProblem] = useState<string | null>(null);
  return (
    <div role="alert" className="space-y-2 rounded-md border border-warning bg-surface-sunken px-3 py-2">
      <p className="font-medium">{message}</p>
      <Button
        variant="primary"
        onClick={() => {
          setProblem(null);
          setBusy(true);
          void signInWithPopup(settings, { claims }).then((outcome) => {
            setBusy(false);
            if (outcome.kind === "failed") setProblem(outcome.message);
            else if (outcome.kind === "needs-sign-in") setProblem("This session was ended. Sign in again to continue.");
            else if (resume) {
              saveStepUp(resume.key, resume.choices);
              window.location.reload();
            } else router.refresh();
          });
        }}
      >
        Sign in again to continue
      </Button>
      {busy && <p className="text-ink-muted">Finish signing in in the window that opened. If you closed it, select the button again.</p>}
      {problem && <p className="text-danger">{problem}</p>}
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
