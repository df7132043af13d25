import type { ConsoleRole } from "@/lib/shared/console-roles";

/**
 * The console's sections. Each appears here when its feature exists; the order is the order of daily use.
 * `roles` only hides links a person could not use: every page and action checks permission itself.
 */
export interface NavigationItem {
  readonly href: string;
  readonly label: string;
  readonly roles: readonly ConsoleRole[];
}

export const NAVIGATION: readonly NavigationItem[] = [
  { href: "/", label: "Overview", roles: ["Console.Admin", "Console.Requester", "Console.SecurityReader"] },
  { href: "/workspaces", label: "Workspaces", roles: ["Console.Admin", "Console.SecurityReader"] },
  { href: "/requests", label: "Requests", roles: ["Console.Admin", "Console.Requester"] },
  { href: "/policy", label: "Policy", roles: ["Console.Admin", "Console.Requester"] },
  { href: "/mappings", label: "Mappings", roles: ["Console.Admin", "Console.SecurityReader"] },
  { href: "/credentials", label: "Credentials", roles: ["Console.Admin", "Console.SecurityReader"] },
  { href: "/audit", label: "Audit", roles: ["Console.Admin", "Console.SecurityReader"] },
  { href: "/notifications", label: "Notifications", roles: ["Console.Admin"] },
];

export function visibleNavigation(roles: readonly string[]): NavigationItem[] {
  return NAVIGATION.filter((item) => item.roles.some((role) => roles.includes(role)));
}
