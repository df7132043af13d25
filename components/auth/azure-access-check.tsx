"use client";

import { useEffect, useState, useTransition } from "react";

import { verifyAzureAccess } from "@/components/shared/reads";
import { useLatestCall } from "@/components/shared/use-latest-call";
import { Button } from "@/components/ui/button";
import type { AzureAccessReport, Check } from "@/lib/account/verify-azure-access";
import type { ActionResult } from "@/lib/shared/action-result";
import { useAuthSettings } from "./auth-provider";
import { preloadMsal } from "./msal-client";
import { signInWithPopup } from "./session-client";

/** Checks, on demand, that Gatehouse can call Graph and ARM as this person — and says why not when it cannot. */
export function AzureAccessCheck() {
  const [result, setResult] = useState<ActionResult<AzureAccessReport> | null>(null);
  const [pending, startTransition] = useTransition();
  const settings = useAuthSettings();
  const [signInProblem, setSignInProblem] = useState<string | null>(null);
  // The button stays usable while the step-up popup is open: a check started before the new sign-in must not answer
  // over the one started after it.
  const startCall = useLatestCall();
  const check = () => {
    const isLatest = startCall();
    startTransition(async () => {
      const answer = await verifyAzureAccess(undefined);
      if (isLatest()) setResult(answer);
    });
  };
  const claims =
    result?.status === "success"
      ? ((result.data.graph.ok ? undefined : result.data.graph.claims) ?? (result.data.arm.ok ? undefined : result.data.arm.claims))
      : result?.claims;
  useEffect(() => {
    if (claims) preloadMsal(settings);
  }, [claims, settings]);

  return (
    <section aria-labelledby="azure-access-heading" className="space-y-3 rounded-md border border-line bg-surface-raised px-4 py-3">
      <div className="flex items-center justify-between gap-4">
        <h2 id="azure-access-heading" className="font-medium">
          Azure access through Gatehouse
        </h2>
        <Button variant="primary" disabled={pending} onClick={check}>
          {pending ? "Checking…" : "Check my Azure access"}
        </Button>
      </div>
      <p className="text-ink-muted">
        Gatehouse calls Microsoft Graph and Azure Resource Manager as you, so what you can see and change is what your own Azure roles allow.
      </p>
      <div aria-live="polite">
        {result?.status === "error" && <ErrorLine message={result.message} reference={result.reference} />}
        {result?.status === "success" && (
          <ul className="space-y-2">
            <CheckLine name="Microsoft Graph" check={result.data.graph} describe={(me) => `signed in as ${me.displayName} (${me.userPrincipalName})`} />
            <CheckLine
              name="Azure Resource Manager"
              check={result.data.arm}
              describe={(arm) =>
                arm.subscriptions.length === 0
                  ? "no subscriptions readable"
                  : `${arm.subscriptions.length} subscription${arm.subscriptions.length === 1 ? "" : "s"}: ${arm.subscriptions.map((s) => s.displayName).join(", ")}`
              }
            />
          </ul>
        )}
        {claims && (
          <Button
            className="mt-2"
            onClick={() => {
              setSignInProblem(null);
              // A popup: the page stays, and the check runs again with the new sign-in's token.
              void signInWithPopup(settings, { claims }).then((outcome) => {
                if (outcome.kind === "established") check();
                else setSignInProblem(outcome.kind === "failed" ? outcome.message : "This session was ended. Sign in again to continue.");
              });
            }}
          >
            Continue to Microsoft sign-in
          </Button>
        )}
        {signInProblem && <p className="mt-2 text-danger">{signInProblem}</p>}
      </div>
    </section>
  );
}

function CheckLine<T>({ name, check, describe }: { name: string; check: Check<T>; describe: (value: T) => string }) {
  return (
    <li className="flex gap-2">
      <span aria-hidden="true" className={check.ok ? "text-success" : "text-danger"}>
        {check.ok ? "✓" : "✕"}
      </span>
      <span>
        <strong>{name}</strong>: {check.ok ? describe(check.value) : <ErrorText message={check.message} reference={check.reference} />}
      </span>
    </li>
  );
}

function ErrorText({ message, reference }: { message: string; reference?: string | undefined }) {
  return (
    <>
      {message}
      {reference && <span className="text-ink-muted"> (reference {reference})</span>}
    </>
  );
}

function ErrorLine({ message, reference }: { message: string; reference?: string | undefined }) {
  return (
    <p role="alert" className="text-danger">
      <ErrorText message={message} reference={reference} />
    </p>
  );
}
