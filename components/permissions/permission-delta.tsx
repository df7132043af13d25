"use client";

import { useEffect, useId, useState } from "react";

import { previewPermissionDelta } from "@/components/shared/reads";
import { MessageWithReference } from "@/components/ui/message-with-reference";
import type { Danger, PermissionGroup } from "@/lib/permissions/permission-delta";
import type { DeltaTarget, HeldRole, PermissionDeltaPreview } from "@/lib/permissions/preview-permission-delta";
import { placeWords } from "@/lib/shared/linked-resource-kinds";
import type { ActionResult } from "@/lib/shared/action-result";
import { deltaCountLine } from "@/lib/shared/delta-summary";
import { ORIGIN_LABELS } from "@/lib/shared/arm-scope";

type HeadingLevel = 3 | 4;

/** "workspace", "storage account", "key vault"…: what a preview's scope is, in words. */
export function targetWords(target: Pick<DeltaTarget, "kind">): string {
  return placeWords(target.kind);
}

/** What one role would add for one principal on one workspace: loaded from the server whenever any of the three changes. */
export function PermissionDelta({
  workspaceId,
  roleDefinitionId,
  principalId,
  title,
  level = 3,
}: {
  workspaceId: string;
  roleDefinitionId: string;
  principalId: string;
  title: string;
  level?: HeadingLevel;
}) {
  const key = `${workspaceId}|${roleDefinitionId}|${principalId}`;
  const [answer, setAnswer] = useState<{ key: string; result: ActionResult<PermissionDeltaPreview> } | null>(null);

  useEffect(() => {
    let current = true;
    void previewPermissionDelta({ workspaceId, roleDefinitionId, principalId }).then((result) => {
      // A newer choice may have been made meanwhile: only its answer is shown.
      if (current) setAnswer({ key, result });
    });
    return () => {
      current = false;
    };
  }, [key, workspaceId, roleDefinitionId, principalId]);

  const result = answer?.key === key ? answer.result : null;
  if (!result) return <PermissionDeltaLoading title={title} level={level} />;
  if (result.status === "error") return <PermissionDeltaError title={title} level={level} message={result.message} reference={result.reference} />;
  return <PermissionDeltaView preview={result.data} title={title} level={level} />;
}

function Heading({ level, id, children }: { level: HeadingLevel; id: string; children: string }) {
  const Tag = level === 3 ? "h3" : "h4";
  return (
    <Tag id={id} className="font-medium">
      {children}
    </Tag>
  );
}

function SubHeading({ level, children }: { level: HeadingLevel; children: string }) {
  const Tag = level === 3 ? "h4" : "h5";
  return <Tag className="text-sm font-medium text-ink-muted">{children}</Tag>;
}

const BOX = "space-y-2 rounded-md border border-line bg-surface px-3 py-2";

export function PermissionDeltaLoading({ title, level = 3 }: { title: string; level?: HeadingLevel }) {
  const id = useId();
  return (
    <section aria-labelledby={id} aria-busy="true" className={BOX} data-testid="permission-delta">
      <Heading level={level} id={id}>
        {title}
      </Heading>
      <p aria-live="polite" className="text-ink-muted">
        Working out what this role adds…
      </p>
    </section>
  );
}

export function PermissionDeltaError({
  title,
  level = 3,
  message,
  reference,
}: {
  title: string;
  level?: HeadingLevel;
  message: string;
  reference?: string | undefined;
}) {
  const id = useId();
  return (
    <section aria-labelledby={id} className={BOX} data-testid="permission-delta">
      <Heading level={level} id={id}>
        {title}
      </Heading>
      <p role="alert" className="text-danger">
        Gatehouse could not work out what this role adds. <MessageWithReference message={message} reference={reference} />
      </p>
    </section>
  );
}

/**
 * "AzureML Data Scientist directly on this workspace", "… through DS - Fraud → Data Scientists, from the subscription",
 * "Storage Blob Data Contributor directly on this storage account" (origin `workspace` is the preview's own scope).
 */
export function heldRoleText(role: HeldRole, target: Pick<DeltaTarget, "kind"> = { kind: "workspace" }): string {
  const path = role.via === null ? `through ${role.assignedTo}` : role.via.length === 0 ? "directly" : `through ${role.via.join(" → ")}`;
  const where = role.origin === "workspace" ? `on this ${targetWords(target)}` : `from the ${ORIGIN_LABELS[role.origin].toLowerCase()}`;
  return `${role.roleName} ${path} ${where}${role.conditional ? " (with a condition)" : ""}`;
}

const DANGER_TEXT: Record<Danger["kind"], string> = {
  all_actions: "Allows every action (*), including operations Gatehouse does not list",
  role_assignment_write: "Can give anyone access (writes role assignments)",
  role_assignment_delete: "Can remove anyone's access (deletes role assignments)",
  secret_read: "Reads secrets: keys, credentials or secret values",
};

function countLine(preview: PermissionDeltaPreview): string {
  return deltaCountLine({ ...preview.summary, atLeast: preview.delta.atLeast });
}

function GroupList({ groups, label }: { groups: readonly PermissionGroup[]; label: string }) {
  return (
    <ul aria-label={label} className="list-disc space-y-0.5 pl-5">
      {groups.map((group) => (
        <li key={`${group.resourceType}|${group.verb}|${group.readsSecrets}`}>
          {group.label}
          {group.readsSecrets && " "}
          {group.readsSecrets && <span className="ml-2 rounded bg-danger/15 px-1.5 py-0.5 text-xs font-medium text-danger">secret</span>}
          <span className="text-ink-muted">
            {" "}
            ({group.operations.length} operation{group.operations.length === 1 ? "" : "s"})
          </span>
        </li>
      ))}
    </ul>
  );
}

/** The delta itself: counts, dangers, plain-word groups per plane, and the raw operations behind a disclosure. */
export function PermissionDeltaView({ preview, title, level = 3 }: { preview: PermissionDeltaPreview; title: string; level?: HeadingLevel }) {
  const id = useId();
  const { delta } = preview;
  const known = preview.currentAccess === "read";
  const nothingNew = known && delta.alreadyCovered;
  const raw = [...delta.control, ...delta.data].flatMap((group) => group.operations.map((operation) => ({ name: operation.name, plane: operation.plane })));
  const roleNames = preview.roles.map((role) => role.name).join(", ");
  const where = targetWords(preview.target);
  const held = (role: HeldRole) => heldRoleText(role, preview.target);
  return (
    <section aria-labelledby={id} className={BOX} data-testid="permission-delta">
      <Heading level={level} id={id}>
        {title}
      </Heading>
      <p className="text-ink-muted">
        {roleNames} for {preview.principal.displayName}
      </p>
      {!known && (
        <p role="note" className="font-medium text-warning">
          {preview.currentAccessNotice ?? "Gatehouse could not read current access; this is everything the role allows."}
        </p>
      )}
      {nothingNew ? (
        <p className="font-medium" data-testid="permission-delta-summary">
          Nothing new — already covered by {preview.coveredBy.map(held).join("; ")}.
        </p>
      ) : (
        <p className="font-medium" data-testid="permission-delta-summary">
          {countLine(preview)}
        </p>
      )}

      {known && !nothingNew && preview.held.length > 0 && <p className="text-ink-muted">Already holds: {preview.held.map(held).join("; ")}.</p>}
      {known && !nothingNew && preview.held.length === 0 && <p className="text-ink-muted">Holds no role on this {where} now.</p>}

      {!nothingNew && delta.dangers.length > 0 && (
        <ul aria-label="Needs care" className="space-y-0.5">
          {delta.dangers.map((danger) => (
            <li key={danger.kind} className="font-medium text-danger">
              <span aria-hidden="true">⚠ </span>
              {DANGER_TEXT[danger.kind]}
              {danger.kind === "secret_read" && <span className="font-normal"> ({danger.operations.length})</span>}
            </li>
          ))}
        </ul>
      )}

      {delta.control.length > 0 && (
        <div>
          <SubHeading level={level}>
            {preview.target.kind === "workspace" ? "Managing the workspace and its resources (control plane)" : `Managing the ${where} (control plane)`}
          </SubHeading>
          <GroupList groups={delta.control} label="Control plane" />
        </div>
      )}
      {delta.data.length > 0 && (
        <div>
          <SubHeading level={level}>Working with data (data plane)</SubHeading>
          <GroupList groups={delta.data} label="Data plane" />
        </div>
      )}
      {delta.atLeast && (
        <div role="note">
          <p>At least: these patterns reach beyond the operations Gatehouse knows of, so the role may allow more.</p>
          <ul className="list-disc pl-5 font-mono text-xs">
            {delta.uncatalogued.map((reach) => (
              <li key={`${reach.role}|${reach.plane}|${reach.pattern}`}>
                {reach.pattern}
                {reach.plane === "data" ? " (data)" : ""}
              </li>
            ))}
          </ul>
        </div>
      )}

      {preview.denies.length > 0 && (
        <ul aria-label="Deny assignments" className="space-y-0.5">
          {preview.denies.map((deny) => (
            <li key={deny.name}>
              Still refused by the deny assignment “{deny.name}”: {deny.operations.length} of these operation{deny.operations.length === 1 ? "" : "s"} (
              {deny.operations.join(", ")}).
            </li>
          ))}
        </ul>
      )}

      {preview.ineffectiveExclusions.length > 0 && (
        <ul aria-label="Exclusions that remove nothing" className="space-y-0.5 text-warning">
          {preview.ineffectiveExclusions.map((exclusion) => (
            <li key={`${exclusion.role}|${exclusion.pattern}`}>
              <span className="font-mono text-xs">{exclusion.pattern}</span> in {exclusion.role}: this exclusion removes nothing Gatehouse knows of, whatever
              the role&apos;s description says.
            </li>
          ))}
        </ul>
      )}

      {raw.length > 0 && (
        <details>
          <summary className="cursor-pointer text-accent">Show the {raw.length} operations</summary>
          <ul aria-label="Operations" className="mt-1 max-h-64 overflow-y-auto font-mono text-xs">
            {raw.map((operation) => (
              <li key={`${operation.plane}|${operation.name}`}>
                {operation.name}
                {operation.plane === "data" ? " (data)" : ""}
              </li>
            ))}
          </ul>
        </details>
      )}
    </section>
  );
}
