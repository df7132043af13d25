import "server-only";

import { z } from "zod";

import { FILTER_FIELDS, type FilterField, type FilterValues } from "@/lib/shared/audit-filter-fields";
import { AUDIT_ACTIONS, AUDIT_OUTCOMES } from "./events";
import { type AuditFilter, auditFilterSchema } from "./search";
import { GUID } from "@/lib/shared/patterns";

export { FILTER_FIELDS, type FilterField, type FilterValues };

/**
 * The audit page's and the export's filters as URL query parameters (so a GET form, a bookmark and an export link all
 * carry them), parsed with zod into an `AuditFilter`. Empty fields (a submitted form sends every field) count as
 * absent; anything else that does not parse is refused with a message naming the field.
 */
const FILTER_KEYS = Object.keys(FILTER_FIELDS) as FilterField[];

export type ParsedParams<Extra> =
  | { readonly ok: true; readonly filter: AuditFilter; readonly values: FilterValues; readonly query: URLSearchParams; readonly extra: Extra }
  | { readonly ok: false; readonly messages: readonly string[]; readonly values: FilterValues };

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const LOCAL_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?$/;

/** A form's optional text: trimmed, empty → absent. */
function optionalText(label: string, max: number) {
  return z
    .string()
    .trim()
    .max(max, `${label} is too long (at most ${max} characters).`)
    .optional()
    .transform((value) => (value ? value : undefined));
}

/**
 * A point in time, read as UTC: `2026-05-01`, `2026-05-01T09:30` (what a datetime-local field sends) or a full ISO
 * timestamp with an offset.
 */
function optionalInstant(label: string) {
  return optionalText(label, 64).transform((value, context) => {
    if (value === undefined) return undefined;
    const iso = DATE_ONLY.test(value) ? `${value}T00:00:00Z` : LOCAL_DATE_TIME.test(value) ? `${value.length === 16 ? `${value}:00` : value}Z` : value;
    const valid = z.iso.datetime({ offset: true }).safeParse(iso);
    const date = valid.success ? new Date(iso) : undefined;
    if (!date || Number.isNaN(date.getTime())) {
      context.addIssue({ code: "custom", message: `${label} must be a date and time in UTC, such as 2026-05-01T09:30.` });
      return z.NEVER;
    }
    return date;
  });
}

const querySchema = z
  .strictObject({
    from: optionalInstant(FILTER_FIELDS.from),
    to: optionalInstant(FILTER_FIELDS.to),
    actor: optionalText(FILTER_FIELDS.actor, 256),
    scope: optionalText(FILTER_FIELDS.scope, 1024),
    principal: optionalText(FILTER_FIELDS.principal, 128),
    action: z
      .array(z.string().trim())
      .max(AUDIT_ACTIONS.length, "Choose fewer actions.")
      .transform((values) => values.filter((value) => value !== ""))
      .pipe(z.array(z.enum(AUDIT_ACTIONS, { error: "Action must be one of the listed actions." }))),
    outcome: optionalText(FILTER_FIELDS.outcome, 32).pipe(
      z.enum(AUDIT_OUTCOMES, { error: `Outcome must be one of: ${AUDIT_OUTCOMES.join(", ")}.` }).optional(),
    ),
    q: optionalText(FILTER_FIELDS.q, 256),
  })
  .refine((query) => !query.from || !query.to || query.from < query.to, { message: "From must be earlier than To." });

/** Parses the filters plus the extra parameters a caller takes (paging, format); any other parameter is refused. */
export function parseAuditParams<Extra extends z.ZodType>(
  params: URLSearchParams,
  extraSchema: Extra,
  extraKeys: { readonly single: readonly string[]; readonly multiple?: readonly string[] },
): ParsedParams<z.output<Extra>> {
  const values = Object.fromEntries(FILTER_KEYS.map((key) => [key, params.get(key) ?? ""])) as FilterValues;
  const messages: string[] = [];
  const known = new Set<string>([...FILTER_KEYS, ...extraKeys.single, ...(extraKeys.multiple ?? [])]);
  const multiple = new Set<string>(["action", ...(extraKeys.multiple ?? [])]);

  const filterInput: Record<string, unknown> = { action: params.getAll("action") };
  const extraInput: Record<string, unknown> = {};
  for (const key of new Set(params.keys())) {
    if (!known.has(key)) {
      messages.push(`Unknown parameter “${truncate(key)}”.`);
      continue;
    }
    if (multiple.has(key)) {
      if (key !== "action") extraInput[key] = params.getAll(key);
      continue;
    }
    const all = params.getAll(key);
    if (all.length > 1) messages.push(`Give ${FILTER_FIELDS[key as FilterField] ?? key} only once.`);
    if (key in FILTER_FIELDS) filterInput[key] = all[0];
    else extraInput[key] = all[0];
  }
  for (const key of extraKeys.multiple ?? []) extraInput[key] ??= [];

  const query = querySchema.safeParse(filterInput);
  if (!query.success) messages.push(...query.error.issues.map((issue) => issue.message));
  const extra = extraSchema.safeParse(extraInput);
  if (!extra.success) messages.push(...extra.error.issues.map((issue) => issue.message));
  if (!query.success || !extra.success || messages.length > 0) return { ok: false, messages: unique(messages), values };

  const { from, to, actor, scope, principal, action, outcome, q } = query.data;
  const candidate: AuditFilter = {
    ...(from && { from }),
    ...(to && { to }),
    ...(actor && (GUID.test(actor) ? { actorObjectId: actor.toLowerCase() } : { actorText: actor })),
    ...(scope && { scope }),
    ...(principal && { principalId: principal }),
    ...(action.length > 0 && { actions: [...new Set(action)] }),
    ...(outcome && { outcome }),
    ...(q && { text: q }),
  };
  const filter = auditFilterSchema.safeParse(candidate);
  if (!filter.success) return { ok: false, messages: ["These filters cannot be used together. Check the values and try again."], values };

  const normalised = new URLSearchParams();
  for (const key of FILTER_KEYS) {
    if (key === "action") for (const value of new Set(action)) normalised.append("action", value);
    else if (values[key].trim() !== "") normalised.set(key, values[key].trim());
  }
  return { ok: true, filter: filter.data, values, query: normalised, extra: extra.data };
}

/** Next.js's `searchParams` object as URLSearchParams. */
export function toSearchParams(record: Record<string, string | string[] | undefined>): URLSearchParams {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(record)) {
    if (Array.isArray(value)) for (const item of value) params.append(key, item);
    else if (value !== undefined) params.append(key, value);
  }
  return params;
}

function truncate(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

function unique(messages: readonly string[]): string[] {
  return [...new Set(messages)];
}
