import type { ReactNode } from "react";

import { Button } from "@/components/ui/button";
import { AUDIT_ACTIONS, AUDIT_OUTCOMES } from "@/lib/audit";
import { FILTER_FIELDS, type FilterValues } from "@/lib/shared/audit-filter-fields";
import { PAGE_SIZES } from "./paging";

const INPUT = "w-full rounded border border-line bg-surface px-2 py-1.5 text-ink placeholder:text-ink-muted";
const LABEL = "block text-xs font-medium text-ink-muted";

/** The filters as a plain GET form: works without JavaScript, and the URL it produces is the bookmark and the export. */
export function AuditFilterForm({ values, size }: { values: FilterValues; size: number }) {
  return (
    <form method="get" action="/audit" role="search" aria-label="Filter audit events" className="space-y-3 rounded-md border border-line bg-surface-raised p-4">
      <div className="grid grid-cols-1 gap-3 sm:grid-cols-2 lg:grid-cols-4">
        <Field id="audit-from" label={`${FILTER_FIELDS.from} (UTC)`} hint="Inclusive">
          <input
            id="audit-from"
            name="from"
            type="datetime-local"
            step={1}
            defaultValue={dateTimeValue(values.from)}
            className={INPUT}
            aria-describedby="audit-from-hint"
          />
        </Field>
        <Field id="audit-to" label={`${FILTER_FIELDS.to} (UTC)`} hint="Up to, not including">
          <input
            id="audit-to"
            name="to"
            type="datetime-local"
            step={1}
            defaultValue={dateTimeValue(values.to)}
            className={INPUT}
            aria-describedby="audit-to-hint"
          />
        </Field>
        <Field id="audit-actor" label={FILTER_FIELDS.actor} hint="Start of a name or sign-in name, or an object id">
          <input
            id="audit-actor"
            name="actor"
            type="text"
            defaultValue={values.actor}
            maxLength={256}
            autoComplete="off"
            className={INPUT}
            aria-describedby="audit-actor-hint"
          />
        </Field>
        <Field id="audit-q" label={FILTER_FIELDS.q} hint="Words in names, ids, reason or details">
          <input
            id="audit-q"
            name="q"
            type="search"
            defaultValue={values.q}
            maxLength={256}
            autoComplete="off"
            className={INPUT}
            aria-describedby="audit-q-hint"
          />
        </Field>
        <Field id="audit-scope" label={FILTER_FIELDS.scope} hint="Full ARM id, e.g. /subscriptions/…/workspaces/…">
          <input
            id="audit-scope"
            name="scope"
            type="text"
            defaultValue={values.scope}
            maxLength={1024}
            autoComplete="off"
            className={`${INPUT} font-mono text-xs`}
            aria-describedby="audit-scope-hint"
          />
        </Field>
        <Field id="audit-principal" label={FILTER_FIELDS.principal} hint="Object id of the user, group or app given access">
          <input
            id="audit-principal"
            name="principal"
            type="text"
            defaultValue={values.principal}
            maxLength={128}
            autoComplete="off"
            className={`${INPUT} font-mono text-xs`}
            aria-describedby="audit-principal-hint"
          />
        </Field>
        <Field id="audit-action" label={FILTER_FIELDS.action}>
          <select id="audit-action" name="action" defaultValue={values.action} className={INPUT}>
            <option value="">Any action</option>
            {AUDIT_ACTIONS.map((action) => (
              <option key={action} value={action}>
                {action}
              </option>
            ))}
          </select>
        </Field>
        <div className="grid grid-cols-2 gap-3">
          <Field id="audit-outcome" label={FILTER_FIELDS.outcome}>
            <select id="audit-outcome" name="outcome" defaultValue={values.outcome} className={INPUT}>
              <option value="">Any</option>
              {AUDIT_OUTCOMES.map((outcome) => (
                <option key={outcome} value={outcome}>
                  {outcome}
                </option>
              ))}
            </select>
          </Field>
          <Field id="audit-size" label="Rows per page">
            <select id="audit-size" name="size" defaultValue={String(size)} className={INPUT}>
              {PAGE_SIZES.map((value) => (
                <option key={value} value={value}>
                  {value}
                </option>
              ))}
            </select>
          </Field>
        </div>
      </div>
      <div className="flex items-center gap-3">
        <Button type="submit" variant="primary">
          Apply filters
        </Button>
        <a href="/audit" className="rounded px-2 py-1.5 text-accent underline-offset-2 hover:underline">
          Clear filters
        </a>
      </div>
    </form>
  );
}

function Field({ id, label, hint, children }: { id: string; label: string; hint?: string; children: ReactNode }) {
  return (
    <div className="space-y-1">
      <label htmlFor={id} className={LABEL}>
        {label}
      </label>
      {children}
      {hint && (
        <p id={`${id}-hint`} className="text-xs text-ink-muted">
          {hint}
        </p>
      )}
    </div>
  );
}

/** A datetime-local field shows only `YYYY-MM-DDTHH:mm[:ss]`; other accepted forms are shown as that when they parse. */
function dateTimeValue(raw: string): string {
  const value = raw.trim();
  if (value === "" || /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(value)) return value;
  const date = new Date(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value);
  return Number.isNaN(date.getTime()) ? "" : date.toISOString().slice(0, 19);
}
