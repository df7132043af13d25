import "server-only";

import type { Client } from "@microsoft/microsoft-graph-client";

import type { Resource } from "@/lib/azure/tokens";
import { AppError } from "@/lib/errors";
import { describeError } from "@/lib/log";
import {
  ACCESS_AS_USER_SCOPE,
  AZURE_RESOURCE_MANAGER_APP_ID,
  GRAPH_APPLICATION_BASE,
  GRAPH_DELEGATED,
  GRAPH_MAIL_SEND,
  MICROSOFT_GRAPH_APP_ID,
} from "@/lib/shared/console-api-permissions";
import { CONSOLE_ROLES } from "@/lib/shared/console-roles";
import { roleAllows } from "@/lib/shared/rbac-actions";

/**
 * The start-up self-check ("doctor"): with the console's own identity, reads what docs/azure-setup.md asks an
 * administrator to set up — app tokens, the API registration, its consents, its Azure roles — and says, one line each,
 * what is missing and how to fix it. It only reads. Its clients are parameters, so a test points them at the sandbox
 * tenant (azure mode refuses loopback endpoints).
 */

export interface SelfCheckClients {
  /** A token for Graph or ARM as the console's identity (client credentials). */
  /** Resolves when the console's own identity got a token for the resource (the token itself is not needed). */
  readonly appToken: (resource: Resource) => Promise<unknown>;
  /** Microsoft Graph as the console's identity. */
  readonly graph: Client;
  /** ARM GETs as the console's identity: one object, and every item of a list. */
  readonly arm: {
    get(path: string, apiVersion: string): Promise<unknown>;
    listAll(path: string, apiVersion: string): Promise<unknown[]>;
  };
}

export interface SelfCheckInput {
  readonly apiClientId: string;
  readonly spaClientId: string;
  /** The identifier URI the console validates tokens against (`api://<API client id>` by default). */
  readonly apiIdentifierUri: string;
  /** The notification sender mailbox; null when mail is off (then Mail.Send is not needed). */
  readonly mailSender: string | null;
  /** ARM scopes admins manage through Gatehouse (mapped workspaces, granted requests, changes in flight): Reader needed. */
  readonly managedScopes: readonly string[];
  /** Scopes where time-bound grants will be removed by the console itself: it needs to delete role assignments there. */
  readonly expiryScopes: readonly string[];
  /** The authentication context high-impact changes need (GATEHOUSE_STEP_UP_AUTH_CONTEXT); null = step-up off. */
  readonly stepUpAuthContext: string | null;
}

/**
 * `missing`: something the setup lacks, with the fix. `unverified`: the check itself could not run (a transient
 * failure, or a missing read permission already reported). `warning`: a protection that is off by configuration;
 * allowed, but weaker than recommended. `note`: a setting that is allowed but changes behaviour.
 */
export interface SelfCheckFinding {
  readonly kind: "missing" | "unverified" | "warning" | "note";
  readonly line: string;
}

export interface SelfCheckReport {
  readonly findings: readonly SelfCheckFinding[];
  /** How many checks ran (for "N checks, nothing missing"). */
  readonly checks: number;
}

/** ARM's effective-permissions API (Permissions - List For Resource / Resource Group). */
const PERMISSIONS_API_VERSION = "2022-04-01";
const SUBSCRIPTIONS_API_VERSION = "2022-12-01";
/** At most this many scopes are read at start-up; the rest are named as not checked. */
export const MAX_SCOPES_CHECKED = 50;

const ROLE_ASSIGNMENT_DELETE = "Microsoft.Authorization/roleAssignments/delete";
const READ_ACTIONS = ["Microsoft.Authorization/roleAssignments/read", "Microsoft.MachineLearningServices/workspaces/read"];

interface ServicePrincipal {
  id: string;
  appRoleAssignmentRequired?: boolean;
  appRoles?: { id: string; value: string | null; isEnabled?: boolean }[];
}

interface Application {
  identifierUris?: string[];
  appRoles?: { id: string; value: string | null; isEnabled?: boolean; allowedMemberTypes?: string[] }[];
  api?: {
    requestedAccessTokenVersion?: number | null;
    oauth2PermissionScopes?: { id: string; value: string; isEnabled?: boolean }[];
    preAuthorizedApplications?: { appId: string; delegatedPermissionIds: string[] }[];
  };
}

function statusOf(error: unknown): number | undefined {
  if (error instanceof AppError) {
    const status = (error.cause as { statusCode?: unknown } | undefined)?.statusCode;
    if (typeof status === "number") return status;
  }
  if (typeof error === "object" && error !== null && "statusCode" in error && typeof error.statusCode === "number") return error.statusCode;
  return undefined;
}

function isForbidden(error: unknown): boolean {
  return statusOf(error) === 403 || (error instanceof AppError && error.code === "upstream_forbidden");
}

function isNotFound(error: unknown): boolean {
  return statusOf(error) === 404 || (error instanceof AppError && error.code === "not_found");
}

/** A failure's reason for the operator's log: the error code and status, never a token or a raw body. */
function reason(error: unknown): string {
  const status = statusOf(error);
  const code = error instanceof AppError ? error.code : typeof error === "object" && error !== null && "code" in error ? String(error.code) : undefined;
  return [code, status].filter((part) => part !== undefined).join(" ") || describeError(error).split("\n")[0] || "unknown error";
}

export async function runSelfCheck(clients: SelfCheckClients, input: SelfCheckInput): Promise<SelfCheckReport> {
  const findings: SelfCheckFinding[] = [];
  let checks = 0;
  const missing = (line: string) => findings.push({ kind: "missing", line });
  const unverified = (line: string) => findings.push({ kind: "unverified", line });
  const note = (line: string) => findings.push({ kind: "note", line });

  checks++;
  if (!input.stepUpAuthContext) {
    findings.push({
      kind: "warning",
      line: "Step-up is off: privileged grants, approvals of privileged requests and bulk removals do not ask for a stronger sign-in. Create a Conditional Access authentication context with a policy requiring MFA and set GATEHOUSE_STEP_UP_AUTH_CONTEXT to its id (docs/azure-setup.md, Step-up).",
    });
  }

  // 1. Tokens. Without one, nothing behind it can be read.
  const tokenOk: Record<"graph" | "arm", boolean> = { graph: false, arm: false };
  for (const [resource, name] of [
    ["graph", "Microsoft Graph"],
    ["arm", "Azure Resource Manager"],
  ] as const) {
    checks++;
    try {
      await clients.appToken(resource);
      tokenOk[resource] = true;
    } catch (error) {
      // Entra's answer names the problem (AADSTS…); no answer at all is a network failure the next start may not have.
      const text = describeError(error);
      const entraCode = (/AADSTS\d+/.exec(text) ?? /invalid_client|unauthorized_client/.exec(text))?.[0];
      if (entraCode) {
        missing(
          `The console's identity cannot get a token for ${name} (${entraCode}): check GATEHOUSE_CREDENTIAL and its credential (the managed identity's federated credential on the API app, the certificate or the secret).`,
        );
      } else {
        unverified(`Could not reach Entra for a token for ${name} (${reason(error)}); nothing that needs it was checked.`);
      }
    }
  }

  if (tokenOk.graph) await checkEntra(clients.graph, input, { missing, unverified, note, count: () => checks++ });
  if (tokenOk.arm) await checkArm(clients.arm, input, { missing, unverified, note, count: () => checks++ });
  return { findings, checks };
}

interface Sink {
  missing(line: string): void;
  unverified(line: string): void;
  note(line: string): void;
  count(): void;
}

async function servicePrincipalByAppId(graph: Client, appId: string, select: string[]): Promise<ServicePrincipal | undefined> {
  try {
    return (await graph.api(`/servicePrincipals(appId='${appId}')`).select(select).get()) as ServicePrincipal;
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

async function checkEntra(graph: Client, input: SelfCheckInput, sink: Sink): Promise<void> {
  const readFix = "grant the API app the Microsoft Graph application permission Application.Read.All (admin consent)";

  // The API registration itself.
  sink.count();
  let application: Application | undefined;
  try {
    application = (await graph.api(`/applications(appId='${input.apiClientId}')`).select(["identifierUris", "appRoles", "api"]).get()) as Application;
  } catch (error) {
    if (isForbidden(error)) {
      sink.missing(`The console's identity cannot read its own app registration: ${readFix}.`);
    } else if (isNotFound(error)) {
      sink.missing(`No app registration has the client id GATEHOUSE_API_CLIENT_ID=${input.apiClientId} in this tenant: check the setting.`);
    } else {
      sink.unverified(`Could not read the API app registration (${reason(error)}); the self-check will run again at the next start.`);
    }
  }
  if (application) checkApplication(application, input, sink);

  // Service principals: the API's own, and Graph's and ARM's (whose appRoles/scopes resolve permission values to ids).
  sink.count();
  let apiSp: ServicePrincipal | undefined;
  let graphSp: ServicePrincipal | undefined;
  let armSp: ServicePrincipal | undefined;
  try {
    [apiSp, graphSp, armSp] = await Promise.all([
      servicePrincipalByAppId(graph, input.apiClientId, ["id", "appRoleAssignmentRequired"]),
      servicePrincipalByAppId(graph, MICROSOFT_GRAPH_APP_ID, ["id", "appRoles"]),
      servicePrincipalByAppId(graph, AZURE_RESOURCE_MANAGER_APP_ID, ["id"]),
    ]);
  } catch (error) {
    if (isForbidden(error)) sink.missing(`The console's identity cannot read service principals: ${readFix}.`);
    else sink.unverified(`Could not read the service principals (${reason(error)}); consents were not checked.`);
    return;
  }
  if (!apiSp) {
    sink.missing(
      "The API app has no enterprise application (service principal) in this tenant: create it (npm run azure:register does) and grant admin consent.",
    );
    return;
  }
  if (!graphSp || !armSp) {
    sink.unverified("This tenant shows no service principal for Microsoft Graph or Azure Resource Manager; consents were not checked.");
    return;
  }
  if (apiSp.appRoleAssignmentRequired === false) {
    sink.note(
      'The API\'s enterprise application has "Assignment required?" off: people without a console role sign in and see Gatehouse\'s "no access" page (Entra ID P1/P2 is needed to assign groups either way).',
    );
  }

  // Application permissions: app role assignments on Graph's service principal, matched by the permission's value.
  sink.count();
  try {
    const assignments = (await graph.api(`/servicePrincipals/${apiSp.id}/appRoleAssignments`).get()) as {
      value: { resourceId: string; appRoleId: string }[];
    };
    const granted = new Set(
      assignments.value.filter((assignment) => assignment.resourceId === graphSp.id).map((assignment) => assignment.appRoleId.toLowerCase()),
    );
    const isGranted = (value: string) => {
      const role = graphSp.appRoles?.find((candidate) => candidate.value === value);
      return role !== undefined && granted.has(role.id.toLowerCase());
    };
    for (const value of GRAPH_APPLICATION_BASE.filter((candidate) => !isGranted(candidate))) {
      sink.missing(
        `Microsoft Graph application permission ${value} is not granted to the API app: add it (API permissions → Application) and grant admin consent.`,
      );
    }
    // Mail.Send may come from Exchange Online instead (RBAC for Applications, scoped to the sender mailbox), which Graph
    // does not show; granted in Entra ID it is unscoped (learn.microsoft.com/exchange/permissions-exo/application-rbac).
    if (input.mailSender && isGranted(GRAPH_MAIL_SEND)) {
      sink.note(
        "Mail.Send is granted to the API app in Entra ID, which lets it send as any mailbox: grant it through Exchange Online RBAC for Applications scoped to the sender mailbox instead and remove the Entra ID grant (or, legacy, restrict it with an application access policy).",
      );
    } else if (input.mailSender) {
      sink.note(
        `Mail.Send is not granted in Entra ID: notification mail works only if Exchange Online RBAC for Applications gives the API app "Application Mail.Send" on ${input.mailSender} (not visible to this check).`,
      );
    }
  } catch (error) {
    if (isForbidden(error)) sink.missing(`The console's identity cannot read its granted application permissions: ${readFix}.`);
    else sink.unverified(`Could not read the API app's application permissions (${reason(error)}).`);
  }

  // Delegated consent: tenant-wide grants (consentType AllPrincipals) from the API to Graph and ARM.
  sink.count();
  try {
    const [toGraph, toArm] = await Promise.all([consentedScopes(graph, apiSp.id, graphSp.id), consentedScopes(graph, apiSp.id, armSp.id)]);
    const graphMissing = GRAPH_DELEGATED.filter((value) => !toGraph.has(value));
    if (graphMissing.length > 0) {
      sink.missing(
        `Admin consent is missing for the delegated Microsoft Graph permission${graphMissing.length === 1 ? "" : "s"} ${graphMissing.join(", ")}: grant admin consent on the API app (API permissions → Grant admin consent).`,
      );
    }
    if (!toArm.has("user_impersonation")) {
      sink.missing(
        "Admin consent is missing for Azure Service Management user_impersonation (delegated): without it no admin can act in Azure through Gatehouse. Grant admin consent on the API app.",
      );
    }
  } catch (error) {
    if (isForbidden(error)) {
      sink.missing(
        "The console's identity cannot read consent grants: grant the API app the Microsoft Graph application permission Directory.Read.All (admin consent).",
      );
    } else {
      sink.unverified(`Could not read the API app's delegated consents (${reason(error)}).`);
    }
  }

  // The browser client may call the API without asking anyone: pre-authorized, or admin-consented.
  if (application && !spaPreAuthorized(application, input.spaClientId)) {
    sink.count();
    try {
      const spaSp = await servicePrincipalByAppId(graph, input.spaClientId, ["id"]);
      const consented = spaSp ? await consentedScopes(graph, spaSp.id, apiSp.id) : new Set<string>();
      if (!consented.has(ACCESS_AS_USER_SCOPE)) {
        sink.missing(
          `The browser client (GATEHOUSE_SPA_CLIENT_ID=${input.spaClientId}) is neither pre-authorized nor admin-consented for ${ACCESS_AS_USER_SCOPE}: add it under the API's Expose an API → Authorized client applications, or people are asked to consent (or refused where user consent is off).`,
        );
      }
    } catch (error) {
      sink.unverified(`Could not read the browser client's consent (${reason(error)}).`);
    }
  }

  // The mail sender exists as a mailbox owner in this tenant (a user object: shared mailboxes have one too).
  if (input.mailSender) {
    sink.count();
    try {
      await graph
        .api(`/users/${encodeURIComponent(input.mailSender)}`)
        .select(["id"])
        .get();
    } catch (error) {
      if (isNotFound(error)) {
        sink.missing(`GATEHOUSE_NOTIFICATION_SENDER=${input.mailSender} names no user in this tenant: name the (shared) mailbox Gatehouse sends from.`);
      } else if (!isForbidden(error)) {
        sink.unverified(`Could not look up the notification sender (${reason(error)}).`);
      }
      // 403: User.Read.All is missing, reported above.
    }
  }
}

function checkApplication(application: Application, input: SelfCheckInput, sink: Sink): void {
  sink.count();
  if (application.api?.requestedAccessTokenVersion !== 2) {
    sink.missing(
      'The API app issues v1 access tokens, which Gatehouse refuses: set "requestedAccessTokenVersion": 2 under "api" in its manifest (older manifests: "accessTokenAcceptedVersion": 2).',
    );
  }
  if (!(application.identifierUris ?? []).includes(input.apiIdentifierUri)) {
    sink.missing(
      `The API app's Application ID URI is not ${input.apiIdentifierUri}: set it under Expose an API (or set GATEHOUSE_API_IDENTIFIER_URI to the one it has).`,
    );
  }
  const scope = application.api?.oauth2PermissionScopes?.find((candidate) => candidate.value === ACCESS_AS_USER_SCOPE && candidate.isEnabled !== false);
  if (!scope) {
    sink.missing(`The API app exposes no enabled ${ACCESS_AS_USER_SCOPE} scope: add it under Expose an API.`);
  }
  for (const value of CONSOLE_ROLES) {
    const role = application.appRoles?.find((candidate) => candidate.value === value);
    if (!role || role.isEnabled === false || !(role.allowedMemberTypes ?? ["User"]).includes("User")) {
      sink.missing(`The API app has no enabled app role ${value} for users and groups: add it under App roles.`);
    }
  }
}

/** Whether the browser client is pre-authorized for `access_as_user` on the API registration. */
function spaPreAuthorized(application: Application | undefined, spaClientId: string): boolean {
  const scope = application?.api?.oauth2PermissionScopes?.find((candidate) => candidate.value === ACCESS_AS_USER_SCOPE);
  const entry = application?.api?.preAuthorizedApplications?.find((candidate) => candidate.appId.toLowerCase() === spaClientId.toLowerCase());
  return scope !== undefined && (entry?.delegatedPermissionIds.some((id) => id.toLowerCase() === scope.id.toLowerCase()) ?? false);
}

/** Scope values of the tenant-wide (AllPrincipals) delegated grants from one client to one resource. */
async function consentedScopes(graph: Client, clientId: string, resourceId: string): Promise<Set<string>> {
  const grants = (await graph.api("/oauth2PermissionGrants").filter(`clientId eq '${clientId}'`).get()) as {
    value: { resourceId: string; scope: string | null; consentType?: string }[];
  };
  return new Set(
    grants.value
      .filter((grant) => grant.resourceId === resourceId && (grant.consentType ?? "AllPrincipals") === "AllPrincipals")
      .flatMap((grant) => (grant.scope ?? "").split(" ").filter(Boolean)),
  );
}

async function checkArm(arm: SelfCheckClients["arm"], input: SelfCheckInput, sink: Sink): Promise<void> {
  sink.count();
  try {
    const subscriptions = await arm.listAll("/subscriptions", SUBSCRIPTIONS_API_VERSION);
    if (subscriptions.length === 0) {
      sink.missing(
        "The console's identity can read no subscription: assign it Reader on the subscriptions (or management group) holding the workspaces admins manage through Gatehouse.",
      );
    }
  } catch (error) {
    sink.unverified(`Could not list subscriptions as the console's identity (${reason(error)}).`);
  }

  const expiry = new Set(input.expiryScopes.map((scope) => scope.toLowerCase()));
  const scopes = [...new Map([...input.managedScopes, ...input.expiryScopes].map((scope) => [scope.toLowerCase(), scope])).values()].sort();
  const checked = scopes.slice(0, MAX_SCOPES_CHECKED);
  if (scopes.length > checked.length) sink.note(`Checked the console's Azure roles on ${checked.length} of ${scopes.length} managed scopes.`);
  for (const scope of checked) {
    sink.count();
    let blocks: { actions: string[]; notActions: string[] }[];
    try {
      const body = (await arm.get(`${scope}/providers/Microsoft.Authorization/permissions`, PERMISSIONS_API_VERSION)) as {
        value?: { actions?: string[]; notActions?: string[] }[];
      };
      blocks = (body.value ?? []).map((block) => ({ actions: block.actions ?? [], notActions: block.notActions ?? [] }));
    } catch (error) {
      if (isForbidden(error) || isNotFound(error)) {
        // ARM answers 403 (no read) or 404 (the scope is gone, or hidden) alike for a caller who cannot see it.
        sink.missing(`The console's identity cannot read ${scope}: assign it Reader there (or above), or unmanaged changes there stay pending.`);
      } else {
        sink.unverified(`Could not read the console's permissions on ${scope} (${reason(error)}).`);
      }
      continue;
    }
    const allows = (action: string) => blocks.some((block) => roleAllows(block, action));
    if (!READ_ACTIONS.every(allows)) {
      sink.missing(`The console's identity lacks Reader on ${scope}: assign Reader there (or on its subscription) so the jobs can read its role assignments.`);
    }
    if (expiry.has(scope.toLowerCase()) && !allows(ROLE_ASSIGNMENT_DELETE)) {
      sink.missing(
        `The console's identity cannot remove role assignments on ${scope}, where time-bound grants will expire: assign it Role Based Access Control Administrator there, with the condition in docs/access-requests.md.`,
      );
    }
  }
}

/** The report as log/console lines: one per finding, or one saying all is well. */
export function formatSelfCheck(report: SelfCheckReport): string[] {
  const count = (kind: SelfCheckFinding["kind"]) => report.findings.filter((finding) => finding.kind === kind).length;
  const missing = count("missing");
  const unverified = count("unverified");
  const head =
    missing > 0
      ? `Gatehouse self-check: ${missing} thing${missing === 1 ? "" : "s"} missing (${report.checks} checks).`
      : unverified > 0
        ? `Gatehouse self-check: nothing missing found, but ${unverified} check${unverified === 1 ? "" : "s"} could not run (${report.checks} checks).`
        : `Gatehouse self-check: ${report.checks} checks, nothing missing.`;
  return [head, ...report.findings.map((finding) => `  [${finding.kind}] ${finding.line}`)];
}
