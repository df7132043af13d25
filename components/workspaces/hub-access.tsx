import Link from "next/link";

import type { AccessRow } from "@/lib/workspaces/get-workspace-access";
import { principalName, workspacePath } from "./format";

/**
 * A project's hub and what is assigned on the hub itself. Hub and project are separate ARM resources: nothing here
 * reaches the project through Azure RBAC, but the Azure AI Foundry portal gives every project member Reader on the
 * hub, without which they cannot open the project there.
 */
export function HubAccess({ hub }: { hub: { id: string; name: string; rows: readonly AccessRow[] | null; message: string | null } }) {
  const [, , subscriptionId, , resourceGroup] = hub.id.split("/");
  return (
    <section aria-labelledby="hub-access" className="space-y-2 rounded-md border border-line bg-surface-raised px-4 py-3">
      <h2 id="hub-access" className="font-semibold">
        From the hub{" "}
        <Link href={workspacePath(subscriptionId ?? "", resourceGroup ?? "", hub.name)} className="text-accent underline-offset-2 hover:underline">
          {hub.name}
        </Link>
      </h2>
      <p className="text-ink-muted">
        This is an Azure AI Foundry project. Assignments on its hub do not apply here through Azure RBAC; the Foundry portal adds Reader on the hub for project
        members, which they need to open the project in the portal.
      </p>
      {hub.rows === null ? (
        <p role="status" className="text-warning">
          Couldn&apos;t read the hub&apos;s assignments: {hub.message}
        </p>
      ) : hub.rows.length === 0 ? (
        <p>Nothing is assigned on the hub itself.</p>
      ) : (
        <table className="w-full text-left">
          <caption className="sr-only">Role assignments on the hub {hub.name}</caption>
          <thead className="text-ink-muted">
            <tr>
              <th scope="col" className="py-1 pr-3 font-medium">
                Principal
              </th>
              <th scope="col" className="py-1 pr-3 font-medium">
                Role on the hub
              </th>
            </tr>
          </thead>
          <tbody className="divide-y divide-line">
            {hub.rows.map((row) => (
              <tr key={row.assignmentId}>
                <td className="py-1 pr-3">{principalName(row)}</td>
                <td className="py-1 pr-3">{row.roleName}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
