"use client";

import { useRouter } from "next/navigation";
import { useState, useTransition } from "react";

import { removeBundleGrant } from "@/app/actions/bundles";
import { Button } from "@/components/ui/button";
import { ActionMessage, type ActionMessageValue } from "./action-message";

/** Admins: end a bundle granted on the workspace page; only assignments the bundle created and nothing else holds go. */
export function RemoveBundleButton({ bundleGrantId, bundleName, principal }: { bundleGrantId: string; bundleName: string; principal: string }) {
  const [confirming, setConfirming] = useState(false);
  const [message, setMessage] = useState<ActionMessageValue | null>(null);
  const [pending, startTransition] = useTransition();
  const router = useRouter();
  return (
    <div className="space-y-1">
      {!confirming ? (
        <Button variant="secondary" onClick={() => setConfirming(true)}>
          Remove the bundle
        </Button>
      ) : (
        <div className="flex flex-wrap items-center gap-2">
          <span>
            Remove {bundleName} from {principal}? Parts held by something else stay.
          </span>
          <Button
            variant="danger"
            disabled={pending}
            onClick={() =>
              startTransition(async () => {
                const result = await removeBundleGrant({ bundleGrantId });
                if (result.status === "error") setMessage({ ok: false, text: result.message, reference: result.reference });
                else setMessage({ ok: result.data.status === "ended", text: result.data.message });
                setConfirming(false);
                router.refresh();
              })
            }
          >
            {pending ? "Removing…" : "Remove"}
          </Button>
          <Button variant="secondary" disabled={pending} onClick={() => setConfirming(false)}>
            Keep it
          </Button>
        </div>
      )}
      <ActionMessage message={message} />
    </div>
  );
}
