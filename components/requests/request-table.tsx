import Link from "next/link";
import type { ReactNode } from "react";

import { formatDateTime } from "@/components/shared/format";
import { durationText, requestedAccess, type RequestView, shortId } from "./format";
import { PrincipalFacts } from "./principal-facts";
import { StatusBadge } from "./status-badge";
import { TableHeader } from "@/components/ui/table";

/**
 * Requests as a table: status, workspace, role, for whom, who asked, for how long and the dates. `actions` renders
 * extra controls per row (the approval queue's approve/deny).
 */
export function RequestTable({
  label,
  requests,
  showRequester,
  actions,
}: {
  label: string;
  requests: readonly RequestView[];
  showRequester: boolean;
  actions?: (request: RequestView) => ReactNode;
}) {
  return (
    <div className="overflow-x-auto rounded-md border border-line bg-surface-raised">
      <table aria-label={label} className="w-full text-left text-sm">
        <TableHeader
          columns={[
            "Status",
            "Workspace",
            "Role",
            "For",
            showRequester && "Asked by",
            "Duration",
            "Asked",
            "Ends",
            { label: <span className="sr-only">Details</span> },
            actions && "Decide",
          ]}
        />
        <tbody className="divide-y divide-line">
          {requests.map((request) => (
            <tr key={request.id} data-request-id={request.id}>
              <td className="px-3 py-2">
                <StatusBadge status={request.status} />
              </td>
              <td className="px-3 py-2 font-medium">{request.workspaceName}</td>
              <td className="px-3 py-2">{requestedAccess(request)}</td>
              <td className="px-3 py-2">
                <PrincipalFacts facts={request} compact />
              </td>
              {showRequester && <td className="px-3 py-2">{request.requesterName}</td>}
              <td className="whitespace-nowrap px-3 py-2">{durationText(request.durationMinutes)}</td>
              <td className="whitespace-nowrap px-3 py-2">{formatDateTime(request.createdAt)}</td>
              <td className="whitespace-nowrap px-3 py-2">{formatDateTime(request.endedAt ?? request.expiresAt)}</td>
              <td className="px-3 py-2">
                <Link href={`/requests/${request.id}`} className="text-accent underline-offset-2 hover:underline">
                  Open
                  <span className="sr-only">
                    {" "}
                    request {shortId(request.id)}: {requestedAccess(request)} on {request.workspaceName} for {request.principalDisplayName}
                  </span>
                </Link>
              </td>
              {actions && <td className="px-3 py-2">{actions(request)}</td>}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
