/**
 * The audit page's filter fields and their labels, shared by the server (which parses them from the URL, in
 * `lib/audit/filter-params.ts`) and the filter form in the browser.
 */
export const FILTER_FIELDS = {
  from: "From",
  to: "To",
  actor: "Actor",
  scope: "Workspace or scope",
  principal: "Principal id",
  action: "Action",
  outcome: "Outcome",
  q: "Search",
} as const;
export type FilterField = keyof typeof FILTER_FIELDS;

/** The raw values as typed, to put back into the form. */
export type FilterValues = { readonly [K in FilterField]: string };
