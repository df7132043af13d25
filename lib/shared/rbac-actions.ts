/**
 * Azure RBAC action matching, as ARM evaluates `actions`/`notActions`: case-insensitive, `*` matches any run of
 * characters (including `/`). Used to tell whether a role lets someone manage access.
 */
export function actionMatches(pattern: string, action: string): boolean {
  const escaped = pattern
    .toLowerCase()
    .split("*")
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
    .join(".*");
  return new RegExp(`^${escaped}$`).test(action.toLowerCase());
}

export function roleAllows(role: { readonly actions: readonly string[]; readonly notActions: readonly string[] }, action: string): boolean {
  return role.actions.some((pattern) => actionMatches(pattern, action)) && !role.notActions.some((pattern) => actionMatches(pattern, action));
}

export const ROLE_ASSIGNMENT_WRITE = "Microsoft.Authorization/roleAssignments/write";
export const ROLE_ASSIGNMENT_DELETE = "Microsoft.Authorization/roleAssignments/delete";

/** One `permissions[]` block of a role definition; ARM evaluates each block on its own. */
export interface PermissionBlock {
  readonly actions: readonly string[];
  readonly notActions: readonly string[];
  readonly dataActions: readonly string[];
  readonly notDataActions: readonly string[];
}

/**
 * Whether two action patterns (`*` = any run of characters) can match a common action: then a `notActions` entry
 * takes away part of what the other pattern grants. Case-insensitive, like ARM.
 */
export function patternsOverlap(first: string, second: string): boolean {
  const a = first.toLowerCase();
  const b = second.toLowerCase();
  // overlap[i][j]: the suffixes a[i..] and b[j..] can match one common string.
  const memo = new Map<number, boolean>();
  const solve = (i: number, j: number): boolean => {
    const key = i * (b.length + 1) + j;
    const known = memo.get(key);
    if (known !== undefined) return known;
    let result: boolean;
    if (i === a.length && j === b.length) result = true;
    else if (i < a.length && a[i] === "*") {
      result = solve(i + 1, j) || (j < b.length && solve(i, j + 1)) || (j < b.length && b[j] === "*" && solve(i + 1, j + 1));
    } else if (j < b.length && b[j] === "*") result = solve(i, j + 1) || (i < a.length && solve(i + 1, j));
    else result = i < a.length && j < b.length && a[i] === b[j] && solve(i + 1, j + 1);
    memo.set(key, result);
    return result;
  };
  return solve(0, 0);
}

/** Every action `pattern` stands for is allowed by `block` (its `*`s read as literals when matched against the block). */
function blockCoversPattern(
  block: { actions: readonly string[]; notActions: readonly string[] },
  pattern: string,
  excludedByRequested: readonly string[],
): boolean {
  if (!block.actions.some((allowed) => actionMatches(allowed, pattern))) return false;
  // A notAction that cuts into the pattern leaves part of it ungranted, unless the requested role excludes that part too.
  return !block.notActions.some((denied) => patternsOverlap(denied, pattern) && !excludedByRequested.some((excluded) => actionMatches(excluded, denied)));
}

/**
 * Whether holding `holder` gives everything `requested` gives: each of the requested role's actions and data actions
 * is allowed by some block of the holder's role. Used to say "already covered"; it errs towards "not covered" (a
 * holder's notActions that overlap a requested pattern count against it).
 */
export function roleCovers(holder: readonly PermissionBlock[], requested: readonly PermissionBlock[]): boolean {
  return requested.every(
    (block) =>
      block.actions.every((pattern) => holder.some((candidate) => blockCoversPattern(candidate, pattern, block.notActions))) &&
      block.dataActions.every((pattern) =>
        holder.some((candidate) => blockCoversPattern({ actions: candidate.dataActions, notActions: candidate.notDataActions }, pattern, block.notDataActions)),
      ),
  );
}

/** Why a role counts as privileged from its permissions alone, or undefined when it does not. */
export type AccessManagementReason = "all_actions" | "changes_role_assignments";

/**
 * Whether a role can change who has access — write or delete role assignments (removing someone's access is a change
 * of access too) — or can do anything (`*`), and which of the two.
 */
export function accessManagementReason(blocks: readonly PermissionBlock[]): AccessManagementReason | undefined {
  if (blocks.some((block) => block.actions.some((action) => action.trim() === "*"))) return "all_actions";
  const changes = blocks.some((block) => roleAllows(block, ROLE_ASSIGNMENT_WRITE) || roleAllows(block, ROLE_ASSIGNMENT_DELETE));
  return changes ? "changes_role_assignments" : undefined;
}

/** A role is privileged when it can change who has access, or can do anything (`*`). */
export function grantsAccessManagement(blocks: readonly PermissionBlock[]): boolean {
  return accessManagementReason(blocks) !== undefined;
}
