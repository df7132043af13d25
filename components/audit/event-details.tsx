import type { ReactNode } from "react";

import type { AuditEventRecord } from "@/lib/audit";
import { actorName, formatUtc } from "./format";

/** Every stored field of one event: who, what, on what, correlation ids, and the details JSON. */
export function EventDetails({ event }: { event: AuditEventRecord }) {
  const actor = actorName(event.actor);
  return (
    <div className="space-y-4">
      <Section title="Event">
        <Field label="Time (UTC)">
          <time dateTime={event.occurredAt.toISOString()}>{event.occurredAt.toISOString()}</time>
        </Field>
        <Field label="Action" mono value={event.action} />
        <Field label="Outcome" value={event.outcome} />
        <Field label="Error code" mono value={event.errorCode} />
        <Field label="Reason" value={event.reason} />
      </Section>
      <Section title="Actor">
        <Field label="Kind" value={event.actor.kind} />
        <Field label="Name" value={event.actor.kind === "user" ? actor.primary : null} />
        <Field label="Sign-in name" value={event.actor.userPrincipalName} />
        <Field label="Object id" mono value={event.actor.objectId} />
        <Field label="Tenant id" mono value={event.actor.tenantId} />
        <Field label="App id" mono value={event.actor.appId} />
      </Section>
      <Section title="Where">
        <Field label="Console session" mono value={event.origin.sessionId} />
        <Field label="Client address" mono value={event.origin.clientAddress} />
        <Field label="User agent" value={event.origin.userAgent} />
        <Field label="Job" mono value={event.origin.job} />
      </Section>
      <Section title="Target">
        <Field label="Scope" mono value={event.target.scope} />
        <Field label="Principal id" mono value={event.target.principalId} />
        <Field label="Principal type" value={event.target.principalType} />
        <Field label="Role" value={event.target.roleName} />
        <Field label="Role definition id" mono value={event.target.roleDefinitionId} />
        <Field label="Request id" mono value={event.target.requestId} />
      </Section>
      <Section title="Correlation ids">
        <Field label="Console request id" mono value={event.correlation.consoleRequestId} />
        <Field label="ARM x-ms-request-id" mono value={event.correlation.armRequestId} />
        <Field label="Graph request-id" mono value={event.correlation.graphRequestId} />
      </Section>
      <section className="space-y-1">
        <h3 className="font-medium">Details</h3>
        <pre className="max-h-72 overflow-auto rounded border border-line bg-surface-sunken p-3 font-mono text-xs">
          {JSON.stringify(event.details, null, 2)}
        </pre>
      </section>
      <Section title="Hash chain">
        <Field label="Previous hash" mono value={event.prevHash} />
        <Field label="Hash" mono value={event.hash} />
      </Section>
      <p className="text-xs text-ink-muted">Recorded {formatUtc(event.occurredAt)} UTC.</p>
    </div>
  );
}

function Section({ title, children }: { title: string; children: ReactNode }) {
  return (
    <section className="space-y-1">
      <h3 className="font-medium">{title}</h3>
      <dl className="grid grid-cols-[11rem_1fr] gap-x-4 gap-y-1 rounded border border-line px-3 py-2">{children}</dl>
    </section>
  );
}

function Field({ label, value, mono, children }: { label: string; value?: string | null; mono?: boolean; children?: ReactNode }) {
  const content = children ?? value;
  return (
    <>
      <dt className="text-ink-muted">{label}</dt>
      <dd className={`break-all ${mono ? "font-mono text-xs leading-5" : ""}`}>{content ?? <span className="text-ink-muted">—</span>}</dd>
    </>
  );
}
