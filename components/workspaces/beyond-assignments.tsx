import { formatDateTime } from "@/components/shared/format";
import { ORIGIN_LABELS } from "@/lib/shared/arm-scope";
import type { DenyAssignment, DenyPrincipal } from "@/lib/workspaces/access-beyond-assignments";
import type { EligibleRow } from "@/lib/workspaces/get-workspace-access";
import { principalName, principalTypeLabel, shortScope } from "./format";
import { TableHeader } from "@/components/ui/table";

/**
 * People who may activate a role on the workspace through PIM. They hold nothing until they activate, so these are
 * not role assignments and cannot be removed here: eligibility is managed in PIM.
 */
export function EligibleAccess({ rows }: { rows: readonly EligibleRow[] }) {
  return (
    <section aria-labelledby="eligible-heading" className="space-y-2">
      <h2 id="eligible-heading" className="text-lg font-semibold">
        Eligible (PIM)
      </h2>
      {rows.length === 0 ? (
        <p className="text-ink-muted">Nobody is eligible for a role here through Privileged Identity Management.</p>
      ) : (
        <>
          <p className="text-ink-muted">Not active until activated in Privileged Identity Management; read-only here (manage eligibility in PIM).</p>
          <div className="overflow-auto rounded-md border border-line bg-surface-raised">
            <table className="w-full min-w-[48rem] border-collapse text-left" aria-labelledby="eligible-heading">
              <TableHeader columns={["Principal", "Type", "Role", "Where from", "Eligible until", "Condition"]} />
              <tbody>
                {rows.map((row) => (
                  <tr key={row.id} className="border-t border-line align-top">
                    <td className="px-3 py-2">
                      <span className="font-medium">{principalName(row)}</span>
                      {row.principal?.secondaryId && <span className="block break-all font-mono text-xs text-ink-muted">{row.principal.secondaryId}</span>}
                    </td>
                    <td className="px-3 py-2">{principalTypeLabel(row)}</td>
                    <td className="px-3 py-2">
                      {row.roleName} <span className="rounded bg-accent/15 px-1.5 py-0.5 text-xs font-medium text-accent">Eligible (PIM)</span>
                    </td>
                    <td className="px-3 py-2">
                      {ORIGIN_LABELS[row.origin]}
                      {row.origin !== "workspace" && (
                        <span className="block text-xs text-ink-muted" title={row.scope}>
                          {shortScope(row.scope)}
                        </span>
                      )}
                    </td>
                    <td className="px-3 py-2 text-xs">{row.endDateTime ? formatDateTime(row.endDateTime) : "Permanently eligible"}</td>
                    <td className="px-3 py-2 break-all font-mono text-xs">{row.condition ?? <span className="text-ink-muted">—</span>}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </section>
  );
}

function principalList(principals: readonly DenyPrincipal[]): string {
  return principals.map((principal) => principal.displayName ?? `${principal.type} ${principal.id}`).join(", ");
}

/** Whom a deny assignment refuses, in a sentence. */
export function denyAppliesTo(deny: Pick<DenyAssignment, "everyone" | "principals" | "excluded">): string {
  const who = deny.everyone ? "everyone" : principalList(deny.principals) || "nobody named";
  return deny.excluded.length > 0 ? `${who} except ${principalList(deny.excluded)}` : who;
}

/** Deny assignments that apply to the workspace: they refuse their actions whatever a role assignment allows. */
export function DenyAssignmentList({ denies }: { denies: readonly DenyAssignment[] }) {
  return (
    <section aria-labelledby="deny-heading" className="space-y-2">
      <h2 id="deny-heading" className="text-lg font-semibold">
        Deny assignments
      </h2>
      {denies.length === 0 ? (
        <p className="text-ink-muted">No deny assignment applies to this workspace.</p>
      ) : (
        <ul className="divide-y divide-line rounded-md border border-line bg-surface-raised" aria-labelledby="deny-heading">
          {denies.map((deny) => (
            <li key={deny.id} className="space-y-0.5 px-3 py-2">
              <p>
                <span className="font-medium">Denied by {deny.name}</span>{" "}
                <span className="text-ink-muted" title={deny.scope}>
                  (from {ORIGIN_LABELS[deny.origin].toLowerCase()}
                  {deny.systemProtected ? ", made by Azure and read-only" : ""})
                </span>
              </p>
              <p className="text-sm">
                Refuses <span className="break-all font-mono text-xs">{[...deny.actions, ...deny.dataActions].join(", ")}</span>
                {deny.notActions.length > 0 && (
                  <>
                    {" "}
                    except <span className="break-all font-mono text-xs">{deny.notActions.join(", ")}</span>
                  </>
                )}{" "}
                to {denyAppliesTo(deny)}, whatever their roles allow.
              </p>
              {deny.description && <p className="text-xs text-ink-muted">“{deny.description}”</p>}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
