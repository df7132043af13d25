/**
 * The control API under `/_sandbox/` (loopback only; the server checks the peer before calling in here).
 * Everything is JSON except `GET /_sandbox/outbox.html`.
 */
import { randomUUID, timingSafeEqual } from "node:crypto";
import { isIP } from "node:net";
import { z } from "zod";
import type { SandboxSettings } from "../contract";
import { page } from "../entra/authorize";
import { type EntraRequest, type HttpReply, escapeHtml, htmlReply, jsonReply } from "../entra/http";
import type { SigningKeys } from "../entra/keys";
import { DEFAULT_INTERACTION_CLAIMS, type EntraState } from "../entra/state";
import { isScopeError, resolveScope } from "../arm/scopes";
import { armTimestamp } from "../tenant/arm-ids";
import { CONSOLE_API_SERVICE_PRINCIPAL_ID } from "../tenant/console-apps";
import { newRoleAssignment, type Tenant } from "../tenant/index";
import type { ChatChannelRecord } from "../tenant/model";
import { chatChannelUrl } from "../chat/receivers";
import { type FaultInjector, type FaultRule, faultRuleSchema } from "./faults";
import type { Journal } from "./journal";

export interface ControlTarget {
  readonly tenant: () => Tenant;
  readonly seed: () => number;
  readonly scale: () => "default" | "large" | "large-estate";
  readonly settings: SandboxSettings;
  readonly faults: FaultInjector;
  readonly journal: Journal;
  readonly keys: SigningKeys;
  readonly entraState: EntraState;
  readonly now: () => Date;
  /** `https://localhost:<port>`, once the server listens (the chat webhooks' URLs are on it). */
  readonly origin: () => string;
  /** Re-seeds the tenant (optionally with another seed/scale) and clears faults, journal, sessions and settings. */
  readonly reset: (options: { seed?: number; scale?: "default" | "large" }) => void;
  /** Writes `state.json`; undefined when the sandbox has nowhere to persist. */
  readonly persist: (() => Promise<string>) | undefined;
  /** TLS connections accepted so far on the main port (handshakes), for tests and the bench of connection reuse. */
  readonly tlsConnections: Readonly<TlsConnectionCount>;
}

/** TLS handshakes the sandbox's main port completed since it started; `resumed` ones reused a session ticket. */
export interface TlsConnectionCount {
  opened: number;
  resumed: number;
}

/** True for 127.0.0.0/8, ::1 and IPv4-mapped loopback. The server binds loopback only; this is a second lock. */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  const plain = address.toLowerCase().startsWith("::ffff:") ? address.slice(7) : address;
  if (isIP(plain) === 4) return plain.startsWith("127.");
  return plain === "::1";
}

/**
 * Refuses what a web page in the developer's browser could send: browsers put `Origin` on every cross-site request
 * and every non-GET/HEAD request (https://fetch.spec.whatwg.org/#origin-header), while the control client, the tests
 * and the bench call from Node, which sends none. A write's body must also be declared JSON: the "simple" types
 * (`text/plain`, form encodings) are what a page can send cross-site without a CORS preflight
 * (https://fetch.spec.whatwg.org/#cors-safelisted-request-header). Null when the call may go on.
 */
export function refuseBrowserControl(method: string, headers: Readonly<Record<string, string | undefined>>, bodyLength: number): HttpReply | null {
  if (headers.origin !== undefined) {
    return jsonReply(403, { error: { code: "Forbidden", message: "The sandbox control API refuses requests from web pages (an Origin header was sent)." } });
  }
  if (method === "GET" || method === "HEAD") return null;
  const contentType = headers["content-type"];
  const json = contentType !== undefined && /^application\/json\s*(;|$)/i.test(contentType.trim());
  if ((contentType !== undefined && !json) || (bodyLength > 0 && !json)) {
    return jsonReply(415, {
      error: { code: "UnsupportedMediaType", message: "The sandbox control API takes JSON bodies only (content-type: application/json)." },
    });
  }
  return null;
}

/** The header a control API write carries its token in (`RunningSandbox.controlToken`, tenant.json's `controlToken`). */
export const CONTROL_TOKEN_HEADER = "x-sandbox-control-token";

/**
 * Every write (anything but GET and HEAD) must carry the sandbox's control token: the loopback and Origin checks stop
 * a web page, and the token also stops any other local process or page that guessed the port from resetting the
 * tenant, rotating keys or moving the clock. Reads stay open to loopback callers so that the index page's links (the
 * outbox, state and journal) work in a browser. Null when the call may go on.
 */
export function refuseWithoutControlToken(method: string, headers: Readonly<Record<string, string | undefined>>, expected: string): HttpReply | null {
  if (method === "GET" || method === "HEAD") return null;
  const sent = Buffer.from(headers[CONTROL_TOKEN_HEADER] ?? "");
  const wanted = Buffer.from(expected);
  const matches = sent.length === wanted.length && timingSafeEqual(sent, wanted);
  if (matches) return null;
  return jsonReply(401, {
    error: {
      code: "Unauthorized",
      message: `Sandbox control writes need the control token (the ${CONTROL_TOKEN_HEADER} header; tenant.json's controlToken).`,
    },
  });
}

const settingsPatchSchema = z
  .object({
    propagationDelaySeconds: z.number().int().min(0).max(86_400),
    roleAssignmentLimitPerSubscription: z.number().int().min(0).max(1_000_000),
    accessTokenLifetimeSeconds: z
      .number()
      .int()
      .min(1)
      .max(7 * 86_400),
    clockOffsetMs: z
      .number()
      .int()
      .min(0)
      .max(10 * 365 * 86_400_000),
    resourceGraphQuotaPerWindow: z.number().int().min(1).max(100_000),
    resourceGraphQuotaWindowSeconds: z.number().int().min(1).max(3600),
    graphDefaultPageSize: z.number().int().min(1).max(999),
  })
  .partial()
  .strict();

const resetSchema = z
  .object({
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 31 - 1),
    scale: z.enum(["default", "large"]),
  })
  .partial()
  .strict();
const advanceSchema = z
  .object({
    seconds: z
      .number()
      .int()
      .min(1)
      .max(10 * 365 * 86_400),
  })
  .strict();
const interactionSchema = z
  .object({
    /** UPN or object id. */
    user: z.string().min(1),
    errorCode: z.number().int().default(50076),
    suberror: z.string().optional(),
    claims: z.string().default(DEFAULT_INTERACTION_CLAIMS),
  })
  .strict();

const guid = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);
const isoDate = z.string().datetime({ offset: true });
const principalType = z.enum(["User", "Group", "ServicePrincipal"]);
const pimSchema = z
  .object({
    /** An ARM scope the sandbox knows: subscription, resource group or workspace. */
    scope: z.string().min(1),
    principalId: guid,
    principalType: principalType.default("User"),
    /** The role definition's GUID. */
    roleDefinitionId: guid,
    startDateTime: isoDate.optional(),
    /** Null or absent: permanent. */
    endDateTime: isoDate.nullable().default(null),
    condition: z.string().min(1).nullable().default(null),
  })
  .strict();
const denySchema = z
  .object({
    scope: z.string().min(1),
    denyAssignmentName: z.string().min(1).max(200),
    description: z.string().max(1000).default(""),
    actions: z.array(z.string().min(1)).min(1),
    notActions: z.array(z.string().min(1)).default([]),
    principals: z.array(z.object({ id: guid, type: z.enum(["User", "Group", "ServicePrincipal", "SystemDefined"]) }).strict()).min(1),
    excludePrincipals: z.array(z.object({ id: guid, type: z.enum(["User", "Group", "ServicePrincipal", "SystemDefined"]) }).strict()).default([]),
    doNotApplyToChildScopes: z.boolean().default(false),
  })
  .strict();
/** "Assignment required" on the console API's enterprise app: off, people without a console role sign in and see "no access". */
const assignmentRequiredSchema = z.object({ required: z.boolean() }).strict();
const armWriteMfaSchema = z
  .object({
    /** UPN or object id. */
    user: z.string().min(1),
  })
  .strict();
const chatChannelStateSchema = z.object({ state: z.enum(["active", "archived", "prohibited", "removed"]) }).strict();
const accountEnabledSchema = z.object({ enabled: z.boolean() }).strict();
const consentWithdrawalSchema = z.object({ clientAppId: guid, resourceAppId: guid }).strict();
const permissionGrantSchema = z.object({ id: z.string().min(1), clientId: guid, resourceId: guid, scopes: z.array(z.string().min(1)) }).strict();
const roleAssignmentSchema = z
  .object({
    scope: z.string().min(1).max(600),
    principalId: z.uuid(),
    principalType: z.enum(["User", "Group", "ServicePrincipal"]),
    roleDefinitionId: z.uuid(),
  })
  .strict();

function badRequest(message: string, issues?: unknown): HttpReply {
  return jsonReply(400, { error: { code: "BadRequest", message, ...(issues ? { issues } : {}) } });
}

function parse<T>(schema: z.ZodType<T>, body: unknown): { ok: true; value: T } | { ok: false; reply: HttpReply } {
  const result = schema.safeParse(body ?? {});
  if (result.success) return { ok: true, value: result.data };
  return {
    ok: false,
    reply: badRequest(
      "Invalid request body.",
      result.error.issues.map((issue) => `${issue.path.join(".") || "body"}: ${issue.message}`),
    ),
  };
}

export type ControlRequest = Pick<EntraRequest, "method" | "path" | "query"> & { readonly body: unknown };

export async function handleControl(request: ControlRequest, target: ControlTarget): Promise<HttpReply> {
  const route = request.path.replace(/^\/_sandbox\/?/, "").replace(/\/+$/, "");
  const method = request.method;
  const [head = "", ...rest] = route.split("/");
  const key = `${method} ${head}`;

  switch (key) {
    case "GET ":
    case "GET state":
      return jsonReply(200, stateSummary(target));
    case "POST reset": {
      const parsed = parse(resetSchema, request.body);
      if (!parsed.ok) return parsed.reply;
      target.reset(parsed.value);
      return jsonReply(200, stateSummary(target));
    }
    case "GET settings":
      return jsonReply(200, target.settings);
    case "PATCH settings":
    case "PUT settings": {
      const parsed = parse(settingsPatchSchema, request.body);
      if (!parsed.ok) return parsed.reply;
      Object.assign(target.settings, parsed.value);
      return jsonReply(200, target.settings);
    }
    case "POST clock": {
      if (rest[0] === "advance") {
        const parsed = parse(advanceSchema, request.body);
        if (!parsed.ok) return parsed.reply;
        target.settings.clockOffsetMs += parsed.value.seconds * 1000;
      } else if (rest[0] === "reset") {
        target.settings.clockOffsetMs = 0;
      } else {
        break;
      }
      return jsonReply(200, { now: target.now().toISOString(), clockOffsetMs: target.settings.clockOffsetMs });
    }
    case "GET clock":
      return jsonReply(200, { now: target.now().toISOString(), clockOffsetMs: target.settings.clockOffsetMs });
    case "GET faults":
      return jsonReply(200, { value: target.faults.list() });
    case "POST faults": {
      const parsed = faultRuleSchema.safeParse(request.body ?? {});
      if (!parsed.success) {
        return badRequest(
          "Invalid fault rule.",
          parsed.error.issues.map((issue) => `${issue.path.join(".") || "body"}: ${issue.message}`),
        );
      }
      return jsonReply(201, target.faults.add(parsed.data));
    }
    case "DELETE faults":
      if (rest[0]) {
        return target.faults.remove(rest[0]) ? { status: 204 } : jsonReply(404, { error: { code: "NotFound", message: `No fault rule '${rest[0]}'.` } });
      }
      target.faults.clear();
      return { status: 204 };
    case "POST role-assignments": {
      // For end-to-end tests, which run the sandbox in another process: the assignment counts at once (created in the
      // past, beyond any propagation delay), as one the seed made would.
      const parsed = parse(roleAssignmentSchema, request.body);
      if (!parsed.ok) return parsed.reply;
      const tenant = target.tenant();
      const resolved = resolveScope(tenant, parsed.value.scope);
      if (isScopeError(resolved)) return jsonReply(resolved.status, { error: { code: resolved.code, message: resolved.message } });
      if (!tenant.roleDefinitions.has(parsed.value.roleDefinitionId.toLowerCase())) {
        return jsonReply(404, { error: { code: "RoleDefinitionDoesNotExist", message: `No role definition '${parsed.value.roleDefinitionId}'.` } });
      }
      const createdOn = armTimestamp(new Date(target.now().getTime() - 86_400_000));
      const name = randomUUID();
      tenant.putRoleAssignment(
        newRoleAssignment({
          name,
          scope: resolved.scope,
          roleDefinitionName: parsed.value.roleDefinitionId.toLowerCase(),
          principalId: parsed.value.principalId.toLowerCase(),
          principalType: parsed.value.principalType,
          createdOn,
        }),
      );
      return jsonReply(201, { name, scope: resolved.scope });
    }
    case "DELETE role-assignments":
      if (!rest[0]) return badRequest("Name the role assignment to delete.");
      return target.tenant().removeRoleAssignment(rest[0].toLowerCase())
        ? { status: 204 }
        : jsonReply(404, { error: { code: "NotFound", message: `No role assignment '${rest[0]}'.` } });
    case "GET keys":
      return jsonReply(200, { activeKid: target.keys.activeKid, kids: target.keys.kids });
    case "POST keys":
      if (rest[0] !== "rotate") break;
      return jsonReply(200, { ...target.keys.rotate(), kids: target.keys.kids });
    case "GET interaction-required":
      return jsonReply(200, { value: [...target.entraState.interactionDemands].map(([userObjectId, demand]) => ({ userObjectId, ...demand })) });
    case "POST interaction-required": {
      const parsed = parse(interactionSchema, request.body);
      if (!parsed.ok) return parsed.reply;
      const user = target.tenant().findUser(parsed.value.user);
      if (!user) return jsonReply(404, { error: { code: "NotFound", message: `No user '${parsed.value.user}'.` } });
      const demand = { errorCode: parsed.value.errorCode, suberror: parsed.value.suberror, claims: parsed.value.claims };
      target.entraState.interactionDemands.set(user.objectId, demand);
      return jsonReply(201, { userObjectId: user.objectId, ...demand });
    }
    case "DELETE interaction-required": {
      if (!rest[0]) {
        target.entraState.interactionDemands.clear();
        return { status: 204 };
      }
      const user = target.tenant().findUser(decodeURIComponent(rest[0]));
      target.entraState.interactionDemands.delete(user?.objectId ?? rest[0]);
      return { status: 204 };
    }
    case "GET console-api-assignment-required":
      return jsonReply(200, { required: consoleApiServicePrincipal(target.tenant()).appRoleAssignmentRequired });
    case "PUT console-api-assignment-required": {
      const parsed = parse(assignmentRequiredSchema, request.body);
      if (!parsed.ok) return parsed.reply;
      consoleApiServicePrincipal(target.tenant()).appRoleAssignmentRequired = parsed.value.required;
      return jsonReply(200, { required: parsed.value.required });
    }
    case "GET arm-write-mfa":
      return jsonReply(200, { value: [...target.tenant().armWriteMfaUsers] });
    case "POST arm-write-mfa": {
      const parsed = parse(armWriteMfaSchema, request.body);
      if (!parsed.ok) return parsed.reply;
      const user = target.tenant().findUser(parsed.value.user);
      if (!user) return jsonReply(404, { error: { code: "NotFound", message: `No user '${parsed.value.user}'.` } });
      target.tenant().armWriteMfaUsers.add(user.objectId.toLowerCase());
      return jsonReply(201, { userObjectId: user.objectId.toLowerCase() });
    }
    case "DELETE arm-write-mfa": {
      if (!rest[0]) {
        target.tenant().armWriteMfaUsers.clear();
        return { status: 204 };
      }
      const user = target.tenant().findUser(decodeURIComponent(rest[0]));
      target.tenant().armWriteMfaUsers.delete((user?.objectId ?? rest[0]).toLowerCase());
      return { status: 204 };
    }
    case "PUT account-enabled": {
      // An administrator disabling (or enabling) a user's sign-in, as `PATCH /users/{id} {accountEnabled}` does: the
      // user stays in the directory, Graph shows `accountEnabled: false` to a read that selects it.
      const parsed = parse(accountEnabledSchema, request.body);
      if (!parsed.ok) return parsed.reply;
      const user = rest[0] ? target.tenant().getUser(decodeURIComponent(rest[0])) : undefined;
      if (!user) return jsonReply(404, { error: { code: "NotFound", message: `No user '${rest[0] ?? ""}'.` } });
      user.accountEnabled = parsed.value.enabled;
      return jsonReply(200, { userObjectId: user.id.toLowerCase(), accountEnabled: user.accountEnabled });
    }
    case "POST consent-withdrawals": {
      // With the consent gone, Entra refuses an on-behalf-of exchange for that resource with AADSTS65001
      // (`invalid_grant`, suberror `consent_required`): sandbox/entra/token.ts `delegatedScopes`.
      const parsed = parse(consentWithdrawalSchema, request.body);
      if (!parsed.ok) return parsed.reply;
      const removed = target.tenant().withdrawDelegatedConsent(parsed.value.clientAppId, parsed.value.resourceAppId);
      return jsonReply(200, { value: removed });
    }
    case "POST oauth2-permission-grants": {
      const parsed = parse(permissionGrantSchema, request.body);
      if (!parsed.ok) return parsed.reply;
      target
        .tenant()
        .addOAuth2PermissionGrant({ ...parsed.value, clientId: parsed.value.clientId.toLowerCase(), resourceId: parsed.value.resourceId.toLowerCase() });
      return jsonReply(201, parsed.value);
    }
    case "GET journal":
      return jsonReply(200, { lastSeq: target.journal.lastSeq, value: target.journal.list(journalFilter(request.query)) });
    case "DELETE journal":
      target.journal.clear();
      return { status: 204 };
    case "GET outbox":
      return jsonReply(200, { value: target.tenant().outbox });
    case "DELETE outbox":
      target.tenant().outbox.length = 0;
      return { status: 204 };
    case "GET chat": {
      // What the chat webhooks received (sandbox/chat/receivers.ts), optionally of one channel.
      const channel = request.query.get("channel");
      return jsonReply(200, { value: target.tenant().chatPosts.filter((post) => channel === null || post.channel === channel) });
    }
    case "DELETE chat":
      target.tenant().chatPosts.length = 0;
      return { status: 204 };
    case "GET chat-channels":
      return jsonReply(200, { value: [...target.tenant().chatChannels.values()].map((channel) => chatChannelView(channel, target.origin())) });
    case "PUT chat-channels": {
      const parsed = parse(chatChannelStateSchema, request.body);
      if (!parsed.ok) return parsed.reply;
      const channel = rest[0] ? target.tenant().chatChannels.get(decodeURIComponent(rest[0])) : undefined;
      if (!channel) return jsonReply(404, { error: { code: "NotFound", message: `No chat channel '${rest[0] ?? ""}'.` } });
      if (channel.kind === "teams" && (parsed.value.state === "archived" || parsed.value.state === "prohibited")) {
        return badRequest("A Teams workflow is active or removed; archived and prohibited are Slack's answers.");
      }
      channel.state = parsed.value.state;
      return jsonReply(200, chatChannelView(channel, target.origin()));
    }
    case "GET chat.html":
      return htmlReply(200, chatPage(target));
    case "GET ingested-logs": {
      // What the Logs Ingestion endpoint accepted: the sandbox's stand-in for querying the Log Analytics table.
      const dcr = request.query.get("dcr");
      const stream = request.query.get("stream");
      const value = target
        .tenant()
        .ingestedLogs.filter((entry) => (dcr === null || entry.dcrImmutableId === dcr) && (stream === null || entry.stream === stream));
      return jsonReply(200, { value });
    }
    case "DELETE ingested-logs":
      target.tenant().ingestedLogs.length = 0;
      return { status: 204 };
    case "GET outbox.html":
      return htmlReply(200, outboxPage(target));
    case "POST pim": {
      const kind = rest.join("/");
      if (kind !== "eligibilities" && kind !== "activations") break;
      const parsed = parse(pimSchema, request.body);
      if (!parsed.ok) return parsed.reply;
      return addPim(target, kind, parsed.value);
    }
    case "POST deny-assignments": {
      const parsed = parse(denySchema, request.body);
      if (!parsed.ok) return parsed.reply;
      const tenant = target.tenant();
      const scope = resolveScope(tenant, parsed.value.scope);
      if (isScopeError(scope)) return badRequest(`Unknown scope: ${scope.message}`);
      const { actions, notActions, ...rest } = parsed.value;
      const name = randomUUID();
      tenant.addDenyAssignment({
        ...rest,
        name,
        scope: scope.scope,
        permissions: [{ actions, notActions, dataActions: [], notDataActions: [] }],
        isSystemProtected: true,
        createdOn: armTimestamp(target.now()),
      });
      return jsonReply(201, { name });
    }
    case "POST persist": {
      if (!target.persist) return jsonReply(409, { error: { code: "NotConfigured", message: "This sandbox has no data directory to persist to." } });
      return jsonReply(200, { path: await target.persist() });
    }
    default:
      break;
  }
  return jsonReply(404, { error: { code: "NotFound", message: `No control route '${method} ${request.path}'. See sandbox/README.md.` } });
}

/**
 * Adds a PIM eligibility, or an activation: an eligibility, the role assignment PIM makes for it and the active
 * schedule instance linking them, as PIM does when someone activates.
 */
function addPim(target: ControlTarget, kind: "eligibilities" | "activations", input: z.output<typeof pimSchema>): HttpReply {
  const tenant = target.tenant();
  const scope = resolveScope(tenant, input.scope);
  if (isScopeError(scope)) return badRequest(`Unknown scope: ${scope.message}`);
  const roleDefinitionName = input.roleDefinitionId.toLowerCase();
  if (!tenant.roleDefinitions.has(roleDefinitionName)) return badRequest(`Unknown role definition ${input.roleDefinitionId}.`);
  const now = target.now();
  const start = input.startDateTime ?? now.toISOString();
  if (input.endDateTime !== null && Date.parse(input.endDateTime) <= Date.parse(start)) return badRequest("endDateTime must be after startDateTime.");
  const base = {
    scope: scope.scope,
    roleDefinitionName,
    principalId: input.principalId.toLowerCase(),
    principalType: input.principalType,
    condition: input.condition,
    conditionVersion: input.condition ? "2.0" : null,
    createdOn: now.toISOString(),
  };
  const eligibility = {
    ...base,
    name: randomUUID(),
    scheduleName: randomUUID(),
    startDateTime: start,
    endDateTime: kind === "eligibilities" ? input.endDateTime : null,
  };
  tenant.addRoleEligibility(eligibility);
  if (kind === "eligibilities") return jsonReply(201, { name: eligibility.name });
  if (input.endDateTime === null) return badRequest("An activation needs an endDateTime.");
  const duplicate = tenant
    .roleAssignmentsOfPrincipal(base.principalId)
    .find((assignment) => assignment.scope.toLowerCase() === base.scope.toLowerCase() && assignment.roleDefinitionName === roleDefinitionName);
  if (duplicate) return badRequest(`The principal already holds that role there (role assignment ${duplicate.name}).`);
  const roleAssignmentName = randomUUID();
  const stamp = armTimestamp(now);
  tenant.putRoleAssignment({
    ...base,
    name: roleAssignmentName,
    description: null,
    delegatedManagedIdentityResourceId: null,
    createdOn: stamp,
    updatedOn: stamp,
    createdBy: base.principalId,
    updatedBy: base.principalId,
  });
  const name = randomUUID();
  tenant.addRoleAssignmentSchedule({
    ...base,
    name,
    scheduleName: randomUUID(),
    assignmentType: "Activated",
    roleAssignmentName,
    linkedEligibilityName: eligibility.name,
    startDateTime: start,
    endDateTime: input.endDateTime,
  });
  return jsonReply(201, { name, roleAssignmentName, eligibilityName: eligibility.name });
}

function journalFilter(query: URLSearchParams) {
  const since = query.get("since");
  const status = query.get("status");
  return {
    ...(query.get("system") ? { system: query.get("system") ?? "" } : {}),
    ...(query.get("method") ? { method: query.get("method") ?? "" } : {}),
    ...(query.get("path") ? { pathContains: query.get("path") ?? "" } : {}),
    ...(since && /^\d+$/.test(since) ? { since: Number(since) } : {}),
    ...(status && /^\d+$/.test(status) ? { status: Number(status) } : {}),
  };
}

/** `GET /_sandbox/state` (and the answer to a reset). */
export interface SandboxStateSummary {
  readonly tenantId: string;
  readonly seed: number;
  readonly scale: "default" | "large" | "large-estate";
  /** The sandbox clock (wall clock plus `settings.clockOffsetMs`). */
  readonly now: string;
  readonly settings: SandboxSettings;
  readonly counts: Readonly<
    Record<
      | "users"
      | "groups"
      | "applications"
      | "servicePrincipals"
      | "subscriptions"
      | "resourceGroups"
      | "workspaces"
      | "roleDefinitions"
      | "roleAssignments"
      | "outbox",
      number
    >
  >;
  readonly keys: { readonly activeKid: string; readonly kids: readonly string[] };
  readonly faults: readonly FaultRule[];
  /** Object ids of users with a forced `interaction_required`. */
  readonly interactionRequired: readonly string[];
  /** Object ids of users whose ARM writes need an MFA token (claims challenge otherwise). */
  readonly armWriteMfa: readonly string[];
  readonly sessions: number;
  readonly refreshTokens: number;
  readonly journal: { readonly size: number; readonly lastSeq: number };
  readonly tlsConnections: TlsConnectionCount;
}

function stateSummary(target: ControlTarget): SandboxStateSummary {
  const tenant = target.tenant();
  return {
    tenantId: tenant.tenantId,
    seed: target.seed(),
    scale: target.scale(),
    now: target.now().toISOString(),
    settings: target.settings,
    counts: {
      users: tenant.users.size,
      groups: tenant.groups.size,
      applications: tenant.applications.size,
      servicePrincipals: tenant.servicePrincipals.size,
      subscriptions: tenant.subscriptions.size,
      resourceGroups: tenant.resourceGroups.size,
      workspaces: tenant.workspaces.size,
      roleDefinitions: tenant.roleDefinitions.size,
      roleAssignments: tenant.roleAssignments.size,
      outbox: tenant.outbox.length,
    },
    keys: { activeKid: target.keys.activeKid, kids: target.keys.kids },
    faults: target.faults.list(),
    interactionRequired: [...target.entraState.interactionDemands.keys()],
    armWriteMfa: [...tenant.armWriteMfaUsers],
    sessions: target.entraState.sessions.size,
    refreshTokens: target.entraState.refreshTokens.size,
    journal: { size: target.journal.size, lastSeq: target.journal.lastSeq },
    tlsConnections: { ...target.tlsConnections },
  };
}

function outboxPage(target: ControlTarget): string {
  const mails = [...target.tenant().outbox].reverse();
  const rows = mails
    .map(
      (mail) => `<article>
<h2>${escapeHtml(mail.subject)}</h2>
<p class="meta">${escapeHtml(mail.sentDateTime)} — from ${escapeHtml(mail.fromAddress)} to ${escapeHtml(mail.to.join(", "))}${mail.cc.length ? ` (cc ${escapeHtml(mail.cc.join(", "))})` : ""} — sent by app <code>${escapeHtml(mail.sentByAppId)}</code></p>
${mail.bodyContentType === "html" ? `<iframe sandbox srcdoc="${escapeHtml(mail.body)}" style="width:100%;height:16rem;border:1px solid #ccc"></iframe>` : `<pre>${escapeHtml(mail.body)}</pre>`}
</article>`,
    )
    .join("\n");
  return page(
    "Sandbox outbox",
    `<h1>Sandbox outbox</h1><p class="meta">${mails.length} message(s) sent through Graph <code>sendMail</code>. Nothing leaves this machine.</p>${rows}`,
  );
}

/** A chat channel as the control API shows it: with its webhook URL (sandbox-only secrets, published on purpose). */
function chatChannelView(channel: ChatChannelRecord, origin: string) {
  return { name: channel.name, kind: channel.kind, state: channel.state, url: chatChannelUrl(origin, channel) };
}

function chatPage(target: ControlTarget): string {
  const posts = [...target.tenant().chatPosts].reverse();
  const channels = [...target.tenant().chatChannels.values()]
    .map(
      (channel) =>
        `<li><strong>${escapeHtml(channel.name)}</strong> (${channel.kind === "teams" ? "Teams Workflows" : "Slack"}, ${escapeHtml(channel.state)}): <code>${escapeHtml(chatChannelUrl(target.origin(), channel))}</code></li>`,
    )
    .join("");
  const rows = posts
    .map(
      (post) => `<article>
<h2>${escapeHtml(post.channel)} — ${post.outcome === "accepted" ? "posted" : "rejected"}</h2>
<p class="meta">${escapeHtml(post.receivedAt)} — ${post.kind === "teams" ? "Teams" : "Slack"} — answered ${post.status}${post.reason ? ` — ${escapeHtml(post.reason)}` : ""}</p>
${chatLines(post.payload)
  .map((line) => `<p>${escapeHtml(line)}</p>`)
  .join("")}
<details><summary>Payload</summary><pre>${escapeHtml(typeof post.payload === "string" ? post.payload : JSON.stringify(post.payload, null, 2))}</pre></details>
</article>`,
    )
    .join("\n");
  return page(
    "Sandbox chat channels",
    `<h1>Sandbox chat channels</h1><ul>${channels}</ul><p class="meta">${posts.length} post(s) received. Nothing leaves this machine.</p>${rows}`,
  );
}

/** The readable lines of a card or Block Kit message (TextBlocks, facts, section texts), for the chat page. */
function chatLines(payload: unknown): string[] {
  const lines: string[] = [];
  const visit = (node: unknown, depth: number): void => {
    if (depth > 12 || lines.length >= 60 || typeof node !== "object" || node === null) return;
    if (Array.isArray(node)) {
      node.forEach((child) => visit(child, depth + 1));
      return;
    }
    const record = node as Record<string, unknown>;
    if (record.type === "TextBlock" && typeof record.text === "string") lines.push(record.text);
    else if (typeof record.title === "string" && typeof record.value === "string") lines.push(`${record.title}: ${record.value}`);
    else if ((record.type === "mrkdwn" || record.type === "plain_text") && typeof record.text === "string") lines.push(record.text);
    else if ((record.type === "Action.OpenUrl" || record.type === "button") && typeof record.url === "string") {
      lines.push(`[${typeof record.title === "string" ? record.title : "Open"}] ${record.url}`);
    }
    for (const [key, value] of Object.entries(record)) if (key !== "text" || typeof value !== "string") visit(value, depth + 1);
  };
  visit(payload, 0);
  return lines;
}

function consoleApiServicePrincipal(tenant: Tenant) {
  const servicePrincipal = tenant.servicePrincipals.get(CONSOLE_API_SERVICE_PRINCIPAL_ID);
  if (!servicePrincipal) throw new Error("the console API's service principal is not in the tenant");
  return servicePrincipal;
}
