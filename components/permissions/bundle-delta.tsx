"use client";

import { useEffect, useId, useState } from "react";

import { previewBundleDelta } from "@/components/shared/reads";
import { MessageWithReference } from "@/components/ui/message-with-reference";
import { placeWords } from "@/lib/shared/linked-resource-kinds";
import type { BundleDelta as BundleDeltaData, BundleDeltaPart } from "@/lib/bundles/preview-bundle-delta";
import type { ActionResult } from "@/lib/shared/action-result";
import { PermissionDeltaView } from "./permission-delta";

/** "Storage Blob Data Contributor on the storage account stmlwfraudprod", "AzureML Data Scientist on the workspace mlw-…". */
export function partTitle(part: Pick<BundleDeltaPart, "roleName" | "on" | "resourceName">): string {
  const what = placeWords(part.on);
  return `${part.roleName} on the ${what}${part.resourceName ? ` ${part.resourceName}` : ""}`;
}

const BOX = "space-y-2 rounded-md border border-line bg-surface px-3 py-2";

/**
 * What a bundle would add for one principal, part by part on the resource each part lands on: loaded from the server
 * (which places the bundle itself) whenever the workspace, the bundle or the principal changes. Each previewed part is
 * shown as a single role's delta; a part that is not previewed says why.
 */
export function BundleDelta({ workspaceId, bundleId, principalId, title }: { workspaceId: string; bundleId: string; principalId: string; title: string }) {
  const key = `${workspaceId}|${bundleId}|${principalId}`;
  const [answer, setAnswer] = useState<{ key: string; result: ActionResult<BundleDeltaData> } | null>(null);

  useEffect(() => {
    let current = true;
    void previewBundleDelta({ workspaceId, bundleId, principalId }).then((result) => {
      // A newer choice may have been made meanwhile: only its answer is shown.
      if (current) setAnswer({ key, result });
    });
    return () => {
      current = false;
    };
  }, [key, workspaceId, bundleId, principalId]);

  const result = answer?.key === key ? answer.result : null;
  return <BundleDeltaView title={title} result={result} />;
}

/** The bundle's heading is an h3 and each part's an h4, as a single role's delta sits under a dialog's title. */
export function BundleDeltaView({ title, result }: { title: string; result: ActionResult<BundleDeltaData> | null }) {
  const id = useId();
  return (
    <section aria-labelledby={id} aria-busy={result === null} className="space-y-2" data-testid="bundle-delta">
      <h3 id={id} className="font-medium">
        {title}
      </h3>
      {result === null && (
        <p aria-live="polite" className="text-ink-muted">
          Working out what each part of the bundle adds…
        </p>
      )}
      {result?.status === "error" && (
        <p role="alert" className="text-danger">
          Gatehouse could not work out what this bundle adds. <MessageWithReference message={result.message} reference={result.reference} />
        </p>
      )}
      {result?.status === "success" && (
        <>
          <p className="text-ink-muted">
            Each part on its own resource: what it adds to what they already hold there (directly, through groups, or inherited).
          </p>
          {result.data.parts.map((part) =>
            part.preview ? (
              <div key={part.key} data-part={part.key}>
                <PermissionDeltaView preview={part.preview} title={partTitle(part)} level={4} />
              </div>
            ) : (
              <NotPreviewed key={part.key} part={part} />
            ),
          )}
        </>
      )}
    </section>
  );
}

function NotPreviewed({ part }: { part: BundleDeltaPart }) {
  const id = useId();
  return (
    <section aria-labelledby={id} className={BOX} data-part={part.key}>
      <h4 id={id} className="font-medium">
        {partTitle(part)}
      </h4>
      <p className="text-ink-muted">
        {part.state === "not_applicable" ? "Not needed here, so nothing to preview" : "Not previewed: it cannot be granted as things stand"}
        {part.note ? `. ${part.note}` : "."}
      </p>
    </section>
  );
}
