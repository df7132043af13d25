"use client";

import dynamic from "next/dynamic";
import { useState, useTransition } from "react";

import { planBundleGrant } from "@/components/shared/reads";
import { Button } from "@/components/ui/button";
import type { BundlePlanResult } from "./grant-bundle-dialog";

// The dialog (principal search, the permission delta, the parts table) is downloaded when it is first opened, beside
// the plan of the first bundle: the access page's first load does not carry it.
const loadGrantBundleDialog = () => import("./grant-bundle-dialog").then((module) => module.GrantBundleDialog);
const GrantBundleDialog = dynamic(loadGrantBundleDialog, { loading: () => <p className="text-ink-muted">Loading the bundle…</p> });

/** The "Grant a bundle" button: the first press reads the first bundle's plan and the dialog together, then opens it. */
export function GrantBundle({
  workspaceId,
  workspaceName,
  bundles,
}: {
  workspaceId: string;
  workspaceName: string;
  bundles: readonly { id: string; name: string; description: string }[];
}) {
  const [initialPlan, setInitialPlan] = useState<BundlePlanResult | null>(null);
  const [pending, startTransition] = useTransition();

  function load() {
    const bundleId = bundles[0]?.id;
    if (!bundleId) return;
    startTransition(async () => {
      const [plan] = await Promise.all([planBundleGrant({ workspaceId, bundleId }), loadGrantBundleDialog().catch(() => undefined)]);
      setInitialPlan(plan);
    });
  }

  if (initialPlan) return <GrantBundleDialog workspaceId={workspaceId} workspaceName={workspaceName} bundles={bundles} initialPlan={initialPlan} />;

  return (
    <Button variant="secondary" disabled={pending} onClick={load}>
      {pending ? "Reading the bundle…" : "Grant a bundle"}
    </Button>
  );
}
