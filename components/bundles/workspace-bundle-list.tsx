import Link from "next/link";

import { formatDateTime } from "@/components/shared/format";
import type { WorkspaceBundleView } from "@/lib/bundles/workspace-bundles";
import { placeWords } from "@/lib/shared/linked-resource-kinds";
import { BundleParts, type BundlePartView } from "./bundle-parts";
import { RemoveBundleButton } from "./remove-bundle-button";
import { ResumeBundleButton } from "./resume-bundle-button";

const STATUS_WORDS: Record<WorkspaceBundleView["status"], string> = {
  granting: "Being granted",
  granted: "Complete",
  partial: "Bundle partial",
  ending: "Ending",
  end_failed: "Ending — some parts not removed yet",
  ended: "Ended",
};

function partsOf(bundle: WorkspaceBundleView): BundlePartView[] {
  const missing = new Map((bundle.missing ?? []).map((part) => [part.partKey, part.words]));
  return bundle.parts.map((part) => ({
    key: part.partKey,
    roleName: part.roleName,
    on: placeWords(part.on),
    resourceName: part.resourceName,
    why: part.why,
    state: missing.has(part.partKey) ? "failed" : part.state,
    note: missing.get(part.partKey) ?? part.note,
    reference: part.reference,
  }));
}

/** The workspace's live bundle grants: each as one unit, with its parts, and whether it is partial or incomplete. */
export function WorkspaceBundleList({ bundles, canChange }: { bundles: readonly WorkspaceBundleView[]; canChange: boolean }) {
  if (bundles.length === 0) return null;
  return (
    <section aria-labelledby="bundles-heading" className="space-y-3">
      <h2 id="bundles-heading" className="text-lg font-semibold">
        Access bundles
      </h2>
      {bundles.map((bundle) => {
        const incomplete = (bundle.missing?.length ?? 0) > 0;
        const label = bundle.status === "partial" ? "Bundle partial" : incomplete ? "Bundle incomplete" : STATUS_WORDS[bundle.status];
        return (
          <article
            key={bundle.id}
            className="space-y-2 rounded-md border border-line p-3"
            data-testid="bundle-grant"
            aria-label={`${bundle.bundleName} for ${bundle.principalDisplayName}`}
          >
            <header className="flex flex-wrap items-center justify-between gap-2">
              <p>
                <span className="font-medium">{bundle.bundleName}</span> for {bundle.principalDisplayName}
                {bundle.requestId && (
                  <>
                    {" "}
                    via{" "}
                    <Link href={`/requests/${bundle.requestId}`} className="text-accent underline">
                      request {bundle.requestId.slice(0, 8)}
                    </Link>
                  </>
                )}
                {bundle.expiresAt ? `, until ${formatDateTime(bundle.expiresAt)}` : ""}
              </p>
              <span
                className={`rounded border px-1.5 py-0.5 text-xs ${label === "Complete" ? "border-success/40 text-success" : "border-warning/50 text-warning"}`}
              >
                {label}
              </span>
            </header>
            {(bundle.status === "partial" || incomplete) && (
              <p role="alert" className="text-warning">
                {bundle.status === "partial"
                  ? "Some parts could not be granted. The parts that hold stay; resuming grants only the missing ones."
                  : "Some parts no longer hold (see below). Restoring grants them again."}
              </p>
            )}
            {bundle.integrityUnknown && <p className="text-ink-muted">Whether every part still holds could not be checked: {bundle.integrityUnknown}</p>}
            <BundleParts parts={partsOf(bundle)} caption="Parts" />
            {canChange && (
              <div className="flex flex-wrap gap-3">
                {(bundle.status === "partial" || incomplete) && (
                  <ResumeBundleButton
                    bundleGrantId={bundle.id}
                    label={incomplete && bundle.status !== "partial" ? "Restore the missing parts" : "Resume the bundle"}
                  />
                )}
                {!bundle.requestId && <RemoveBundleButton bundleGrantId={bundle.id} bundleName={bundle.bundleName} principal={bundle.principalDisplayName} />}
              </div>
            )}
          </article>
        );
      })}
    </section>
  );
}
