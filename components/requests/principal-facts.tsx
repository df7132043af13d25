import { kindLabel } from "@/components/shared/format";

/** What Graph said about a request's principal (never what the requester typed). */
export interface PrincipalFactsView {
  readonly principalId: string;
  readonly principalKind: string;
  readonly principalDisplayName: string;
  readonly principalSecondaryId: string | null;
  readonly principalFlags: readonly string[];
}

const FLAG_LABELS: Record<string, string> = {
  guest: "Guest user",
  external: "External account",
  other_tenant_app: "App from another organisation",
};

function secondaryLabel(kind: string): string {
  return kind === "user" ? "UPN" : kind === "group" ? "Mail" : "App id";
}

/**
 * The principal as the directory knows it: name, type, UPN or app id, object id and any flags an approver should
 * notice. `compact` puts it on two short lines for tables.
 */
export function PrincipalFacts({ facts, compact = false }: { facts: PrincipalFactsView; compact?: boolean }) {
  const flags = facts.principalFlags.map((flag) => FLAG_LABELS[flag] ?? flag);
  return (
    <span className="inline-block" data-testid="principal-facts">
      <span className="font-medium">{facts.principalDisplayName}</span> <span className="text-ink-muted">({kindLabel(facts.principalKind)})</span>
      {flags.map((flag) => (
        <span key={flag} className="ml-1 inline-block rounded border border-warning/60 px-1 text-xs font-medium text-warning">
          {flag}
        </span>
      ))}
      <span className={`block break-all font-mono text-xs text-ink-muted ${compact ? "" : "mt-0.5"}`}>
        {facts.principalSecondaryId && (
          <>
            <span className="sr-only">{secondaryLabel(facts.principalKind)}: </span>
            {facts.principalSecondaryId}
            {" · "}
          </>
        )}
        <span className="sr-only">Object id: </span>
        {facts.principalId}
      </span>
    </span>
  );
}
