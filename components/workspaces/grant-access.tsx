"use client";

import dynamic from "next/dynamic";
import { useState, useTransition } from "react";

import { useResumedStepUp } from "@/components/auth/step-up";
import { getGrantOptions } from "@/components/shared/reads";
import { Button } from "@/components/ui/button";
import { ResultText } from "@/components/ui/message-with-reference";
import type { GrantChoices, GrantDialogOptions } from "./grant-dialog";
import { grantResumeKey } from "./grant-resume-key";

// The dialog (principal search, permission preview) is downloaded when it is first opened, beside its options: the
// access page's first load does not carry it.
const loadGrantDialog = () => import("./grant-dialog").then((module) => module.GrantDialog);
const GrantDialog = dynamic(loadGrantDialog, { loading: () => <p className="text-ink-muted">Loading roles…</p> });

/**
 * The "Grant access" button. Roles and the subscription's budget are fetched when it is first pressed: counting a
 * subscription's assignments is an ARM list of its own, which the access page should not pay on every view.
 */
export function GrantAccess({ workspaceId, workspaceName }: { workspaceId: string; workspaceName: string }) {
  const [options, setOptions] = useState<GrantDialogOptions | null>(null);
  const [failure, setFailure] = useState<{ message: string; reference?: string | undefined } | null>(null);
  const [pending, startTransition] = useTransition();
  // Back from signing in again for a claims challenge: reopen the dialog with the choices it had.
  const resumed = useResumedStepUp<GrantChoices>(grantResumeKey(workspaceId), () => load());

  function load() {
    startTransition(async () => {
      setFailure(null);
      const [result] = await Promise.all([getGrantOptions({ workspaceId }), loadGrantDialog().catch(() => undefined)]);
      if (result.status === "success") setOptions(result.data);
      else setFailure({ message: result.message, reference: result.reference });
    });
  }

  if (options) return <GrantDialog workspaceId={workspaceId} workspaceName={workspaceName} options={options} initiallyOpen resumed={resumed} />;

  return (
    <div className="flex max-w-sm flex-col items-end gap-2">
      <Button variant="primary" disabled={pending} onClick={load}>
        {pending ? "Loading roles…" : "Grant access"}
      </Button>
      {failure && <ResultText lead="Granting is unavailable: " message={failure.message} reference={failure.reference} />}
    </div>
  );
}
