"use client";

import { useRouter } from "next/navigation";
import { useState, useTransition } from "react";

import { importMappings, importWorkspaceMappings } from "@/app/actions/mappings";
import { StepUpPrompt, useReadyToRetry } from "@/components/auth/step-up";
import { download } from "@/components/shared/download";
import { exportMappings } from "@/components/shared/reads";
import { Button } from "@/components/ui/button";
import { ResultText } from "@/components/ui/message-with-reference";
import type { ImportPlan, ImportResult, MappingDocument } from "@/lib/mappings/mapping-document";
import { type WorkspaceOption, workspaceNameOf } from "./model";

type Notice = { ok: boolean; message: string; reference?: string | undefined; claims?: string | undefined } | null;

/** Import a workspace's group assignments; export all mappings as JSON; import a JSON document (dry run first). */
export function TransferPanel({ workspaces, canAdmin }: { workspaces: readonly WorkspaceOption[]; canAdmin: boolean }) {
  const [workspaceId, setWorkspaceId] = useState("");
  const [notice, setNotice] = useState<Notice>(null);
  const [document, setDocument] = useState<{ name: string; value: MappingDocument } | null>(null);
  const [plan, setPlan] = useState<ImportPlan | null>(null);
  const refusedCreates = plan?.creates.filter((entry) => entry.refusal !== undefined).length ?? 0;
  const [revokeRemoved, setRevokeRemoved] = useState(false);
  const [result, setResult] = useState<ImportResult | null>(null);
  const [pending, startTransition] = useTransition();
  const router = useRouter();
  const retry = useReadyToRetry();

  function importWorkspace() {
    if (!workspaceId) return;
    startTransition(async () => {
      const outcome = await importWorkspaceMappings({ workspaceId });
      if (outcome.status === "error") return setNotice({ ok: false, message: outcome.message, reference: outcome.reference });
      const { created, unchanged, skipped } = outcome.data;
      setNotice({
        ok: true,
        message: `Imported ${created.length} group assignment${created.length === 1 ? "" : "s"} as mappings; ${unchanged} already mapped; ${skipped} skipped (deleted groups).`,
      });
      router.refresh();
    });
  }

  function exportAll() {
    startTransition(async () => {
      const outcome = await exportMappings({});
      if (outcome.status === "error") return setNotice({ ok: false, message: outcome.message, reference: outcome.reference });
      download(`${JSON.stringify(outcome.data, null, 2)}\n`, `gatehouse-mappings-${new Date().toISOString().slice(0, 10)}.json`, "application/json");
    });
  }

  async function readFile(file: File | undefined) {
    setPlan(null);
    setResult(null);
    setDocument(null);
    if (!file) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(await file.text());
    } catch {
      return setNotice({ ok: false, message: `${file.name} is not valid JSON.` });
    }
    const value = parsed as MappingDocument;
    setDocument({ name: file.name, value });
    startTransition(async () => {
      const outcome = await importMappings({ document: value, dryRun: true, sourceName: file.name });
      if (outcome.status === "error") {
        const fields = outcome.fieldErrors ? Object.values(outcome.fieldErrors).flat().slice(0, 3).join("; ") : "";
        return setNotice({ ok: false, message: `${file.name} can't be imported: ${outcome.message}${fields ? ` (${fields})` : ""}` });
      }
      setNotice(null);
      setPlan(outcome.data.plan);
    });
  }

  function apply() {
    if (!document) return;
    startTransition(async () => {
      await retry.afterSignIn();
      const outcome = await importMappings({ document: document.value, dryRun: false, revokeRemoved, sourceName: document.name });
      // A privileged mapping needs a stronger sign-in first; nothing was imported, and the file is chosen again after it.
      if (outcome.status === "error") return setNotice({ ok: false, message: outcome.message, reference: outcome.reference, claims: outcome.claims });
      setResult(outcome.data);
      setPlan(null);
      router.refresh();
    });
  }

  return (
    <section aria-labelledby="transfer-heading" className="space-y-3 rounded-md border border-line bg-surface-raised p-4">
      <h2 id="transfer-heading" className="text-lg font-semibold">
        Import and export
      </h2>
      <div className="flex flex-wrap items-end gap-3">
        {canAdmin && (
          <>
            <label className="flex flex-col gap-1">
              <span>Workspace to import group assignments from</span>
              <select
                aria-label="Workspace to import group assignments from"
                value={workspaceId}
                onChange={(event) => setWorkspaceId(event.target.value)}
                className="rounded border border-line bg-surface-raised px-2 py-1.5"
              >
                <option value="">Choose a workspace</option>
                {workspaces.map((workspace) => (
                  <option key={workspace.id} value={workspace.id}>
                    {workspace.name}
                  </option>
                ))}
              </select>
            </label>
            <Button disabled={pending || !workspaceId} onClick={importWorkspace}>
              Import group assignments
            </Button>
          </>
        )}
        <Button disabled={pending} onClick={exportAll}>
          Export mappings (JSON)
        </Button>
        {canAdmin && (
          <label className="flex flex-col gap-1">
            <span>Import mappings (JSON)</span>
            <input type="file" accept="application/json,.json" onChange={(event) => void readFile(event.target.files?.[0])} />
          </label>
        )}
      </div>
      <div aria-live="polite" className="space-y-3">
        {notice &&
          (notice.claims ? (
            <StepUpPrompt claims={notice.claims} message={notice.message} />
          ) : (
            <ResultText ok={notice.ok} message={notice.message} reference={notice.reference} />
          ))}
        {plan && (
          <div className="space-y-2" role="region" aria-label="Import dry run">
            <p className="font-medium">
              Dry run of {document?.name}: {plan.creates.length} to create, {plan.deletes.length} to delete, {plan.unchanged.length} unchanged.
              {refusedCreates > 0 && ` ${refusedCreates} of the creates will be refused: their role may not be granted here.`}
            </p>
            <ul className="divide-y divide-line rounded-md border border-line">
              {plan.creates.map((entry) =>
                entry.refusal ? (
                  <li key={`c-${entry.workspaceId}-${entry.groupId}-${entry.roleDefinitionId}`} className="px-3 py-1.5 text-danger">
                    ✕ will be refused: {entry.groupDisplayName} → {entry.roleName} on {workspaceNameOf(entry.workspaceId)}. {entry.refusal}
                  </li>
                ) : (
                  <li key={`c-${entry.workspaceId}-${entry.groupId}-${entry.roleDefinitionId}`} className="px-3 py-1.5 text-success">
                    + create {entry.groupDisplayName} → {entry.roleName} on {workspaceNameOf(entry.workspaceId)}
                  </li>
                ),
              )}
              {plan.deletes.map((entry) => (
                <li key={`d-${entry.mappingId}`} className="px-3 py-1.5 text-danger">
                  − delete {entry.groupDisplayName} → {entry.roleName} on {workspaceNameOf(entry.workspaceId)}
                </li>
              ))}
              {plan.unchanged.map((entry) => (
                <li key={`u-${entry.mappingId}`} className="px-3 py-1.5 text-ink-muted">
                  = unchanged {entry.groupDisplayName} → {entry.roleName} on {workspaceNameOf(entry.workspaceId)}
                </li>
              ))}
            </ul>
            {plan.deletes.length > 0 && (
              <label className="flex items-center gap-2">
                <input type="checkbox" checked={revokeRemoved} onChange={(event) => setRevokeRemoved(event.target.checked)} />
                Also remove the assignments of deleted mappings in Azure
              </label>
            )}
            <Button variant="primary" disabled={pending || plan.creates.length - refusedCreates + plan.deletes.length === 0} onClick={apply}>
              {pending ? "Applying…" : "Apply import"}
            </Button>
          </div>
        )}
        {result && (
          <ul aria-label="Import results" className="divide-y divide-line rounded-md border border-line">
            {result.results.length === 0 && <li className="px-3 py-1.5">Nothing to change.</li>}
            {result.results.map((item, index) => (
              <li key={index} className={`px-3 py-1.5 ${item.ok ? "" : "text-danger"}`}>
                {item.change === "create" ? "Created" : "Deleted"} {item.groupDisplayName} → {item.roleName} on {workspaceNameOf(item.workspaceId)}:{" "}
                {item.ok ? "done" : "failed"}. {item.message}
              </li>
            ))}
          </ul>
        )}
      </div>
    </section>
  );
}
