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
