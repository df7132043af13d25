import "server-only";

import { readFileSync } from "node:fs";

import { z } from "zod";

import { bundleSchema, LINKED_RESOURCE_LABELS } from "@/lib/bundles/definition";
import { describeError } from "@/lib/log";
import { getConfig } from "@/lib/config";
import { PRIVILEGED_ROLE_IDS, ROLE_GUIDANCE } from "@/lib/shared/aml-roles";
import { LOWER_CASE_GUID } from "@/lib/shared/patterns";

/** Duration presets a policy may offer, in minutes (null = permanent). */
export const DURATION_PRESETS = {
  "8h": 8 * 60,
  "1d": 24 * 60,
  "7d": 7 * 24 * 60,
  "30d": 30 * 24 * 60,
  "90d": 90 * 24 * 60,
  permanent: null,
} as const satisfies Record<string, number | null>;
export type DurationPreset = keyof typeof DURATION_PRESETS;
export const DURATION_LABELS: Record<DurationPreset, string> = {
  "8h": "8 hours",
  "1d": "1 day",
  "7d": "7 days",
  "30d": "30 days",
  "90d": "90 days",
  permanent: "Permanent",
};
const preset = z.enum(Object.keys(DURATION_PRESETS) as [DurationPreset, ...DurationPreset[]]);

/** A workspace name pattern: letters, digits, `-`, `_`, `.`, and `*` for any run of characters. */
const WORKSPACE_PATTERN = /^[A-Za-z0-9_.*-]{1,260}$/;
const ROUTE_ID = /^[a-z0-9][a-z0-9-]{0,62}$/;

/**
 * One approver route. Every field of `match` that is present must fit (workspace names by pattern, case-insensitive;
 * every listed tag with that exact value; the role or bundle among those listed); an absent field matches anything.
 */
export const routeSchema = z.strictObject({
  id: z.string().regex(ROUTE_ID, "must be lower-case letters, digits and dashes"),
  /** What the policy page and the request page call this route. */
  name: z.string().trim().min(1).max(120),
  match: z
    .strictObject({
      workspaces: z.array(z.string().regex(WORKSPACE_PATTERN, "must be a workspace name, with * for any characters")).min(1).max(100).optional(),
      tags: z.record(z.string().min(1).max(512), z.string().max(256)).optional(),
      roles: z.array(z.string().regex(LOWER_CASE_GUID, "must be a lower-case role definition GUID")).min(1).optional(),
      bundles: z.array(z.string().min(1).max(64)).min(1).optional(),
    })
    .refine((match) => Object.keys(match).length > 0, { error: "must say what it matches (workspaces, tags, roles or bundles)" }),
  /**
   * Who may decide: the members (transitively, through nested groups) of these Entra groups, and the owners of
   * these groups. At least one of the two.
   */
  approvers: z
    .strictObject({
      groups: z.array(z.string().regex(LOWER_CASE_GUID, "must be a lower-case group object id")).max(20).default([]),
      ownersOf: z.array(z.string().regex(LOWER_CASE_GUID, "must be a lower-case group object id")).max(20).default([]),
    })
    .refine((approvers) => approvers.groups.length + approvers.ownersOf.length > 0, { error: "must name at least one group" }),
  /**
   * `single`: the routed approvers decide and grant as themselves. `business-then-admin`: a routed approver
   * approves for the business, then a Console.Admin (another person) gives the final approval and grants as themselves.
   */
  flow: z.enum(["single", "business-then-admin"]).default("single"),
  /** Named chat channels (GATEHOUSE_NOTIFICATION_CHANNELS) that hear of this route's requests, besides the mails. */
  channels: z.array(z.string().regex(ROUTE_ID, "must be a channel name")).max(10).default([]),
});
export type PolicyRoute = z.output<typeof routeSchema>;

export const requestPolicySchema = z
  .strictObject({
    $comment: z.string().optional(),
    /** A pending request nobody decided within this many hours lapses. */
    pendingLifetimeHours: z
      .number()
      .int()
      .min(1)
      .max(24 * 90),
    /** The presets the form offers (each role is further capped by its maxDuration). */
    durations: z.array(preset).min(1),
    roles: z
      .array(
        z.strictObject({
          roleDefinitionId: z.string().regex(LOWER_CASE_GUID, "must be a lower-case role definition GUID"),
          name: z.string().min(1).max(256),
          /** The longest duration a request for this role may ask for; "permanent" allows every preset. */
          maxDuration: preset,
          /** Approvers needed (different people, never the requester). Privileged roles need at least 2. */
          approvers: z.number().int().min(1).max(5).default(1),
        }),
      )
      .min(1),
    /**
     * Access bundles: a workspace role with companion roles on the workspace's linked resources, requested, approved,
     * granted and expired as one unit (docs/access-bundles.md).
     */
    bundles: z
      .array(
        bundleSchema.extend({
          maxDuration: preset,
          approvers: z.number().int().min(1).max(5).default(1),
        }),
      )
      .max(20)
      .default([]),
    /**
     * Who decides a request, and which chat channels hear of it: the first route whose `match` fits the request's
     * workspace and role (or bundle). A request no route matches goes to the Console.Admin holders, as before, and to
     * the default channel (docs/access-requests.md, "Approver routing").
     */
    routes: z.array(routeSchema).max(200).default([]),
  })
  .superRefine((policy, context) => {
    const bundleIds = new Set<string>();
    policy.bundles.forEach((bundle, index) => {
      if (bundleIds.has(bundle.id)) context.addIssue({ code: "custom", path: ["bundles", index, "id"], message: "listed twice" });
      bundleIds.add(bundle.id);
      const privileged = [bundle.workspaceRole, ...bundle.companions].some((role) => PRIVILEGED_ROLE_IDS.has(role.roleDefinitionId));
      if (privileged && bundle.approvers < PRIVILEGED_APPROVERS) {
        context.addIssue({
          code: "custom",
          path: ["bundles", index, "approvers"],
          message: `${bundle.name} includes a privileged role and needs "approvers": ${PRIVILEGED_APPROVERS} or more`,
        });
      }
    });
    const routeIds = new Set<string>();
    policy.routes.forEach((route, index) => {
      if (routeIds.has(route.id)) context.addIssue({ code: "custom", path: ["routes", index, "id"], message: "listed twice" });
      routeIds.add(route.id);
      for (const [field, ids] of [
        ["roles", route.match.roles],
        ["bundles", route.match.bundles],
      ] as const) {
        ids?.forEach((id, position) => {
          const known = field === "roles" ? policy.roles.some((role) => role.roleDefinitionId === id) : bundleIds.has(id);
          if (!known) {
            context.addIssue({
              code: "custom",
              path: ["routes", index, "match", field, position],
              message: `${id} is not one of the policy's ${field}`,
            });
          }
        });
      }
    });
    const seen = new Set<string>();
    policy.roles.forEach((role, index) => {
      if (seen.has(role.roleDefinitionId)) {
        context.addIssue({ code: "custom", path: ["roles", index, "roleDefinitionId"], message: "listed twice" });
      }
      seen.add(role.roleDefinitionId);
      if (PRIVILEGED_ROLE_IDS.has(role.roleDefinitionId) && role.approvers < PRIVILEGED_APPROVERS) {
        context.addIssue({
          code: "custom",
          path: ["roles", index, "approvers"],
          message: `${role.name} is privileged and needs "approvers": ${PRIVILEGED_APPROVERS} or more`,
        });
      }
    });
  });

/**
 * Approvers a privileged role needs at least. The policy file is checked against the roles Gatehouse always treats as
 * privileged; requests for any other role that can change who has access (a custom role, say) get this many when
 * they are filed and again when they are approved, from the role's definition in ARM.
 */
export const PRIVILEGED_APPROVERS = 2;

export type RequestPolicy = z.output<typeof requestPolicySchema>;
export type PolicyRole = RequestPolicy["roles"][number];
export type PolicyBundle = RequestPolicy["bundles"][number];

export class RequestPolicyError extends Error {
  constructor(path: string, problems: readonly string[]) {
    super(
      `Gatehouse cannot start: the access-request policy ${path} is not valid\n${problems.map((problem) => `  - ${problem}`).join("\n")}\n(see docs/access-requests.md)`,
    );
    this.name = "RequestPolicyError";
  }
}

/**
 * Parses a policy document; throws `RequestPolicyError` listing every problem with its path. A role the grantable-role
 * policy forbids (`grantable`: the privileged roles the operator allowed) cannot be requestable: nobody could ever be
 * granted it. Custom roles are judged by what they allow when a request for them is filed and approved.
 */
export function parseRequestPolicy(
  json: unknown,
  path = "config/request-policy.json",
  grantable: readonly string[] = getConfig().roles.grantablePrivileged,
  channels: readonly string[] = Object.keys(getConfig().notifications.channels),
): RequestPolicy {
  const parsed = requestPolicySchema.safeParse(json);
  if (!parsed.success) {
    throw new RequestPolicyError(
      path,
      parsed.error.issues.map((issue) => `${issue.path.map(String).join(".") || "(file)"}: ${issue.message}`),
    );
  }
  const forbidden: string[] = parsed.data.roles.flatMap((role, index) =>
    PRIVILEGED_ROLE_IDS.has(role.roleDefinitionId) && !grantable.includes(role.roleDefinitionId)
      ? [
          `roles.${index}.roleDefinitionId: ${role.name} is privileged and not grantable; allow it in GATEHOUSE_GRANTABLE_PRIVILEGED_ROLES or remove it from the policy`,
        ]
      : [],
  );
  parsed.data.bundles.forEach((bundle, index) => {
    for (const role of [bundle.workspaceRole, ...bundle.companions]) {
      if (PRIVILEGED_ROLE_IDS.has(role.roleDefinitionId) && !grantable.includes(role.roleDefinitionId)) {
        forbidden.push(
          `bundles.${index}: ${role.name} is privileged and not grantable; allow it in GATEHOUSE_GRANTABLE_PRIVILEGED_ROLES or remove it from the bundle`,
        );
      }
    }
  });
  // A route's chat channels must exist: a misspelt name would otherwise silently tell nobody.
  parsed.data.routes.forEach((route, index) => {
    route.channels.forEach((channel, position) => {
      if (!channels.includes(channel)) forbidden.push(`routes.${index}.channels.${position}: no channel named ${channel} in GATEHOUSE_NOTIFICATION_CHANNELS`);
    });
  });
  if (forbidden.length > 0) throw new RequestPolicyError(path, forbidden);
  return parsed.data;
}

let cached: RequestPolicy | undefined;

/** The configured policy, read and validated once (at start-up from instrumentation, or on first use). */
export function getRequestPolicy(): RequestPolicy {
  if (cached) return cached;
  const path = getConfig().requests.policyPath;
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new RequestPolicyError(path, [describeError(error)]);
  }
  cached = parseRequestPolicy(json, path);
  return cached;
}

/**
 * What the policy says now about a request's role, or its bundle's (a bundle request's role columns hold the bundle's
 * workspace role): its name, longest duration and approvers; undefined when it can no longer be requested.
 */
export function policyEntryOf(
  policy: RequestPolicy,
  request: { readonly roleDefinitionId: string; readonly bundleId?: string | null },
): { readonly name: string; readonly maxDuration: DurationPreset; readonly approvers: number } | undefined {
  if (request.bundleId) return policy.bundles.find((bundle) => bundle.id === request.bundleId);
  return policy.roles.find((role) => role.roleDefinitionId === request.roleDefinitionId);
}

/** What a route is matched against: the request's workspace (as ARM described it) and what is asked for. */
export interface RouteSubject {
  readonly workspaceName: string;
  readonly workspaceTags: Readonly<Record<string, string>>;
  readonly roleDefinitionId: string;
  readonly bundleId?: string | null | undefined;
}

function workspacePatternMatches(pattern: string, name: string): boolean {
  const source = pattern
    .toLowerCase()
    .split("*")
    .map((part) => part.replace(/[.]/g, "\\."))
    .join(".*");
  return new RegExp(`^${source}$`).test(name.toLowerCase());
}

/** ARM tag names are case-insensitive, their values are not. */
function tagValue(tags: Readonly<Record<string, string>>, name: string): string | undefined {
  const key = Object.keys(tags).find((candidate) => candidate.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : tags[key];
}

/** The first route that fits a request, or undefined (then Console.Admin holders decide). */
export function routeFor(policy: RequestPolicy, subject: RouteSubject): PolicyRoute | undefined {
  return policy.routes.find(({ match }) => {
    if (match.workspaces && !match.workspaces.some((pattern) => workspacePatternMatches(pattern, subject.workspaceName))) return false;
    if (match.tags && !Object.entries(match.tags).every(([key, value]) => tagValue(subject.workspaceTags, key) === value)) return false;
    if (subject.bundleId) {
      if (match.roles && !match.bundles) return false;
      if (match.bundles && !match.bundles.includes(subject.bundleId)) return false;
    } else {
      if (match.bundles && !match.roles) return false;
      if (match.roles && !match.roles.includes(subject.roleDefinitionId)) return false;
    }
    return true;
  });
}

/** The presets allowed for a role: those in the policy's list up to the role's maximum. */
export function durationsFor(policy: RequestPolicy, role: { readonly maxDuration: DurationPreset }): DurationPreset[] {
  const max = DURATION_PRESETS[role.maxDuration];
  return policy.durations.filter((name) => {
    const minutes = DURATION_PRESETS[name];
    if (max === null) return true;
    return minutes !== null && minutes <= max;
  });
}

export interface DurationChoice {
  readonly value: DurationPreset;
  readonly label: string;
}

/** The durations allowed for a role, labelled for a form's choices. */
export function durationChoices(policy: RequestPolicy, role: { readonly maxDuration: DurationPreset }): DurationChoice[] {
  return durationsFor(policy, role).map((value) => ({ value, label: DURATION_LABELS[value] }));
}

/** A requestable role as the request form offers it: what it allows, its warning, approvers and durations. */
export interface RoleChoice {
  readonly id: string;
  readonly name: string;
  readonly summary: string;
  readonly warning?: string | undefined;
  /** Different admins who must approve (privileged roles: 2 or more). */
  readonly approvers: number;
  readonly durations: readonly DurationChoice[];
  /** Set for an access bundle (its choice id is `bundle:<id>`): the parts it grants, and why each. */
  readonly bundle?: { readonly id: string; readonly parts: readonly { readonly roleName: string; readonly on: string; readonly why: string }[] };
}

/** The choice id of a bundle in the request form (role choices are role definition GUIDs, so they never clash). */
export const BUNDLE_CHOICE_PREFIX = "bundle:";

/** The policy's roles for the request form, with each built-in role's guidance (none for a custom role), then its bundles. */
export function roleChoices(policy: RequestPolicy): RoleChoice[] {
  const bundles = policy.bundles.map((bundle): RoleChoice => ({
    id: `${BUNDLE_CHOICE_PREFIX}${bundle.id}`,
    name: `${bundle.name} (bundle)`,
    summary: bundle.description,
    approvers: bundle.approvers,
    durations: durationChoices(policy, bundle),
    bundle: {
      id: bundle.id,
      parts: [
        { roleName: bundle.workspaceRole.name, on: "workspace", why: "The workspace role itself." },
        ...bundle.companions.map((companion) => ({
          roleName: companion.name,
          on: LINKED_RESOURCE_LABELS[companion.on],
          why: companion.why,
        })),
      ],
    },
  }));
  return [...singleRoleChoices(policy), ...bundles];
}

function singleRoleChoices(policy: RequestPolicy): RoleChoice[] {
  return policy.roles.map((role) => {
    const guidance = ROLE_GUIDANCE.find((candidate) => candidate.id === role.roleDefinitionId);
    return {
      id: role.roleDefinitionId,
      name: role.name,
      summary: guidance?.summary ?? "",
      warning: guidance?.warning,
      approvers: role.approvers,
      durations: durationChoices(policy, role),
    };
  });
}

/** The route a request was filed under, if the policy still has it (a route removed since falls back to Console.Admin). */
export function routeOfRequest(policy: RequestPolicy, request: { readonly routeId: string | null }): PolicyRoute | undefined {
  return request.routeId === null ? undefined : policy.routes.find((route) => route.id === request.routeId);
}
