import type { ConsoleRole } from "./console-roles";

/**
 * The permission matrix: every server action and protected operation, and the console roles allowed to run it.
 * A test walks the production build's server actions and fails when one is missing here; another checks each cell
 * (allowed → runs; denied → no Graph/ARM call and a security event).
 *
 * `anyone-signed-in` still requires a valid session; it only waives the console role (signing out must always work).
 * Shared with the browser so it can hide what a person cannot do; the server enforces it on every call.
 */
export type Allowed = readonly ConsoleRole[] | "anyone-signed-in";

export const PERMISSIONS = {
  signOut: { allowed: "anyone-signed-in", description: "End your own session" },
  verifyAzureAccess: {
    allowed: ["Console.Admin", "Console.Requester", "Console.SecurityReader"],
    description: "Check that Gatehouse can reach Graph and ARM as you (on-behalf-of)",
  },
} as const satisfies Record<string, { allowed: Allowed; description: string }>;

export type ConsoleAction = keyof typeof PERMISSIONS;

export function isAllowed(action: ConsoleAction, roles: readonly ConsoleRole[]): boolean {
  const allowed: Allowed = PERMISSIONS[action].allowed;
  return allowed === "anyone-signed-in" || allowed.some((role) => roles.includes(role));
}
