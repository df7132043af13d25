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
// Azure's own naming rules. Resource groups: 1-90 characters matching the REST spec's `^[-\w\._\(\)]+$`, whose
// `\w` is .NET's, so Unicode letters, combining marks, decimal digits and connector punctuation count ("Unicode
// characters that match the allowed characters", Resource Groups - Create Or Update), not ending in ".".
// Management groups: ASCII letters, digits, _ - . ( ). Workspaces: 3-33 of ASCII letters, digits, _ - starting with a
// letter or digit. Not ending in "." also means no name is a "." segment, which URL handling would silently drop
// (…/managementGroups/. is …/managementGroups).
const RESOURCE_GROUP_CHAR = "[-\\p{L}\\p{Mn}\\p{Nd}\\p{Pc}.()]";
const RESOURCE_GROUP = `${RESOURCE_GROUP_CHAR}{0,89}[-\\p{L}\\p{Mn}\\p{Nd}\\p{Pc}()]`;
const MANAGEMENT_GROUP = "[-\\w.()]{0,89}[-\\w()]";
const WORKSPACE = "[A-Za-z0-9][-\\w]{2,32}";

/**
 * A fixed segment matched case-insensitively in ASCII only. The patterns use the `u` flag for the Unicode classes, and
 * `u` with `i` would fold the Kelvin sign into "k" and the long s into "s": "/ſubscriptions" must stay refused.
 */
const word = (text: string) => [...text].map((c) => (/[a-z]/i.test(c) ? `[${c.toLowerCase()}${c.toUpperCase()}]` : c === "." ? "\\." : c)).join("");

const PATTERNS: ReadonlyArray<[ScopeLevel, RegExp]> = [
  ["root", /^\/$/u],
  ["managementGroup", new RegExp(`^/${word("providers")}/${word("Microsoft.Management")}/${word("managementGroups")}/(${MANAGEMENT_GROUP})$`, "u")],
  ["subscription", new RegExp(`^/${word("subscriptions")}/(${GUID})$`, "u")],
  ["resourceGroup", new RegExp(`^/${word("subscriptions")}/(${GUID})/${word("resourceGroups")}/(${RESOURCE_GROUP})$`, "u")],
  [
    "workspace",
    new RegExp(
      `^/${word("subscriptions")}/(${GUID})/${word("resourceGroups")}/(${RESOURCE_GROUP})/${word("providers")}/${word("Microsoft.MachineLearningServices")}/${word("workspaces")}/(${WORKSPACE})$`,
      "u",
    ),
  ],
];

/** Parses a scope; undefined when it is not a scope Gatehouse works with. */
export function parseScope(input: string): ParsedScope | undefined {
  // No surrogates either: .NET's `\w` in Azure's name pattern looks at UTF-16 units, and a pair is two non-letters.
  if (input.length > 512 || /[\s%\\?#]|\.\.|\/\/|[\ud800-\udfff]/.test(input)) return undefined;
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

/** A resource of a provider, one type level deep: `/subscriptions/{s}/resourceGroups/{rg}/providers/{namespace}/{type}/{name}`. */
export interface ParsedResourceId {
  /** The id in canonical form: one leading slash, no trailing slash, original casing. */
  readonly id: string;
  /** Lower case, as `parseScope` gives it. */
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  /** The provider namespace and type as written (`Microsoft.Storage`, `storageAccounts`); compare them ignoring case. */
  readonly namespace: string;
  readonly type: string;
  readonly name: string;
}

// Provider namespaces are dotted words (`Microsoft.Storage`, `microsoft.insights`), types single words. Names: the
// characters ARM's resource names use across these providers (letters, digits, - _ . ( )), 1-260, not ending in "." so
// no name is a "." segment.
const NAMESPACE = "[A-Za-z][A-Za-z0-9]*(?:\\.[A-Za-z][A-Za-z0-9]*)+";
const RESOURCE_TYPE = "[A-Za-z][A-Za-z0-9]*";
const RESOURCE_NAME = "[-\\w.()]{0,259}[-\\w()]";
const RESOURCE_ID = new RegExp(
  `^/${word("subscriptions")}/(${GUID})/${word("resourceGroups")}/(${RESOURCE_GROUP})/${word("providers")}/(${NAMESPACE})/(${RESOURCE_TYPE})/(${RESOURCE_NAME})$`,
  "u",
);

/**
 * Parses the id of a provider's top-level resource in a resource group (a storage account, a key vault, an AML
 * registry, a workspace too); undefined for anything else, with the same refusals as `parseScope` (no `..`, no encoded
 * separators, no nested types). A separate reader: `parseScope`'s levels are the scopes Gatehouse grants at.
 */
export function parseResourceId(input: string): ParsedResourceId | undefined {
  if (input.length > 1024 || /[\s%\\?#]|\.\.|\/\/|[\ud800-\udfff]/.test(input)) return undefined;
  const id = input.replace(/\/$/, "");
  const match = RESOURCE_ID.exec(id);
  if (!match) return undefined;
  const [, subscriptionId, resourceGroup, namespace, type, name] = match;
  return { id, subscriptionId: subscriptionId!.toLowerCase(), resourceGroup: resourceGroup!, namespace: namespace!, type: type!, name: name! };
}

export function workspaceScope(subscriptionId: string, resourceGroup: string, workspaceName: string): string {
  return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${workspaceName}`;
}

/** The subscription any scope below `/subscriptions/{id}` lies in (lower case), whatever resource it names. */
export function subscriptionOfScope(scope: string): string | undefined {
  return /^\/subscriptions\/([0-9a-f-]{36})(?:\/|$)/i.exec(scope)?.[1]?.toLowerCase();
}

/** The last name in a scope (`…/storageAccounts/stchurn` → `stchurn`), for messages. */
export function resourceNameOfScope(scope: string): string {
  return scope.split("/").filter(Boolean).at(-1) ?? scope;
}

/**
 * ARM compares ids ignoring case. Both foldings must agree, so that a character JavaScript lower-cases into ASCII (the
 * Kelvin sign into "k") or upper-cases into it (the long s into "S") never makes two different names the same.
 */
export function sameScope(a: string, b: string): boolean {
  const x = a.replace(/\/$/, "");
  const y = b.replace(/\/$/, "");
  return x.toLowerCase() === y.toLowerCase() && x.toUpperCase() === y.toUpperCase();
}

/** True when an assignment at `assignmentScope` applies at `target` (same scope or an ancestor of it). */
export function scopeApplies(assignmentScope: string, target: string): boolean {
  const ancestor = assignmentScope.replace(/\/$/, "");
  const child = target.replace(/\/$/, "");
  if (ancestor === "" || ancestor === "/") return true;
  const within = (fold: (text: string) => string) => fold(child) === fold(ancestor) || fold(child).startsWith(`${fold(ancestor)}/`);
  return within((text) => text.toLowerCase()) && within((text) => text.toUpperCase());
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
