/**
 * The console's sections. Each appears here when its feature exists; the order is the order of daily use.
 */
export interface NavigationItem {
  readonly href: string;
  readonly label: string;
}

export const NAVIGATION: readonly NavigationItem[] = [{ href: "/", label: "Overview" }];
