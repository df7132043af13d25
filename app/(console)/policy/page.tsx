import type { Metadata } from "next";
import type { ReactNode } from "react";

import { Forbidden } from "@/components/auth/forbidden";
import { TableHeader } from "@/components/ui/table";
import { authorizePage } from "@/lib/auth/authorize";
import { DURATION_LABELS, getRequestPolicy, type PolicyRoute } from "@/lib/requests/policy";
import { checkPolicyRoutes, type RouteGroup } from "@/lib/requests/routing";

export const metadata: Metadata = { title: "Request policy" };
export const dynamic = "force-dynamic";

const FLOW_WORDS: Record<PolicyRoute["flow"], string> = {
  single: "One step: a routed approver (or a Console.Admin) approves and grants as themselves",
  "business-then-admin": "Two steps: a routed approver approves for the business, then a different Console.Admin approves and grants",
};

/** The request policy as the console runs it, read-only: durations, roles, bundles and approver routes (groups from Graph). */
export default async function PolicyPage() {
  const authorization = await authorizePage("viewPolicy");
  if (!authorization.ok) return authorization.reason === "forbidden" ? <Forbidden permission="viewPolicy" /> : null;
  const policy = getRequestPolicy();
  const checks = await checkPolicyRoutes({ policy });
  const roleName = (id: string) => policy.roles.find((role) => role.roleDefinitionId === id)?.name ?? id;
  const bundleName = (id: string) => policy.bundles.find((bundle) => bundle.id === id)?.name ?? id;

  return (
    <div className="space-y-6">
      <div className="space-y-1">
        <h1 className="text-xl font-semibold">Request policy</h1>
        <p className="text-ink-muted">
          What can be requested, for how long, and who decides. Read-only here: the policy is a file the operator deploys, checked when the console starts.
        </p>
      </div>

      <Section title="Durations" id="durations">
        <p>
          Requests may ask for: {policy.durations.map((preset) => DURATION_LABELS[preset]).join(", ")} (each role may allow less). A request nobody decides
          within {policy.pendingLifetimeHours} hours lapses.
        </p>
      </Section>

      <Section title="Roles" id="roles">
        <Table label="Requestable roles" columns={["Role", "Approvers needed", "Longest duration", "Role definition id"]}>
          {policy.roles.map((role) => (
            <tr key={role.roleDefinitionId}>
              <Cell>{role.name}</Cell>
              <Cell>{role.approvers}</Cell>
              <Cell>{DURATION_LABELS[role.maxDuration]}</Cell>
              <Cell mono>{role.roleDefinitionId}</Cell>
            </tr>
          ))}
        </Table>
      </Section>

      {policy.bundles.length > 0 && (
        <Section title="Bundles" id="bundles">
          <Table label="Requestable bundles" columns={["Bundle", "Parts", "Approvers needed", "Longest duration"]}>
            {policy.bundles.map((bundle) => (
              <tr key={bundle.id}>
                <Cell>
                  {bundle.name} <span className="text-ink-muted">({bundle.id})</span>
                </Cell>
                <Cell>{[bundle.workspaceRole.name, ...bundle.companions.map((companion) => companion.name)].join(", ")}</Cell>
                <Cell>{bundle.approvers}</Cell>
                <Cell>{DURATION_LABELS[bundle.maxDuration]}</Cell>
              </tr>
            ))}
          </Table>
        </Section>
      )}

      <Section title="Approver routes" id="routes">
        <p>
          The first route that fits a request decides who may approve it, chosen when the request is filed from the workspace as Azure describes it. A request
          no route fits is decided by any Console.Admin. Console.Admin holders are also the fallback when a route names nobody who can sign in, and when
          Microsoft Graph cannot say who its approvers are. Nobody approves their own request or access that would be theirs, and no one gives two approvals.
        </p>
        {checks.length === 0 ? (
          <p className="rounded-md border border-line bg-surface-raised px-4 py-6 text-center text-ink-muted">
            No routes: every request goes to a Console.Admin.
          </p>
        ) : (
          <Table label="Approver routes" columns={["#", "Route", "Matches", "Approvers", "Flow", "Channels"]}>
            {checks.map((check, index) => (
              <tr key={check.route.id} data-route-id={check.route.id}>
                <Cell>{index + 1}</Cell>
                <Cell>
                  {check.route.name} <span className="text-ink-muted">({check.route.id})</span>
                </Cell>
                <Cell>
                  <ul className="space-y-0.5">
                    {check.route.match.workspaces && <li>Workspace: {check.route.match.workspaces.join(", ")}</li>}
                    {check.route.match.tags && (
                      <li>
                        Tagged:{" "}
                        {Object.entries(check.route.match.tags)
                          .map(([name, value]) => `${name}=${value}`)
                          .join(", ")}
                      </li>
                    )}
                    {check.route.match.roles && <li>Role: {check.route.match.roles.map(roleName).join(", ")}</li>}
                    {check.route.match.bundles && <li>Bundle: {check.route.match.bundles.map(bundleName).join(", ")}</li>}
                  </ul>
                </Cell>
                <Cell>
                  <ul className="space-y-0.5">
                    {check.groups.map((group) => (
                      <li key={`${group.as}:${group.id}`}>
                        <GroupLine group={group} />
                      </li>
                    ))}
                  </ul>
                  {check.people !== null && (
                    <p className="text-ink-muted">
                      {check.people} {check.people === 1 ? "person" : "people"} may decide
                    </p>
                  )}
                  {check.problems.map((problem) => (
                    <p key={problem} role="alert" className="text-danger">
                      {problem}
                    </p>
                  ))}
                </Cell>
                <Cell>{FLOW_WORDS[check.route.flow]}</Cell>
                <Cell>{check.route.channels.length ? check.route.channels.join(", ") : "—"}</Cell>
              </tr>
            ))}
          </Table>
        )}
      </Section>
    </div>
  );
}

function GroupLine({ group }: { group: RouteGroup }) {
  const name = group.displayName ?? <span className="font-mono text-xs">{group.id}</span>;
  return (
    <>
      {group.as === "owners" ? "Owners of " : "Members of "}
      {name}
      {group.as === "members" ? " (nested groups too)" : ""}
      {group.state === "missing" && <span className="text-danger"> — not found</span>}
      {group.state === "unknown" && <span className="text-ink-muted"> — Graph did not answer</span>}
    </>
  );
}

function Section({ title, id, children }: { title: string; id: string; children: ReactNode }) {
  return (
    <section aria-labelledby={`${id}-heading`} className="space-y-3">
      <h2 id={`${id}-heading`} className="text-lg font-semibold">
        {title}
      </h2>
      {children}
    </section>
  );
}

function Table({ label, columns, children }: { label: string; columns: readonly string[]; children: ReactNode }) {
  return (
    <div className="overflow-x-auto rounded-md border border-line bg-surface-raised">
      <table aria-label={label} className="w-full text-left text-sm">
        <TableHeader columns={columns} />
        <tbody className="divide-y divide-line">{children}</tbody>
      </table>
    </div>
  );
}

function Cell({ children, mono = false }: { children: ReactNode; mono?: boolean }) {
  return <td className={`px-3 py-2 align-top ${mono ? "break-all font-mono text-xs" : ""}`.trim()}>{children}</td>;
}
