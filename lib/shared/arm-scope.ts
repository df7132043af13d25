/**
 * ARM scopes, as Gatehouse reads them. ARM ids are case-insensitive; Gatehouse keeps the casing it was given for
 * display and compares lower-cased. Parsing is strict: anything that is not one of the shapes below is rejected
 * before it can reach an upstream call (no `..`, no encoded separators, no trailing junk).
 */

export type ScopeLevel = "root" | "managementGroup" | "subscription" | "resourceGroup" | "workspace";

export interface ParsedScope {
  readonly level: ScopeLevel;
  /** The scope in canonical form: one leading slash, no trailing slash, original casing. */
  readonly scope: string;
  readonly managementGroup?: string;
  readonly subscriptionId?: string;
  readonly resourceGroup?: string;
  readonly workspaceName?: string;
}

const GUID = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}";
// Azure's own naming rules: resource groups and management groups 1-90 of letters, digits, _ - . ( ) not ending in
// "."; workspaces 3-33 of letters, digits, _ - starting with a letter or digit. Not ending in "." also means no name is
// a "." segment, which URL handling would silently drop (…/managementGroups/. is …/managementGroups).
const RESOURCE_GROUP = "[-\\w.()]{0,89}[-\\w()]";
const WORKSPACE = "[A-Za-z0-9][-\\w]{2,32}";
const MANAGEMENT_GROUP = RESOURCE_GROUP;

const PATTERNS: ReadonlyArray<[ScopeLevel, RegExp]> = [
  ["root", /^\/$/],
  ["managementGroup", new RegExp(`^/providers/Microsoft\\.Management/managementGroups/(${MANAGEMENT_GROUP})$`, "i")],
  ["subscription", new RegExp(`^/subscriptions/(${GUID})$`, "i")],
  ["resourceGroup", new RegExp(`^/subscriptions/(${GUID})/resourceGroups/(${RESOURCE_GROUP})$`, "i")],
  [
    "workspace",
    new RegExp(`^/subscriptions/(${GUID})/resourceGroups/(${RESOURCE_GROUP})/providers/Microsoft\\.MachineLearningServices/workspaces/(${WORKSPACE})$`, "i"),
  ],
];

/** Parses a scope; undefined when it is not a scope Gatehouse works with. */
export function parseScope(input: string): ParsedScope | undefined {
  if (input.length > 512 || /[\s%\\?#]|\.\.|\/\//.test(input)) return undefined;
  const scope = input.length > 1 ? input.replace(/\/$/, "") : input;
  for (const [level, pattern] of PATTERNS) {
    const match = pattern.exec(scope);
    if (!match) continue;
    switch (level) {
      case "root":
        return { level, scope: "/" };
      case "managementGroup":
        return { level, scope, managementGroup: match[1] };
      case "subscription":
        return { level, scope, subscriptionId: match[1]!.toLowerCase() };
      case "resourceGroup":
        return { level, scope, subscriptionId: match[1]!.toLowerCase(), resourceGroup: match[2] };
      case "workspace":
        return { level, scope, subscriptionId: match[1]!.toLowerCase(), resourceGroup: match[2], workspaceName: match[3] };
    }
  }
  return undefined;
}

export function workspaceScope(subscriptionId: string, resourceGroup: string, workspaceName: string): string {
  return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${workspaceName}`;
}

export function sameScope(a: string, b: string): boolean {
  return a.replace(/\/$/, "").toLowerCase() === b.replace(/\/$/, "").toLowerCase();
}

/** True when an assignment at `assignmentScope` applies at `target` (same scope or an ancestor of it). */
export function scopeApplies(assignmentScope: string, target: string): boolean {
  const ancestor = assignmentScope.replace(/\/$/, "").toLowerCase();
  const child = target.replace(/\/$/, "").toLowerCase();
  if (ancestor === "" || ancestor === "/") return true;
  return child === ancestor || child.startsWith(`${ancestor}/`);
}

/**
 * True when an assignment that ARM listed for `target` (a subscription, resource group or workspace, or an ancestor of
 * it inside the subscription) applies at `target`. ARM's list answers hold assignments at, above and below the scope
 * asked about; above includes management groups, whose ids do not show where they sit in the hierarchy, but ARM only
 * returns the ones the subscription sits under. So a management-group or root assignment in such a list applies;
 * everything else applies when its scope is `target` or one of its ancestors.
 */
export function listedAssignmentApplies(assignmentScope: string, target: string): boolean {
  const level = parseScope(assignmentScope)?.level;
  return level === "managementGroup" || level === "root" || scopeApplies(assignmentScope, target);
}

export type AssignmentOrigin = "workspace" | "resourceGroup" | "subscription" | "managementGroup" | "root" | "other";

/** Where an assignment that applies to a workspace comes from, for the "inherited from …" label. */
export function assignmentOrigin(assignmentScope: string, workspace: string): AssignmentOrigin {
  if (sameScope(assignmentScope, workspace)) return "workspace";
  const parsed = parseScope(assignmentScope);
  if (!parsed) return "other";
  return parsed.level === "workspace" ? "other" : parsed.level;
}

export const ORIGIN_LABELS: Record<AssignmentOrigin, string> = {
  workspace: "This workspace",
  resourceGroup: "Resource group",
  subscription: "Subscription",
  managementGroup: "Management group",
  root: "Tenant root",
  other: "Other scope",
};
