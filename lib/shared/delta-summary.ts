/**
 * The permission delta's count line ("+ at least 245 operations, including …/computes/write"): the same words on the
 * request form, in the approval dialog and in the notifications approvers get.
 */
export function deltaCountLine(summary: { readonly count: number; readonly notable: string | null; readonly atLeast: boolean }): string {
  if (summary.count === 0 && summary.atLeast) return "+ operations Gatehouse cannot list: see the patterns below";
  const operations = `${summary.count} operation${summary.count === 1 ? "" : "s"}`;
  return `+ ${summary.atLeast ? "at least " : ""}${operations}${summary.notable ? `, including ${summary.notable}` : ""}`;
}
