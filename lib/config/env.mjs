// @ts-check
/**
 * Gatehouse configuration: the only code that reads `process.env`.
 *
 * Plain JavaScript with JSDoc (checked by tsc) so that `next.config.mjs` and the start-up scripts can load it
 * without a TypeScript loader; server code imports it through `lib/config/index.ts`.
 *
 * Two modes, chosen with GATEHOUSE_MODE:
 *  - `sandbox`: every default points at the local sandbox tenant and embedded PGlite; needs no settings.
 *  - `azure`:   a real Entra tenant; tenant id, client ids, credential, allowed tenants and public origin are required,
 *               and loopback (sandbox) endpoints are refused.
 */
import { Buffer } from "node:buffer";
import { BlockList, isIP } from "node:net";
import path from "node:path";
import { z } from "zod";

import { AZURE_CLOUD_NAMES, AZURE_CLOUDS, cloudOfAuthorityHost, defaultScopeOf, foreignEndpointProblem } from "./clouds.mjs";

/** The sandbox tenant's fixed identifiers (kept equal to `sandbox/contract.ts`; a test checks it). */
export const SANDBOX_DEFAULTS = Object.freeze({
  tenantId: "72f988bf-0000-4000-8000-00000000c05a",
  spaClientId: "0c0a5e11-5a00-4000-8000-000000000001",
  apiClientId: "0c0a5e11-a910-4000-8000-000000000002",
  clientSecret: "sandbox-secret-not-for-production-0000",
  /** The sandbox console's user-assigned managed identity, federated with the API app. */
  managedIdentityClientId: "0c0a5e11-1d00-4000-8000-000000000003",
  origin: "https://localhost:8443",
  /** The sandbox's one data collection rule, whose ingestion endpoint keeps the shipped audit trail. */
  auditDcrImmutableId: "dcr-0c0a5e11a91040008000000000a0d170",
  /**
   * The sandbox's chat webhooks (sandbox/chat/receivers.ts), on its origin: a Teams Workflows trigger (the channel
   * `fraud-team`) and a Slack incoming webhook (its channel `ml-platform`, the console's `default`). Sandbox-only
   * secrets, published like the persona passwords.
   */
  teamsWebhookPath:
    "/workflows/0c0a5e11f7a04000800000000000c4a7/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=sandbox-fraud-team-sig-not-a-secret-000000",
  slackWebhookPath: "/services/T0SANDBOX0/B0MLPLATFORM/sandboxMlPlatformToken00",
});

/**
 * The chat channels a sandbox console posts to when GATEHOUSE_NOTIFICATION_CHANNELS and
 * GATEHOUSE_NOTIFICATION_WEBHOOK_URL are unset: the sandbox's Teams channel as `fraud-team` (the request policy's fraud
 * routes name it) and its Slack channel as `default` (everything else, and the digests).
 * @param {string} sandboxOrigin
 */
export function sandboxChannels(sandboxOrigin) {
  return JSON.stringify({
    "fraud-team": { kind: "teams", url: `${sandboxOrigin}${SANDBOX_DEFAULTS.teamsWebhookPath}` },
    [DEFAULT_CHANNEL]: { kind: "slack", url: `${sandboxOrigin}${SANDBOX_DEFAULTS.slackWebhookPath}` },
  });
}

/** The custom stream (and, with its `Custom-` prefix dropped, the Log Analytics table) the audit trail is shipped to. */
export const AUDIT_STREAM_NAME = "Custom-GatehouseAudit_CL";

/**
 * The built-in roles Gatehouse grants only where an operator allows them (GATEHOUSE_GRANTABLE_PRIVILEGED_ROLES), by
 * name as the setting may spell them: they change who has access or everything in the workspace. Ids are the same in
 * every subscription (https://learn.microsoft.com/azure/role-based-access-control/built-in-roles); kept equal to the
 * privileged roles of `lib/shared/aml-roles.ts` (a test checks it).
 */
export const PRIVILEGED_BUILT_IN_ROLES = Object.freeze({
  contributor: "b24988ac-6180-42a0-ab88-20f7382dd24c",
  owner: "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
  "user access administrator": "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9",
  "role based access control administrator": "f58310d9-a9f6-439a-9e8d-f62e7b41a168",
});

/** Where to read more, appended to each problem so the message says how to fix it. */
const SETUP_DOC = "see .env.example and docs/azure-setup.md";

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Where incoming webhooks may post by default: Teams incoming webhooks (`<tenant>.webhook.office.com/webhookb2/…`),
 * Teams Workflows / Power Automate HTTP triggers (`prod-NN.<region>.logic.azure.com/workflows/…`, and the newer
 * `<environment>.environment.api.powerplatform.com/powerautomate/…`) and Slack (`hooks.slack.com/services/…`).
 * See https://learn.microsoft.com/microsoftteams/platform/webhooks-and-connectors/how-to/add-incoming-webhook and
 * https://api.slack.com/messaging/webhooks.
 */
export const DEFAULT_WEBHOOK_HOSTS = Object.freeze(["*.webhook.office.com", "*.logic.azure.com", "*.environment.api.powerplatform.com", "hooks.slack.com"]);
/** Chat channel kinds: a Teams Workflows webhook (Adaptive Card) or a Slack incoming webhook (Block Kit). */
export const CHANNEL_KINDS = /** @type {const} */ (["teams", "slack"]);
/** A channel's name, as request-policy routes spell it (lower-case letters, digits and dashes). */
export const CHANNEL_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;
/** The channel that hears what no route sends elsewhere; GATEHOUSE_NOTIFICATION_WEBHOOK_URL is this channel. */
export const DEFAULT_CHANNEL = "default";
const MAX_CHANNELS = 50;
const WEBHOOK_HOST_PATTERN = /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * Whether `host` is one of `patterns`: a plain name matches itself only, `*.name` any host below `name` (not `name`).
 * @param {string} host @param {readonly string[]} patterns
 */
export function webhookHostAllowed(host, patterns) {
  const name = host.toLowerCase().replace(/\.$/, "");
  return patterns.some((pattern) => (pattern.startsWith("*.") ? name.endsWith(pattern.slice(1)) : name === pattern));
}

/**
 * Addresses that reach this machine: 127/8 and ::1 (RFC 6890), and the unspecified 0.0.0.0/8 and :: (Linux connects
 * them to the local host). BlockList matches IPv4-mapped IPv6 (::ffff:127.0.0.1) against the IPv4 subnets.
 */
const LOOPBACK_ADDRESSES = new BlockList();
LOOPBACK_ADDRESSES.addSubnet("127.0.0.0", 8, "ipv4");
LOOPBACK_ADDRESSES.addSubnet("0.0.0.0", 8, "ipv4");
LOOPBACK_ADDRESSES.addAddress("::1", "ipv6");
LOOPBACK_ADDRESSES.addAddress("::", "ipv6");

/**
 * Whether `url` points at this machine, judged on the parsed host, not its spelling: the URL parser has already
 * turned `0x7f.1` or `2130706433` into 127.0.0.1; a trailing dot is dropped; `localhost` and `*.localhost` always
 * resolve to loopback (RFC 6761 §6.3). `127.evil.example` is a name, not an address, and is not loopback.
 * @param {string} url
 */
export function isLoopbackUrl(url) {
  let host;
  try {
    host = new URL(url).hostname.toLowerCase();
  } catch {
    return false;
  }
  if (host.startsWith("[") && host.endsWith("]")) host = host.slice(1, -1);
  host = host.replace(/\.+$/, "");
  const family = isIP(host);
  if (family !== 0) return LOOPBACK_ADDRESSES.check(host, family === 6 ? "ipv6" : "ipv4");
  return host === "localhost" || host.endsWith(".localhost");
}

const optionalString = z
  .string()
  .trim()
  .transform((value) => (value === "" ? undefined : value))
  .optional();

const booleanFlag = z
  .enum(["true", "false", "1", "0", ""], { error: "must be true or false" })
  .optional()
  .transform((value) => value === "true" || value === "1");

/** @param {string} what */
const httpsUrl = (what) =>
  z
    .url({ error: `must be an absolute URL (${what})` })
    .refine((value) => value.startsWith("https://"), { error: `must use https:// (${what})` })
    .transform((value) => value.replace(/\/+$/, ""));

const guid = z.string().regex(GUID, { error: "must be a GUID such as 00000000-0000-0000-0000-000000000000" });

/** @param {number} min @param {number} max @param {string} unit */
const integerSetting = (min, max, unit) =>
  z
    .string()
    .regex(/^\d+$/, { error: `must be a whole number of ${unit}` })
    .transform(Number)
    .pipe(
      z
        .number()
        .min(min, { error: `must be at least ${min} ${unit}` })
        .max(max, { error: `must be at most ${max} ${unit}` }),
    );

/** The raw environment, every field as written in `.env.example`. */
const RawEnv = z.object({
  NODE_ENV: optionalString.pipe(z.enum(["development", "production", "test"]).optional()),
  GATEHOUSE_MODE: optionalString.pipe(z.enum(["sandbox", "azure"], { error: "must be sandbox or azure" }).optional()),
  GATEHOUSE_ALLOW_SANDBOX_IN_PRODUCTION: booleanFlag,
  GATEHOUSE_PUBLIC_ORIGIN: optionalString.pipe(z.url({ error: "must be an absolute URL such as https://gatehouse.contoso.com" }).optional()),
  GATEHOUSE_DATA_DIR: optionalString,
  DATABASE_URL: optionalString.pipe(
    z
      .string()
      .regex(/^postgres(ql)?:\/\//, { error: "must start with postgres:// or postgresql://" })
      .optional(),
  ),
  DATABASE_MIGRATION_URL: optionalString.pipe(
    z
      .string()
      .regex(/^postgres(ql)?:\/\//, { error: "must start with postgres:// or postgresql://" })
      .optional(),
  ),
  DATABASE_POOL_SIZE: optionalString.pipe(integerSetting(1, 100, "connections").optional()),
  DATABASE_STATEMENT_TIMEOUT_SECONDS: optionalString.pipe(integerSetting(1, 3600, "seconds").optional()),
  DATABASE_AUTH: optionalString.pipe(z.enum(["password", "entra"], { error: "must be password or entra" }).optional()),
  DATABASE_ENTRA_SCOPE: optionalString.pipe(
    z
      .url({ error: "must be an absolute URL ending in /.default" })
      .refine((value) => value.endsWith("/.default"), { error: "must end in /.default" })
      .optional(),
  ),
  GATEHOUSE_SANDBOX_URL: optionalString.pipe(httpsUrl("the sandbox tenant's origin").optional()),
  AZURE_CLOUD: optionalString.pipe(z.enum(AZURE_CLOUD_NAMES, { error: "must be public, usgov or china" }).optional()),
  AZURE_TENANT_ID: optionalString.pipe(guid.optional()),
  AZURE_AUTHORITY_HOST: optionalString.pipe(httpsUrl("the Entra authority host").optional()),
  GATEHOUSE_SPA_CLIENT_ID: optionalString.pipe(guid.optional()),
  GATEHOUSE_API_CLIENT_ID: optionalString.pipe(guid.optional()),
  GATEHOUSE_API_IDENTIFIER_URI: optionalString,
  GATEHOUSE_CREDENTIAL: optionalString.pipe(
    z.enum(["secret", "certificate", "managed-identity"], { error: "must be secret, certificate or managed-identity" }).optional(),
  ),
  AZURE_CLIENT_SECRET: optionalString,
  AZURE_CLIENT_CERTIFICATE_PATH: optionalString,
  AZURE_MANAGED_IDENTITY_CLIENT_ID: optionalString.pipe(guid.optional()),
  IDENTITY_ENDPOINT: optionalString.pipe(z.url({ error: "must be an absolute URL (the host's managed-identity endpoint)" }).optional()),
  IDENTITY_HEADER: optionalString,
  AZURE_POD_IDENTITY_AUTHORITY_HOST: optionalString.pipe(z.url({ error: "must be an absolute URL (where IMDS answers)" }).optional()),
  GATEHOUSE_ALLOWED_TENANTS: optionalString,
  GRAPH_BASE_URL: optionalString.pipe(httpsUrl("Microsoft Graph").optional()),
  ARM_ENDPOINT: optionalString.pipe(httpsUrl("Azure Resource Manager").optional()),
  GATEHOUSE_UPSTREAM_TIMEOUT_SECONDS: optionalString.pipe(integerSetting(1, 300, "seconds").optional()),
  GATEHOUSE_ROLE_ASSIGNMENT_LIMIT: optionalString.pipe(integerSetting(1, 100_000, "role assignments").optional()),
  GATEHOUSE_REPLICATION_WINDOW_MINUTES: optionalString.pipe(integerSetting(1, 1440, "minutes").optional()),
  // Entra's authentication context ids are c1..c99 (Graph authContext.authenticationContextValue).
  GATEHOUSE_STEP_UP_AUTH_CONTEXT: optionalString.pipe(
    z
      .string()
      .regex(/^c([1-9]|[1-9][0-9])$/, { error: "must be an authentication context id, c1 to c99" })
      .optional(),
  ),
  GATEHOUSE_STEP_UP_BULK_REMOVAL_MIN: optionalString.pipe(integerSetting(2, 10_000, "role assignments").optional()),
  GATEHOUSE_LOG_LEVEL: optionalString.pipe(z.enum(["debug", "info", "warn", "error"]).optional()),
  GATEHOUSE_JOBS_ENABLED: optionalString.pipe(z.enum(["true", "false"], { error: "must be true or false" }).optional()),
  GATEHOUSE_RECONCILE_INTERVAL_SECONDS: optionalString.pipe(integerSetting(10, 86_400, "seconds").optional()),
  GATEHOUSE_NOTIFICATION_SENDER: optionalString,
  GATEHOUSE_NOTIFICATION_WEBHOOK_URL: optionalString.pipe(httpsUrl("the incoming-webhook URL for notifications").optional()),
  GATEHOUSE_NOTIFICATION_WEBHOOK_HOSTS: optionalString.pipe(
    z
      .string()
      .transform((value) => splitList(value))
      .refine((hosts) => hosts.length > 0 && hosts.every((host) => WEBHOOK_HOST_PATTERN.test(host)), {
        error: "must be a comma-separated list of host names, each optionally starting with *. (such as *.webhook.office.com)",
      })
      .optional(),
  ),
  // Parsed in parseConfig, channel by channel, so each problem names its channel (and never echoes a URL).
  GATEHOUSE_NOTIFICATION_CHANNELS: optionalString,
  GATEHOUSE_NOTIFICATION_WEBHOOK_KIND: optionalString.pipe(z.enum(CHANNEL_KINDS, { error: "must be teams or slack" }).optional()),
  GATEHOUSE_NOTIFICATION_DIGEST_CHANNEL: optionalString.pipe(
    z.string().regex(CHANNEL_NAME, { error: "must be a channel name (lower-case letters, digits and dashes)" }).optional(),
  ),
  GATEHOUSE_NOTIFICATION_INTERVAL_SECONDS: optionalString.pipe(integerSetting(10, 86_400, "seconds").optional()),
  // At least a day: the notifications page counts what was sent in the last 24 hours.
  GATEHOUSE_NOTIFICATION_RETENTION_DAYS: optionalString.pipe(integerSetting(1, 3650, "days").optional()),
  GATEHOUSE_REQUEST_EXPIRY_INTERVAL_SECONDS: optionalString.pipe(integerSetting(10, 86_400, "seconds").optional()),
  GATEHOUSE_DRIFT_CHECK_INTERVAL_SECONDS: optionalString.pipe(integerSetting(60, 604_800, "seconds").optional()),
  GATEHOUSE_REQUEST_POLICY_PATH: optionalString,
  // Days before a time-bound grant ends when the requester and the route's owners are reminded, such as 3,1.
  GATEHOUSE_REQUEST_REMINDER_DAYS: optionalString.pipe(
    z
      .string()
      .regex(/^\s*\d{1,2}\s*(,\s*\d{1,2}\s*){0,4}$/, { error: "must be up to five whole numbers of days such as 3,1" })
      .transform((value) => value.split(",").map((part) => Number(part.trim())))
      .refine((days) => days.every((day) => day >= 1 && day <= 30) && new Set(days).size === days.length, {
        error: "must be distinct day counts between 1 and 30, such as 3,1",
      })
      .transform((days) => [...days].sort((a, b) => b - a))
      .optional(),
  ),
  GATEHOUSE_GRANTABLE_PRIVILEGED_ROLES: optionalString.pipe(
    z
      .string()
      .transform((value) => grantableRoleIds(value))
      .refine((ids) => ids !== null, {
        error:
          'must be "none" or a comma-separated list of role definition GUIDs or built-in names (Contributor, Owner, User Access Administrator, Role Based Access Control Administrator)',
      })
      .transform((ids) => /** @type {string[]} */ (ids))
      .optional(),
  ),
  GATEHOUSE_CREDENTIAL_WINDOWS_DAYS: optionalString.pipe(
    z
      .string()
      .regex(/^\s*\d{1,4}\s*,\s*\d{1,4}\s*,\s*\d{1,4}\s*$/, { error: "must be three whole numbers of days such as 7,30,90" })
      .transform((value) => /** @type {[number, number, number]} */ (value.split(",").map((part) => Number(part.trim()))))
      .refine(([a, b, c]) => a >= 1 && a < b && b < c && c <= 3650, { error: "must be three increasing day counts between 1 and 3650, such as 7,30,90" })
      .optional(),
  ),
  GATEHOUSE_CREDENTIAL_REFRESH_INTERVAL_SECONDS: optionalString.pipe(integerSetting(300, 604_800, "seconds").optional()),
  GATEHOUSE_AUDIT_INGESTION_ENDPOINT: optionalString.pipe(httpsUrl("the data collection endpoint (or the DCR's logs ingestion endpoint)").optional()),
  GATEHOUSE_AUDIT_DCR_IMMUTABLE_ID: optionalString.pipe(
    z
      .string()
      .regex(/^dcr-[0-9a-f]{32}$/, { error: "must be a data collection rule's immutable id (dcr- and 32 hex digits)" })
      .optional(),
  ),
  GATEHOUSE_AUDIT_STREAM_NAME: optionalString.pipe(
    z
      .string()
      .regex(/^Custom-[A-Za-z0-9_]+$/, { error: "must be a custom stream name such as Custom-GatehouseAudit_CL" })
      .optional(),
  ),
  GATEHOUSE_AUDIT_CHECKPOINT_KEY_PATH: optionalString,
  GATEHOUSE_AUDIT_CHECKPOINT_PUBLIC_KEY_PATH: optionalString,
  GATEHOUSE_AUDIT_CHECKPOINT_EVERY_EVENTS: optionalString.pipe(integerSetting(1, 1_000_000, "events").optional()),
  GATEHOUSE_AUDIT_CHECKPOINT_INTERVAL_SECONDS: optionalString.pipe(integerSetting(60, 86_400, "seconds").optional()),
  GATEHOUSE_AUDIT_SHIP_INTERVAL_SECONDS: optionalString.pipe(integerSetting(10, 3_600, "seconds").optional()),
  GATEHOUSE_TRUSTED_PROXY_HOPS: optionalString.pipe(integerSetting(0, 5, "proxies").optional()),
  GATEHOUSE_RATE_LIMIT_SIGN_IN_PER_MINUTE: optionalString.pipe(integerSetting(1, 100_000, "requests").optional()),
  GATEHOUSE_RATE_LIMIT_ANONYMOUS_PER_MINUTE: optionalString.pipe(integerSetting(1, 100_000, "requests").optional()),
  GATEHOUSE_RATE_LIMIT_ACTIONS_PER_MINUTE: optionalString.pipe(integerSetting(1, 100_000, "requests").optional()),
  GATEHOUSE_RATE_LIMIT_EXPENSIVE_PER_MINUTE: optionalString.pipe(integerSetting(1, 100_000, "requests").optional()),
  GATEHOUSE_SESSION_KEY: optionalString.pipe(
    z
      .string()
      .refine((value) => /^[A-Za-z0-9+/_-]{43}=?$/.test(value) && Buffer.from(value, "base64").length === 32, {
        error: "must be 32 random bytes in base64, such as the output of: openssl rand -base64 32",
      })
      .optional(),
  ),
  GATEHOUSE_SESSION_IDLE_MINUTES: optionalString.pipe(integerSetting(5, 1_440, "minutes").optional()),
  GATEHOUSE_SESSION_ABSOLUTE_HOURS: optionalString.pipe(integerSetting(1, 168, "hours").optional()),
});

/**
 * @typedef {object} GatehouseConfig
 * @property {"sandbox" | "azure"} mode
 * @property {boolean} production
 * @property {string} publicOrigin          Origin people use to reach the console (no trailing slash).
 * @property {string[]} serverActionsAllowedOrigins  Hosts allowed to post server actions (Next's allowedOrigins).
 * @property {{ kind: "pglite", dataDir: string } | { kind: "postgres", url: string, poolSize: number,
 *   statementTimeoutSeconds?: number, entra?: { managedIdentityClientId: string, scope: string }, migrationUrl?: string }} database
 *   `entra`: the password is a Microsoft Entra token of the managed identity (Azure Database for PostgreSQL with Entra
 *   authentication), refreshed before expiry. `migrationUrl`: the owner role that applies migrations, when the
 *   console's own role (`url`) may only append to the audit trail (docs/deploy.md). `statementTimeoutSeconds`: the
 *   server cancels any statement of the console's connections that runs longer (PostgreSQL's `statement_timeout`, set
 *   when each connection opens; always set from the environment, absent only where a test opens a database itself).
 * @property {import("./clouds.mjs").AzureCloudName} cloud  The Azure cloud (AZURE_CLOUD, or the one AZURE_AUTHORITY_HOST
 *   belongs to): it decides the default hosts, the resource ids tokens are asked for, the exchange audience, the accepted
 *   issuers and the role-assignment limit. In sandbox mode, the cloud the sandbox tenant emulates.
 * @property {{ tenantId: string, authorityHost: string, issuerHosts: string[], authority: string, allowedTenantIds: string[],
 *   spaClientId: string, apiClientId: string, apiIdentifierUri: string, apiScope: string,
 *   credential: { kind: "secret", secret: string } | { kind: "certificate", path: string }
 *     | { kind: "managed-identity", clientId: string }, tokenExchangeScope: string }} identity  `issuerHosts`: the hosts
 *   whose `{host}/{tid}/v2.0` issuer the console's API tokens may carry; `tokenExchangeScope`: what the managed identity
 *   is asked for when it is the API app's federated credential.
 * @property {{ graphBaseUrl: string, armEndpoint: string, graphScope: string, armScope: string, monitorScope: string, timeoutMs: number }} upstream
 *   `graphScope`/`armScope`/`monitorScope`: the `.default` scopes of the cloud's Graph, ARM and Azure Monitor resource ids.
 * @property {{ limitPerSubscription: number, replicationWindowMs: number }} roleAssignments  Azure's role-assignment
 *   limit per subscription, for the grant dialog's budget (4,000 in the public cloud, 2,000 in Azure Government and
 *   Azure operated by 21Vianet); and how long after an assignment was made a principal the directory does not return
 *   is taken to be not replicated yet rather than deleted (never offered for orphan clean-up or a drift revoke).
 * @property {string | null} sandboxOrigin   The sandbox tenant's origin in sandbox mode, else null.
 * @property {{ authContext: string | null, bulkRemovalMin: number }} stepUp  The Conditional Access authentication
 *   context (c1..c99) a person's token must show (`acrs`) for a privileged grant, the approval of a privileged request
 *   or a removal of at least `bulkRemovalMin` assignments at once; null = step-up off (azure mode without the setting;
 *   the self-check warns). The sandbox defaults to c1.
 * @property {"debug" | "info" | "warn" | "error"} logLevel
 * @property {{ enabled: boolean, reconcileIntervalMs: number, notificationIntervalMs: number, requestExpiryIntervalMs: number, driftCheckIntervalMs: number }} jobs  Scheduled work (runs once per interval across instances).
 * @property {{ sender: string | null, channels: Record<string, NotificationChannel>, digestChannel: string | null,
 *   webhookHosts: string[], sentRetentionMs: number }} notifications  Mail sender (UPN or object id; null = mail off); the named chat channels
 *   (GATEHOUSE_NOTIFICATION_CHANNELS, plus GATEHOUSE_NOTIFICATION_WEBHOOK_URL as `default`); the channel digests go to;
 *   the hosts webhooks may post to; how long sent outbox rows are kept before the delivery job prunes them. A
 *   channel's URL carries its signature: a secret, never logged or shown.
 * @property {{ policyPath: string, reminderDays: number[] }} requests  Access-request policy file (validated at start-up),
 *   and the days before a time-bound grant ends when reminders go out (distinct, 1–30, largest first).
 * @property {{ grantablePrivileged: string[] }} roles  Role definition GUIDs (lower case) of privileged roles (the
 *   built-in Contributor, Owner, User Access Administrator, Role Based Access Control Administrator, or a custom role
 *   that can write or delete role assignments or holds `*`) that Gatehouse may grant; every other privileged role is
 *   refused by grants, mappings and requests (lib/workspaces/grantable-roles.ts). Empty by default.
 * @property {{ windowsDays: [number, number, number], refreshIntervalMs: number }} credentials  Expiry windows of the
 *   credentials dashboard and how often its snapshot is refreshed (once per interval across instances).
 * @property {{ sink: { endpoint: string, dcrImmutableId: string, streamName: string } | null,
 *   checkpointKeyPath: string | null, checkpointPublicKeyPath: string | null, checkpointEveryEvents: number,
 *   checkpointIntervalMs: number, shipIntervalMs: number }} audit  Where the audit trail is shipped (Logs Ingestion API;
 *   null = not shipped) and how its signed checkpoints are made: the Ed25519 private key file (never in the database),
 *   the public key file the verifier uses (derived from the private key when absent), every N events or M ms.
 * @property {{ key: Buffer | null, keyPath: string | null, idleMs: number, absoluteMs: number }} sessions  The AES-256-GCM
 *   key that encrypts each session's token at rest (GATEHOUSE_SESSION_KEY; in the sandbox, when unset, a key file
 *   generated beside the PGlite data), and how long a session lasts unused and at most.
 * @property {{ trustedProxyHops: number, perMinute: { signIn: number, anonymous: number, actions: number, expensive: number } }} limits
 *   Rate limits per minute (shared by every instance through the database) and how many reverse proxies in front of
 *   the console append to X-Forwarded-For (the client address is the entry that many places from the right).
 */

/**
 * @typedef {object} NotificationChannel
 * @property {"teams" | "slack"} kind
 * @property {string} url   The webhook URL (a secret: it carries the signature).
 * @property {string} host  Its host, what the console shows.
 */

export class ConfigError extends Error {
  /** @param {string[]} problems */
  constructor(problems) {
    super(
      `Gatehouse cannot start: ${problems.length} configuration problem${problems.length === 1 ? "" : "s"}\n` +
        problems.map((problem) => `  - ${problem}`).join("\n"),
    );
    this.name = "ConfigError";
    this.problems = problems;
  }
}

/**
 * Parses and checks the environment. Throws one `ConfigError` listing every problem.
 * @param {Record<string, string | undefined>} env
 * @param {{ phase?: "build" | "runtime" }} [options]  At build time the production/sandbox rule is not applied:
 *   one build serves every mode, and the running server checks it.
 * @returns {GatehouseConfig}
 */
export function parseConfig(env, options = {}) {
  /** @type {string[]} */
  const problems = [];
  // Each setting is parsed on its own so that one bad value does not hide the rest: the message lists them all.
  /** @type {Partial<z.infer<typeof RawEnv>>} */
  const raw = {};
  /** @type {Set<string>} */
  const invalid = new Set();
  for (const [name, schema] of Object.entries(RawEnv.shape)) {
    const result = schema.safeParse(env[name]);
    if (result.success) {
      Object.assign(raw, { [name]: result.data });
    } else {
      invalid.add(name);
      problems.push(`${name}: ${result.error.issues[0]?.message ?? "invalid value"} (${SETUP_DOC})`);
    }
  }
  const mode = raw.GATEHOUSE_MODE ?? "sandbox";
  const production = raw.NODE_ENV === "production";
  const phase = options.phase ?? "runtime";

  if (mode === "sandbox" && production && phase === "runtime" && !raw.GATEHOUSE_ALLOW_SANDBOX_IN_PRODUCTION) {
    problems.push(
      "GATEHOUSE_MODE: sandbox mode is refused when NODE_ENV=production. Set GATEHOUSE_MODE=azure for a real tenant, " +
        "or GATEHOUSE_ALLOW_SANDBOX_IN_PRODUCTION=true for a demo (npm run sandbox does this).",
    );
  }

  /** @param {keyof typeof raw} name @param {string} fix */
  const required = (name, fix) => {
    const value = raw[name];
    if (invalid.has(name)) return "";
    if (value === undefined || value === "") {
      problems.push(`${name}: required in azure mode. ${fix} (${SETUP_DOC})`);
      return "";
    }
    return String(value);
  };

  const profile = AZURE_CLOUDS[resolveCloud(raw, mode, invalid, problems)];

  let identity;
  let upstream;
  let sandboxOrigin = null;
  let publicOrigin;

  if (mode === "azure") {
    const tenantId = required("AZURE_TENANT_ID", "Set it to your Entra tenant id (a GUID).");
    const spaClientId = required("GATEHOUSE_SPA_CLIENT_ID", "Set it to the SPA app registration's client id.");
    const apiClientId = required("GATEHOUSE_API_CLIENT_ID", "Set it to the API app registration's client id.");
    publicOrigin = required("GATEHOUSE_PUBLIC_ORIGIN", "Set it to the https origin people use to reach Gatehouse.");
    const allowedTenants = required(
      "GATEHOUSE_ALLOWED_TENANTS",
      "Set it to a comma-separated list of tenant ids whose users may sign in (usually just AZURE_TENANT_ID).",
    );
    const credentialKind = raw.GATEHOUSE_CREDENTIAL;
    let credential = /** @type {GatehouseConfig["identity"]["credential"]} */ ({ kind: "secret", secret: "" });
    if (!credentialKind) {
      if (!invalid.has("GATEHOUSE_CREDENTIAL")) {
        problems.push(`GATEHOUSE_CREDENTIAL: required in azure mode. Choose managed-identity (recommended), certificate or secret (${SETUP_DOC})`);
      }
    } else if (credentialKind === "secret") {
      credential = { kind: "secret", secret: required("AZURE_CLIENT_SECRET", "Set the API app's client secret.") };
    } else if (credentialKind === "certificate") {
      credential = {
        kind: "certificate",
        path: required("AZURE_CLIENT_CERTIFICATE_PATH", "Set the path of a PEM file with the certificate and its private key."),
      };
    } else {
      credential = {
        kind: "managed-identity",
        clientId: required("AZURE_MANAGED_IDENTITY_CLIENT_ID", "Set the client id of the user-assigned managed identity federated with the API app."),
      };
    }
    if (publicOrigin && !publicOrigin.startsWith("https://")) {
      problems.push(`GATEHOUSE_PUBLIC_ORIGIN: must use https:// in azure mode (${SETUP_DOC})`);
    }
    const allowedTenantIds = splitList(allowedTenants);
    for (const id of allowedTenantIds) {
      if (!GUID.test(id)) problems.push(`GATEHOUSE_ALLOWED_TENANTS: "${id}" is not a tenant id (GUID) (${SETUP_DOC})`);
    }
    if (tenantId && allowedTenantIds.length > 0 && !allowedTenantIds.includes(tenantId.toLowerCase())) {
      problems.push(`GATEHOUSE_ALLOWED_TENANTS: must include AZURE_TENANT_ID (${tenantId}) (${SETUP_DOC})`);
    }
    const authorityHost = raw.AZURE_AUTHORITY_HOST ?? profile.authorityHost;
    // The authority host must be one of the cloud's Entra hosts (refused below otherwise); it brings its cloud's
    // aliases, since China's Entra issues from login.partner.microsoftonline.cn whichever alias was asked.
    const issuerHosts = cloudOfAuthorityHost(authorityHost) === profile.name ? unique([authorityHost, ...profile.issuerHosts]) : [authorityHost];
    identity = buildIdentity({
      tenantId,
      authorityHost,
      issuerHosts,
      allowedTenantIds,
      spaClientId,
      apiClientId,
      apiIdentifierUri: raw.GATEHOUSE_API_IDENTIFIER_URI,
      credential,
      tokenExchangeAudience: profile.tokenExchangeAudience,
    });
    const graphBaseUrl = raw.GRAPH_BASE_URL ?? profile.graphBaseUrl;
    const armEndpoint = raw.ARM_ENDPOINT ?? profile.armEndpoint;
    upstream = {
      graphBaseUrl,
      armEndpoint,
      // Graph's and ARM's roots are resource ids of theirs in every cloud, so a URL the operator sets (e.g. Graph for
      // US Government DoD) brings its own scope.
      graphScope: defaultScopeOf(new URL(graphBaseUrl).origin),
      armScope: defaultScopeOf(new URL(armEndpoint).origin),
      monitorScope: defaultScopeOf(profile.monitorResource),
      timeoutMs: (raw.GATEHOUSE_UPSTREAM_TIMEOUT_SECONDS ?? 30) * 1000,
    };
    const endpoints = /** @type {const} */ ([
      ["AZURE_AUTHORITY_HOST", authorityHost],
      ["GRAPH_BASE_URL", upstream.graphBaseUrl],
      ["ARM_ENDPOINT", upstream.armEndpoint],
    ]);
    for (const [name, url] of endpoints) {
      const foreign = foreignEndpointProblem(name === "AZURE_AUTHORITY_HOST" ? "authority" : name === "GRAPH_BASE_URL" ? "graph" : "arm", url, profile);
      if (isLoopbackUrl(url)) {
        problems.push(`${name}: ${url} is a sandbox (loopback) endpoint, refused in azure mode. Remove it to use the endpoint of ${profile.displayName}.`);
      } else if (foreign && !(name === "AZURE_AUTHORITY_HOST" && (cloudOfAuthorityHost(url) ?? profile.name) !== profile.name)) {
        // (An Entra host of another cloud is reported once, as a disagreement with AZURE_CLOUD.)
        problems.push(`${name}: ${url} ${foreign}. Remove it to use the endpoint of ${profile.displayName} (${SETUP_DOC})`);
      }
    }
    if (raw.GATEHOUSE_SANDBOX_URL) {
      problems.push("GATEHOUSE_SANDBOX_URL: only valid in sandbox mode. Remove it, or set GATEHOUSE_MODE=sandbox.");
    }
  } else {
    sandboxOrigin = raw.GATEHOUSE_SANDBOX_URL ?? SANDBOX_DEFAULTS.origin;
    if (!isLoopbackUrl(sandboxOrigin)) {
      problems.push(`GATEHOUSE_SANDBOX_URL: ${sandboxOrigin} is not a loopback address; the sandbox tenant only runs locally.`);
    }
    for (const name of /** @type {const} */ (["AZURE_AUTHORITY_HOST", "GRAPH_BASE_URL", "ARM_ENDPOINT", "AZURE_TENANT_ID"])) {
      if (raw[name]) problems.push(`${name}: not used in sandbox mode (the sandbox tenant decides it). Remove it, or set GATEHOUSE_MODE=azure.`);
    }
    publicOrigin = raw.GATEHOUSE_PUBLIC_ORIGIN ?? "http://localhost:3000";
    identity = buildIdentity({
      tenantId: SANDBOX_DEFAULTS.tenantId,
      authorityHost: sandboxOrigin,
      issuerHosts: [sandboxOrigin],
      allowedTenantIds: [SANDBOX_DEFAULTS.tenantId],
      spaClientId: raw.GATEHOUSE_SPA_CLIENT_ID ?? SANDBOX_DEFAULTS.spaClientId,
      apiClientId: raw.GATEHOUSE_API_CLIENT_ID ?? SANDBOX_DEFAULTS.apiClientId,
      apiIdentifierUri: raw.GATEHOUSE_API_IDENTIFIER_URI,
      credential: sandboxCredential(raw, problems),
      tokenExchangeAudience: profile.tokenExchangeAudience,
    });
    // The sandbox serves Graph and ARM at its own origin, but its tokens are for the emulated cloud's resource ids.
    upstream = {
      graphBaseUrl: sandboxOrigin,
      armEndpoint: sandboxOrigin,
      graphScope: defaultScopeOf(profile.graphBaseUrl),
      armScope: defaultScopeOf(profile.armEndpoint),
      monitorScope: defaultScopeOf(profile.monitorResource),
      timeoutMs: (raw.GATEHOUSE_UPSTREAM_TIMEOUT_SECONDS ?? 30) * 1000,
    };
  }

  if (raw.IDENTITY_ENDPOINT && !raw.IDENTITY_HEADER) {
    problems.push("IDENTITY_HEADER: required with IDENTITY_ENDPOINT (the host sets both; the endpoint refuses requests without the header).");
  }

  /** @type {{ managedIdentityClientId: string, scope: string } | undefined} */
  let databaseEntra;
  if (raw.DATABASE_AUTH === "entra") {
    if (!raw.DATABASE_URL) {
      if (!invalid.has("DATABASE_URL")) {
        problems.push("DATABASE_AUTH: entra needs DATABASE_URL (the PostgreSQL server, user = the managed identity's database role).");
      }
    } else if (/^postgres(ql)?:\/\/[^/@]*:[^/@]*@/.test(raw.DATABASE_URL)) {
      problems.push("DATABASE_URL: holds a password, but DATABASE_AUTH=entra signs in with a Microsoft Entra token. Remove the password from the URL.");
    }
    const clientId = raw.AZURE_MANAGED_IDENTITY_CLIENT_ID ?? (mode === "sandbox" ? SANDBOX_DEFAULTS.managedIdentityClientId : undefined);
    if (!clientId) {
      if (!invalid.has("AZURE_MANAGED_IDENTITY_CLIENT_ID")) {
        problems.push(`AZURE_MANAGED_IDENTITY_CLIENT_ID: required with DATABASE_AUTH=entra (the managed identity that signs in to PostgreSQL) (${SETUP_DOC})`);
      }
    } else {
      databaseEntra = { managedIdentityClientId: clientId, scope: raw.DATABASE_ENTRA_SCOPE ?? defaultScopeOf(profile.postgresEntraResource) };
    }
  } else if (raw.DATABASE_ENTRA_SCOPE) {
    problems.push("DATABASE_ENTRA_SCOPE: only used with DATABASE_AUTH=entra.");
  }

  const auditSinkSettings = /** @type {const} */ (["GATEHOUSE_AUDIT_INGESTION_ENDPOINT", "GATEHOUSE_AUDIT_DCR_IMMUTABLE_ID"]);
  /** @type {GatehouseConfig["audit"]["sink"]} */
  let auditSink = null;
  if (mode === "sandbox") {
    for (const name of auditSinkSettings) {
      if (raw[name]) {
        problems.push(`${name}: not used in sandbox mode (the sandbox tenant's ingestion endpoint is used). Remove it, or set GATEHOUSE_MODE=azure.`);
      }
    }
    auditSink = { endpoint: sandboxOrigin ?? SANDBOX_DEFAULTS.origin, dcrImmutableId: SANDBOX_DEFAULTS.auditDcrImmutableId, streamName: AUDIT_STREAM_NAME };
  } else if (raw.GATEHOUSE_AUDIT_INGESTION_ENDPOINT || raw.GATEHOUSE_AUDIT_DCR_IMMUTABLE_ID) {
    const missing = auditSinkSettings.filter((name) => !raw[name] && !invalid.has(name));
    for (const name of missing) problems.push(`${name}: required when the audit trail is shipped to Azure Monitor (both ingestion settings go together).`);
    const ingestionEndpoint = raw.GATEHOUSE_AUDIT_INGESTION_ENDPOINT;
    const foreignIngestion = ingestionEndpoint ? foreignEndpointProblem("ingestion", ingestionEndpoint, profile) : undefined;
    if (ingestionEndpoint && isLoopbackUrl(ingestionEndpoint)) {
      problems.push(`GATEHOUSE_AUDIT_INGESTION_ENDPOINT: ${ingestionEndpoint} is a sandbox (loopback) endpoint, refused in azure mode.`);
    } else if (foreignIngestion) {
      problems.push(
        `GATEHOUSE_AUDIT_INGESTION_ENDPOINT: ${ingestionEndpoint} ${foreignIngestion}: use the data collection rule's or endpoint's logs ingestion URL.`,
      );
    }
    if (raw.GATEHOUSE_AUDIT_INGESTION_ENDPOINT && raw.GATEHOUSE_AUDIT_DCR_IMMUTABLE_ID) {
      auditSink = {
        endpoint: raw.GATEHOUSE_AUDIT_INGESTION_ENDPOINT,
        dcrImmutableId: raw.GATEHOUSE_AUDIT_DCR_IMMUTABLE_ID,
        streamName: raw.GATEHOUSE_AUDIT_STREAM_NAME ?? AUDIT_STREAM_NAME,
      };
    }
  }
  if (auditSink && mode === "azure" && !raw.GATEHOUSE_AUDIT_CHECKPOINT_KEY_PATH) {
    problems.push(
      "GATEHOUSE_AUDIT_CHECKPOINT_KEY_PATH: required when the audit trail is shipped (the Ed25519 private key that signs its checkpoints; docs/audit-siem.md).",
    );
  }
  const webhookHosts = raw.GATEHOUSE_NOTIFICATION_WEBHOOK_HOSTS ?? [...DEFAULT_WEBHOOK_HOSTS];
  // The sandbox console posts to the sandbox tenant's own webhooks, so its (loopback, checked above) host is allowed;
  // in azure mode the allow-list stays as configured, and loopback hosts are refused unless the operator lists them.
  const sandboxUrl = mode === "sandbox" && sandboxOrigin && isLoopbackUrl(sandboxOrigin) ? new URL(sandboxOrigin) : null;
  const sandboxHost = sandboxUrl ? sandboxUrl.hostname.toLowerCase().replace(/\.+$/, "") : null;
  if (sandboxHost && !webhookHosts.includes(sandboxHost)) webhookHosts.push(sandboxHost);
  const sandboxDefaultChannels =
    sandboxUrl !== null && raw.GATEHOUSE_NOTIFICATION_CHANNELS === undefined && raw.GATEHOUSE_NOTIFICATION_WEBHOOK_URL === undefined;
  const channels = notificationChannels(
    sandboxUrl && sandboxDefaultChannels ? { ...raw, GATEHOUSE_NOTIFICATION_CHANNELS: sandboxChannels(sandboxUrl.origin) } : raw,
    invalid,
    webhookHosts,
    problems,
  );
  const digestChannel = raw.GATEHOUSE_NOTIFICATION_DIGEST_CHANNEL ?? (sandboxDefaultChannels ? DEFAULT_CHANNEL : null);
  if (digestChannel && !Object.hasOwn(channels, digestChannel) && !invalid.has("GATEHOUSE_NOTIFICATION_CHANNELS")) {
    problems.push(
      `GATEHOUSE_NOTIFICATION_DIGEST_CHANNEL: no channel named ${digestChannel} in GATEHOUSE_NOTIFICATION_CHANNELS` +
        (Object.keys(channels).length > 0 ? ` (configured: ${Object.keys(channels).join(", ")}).` : " (no channels are configured)."),
    );
  }
  if (mode === "azure" && !raw.GATEHOUSE_SESSION_KEY && !invalid.has("GATEHOUSE_SESSION_KEY")) {
    problems.push(
      "GATEHOUSE_SESSION_KEY: required in azure mode. Set it to 32 random bytes in base64 (openssl rand -base64 32, kept in Key Vault): it encrypts each session's token at rest (docs/deploy.md).",
    );
  }
  const sessionIdleMinutes = raw.GATEHOUSE_SESSION_IDLE_MINUTES ?? 60;
  const sessionAbsoluteHours = raw.GATEHOUSE_SESSION_ABSOLUTE_HOURS ?? 12;
  if (sessionIdleMinutes > sessionAbsoluteHours * 60) {
    problems.push("GATEHOUSE_SESSION_IDLE_MINUTES: must not be longer than GATEHOUSE_SESSION_ABSOLUTE_HOURS.");
  }
  if (raw.DATABASE_STATEMENT_TIMEOUT_SECONDS !== undefined && !raw.DATABASE_URL) {
    problems.push("DATABASE_STATEMENT_TIMEOUT_SECONDS: only used with DATABASE_URL (PostgreSQL); PGlite runs in the console's own process.");
  }
  if (raw.DATABASE_MIGRATION_URL && !raw.DATABASE_URL) {
    problems.push("DATABASE_MIGRATION_URL: only used with DATABASE_URL (PostgreSQL); PGlite has a single role.");
  }

  if (problems.length > 0) throw new ConfigError(problems);

  const origin = new URL(publicOrigin).origin;
  return {
    mode,
    production,
    publicOrigin: origin,
    serverActionsAllowedOrigins: [new URL(origin).host],
    database: raw.DATABASE_URL
      ? {
          kind: "postgres",
          url: raw.DATABASE_URL,
          poolSize: raw.DATABASE_POOL_SIZE ?? 10,
          // A statement stuck behind a lock or a slow plan ends with an error the person sees within a bounded time,
          // instead of holding a pooled connection (and the request) indefinitely. 30 s is far above any query the
          // console makes (pages of at most a few thousand rows), so only a fault reaches it.
          statementTimeoutSeconds: raw.DATABASE_STATEMENT_TIMEOUT_SECONDS ?? 30,
          ...(databaseEntra ? { entra: databaseEntra } : {}),
          ...(raw.DATABASE_MIGRATION_URL ? { migrationUrl: raw.DATABASE_MIGRATION_URL } : {}),
        }
      : { kind: "pglite", dataDir: runtimePath(raw.GATEHOUSE_DATA_DIR ?? ".data", "pglite") },
    identity,
    upstream,
    cloud: profile.name,
    roleAssignments: {
      limitPerSubscription: raw.GATEHOUSE_ROLE_ASSIGNMENT_LIMIT ?? profile.roleAssignmentLimit,
      replicationWindowMs: (raw.GATEHOUSE_REPLICATION_WINDOW_MINUTES ?? 30) * 60_000,
    },
    sandboxOrigin,
    stepUp: {
      authContext: raw.GATEHOUSE_STEP_UP_AUTH_CONTEXT ?? (mode === "sandbox" ? "c1" : null),
      bulkRemovalMin: raw.GATEHOUSE_STEP_UP_BULK_REMOVAL_MIN ?? 5,
    },
    logLevel: raw.GATEHOUSE_LOG_LEVEL ?? "info",
    jobs: {
      enabled: raw.GATEHOUSE_JOBS_ENABLED !== "false",
      reconcileIntervalMs: (raw.GATEHOUSE_RECONCILE_INTERVAL_SECONDS ?? 60) * 1000,
      notificationIntervalMs: (raw.GATEHOUSE_NOTIFICATION_INTERVAL_SECONDS ?? 60) * 1000,
      requestExpiryIntervalMs: (raw.GATEHOUSE_REQUEST_EXPIRY_INTERVAL_SECONDS ?? 60) * 1000,
      driftCheckIntervalMs: (raw.GATEHOUSE_DRIFT_CHECK_INTERVAL_SECONDS ?? 900) * 1000,
    },
    notifications: {
      // In the sandbox any user may send; the admin persona's mailbox is the default.
      sender: raw.GATEHOUSE_NOTIFICATION_SENDER ?? (mode === "sandbox" ? "admin@contosoml.onmicrosoft.com" : null),
      channels,
      digestChannel,
      webhookHosts,
      sentRetentionMs: (raw.GATEHOUSE_NOTIFICATION_RETENTION_DAYS ?? 30) * 86_400_000,
    },
    requests: {
      // The default file ships with the build (a static path the build traces); one the operator names is read at run time.
      policyPath: raw.GATEHOUSE_REQUEST_POLICY_PATH
        ? runtimePath(raw.GATEHOUSE_REQUEST_POLICY_PATH)
        : path.join(process.cwd(), "config", "request-policy.json"),
      reminderDays: raw.GATEHOUSE_REQUEST_REMINDER_DAYS ?? [3, 1],
    },
    roles: { grantablePrivileged: raw.GATEHOUSE_GRANTABLE_PRIVILEGED_ROLES ?? [] },
    credentials: {
      windowsDays: raw.GATEHOUSE_CREDENTIAL_WINDOWS_DAYS ?? [7, 30, 90],
      refreshIntervalMs: (raw.GATEHOUSE_CREDENTIAL_REFRESH_INTERVAL_SECONDS ?? 21_600) * 1000,
    },
    audit: {
      sink: auditSink,
      // In the sandbox a key is generated beside the PGlite data on first use; in Azure the operator names a file
      // (a Key Vault secret mounted into the container), so the key never lives in the database.
      checkpointKeyPath: raw.GATEHOUSE_AUDIT_CHECKPOINT_KEY_PATH
        ? runtimePath(raw.GATEHOUSE_AUDIT_CHECKPOINT_KEY_PATH)
        : mode === "sandbox"
          ? runtimePath(raw.GATEHOUSE_DATA_DIR ?? ".data", "audit-checkpoint-key.pem")
          : null,
      checkpointPublicKeyPath: raw.GATEHOUSE_AUDIT_CHECKPOINT_PUBLIC_KEY_PATH ? runtimePath(raw.GATEHOUSE_AUDIT_CHECKPOINT_PUBLIC_KEY_PATH) : null,
      checkpointEveryEvents: raw.GATEHOUSE_AUDIT_CHECKPOINT_EVERY_EVENTS ?? 100,
      checkpointIntervalMs: (raw.GATEHOUSE_AUDIT_CHECKPOINT_INTERVAL_SECONDS ?? 300) * 1000,
      shipIntervalMs: (raw.GATEHOUSE_AUDIT_SHIP_INTERVAL_SECONDS ?? 30) * 1000,
    },
    sessions: {
      key: raw.GATEHOUSE_SESSION_KEY ? Buffer.from(raw.GATEHOUSE_SESSION_KEY, "base64") : null,
      // Like the audit checkpoint key: generated beside the sandbox's data on first use, never in the database.
      keyPath: raw.GATEHOUSE_SESSION_KEY || mode !== "sandbox" ? null : runtimePath(raw.GATEHOUSE_DATA_DIR ?? ".data", "session-key"),
      idleMs: sessionIdleMinutes * 60_000,
      absoluteMs: sessionAbsoluteHours * 3_600_000,
    },
    limits: {
      trustedProxyHops: raw.GATEHOUSE_TRUSTED_PROXY_HOPS ?? 0,
      perMinute: {
        // Per client address: MSAL renews the token a few times an hour per tab; this leaves room for many tabs and
        // people behind one NAT while stopping token-guessing floods.
        signIn: raw.GATEHOUSE_RATE_LIMIT_SIGN_IN_PER_MINUTE ?? 30,
        // Per client address, calls that end refused for want of a session (and CSP reports).
        anonymous: raw.GATEHOUSE_RATE_LIMIT_ANONYMOUS_PER_MINUTE ?? 60,
        // Per person, every server action.
        actions: raw.GATEHOUSE_RATE_LIMIT_ACTIONS_PER_MINUTE ?? 120,
        // Per person: audit verify, credential refresh, exports, mapping import (each walks or writes a lot).
        expensive: raw.GATEHOUSE_RATE_LIMIT_EXPENSIVE_PER_MINUTE ?? 6,
      },
    },
  };
}

/**
 * The cloud: AZURE_CLOUD, else the cloud of AZURE_AUTHORITY_HOST, else the public cloud. A known authority host of
 * another cloud is refused (its tokens would be for the wrong resource ids), and so is an unknown one without
 * AZURE_CLOUD: which exchange audience and limits apply cannot be guessed.
 * @param {Partial<z.infer<typeof RawEnv>>} raw
 * @param {"sandbox" | "azure"} mode
 * @param {Set<string>} invalid
 * @param {string[]} problems
 * @returns {import("./clouds.mjs").AzureCloudName}
 */
function resolveCloud(raw, mode, invalid, problems) {
  const named = raw.AZURE_CLOUD;
  const host = mode === "azure" ? raw.AZURE_AUTHORITY_HOST : undefined;
  const hostCloud = host ? cloudOfAuthorityHost(host) : undefined;
  if (named) {
    if (hostCloud && hostCloud !== named) {
      problems.push(
        `AZURE_AUTHORITY_HOST: ${host} belongs to ${AZURE_CLOUDS[hostCloud].displayName} (AZURE_CLOUD=${hostCloud}), not AZURE_CLOUD=${named}. Remove one of them, or make them agree (${SETUP_DOC})`,
      );
    }
    return named;
  }
  if (invalid.has("AZURE_CLOUD")) return "public";
  return hostCloud ?? "public";
}

/**
 * The named chat channels: GATEHOUSE_NOTIFICATION_CHANNELS, a JSON object `{ "<name>": { "kind": "teams" | "slack",
 * "url": "https://…" } }`, and GATEHOUSE_NOTIFICATION_WEBHOOK_URL as the channel `default`. Every URL https and its
 * host allow-listed: a webhook URL is a capability someone could swap, and posting only to known chat services keeps
 * the console from being pointed at internal addresses (the post itself never follows redirects). Problems name the
 * channel and host, never the URL: its path or query is the webhook's signature.
 * @param {Partial<z.infer<typeof RawEnv>>} raw
 * @param {Set<string>} invalid
 * @param {readonly string[]} hosts
 * @param {string[]} problems
 * @returns {Record<string, NotificationChannel>}
 */
function notificationChannels(raw, invalid, hosts, problems) {
  /** @type {Record<string, NotificationChannel>} */
  const channels = {};
  const checkHosts = !invalid.has("GATEHOUSE_NOTIFICATION_WEBHOOK_HOSTS");
  /** @param {string} setting @param {string} what @param {string} url @returns {string | null} the host, or null when refused */
  const checkUrl = (setting, what, url) => {
    let parsed;
    try {
      parsed = new URL(url);
    } catch {
      problems.push(`${setting}: ${what}: the url must be an absolute https:// URL.`);
      return null;
    }
    if (parsed.protocol !== "https:") {
      problems.push(`${setting}: ${what}: the url must use https:// (host ${parsed.hostname}).`);
      return null;
    }
    if (checkHosts && !webhookHostAllowed(parsed.hostname, hosts)) {
      problems.push(
        `${setting}: ${what}: the host ${parsed.hostname} is not among the allowed webhook hosts (${hosts.join(", ")}). ` +
          "Use a Teams Workflows, Power Automate or Slack webhook URL, or list the host in GATEHOUSE_NOTIFICATION_WEBHOOK_HOSTS.",
      );
      return null;
    }
    return parsed.hostname.toLowerCase();
  };

  const text = raw.GATEHOUSE_NOTIFICATION_CHANNELS;
  if (text !== undefined) {
    const example = '{"approvals": {"kind": "teams", "url": "https://…"}}';
    /** @type {unknown} */
    let json;
    try {
      json = JSON.parse(text);
    } catch {
      // (The parser's own message quotes the text, and with it a URL's signature.)
      json = undefined;
    }
    if (typeof json !== "object" || json === null || Array.isArray(json)) {
      invalid.add("GATEHOUSE_NOTIFICATION_CHANNELS");
      problems.push(`GATEHOUSE_NOTIFICATION_CHANNELS: must be a JSON object of named channels, such as ${example} (${SETUP_DOC})`);
    } else {
      const entries = Object.entries(json);
      if (entries.length > MAX_CHANNELS) problems.push(`GATEHOUSE_NOTIFICATION_CHANNELS: at most ${MAX_CHANNELS} channels.`);
      for (const [name, value] of entries.slice(0, MAX_CHANNELS)) {
        if (!CHANNEL_NAME.test(name)) {
          problems.push(
            `GATEHOUSE_NOTIFICATION_CHANNELS: ${JSON.stringify(name.slice(0, 64))} is not a channel name (lower-case letters, digits and dashes, at most 63).`,
          );
          continue;
        }
        const what = `channel ${name}`;
        const entry = /** @type {Record<string, unknown>} */ (typeof value === "object" && value !== null && !Array.isArray(value) ? value : {});
        const extra = Object.keys(entry).filter((key) => key !== "kind" && key !== "url");
        if (typeof entry.url !== "string" || !CHANNEL_KINDS.includes(/** @type {never} */ (entry.kind)) || extra.length > 0) {
          problems.push(`GATEHOUSE_NOTIFICATION_CHANNELS: ${what}: must be {"kind": "teams" or "slack", "url": "https://…"} and nothing else.`);
          continue;
        }
        const host = checkUrl("GATEHOUSE_NOTIFICATION_CHANNELS", what, entry.url);
        if (host) channels[name] = { kind: /** @type {"teams" | "slack"} */ (entry.kind), url: entry.url, host };
      }
    }
  }

  const legacy = raw.GATEHOUSE_NOTIFICATION_WEBHOOK_URL;
  if (legacy) {
    if (text !== undefined && hasTopLevelKey(text, DEFAULT_CHANNEL)) {
      problems.push(
        `GATEHOUSE_NOTIFICATION_WEBHOOK_URL: it is the channel named ${DEFAULT_CHANNEL}, which GATEHOUSE_NOTIFICATION_CHANNELS also names. Keep one of them.`,
      );
    } else {
      const host = checkUrl("GATEHOUSE_NOTIFICATION_WEBHOOK_URL", `channel ${DEFAULT_CHANNEL}`, legacy);
      // Slack's incoming webhooks all live on hooks.slack.com; anything else is taken to be a Teams Workflows webhook.
      const kind = raw.GATEHOUSE_NOTIFICATION_WEBHOOK_KIND ?? (host === "hooks.slack.com" ? "slack" : "teams");
      if (host) channels[DEFAULT_CHANNEL] = { kind, url: legacy, host };
    }
  } else if (raw.GATEHOUSE_NOTIFICATION_WEBHOOK_KIND) {
    problems.push("GATEHOUSE_NOTIFICATION_WEBHOOK_KIND: only used with GATEHOUSE_NOTIFICATION_WEBHOOK_URL.");
  }
  return channels;
}

/**
 * Whether a JSON object text has `key` at its top level (false when it is not an object).
 * @param {string} text @param {string} key
 */
function hasTopLevelKey(text, key) {
  try {
    const json = JSON.parse(text);
    return typeof json === "object" && json !== null && !Array.isArray(json) && Object.hasOwn(json, key);
  } catch {
    return false;
  }
}

/** @param {string[]} values */
function unique(values) {
  return [...new Set(values)];
}

/**
 * @param {{ tenantId: string, authorityHost: string, issuerHosts: string[], allowedTenantIds: string[], spaClientId: string,
 *   apiClientId: string, apiIdentifierUri: string | undefined,
 *   credential: GatehouseConfig["identity"]["credential"], tokenExchangeAudience: string }} input
 * @returns {GatehouseConfig["identity"]}
 */
function buildIdentity(input) {
  const apiIdentifierUri = input.apiIdentifierUri ?? `api://${input.apiClientId}`;
  return {
    tenantId: input.tenantId.toLowerCase(),
    authorityHost: input.authorityHost,
    issuerHosts: input.issuerHosts,
    authority: `${input.authorityHost}/${input.tenantId.toLowerCase()}`,
    allowedTenantIds: input.allowedTenantIds.map((id) => id.toLowerCase()),
    spaClientId: input.spaClientId,
    apiClientId: input.apiClientId,
    apiIdentifierUri,
    apiScope: `${apiIdentifierUri}/access_as_user`,
    credential: input.credential,
    tokenExchangeScope: defaultScopeOf(input.tokenExchangeAudience),
  };
}

/**
 * The API app's credential in sandbox mode: the sandbox's own secret unless GATEHOUSE_CREDENTIAL says otherwise.
 * `managed-identity` needs the sandbox's managed-identity endpoint (IDENTITY_ENDPOINT + IDENTITY_HEADER, or
 * AZURE_POD_IDENTITY_AUTHORITY_HOST), which `npm run sandbox -- --credential managed-identity` sets.
 * @param {Partial<z.infer<typeof RawEnv>>} raw
 * @param {string[]} problems
 * @returns {GatehouseConfig["identity"]["credential"]}
 */
function sandboxCredential(raw, problems) {
  if (raw.GATEHOUSE_CREDENTIAL === "managed-identity") {
    const endpoints = [raw.IDENTITY_ENDPOINT, raw.AZURE_POD_IDENTITY_AUTHORITY_HOST].filter((value) => value !== undefined);
    if (endpoints.length === 0) {
      problems.push(
        "GATEHOUSE_CREDENTIAL: managed-identity in sandbox mode needs the sandbox's identity endpoint (IDENTITY_ENDPOINT and IDENTITY_HEADER, or AZURE_POD_IDENTITY_AUTHORITY_HOST, from its tenant.json). npm run sandbox -- --credential managed-identity sets them.",
      );
    }
    for (const endpoint of endpoints) {
      if (!isLoopbackUrl(endpoint)) {
        problems.push(`IDENTITY_ENDPOINT: ${endpoint} is not a loopback address; the sandbox's identity endpoint only runs locally.`);
      }
    }
    return { kind: "managed-identity", clientId: raw.AZURE_MANAGED_IDENTITY_CLIENT_ID ?? SANDBOX_DEFAULTS.managedIdentityClientId };
  }
  if (raw.GATEHOUSE_CREDENTIAL === "certificate") {
    if (!raw.AZURE_CLIENT_CERTIFICATE_PATH) problems.push("AZURE_CLIENT_CERTIFICATE_PATH: required with GATEHOUSE_CREDENTIAL=certificate.");
    return { kind: "certificate", path: raw.AZURE_CLIENT_CERTIFICATE_PATH ?? "" };
  }
  return { kind: "secret", secret: raw.AZURE_CLIENT_SECRET ?? SANDBOX_DEFAULTS.clientSecret };
}

/**
 * An absolute path that only exists where the server runs (a data directory, a file the operator names). The ignore
 * comment keeps the build's file tracing away from it: a path computed from settings could name any file, so the
 * bundler would otherwise copy the whole project (tests, sandbox keys) into the server output.
 * @param {string[]} segments
 */
function runtimePath(...segments) {
  return path.resolve(/*turbopackIgnore: true*/ ...segments);
}

/** @param {string} value */
function splitList(value) {
  return value
    .split(",")
    .map((item) => item.trim().toLowerCase())
    .filter((item) => item.length > 0);
}

/**
 * Parses the process environment (the one place that reads it).
 * @param {{ phase?: "build" | "runtime" }} [options]
 */
export function loadConfig(options) {
  return parseConfig(process.env, options);
}

/**
 * The environment for a child process started by a script (launcher, tests): this process's own plus overrides.
 * @param {Record<string, string | undefined>} overrides
 * @returns {NodeJS.ProcessEnv}
 */
export function childProcessEnv(overrides) {
  return { ...process.env, ...overrides };
}

/**
 * NODE_OPTIONS for a server started as a child: `defaults` first, then the NODE_OPTIONS this process was given, so an
 * operator's own value of an option (a larger heap, say) wins over the default.
 * @param {readonly string[]} defaults
 * @returns {string}
 */
export function serverNodeOptions(defaults) {
  return [...defaults, process.env.NODE_OPTIONS ?? ""].join(" ").trim();
}

/**
 * GATEHOUSE_GRANTABLE_PRIVILEGED_ROLES as lower-case GUIDs: "none" (or nothing) is an empty list; each entry is a GUID
 * or the name of a privileged built-in role. Custom roles are named by GUID only: their names can change. Null when an
 * entry is neither.
 * @param {string} value
 * @returns {string[] | null}
 */
function grantableRoleIds(value) {
  const entries = splitList(value);
  if (entries.length === 1 && entries[0]?.toLowerCase() === "none") return [];
  /** @type {string[]} */
  const ids = [];
  for (const entry of entries) {
    const named = /** @type {Record<string, string>} */ (PRIVILEGED_BUILT_IN_ROLES)[entry.toLowerCase().replace(/\s+/g, " ")];
    if (named) ids.push(named);
    else if (GUID.test(entry)) ids.push(entry.toLowerCase());
    else return null;
  }
  return [...new Set(ids)];
}
