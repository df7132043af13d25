"use client";

import { useRouter } from "next/navigation";
import { useId, useState, useTransition } from "react";

import { grantBundle } from "@/app/actions/bundles";
import { StepUpPrompt } from "@/components/auth/step-up";
import { BundleDelta } from "@/components/permissions/bundle-delta";
import { PrincipalPicker } from "@/components/shared/principal-picker";
import { searchDirectory } from "@/components/shared/principal-search";
import { planBundleGrant } from "@/components/shared/reads";
import { useLatestCall } from "@/components/shared/use-latest-call";
import { Button, buttonClass } from "@/components/ui/button";
import { DialogClose, DialogFooter, DialogPanel, DialogRoot, DialogTrigger } from "@/components/ui/dialog";
import { ResultText } from "@/components/ui/message-with-reference";
import type { DirectoryPrincipal } from "@/lib/graph/principals";
import { placeWords } from "@/lib/shared/linked-resource-kinds";
import type { ActionResult } from "@/lib/shared/action-result";
import { BundleParts, type BundlePartView } from "./bundle-parts";

const directorySearch = searchDirectory();

/** What planning a bundle answers: the parts and budgets, or why it cannot be planned. */
export type BundlePlanResult = Awaited<ReturnType<typeof planBundleGrant>>;
type Plan = Extract<BundlePlanResult, { status: "success" }>["data"];
type Granted = Awaited<ReturnType<typeof grantBundle>>;

/**
 * "Grant a bundle": choose a bundle and one principal; the dialog shows every part before anything is done (where it
 * lands, whether it can be granted and why not) and the bundle's cost against each subscription's assignment budget.
 * The server reads the plan again when granting, so what the browser shows is never what decides. Given the first
 * bundle's plan (`initialPlan`), it opens at once with it.
 */
export function GrantBundleDialog({
  workspaceId,
  workspaceName,
  bundles,
  initialPlan = null,
}: {
  workspaceId: string;
  workspaceName: string;
  bundles: readonly { id: string; name: string; description: string }[];
  initialPlan?: BundlePlanResult | null;
}) {
  const id = useId();
  const router = useRouter();
  const [open, setOpen] = useState(initialPlan !== null);
  const [bundleId, setBundleId] = useState(bundles[0]?.id ?? "");
  const [principals, setPrincipals] = useState<DirectoryPrincipal[]>([]);
  const [plan, setPlan] = useState<ActionResult<Plan> | null>(initialPlan);
  const [result, setResult] = useState<Granted | null>(null);
  const [pending, startTransition] = useTransition();
  const startCall = useLatestCall();

  function loadPlan(next: string) {
    setBundleId(next);
    setPlan(null);
    setResult(null);
    const isLatest = startCall();
    if (!next) return;
    startTransition(async () => {
      const answer = await planBundleGrant({ workspaceId, bundleId: next });
      if (isLatest()) setPlan(answer);
    });
  }

  const ready = plan?.status === "success" && plan.data.grantable && plan.data.budgets.every((budget) => !budget.exceeds);
  const principal = principals[0];
  const plannedParts: BundlePartView[] =
    plan?.status === "success"
      ? plan.data.parts.map((part) => ({
          key: part.key,
          roleName: part.roleName,
          on: placeWords(part.on),
          resourceName: part.resourceName,
          why: part.why,
          state: part.state,
          note: part.note,
          reference: null,
        }))
      : [];

  return (
    <DialogRoot
      open={open}
      onOpenChange={(next) => {
        setOpen(next);
        if (next && !plan) loadPlan(bundleId);
        if (!next) {
          setResult(null);
          setPrincipals([]);
        }
      }}
    >
      <DialogTrigger className={buttonClass("secondary")}>Grant a bundle</DialogTrigger>
      <DialogPanel
        width="md"
        title={<>Grant a bundle on {workspaceName}</>}
        description="A bundle is the workspace role plus the roles a data scientist also needs on the resources the workspace links to, granted and removed as one."
      >
        {result?.status !== "success" && (
          <form
            className="space-y-4"
            onSubmit={(event) => {
              event.preventDefault();
              if (!principal) return;
              startTransition(async () => {
                const next = await grantBundle({ workspaceId, bundleId, principalId: principal.id });
                setResult(next);
                // After an error too: parts granted before it are on the page.
                router.refresh();
              });
            }}
          >
            <label className="flex flex-col gap-1">
              <span className="font-medium">Bundle</span>
              <select
                id={`${id}-bundle`}
                value={bundleId}
                onChange={(event) => loadPlan(event.target.value)}
                className="rounded border border-line bg-surface-raised px-2 py-1.5"
              >
                {bundles.map((bundle) => (
                  <option key={bundle.id} value={bundle.id}>
                    {bundle.name}
                  </option>
                ))}
              </select>
            </label>

            <PrincipalPicker
              label="User, group or service principal"
              hint="Type at least 2 characters."
              search={directorySearch}
              selected={principals}
              onChange={setPrincipals}
              multiple={false}
            />

            <div aria-live="polite" className="space-y-2">
              {pending && !plan && <p className="text-ink-muted">Reading the workspace&apos;s linked resources and your rights on them…</p>}
              {plan?.status === "error" && <ResultText lead="The bundle cannot be planned: " message={plan.message} reference={plan.reference} />}
              {plan?.status === "success" && (
                <>
                  <p className="text-ink-muted">{plan.data.description}</p>
                  <BundleParts parts={plannedParts} caption="What this grants" />
                  {!plan.data.grantable && (
                    <p role="alert" className="text-danger">
                      Some parts cannot be granted (see above), so nothing will be: a bundle is granted whole or not at all.
                    </p>
                  )}
                  {principal && <BundleDelta workspaceId={workspaceId} bundleId={bundleId} principalId={principal.id} title="What you are about to give" />}
                  <ul className="text-ink-muted" aria-label="Assignment budget">
                    {plan.data.budgets.map((budget) => (
                      <li key={budget.subscriptionId} className={budget.exceeds ? "font-medium text-danger" : ""}>
                        Subscription <span className="font-mono text-xs">{budget.subscriptionId}</span>: adds up to {budget.adds} role assignment
                        {budget.adds === 1 ? "" : "s"}
                        {budget.used === null ? " (the current count could not be read)" : `; ${budget.used} of ${budget.limit} used`}
                        {budget.exceeds ? " — over the limit, so the bundle cannot be granted here" : ""}.
                      </li>
                    ))}
                  </ul>
                </>
              )}
              {result?.status === "error" &&
                (result.claims ? (
                  <StepUpPrompt claims={result.claims} message={result.message} />
                ) : (
                  <ResultText message={result.message} reference={result.reference} />
                ))}
            </div>

            <DialogFooter>
              <DialogClose type="button" className={buttonClass("secondary")}>
                Cancel
              </DialogClose>
              <Button type="submit" variant="primary" disabled={pending || !ready || !principal}>
                {pending && plan ? "Granting…" : "Grant the bundle"}
              </Button>
            </DialogFooter>
          </form>
        )}
        {result?.status === "success" && (
          <div aria-live="polite" className="space-y-3">
            <p role="status" className={result.data.status === "granted" ? "text-success" : "font-medium text-warning"}>
              {result.data.status === "granted"
                ? `Granted: every part of the bundle holds for ${principal?.displayName ?? "them"}.`
                : "Bundle partial: some parts could not be granted. The parts that hold stay; resume the bundle on the workspace page to grant the rest."}
            </p>
            <BundleParts parts={result.data.parts} caption="Result per part" />
            {result.data.claims && (
              <StepUpPrompt claims={result.data.claims} message="Azure wants you to sign in again before it grants the remaining parts." />
            )}
            <DialogFooter>
              <DialogClose type="button" className={buttonClass("primary")}>
                Close
              </DialogClose>
            </DialogFooter>
          </div>
        )}
      </DialogPanel>
    </DialogRoot>
  );
}
