/**
 * The console's app roles, assigned to people on the API app registration and carried in the token's `roles` claim.
 */
export const CONSOLE_ROLES = ["Console.Admin", "Console.Requester", "Console.SecurityReader"] as const;
export type ConsoleRole = (typeof CONSOLE_ROLES)[number];

export const CONSOLE_ROLE_DESCRIPTIONS: Record<ConsoleRole, string> = {
  "Console.Admin": "Grant and revoke workspace roles, map groups, approve requests",
  "Console.Requester": "Request access for your team and follow your requests",
  "Console.SecurityReader": "Read-only: role assignments, credentials dashboard, audit trail",
};
