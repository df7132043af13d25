import { formatUtcMinute } from "@/lib/credentials/view";
import { bucketLabel, CREDENTIAL_KIND_LABELS, type IdentityDetails, OBJECT_TYPE_LABELS, type SnapshotSummary } from "@/lib/shared/credentials";
import { BUCKET_TONE } from "./bucket-tone";

/** The drawer's body: what to do about the identity, its objects, every credential, owners and workspace roles. */
export function IdentityPanel({ details, snapshot }: { details: IdentityDetails; snapshot: SnapshotSummary }) {
  return (
    <div className="space-y-4">
      <section aria-label="Recommendation" className="rounded-md border border-accent/50 bg-surface px-3 py-2">
        <h3 className="font-medium">Recommendation</h3>
        <p>{details.recommendation}</p>
      </section>
      <dl className="grid grid-cols-[10rem_1fr] gap-x-3 gap-y-1">
        <dt className="text-ink-muted">Application object</dt>
        <dd className="font-mono text-xs">{details.applicationObjectId ?? "— (no app registration in this tenant)"}</dd>
        <dt className="text-ink-muted">Service principal</dt>
        <dd className="font-mono text-xs">{details.servicePrincipalId ?? "—"}</dd>
        <dt className="text-ink-muted">Kind</dt>
        <dd>{details.isManagedIdentity ? "Managed identity" : "App registration"}</dd>
      </dl>
      <section>
        <h3 className="mb-1 font-medium">Credentials</h3>
        <table className="w-full text-left text-xs">
          <thead>
            <tr className="text-ink-muted">
              <th className="pr-2">On</th>
              <th className="pr-2">Type</th>
              <th className="pr-2">Name / key id</th>
              <th className="pr-2">Valid</th>
              <th>Bucket</th>
            </tr>
          </thead>
          <tbody>
            {details.rows.map((row) => (
              <tr key={row.id} className="border-t border-line align-top">
                <td className="py-1 pr-2">{OBJECT_TYPE_LABELS[row.objectType]}</td>
                <td className="py-1 pr-2">{CREDENTIAL_KIND_LABELS[row.kind]}</td>
                <td className="py-1 pr-2">
                  {row.credentialName ?? "—"}
                  {row.keyId && <div className="font-mono text-ink-muted">{row.keyId}</div>}
                </td>
                <td className="whitespace-nowrap py-1 pr-2">
                  {formatUtcMinute(row.startDateTime)} → {formatUtcMinute(row.endDateTime)}
                </td>
                <td className={`py-1 ${BUCKET_TONE[row.bucket]}`}>{bucketLabel(row.bucket, snapshot.windows)}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {details.federatedCredentials.length > 0 && (
          <ul className="mt-2 list-disc pl-5">
            {details.federatedCredentials.map((credential) => (
              <li key={credential.name}>
                Federated: {credential.name} ({credential.issuer},{" "}
                {credential.subject ??
                  (credential.claimsMatchingExpression ? `flexible: ${credential.claimsMatchingExpression}` : "flexible: matches a claims expression")}
                )
              </li>
            ))}
          </ul>
        )}
        {details.federatedCredentialsUnread && (
          <p className="mt-2 text-warning">
            {details.federatedCredentialsUnread === "forbidden"
              ? "Its federated credentials could not be read: Gatehouse's identity needs Reader on this managed identity."
              : "Its federated credentials could not be read; they may exist. Refresh later to check."}
          </p>
        )}
        {(details.unreadableFederatedCredentials ?? 0) > 0 && (
          <p className="mt-2 text-warning">
            {details.unreadableFederatedCredentials === 1
              ? "1 federated credential could not be read; check it in the Entra admin center."
              : `${details.unreadableFederatedCredentials} federated credentials could not be read; check them in the Entra admin center.`}
          </p>
        )}
      </section>
      <section>
        <h3 className="mb-1 font-medium">Owners</h3>
        {details.owners.length === 0 ? (
          <p className="text-warning">No owner: nobody is notified before these credentials expire.</p>
        ) : (
          <ul className="list-disc pl-5">
            {details.owners.map((owner) => (
              <li key={owner.id}>
                {owner.displayName}
                {owner.mail && <span className="text-ink-muted"> ({owner.mail})</span>}
              </li>
            ))}
          </ul>
        )}
      </section>
      <section>
        <h3 className="mb-1 font-medium">Workspace roles</h3>
        {details.roles.length === 0 ? (
          <p className="text-ink-muted">No Azure ML workspace roles, directly or through a group.</p>
        ) : (
          <ul className="list-disc pl-5">
            {details.roles.map((role) => (
              <li key={`${role.workspaceScope}|${role.roleId}|${role.assignmentScope}|${role.viaGroup ?? ""}`}>
                {role.roleName} on {role.workspace}
                {role.privileged && <span className="ml-1 text-danger">(privileged)</span>}
                <div className="break-all font-mono text-xs text-ink-muted">
                  assigned at {role.assignmentScope}
                  {role.viaGroup ? ` to the group ${role.viaGroup}, of which it is a member` : ""}
                </div>
              </li>
            ))}
          </ul>
        )}
      </section>
    </div>
  );
}
