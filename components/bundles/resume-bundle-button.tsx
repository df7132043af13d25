"use client";

import { useRouter } from "next/navigation";
import { useState, useTransition } from "react";

import { resumeBundleGrant } from "@/app/actions/bundles";
import { Button } from "@/components/ui/button";
import { ActionMessage, type ActionMessageValue } from "./action-message";

/** Admins: grant the parts of a partial or incomplete bundle that do not hold; the parts that hold are left alone. */
export function ResumeBundleButton({ bundleGrantId, label = "Resume the bundle" }: { bundleGrantId: string; label?: string }) {
  const [message, setMessage] = useState<ActionMessageValue | null>(null);
  const [pending, startTransition] = useTransition();
  const router = useRouter();
  return (
    <div className="space-y-1">
      <Button
        disabled={pending}
        onClick={() =>
          startTransition(async () => {
            const result = await resumeBundleGrant({ bundleGrantId });
            if (result.status === "error") {
              setMessage({ ok: false, text: result.message, reference: result.reference });
              return;
            }
            const failed = result.data.parts.filter((part) => part.state === "failed" || part.state === "planned").length;
            setMessage({
              ok: result.data.status === "granted",
              text:
                result.data.status === "granted"
                  ? "Every part of the bundle holds now."
                  : `Still partial: ${failed} part${failed === 1 ? "" : "s"} could not be granted.`,
            });
            router.refresh();
          })
        }
      >
        {pending ? "Granting the missing parts…" : label}
      </Button>
      <ActionMessage message={message} />
    </div>
  );
}
