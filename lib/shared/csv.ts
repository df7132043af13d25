/**
 * CSV for the three exports (audit trail, credentials, workspace access), in one place because it is a security
 * rule: a text cell a spreadsheet would run as a formula — starting with `=`, `+`, `-`, `@`, or a tab or carriage
 * return that some strip first — gets a leading `'` (OWASP's CSV-injection advice). Names and justifications come
 * from whoever typed them, so every text cell is untrusted.
 */
const FORMULA_START = /^[=+\-@\t\r]/;

// A field that neither starts like a formula nor needs quoting (no quote, comma or line break, no edge whitespace:
// `\s` is the set trim() removes) is written as it is: one test, for the exports' millions of plain fields.
const NEEDS_CARE = /^[=+\-@\s]|[",\r\n]|\s$/;

export function neutraliseFormula(text: string): string {
  return FORMULA_START.test(text) ? `'${text}` : text;
}

/**
 * One RFC 4180 field: text neutralised, quotes doubled, quoted when it holds a comma, quote, line break or edge
 * whitespace — or always, for files whose readers expect every field quoted.
 */
export function csvField(value: string | number | null | undefined, quote: "when-needed" | "always" = "when-needed"): string {
  if (value === null || value === undefined) return quote === "always" ? '""' : "";
  if (quote === "when-needed" && typeof value === "string" && !NEEDS_CARE.test(value)) return value;
  const text = typeof value === "string" ? neutraliseFormula(value) : String(value);
  return quote === "always" || /[",\r\n]/.test(text) || text !== text.trim() ? `"${text.replace(/"/g, '""')}"` : text;
}
