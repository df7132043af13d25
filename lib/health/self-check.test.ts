/**
 * The setup self-check against a sandbox tenant of this file's own (the cases take consents and roles away): the
 * seeded console apps are set up as docs/azure-setup.md asks, so nothing is missing; each thing taken away through
 * the tenant or the control API gives its own line, and putting it back clears it.
 */
import { afterAll, describe, expect, it } from "vitest";

import { CONSOLE_SPA_CLIENT_ID } from "@/sandbox/contract";
import { CONSOLE_API_OBJECT_ID, CONSOLE_API_SERVICE_PRINCIPAL_ID, CONSOLE_SPA_SERVICE_PRINCIPAL_ID } from "@/sandbox/tenant/console-apps";
import { GRAPH_APP_ROLE_IDS, GRAPH_SERVICE_PRINCIPAL_ID } from "@/sandbox/tenant/first-party";
import { ROLE_IDS } from "@/sandbox/tenant/seed";
import { startPrivateSandbox } from "@/test/support/private-sandbox";

const tenant = await startPrivateSandbox();
const { consoleSelfCheckClients } = await import("./run-self-check");
const { runSelfCheck, formatSelfCheck } = await import("./self-check");
const { getConfig } = await import("@/lib/config");

afterAll(() => tenant.close());

const directory = () => tenant.sandbox.tenant;

/** A workspace where the console holds Reader (from its subscription) and RBAC Administrator, as seeded. */
function managedWorkspace(): string {
  const assignment = directory()
    .roleAssignmentsOfPrincipal(CONSOLE_API_SERVICE_PRINCIPAL_ID)
    .find((candidate) => candidate.roleDefinitionName === ROLE_IDS.rbacAdministrator && /\/workspaces\//i.test(candidate.scope));
  if (!assignment) throw new Error("the seed gives the console RBAC Administrator on no workspace");
  return assignment.scope;
}

async function check(overrides: { mailSender?: string | null; managedScopes?: string[]; expiryScopes?: string[]; stepUpAuthContext?: string | null } = {}) {
  const { identity, notifications, stepUp } = getConfig();
  const workspace = managedWorkspace();
  const report = await runSelfCheck(consoleSelfCheckClients(), {
    apiClientId: identity.apiClientId,
    spaClientId: identity.spaClientId,
    apiIdentifierUri: identity.apiIdentifierUri,
    mailSender: overrides.mailSender === undefined ? notifications.sender : overrides.mailSender,
    managedScopes: overrides.managedScopes ?? [workspace],
    expiryScopes: overrides.expiryScopes ?? [workspace],
    stepUpAuthContext: overrides.stepUpAuthContext === undefined ? stepUp.authContext : overrides.stepUpAuthContext,
  });
  return { report, missing: report.findings.filter((finding) => finding.kind === "missing").map((finding) => finding.line) };
}

/** Takes something away for the duration of `run`, then puts it back. */
async function without<T>(take: () => () => void, run: () => Promise<T>): Promise<T> {
  const restore = take();
  try {
    return await run();
  } finally {
    restore();
  }
}

function removeGraphAppPermission(value: string): () => () => void {
  return () => {
    const appRoleId = GRAPH_APP_ROLE_IDS[value];
    const entry = [...directory().appRoleAssignments.entries()].find(
      ([, assignment]) =>
        assignment.principalId === CONSOLE_API_SERVICE_PRINCIPAL_ID &&
        assignment.resourceId === GRAPH_SERVICE_PRINCIPAL_ID &&
        assignment.appRoleId === appRoleId,
    );
    if (!entry) throw new Error(`the seed grants no ${value}`);
    directory().appRoleAssignments.delete(entry[0]);
    return () => directory().appRoleAssignments.set(entry[0], entry[1]);
  };
}

describe("the setup self-check", () => {
  it("finds nothing missing in the seeded, correct setup", async () => {
    const { report, missing } = await check();
    expect(missing).toEqual([]);
    expect(report.findings.filter((finding) => finding.kind === "unverified")).toEqual([]);
    expect(report.checks).toBeGreaterThanOrEqual(8);
    expect(formatSelfCheck(report)[0]).toMatch(/nothing missing/);
  });

  it("warns, without calling it missing, when step-up is off", async () => {
    const warnings = (report: Awaited<ReturnType<typeof check>>["report"]) =>
      report.findings.filter((finding) => finding.kind === "warning").map((finding) => finding.line);
    const off = await check({ stepUpAuthContext: null });
    expect(warnings(off.report)).toEqual([expect.stringMatching(/Step-up is off.*GATEHOUSE_STEP_UP_AUTH_CONTEXT/)]);
    expect(off.missing).toEqual([]);
    expect(warnings((await check({ stepUpAuthContext: "c3" })).report)).toEqual([]);
  });

  it("names a Graph application permission that is not granted, by its value", async () => {
    const { missing } = await without(removeGraphAppPermission("User.Read.All"), () => check());
    expect(missing).toEqual([expect.stringMatching(/application permission User\.Read\.All is not granted.*grant admin consent/)]);
  });

  it("notes how Mail.Send is granted when mail is on: unscoped in Entra ID, or (invisible to it) through Exchange", async () => {
    const notes = (report: Awaited<ReturnType<typeof check>>["report"]) =>
      report.findings.filter((finding) => finding.kind === "note").map((finding) => finding.line);
    const sender = "admin@contosoml.onmicrosoft.com";
    expect(notes((await check({ mailSender: sender })).report)).toEqual([
      expect.stringMatching(/granted to the API app in Entra ID.*any mailbox.*RBAC for Applications/),
    ]);
    await without(removeGraphAppPermission("Mail.Send"), async () => {
      const result = await check({ mailSender: sender });
      expect(result.missing).toEqual([]);
      expect(notes(result.report)).toEqual([expect.stringMatching(/not granted in Entra ID.*"Application Mail\.Send" on admin@contosoml/)]);
    });
    expect(notes((await check({ mailSender: null })).report)).toEqual([]);
  });

  it("says when the sender mailbox does not exist", async () => {
    const { missing } = await check({ mailSender: "nobody-here@contosoml.onmicrosoft.com" });
    expect(missing).toEqual([expect.stringMatching(/GATEHOUSE_NOTIFICATION_SENDER=nobody-here@.* names no user/)]);
  });

  it("names the delegated consent that is missing", async () => {
    const take = () => {
      const entry = [...directory().oauth2PermissionGrants.entries()].find(
        ([, grant]) => grant.clientId === CONSOLE_API_SERVICE_PRINCIPAL_ID && grant.resourceId !== GRAPH_SERVICE_PRINCIPAL_ID,
      );
      if (!entry) throw new Error("the seed has no ARM consent");
      directory().oauth2PermissionGrants.delete(entry[0]);
      return () => directory().oauth2PermissionGrants.set(entry[0], entry[1]);
    };
    const { missing } = await without(take, () => check());
    expect(missing).toEqual([expect.stringMatching(/Azure Service Management user_impersonation/)]);
  });

  it("accepts the browser client pre-authorized or admin-consented, and names it when it is neither", async () => {
    const take = () => {
      const entry = [...directory().oauth2PermissionGrants.entries()].find(([, grant]) => grant.clientId === CONSOLE_SPA_SERVICE_PRINCIPAL_ID);
      if (!entry) throw new Error("the seed has no consent for the browser client");
      directory().oauth2PermissionGrants.delete(entry[0]);
      return () => directory().oauth2PermissionGrants.set(entry[0], entry[1]);
    };
    await without(take, async () => {
      expect((await check()).missing).toEqual([
        expect.stringMatching(/browser client \(GATEHOUSE_SPA_CLIENT_ID=.*\) is neither pre-authorized nor admin-consented/),
      ]);
      const api = directory().applications.get(CONSOLE_API_OBJECT_ID);
      if (!api) throw new Error("no console API application");
      const scopeId = api.oauth2PermissionScopes.find((scope) => scope.value === "access_as_user")?.id ?? "";
      api.preAuthorizedApplications = [{ appId: CONSOLE_SPA_CLIENT_ID, delegatedPermissionIds: [scopeId] }];
      try {
        expect((await check()).missing).toEqual([]);
      } finally {
        delete api.preAuthorizedApplications;
      }
    });
  });

  it("names v1 tokens and a missing console app role on the API registration", async () => {
    const api = directory().applications.get(CONSOLE_API_OBJECT_ID);
    if (!api) throw new Error("no console API application");
    const roles = api.appRoles;
    api.requestedAccessTokenVersion = 1;
    api.appRoles = roles.map((role) => (role.value === "Console.SecurityReader" ? { ...role, isEnabled: false } : role));
    try {
      const { missing } = await check();
      expect(missing).toEqual([
        expect.stringMatching(/v1 access tokens.*"requestedAccessTokenVersion": 2 under "api"/),
        expect.stringMatching(/no enabled app role Console\.SecurityReader/),
      ]);
    } finally {
      delete api.requestedAccessTokenVersion;
      api.appRoles = roles;
    }
  });

  it("names a managed workspace where the console's identity lost RBAC Administrator, and one it cannot read", async () => {
    const workspace = managedWorkspace();
    const assignment = directory()
      .roleAssignmentsOfPrincipal(CONSOLE_API_SERVICE_PRINCIPAL_ID)
      .find((candidate) => candidate.scope === workspace && candidate.roleDefinitionName === ROLE_IDS.rbacAdministrator)!;
    await tenant.control.roleAssignments.remove(assignment.name);
    try {
      const { missing } = await check({ managedScopes: [workspace], expiryScopes: [workspace] });
      expect(missing).toEqual([expect.stringMatching(new RegExp(`cannot remove role assignments on ${workspace.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`))]);
    } finally {
      directory().putRoleAssignment(assignment);
    }

    const subscription = workspace.split("/").slice(0, 3).join("/");
    const resourceGroup = workspace.split("/").slice(0, 5).join("/");
    const reader = directory()
      .roleAssignmentsOfPrincipal(CONSOLE_API_SERVICE_PRINCIPAL_ID)
      .find((candidate) => candidate.scope.toLowerCase() === subscription.toLowerCase() && candidate.roleDefinitionName === ROLE_IDS.reader)!;
    await tenant.control.roleAssignments.remove(reader.name);
    try {
      // The workspace itself is still readable (RBAC Administrator includes */read); its resource group is not.
      const { missing } = await check({ managedScopes: [resourceGroup, workspace], expiryScopes: [] });
      expect(missing).toEqual([expect.stringMatching(/lacks Reader on \/subscriptions\/[^ ]*\/resourceGroups\/[^/ ]+:/)]);
    } finally {
      directory().putRoleAssignment(reader);
    }
  });

  it("names an app token it cannot get, and skips what needs it", async () => {
    const clients = consoleSelfCheckClients();
    const report = await runSelfCheck(
      {
        ...clients,
        appToken: async (resource) => {
          if (resource === "arm") throw new Error("token for Azure Resource Manager failed: invalid_client AADSTS7000215: Invalid client secret provided.");
          return clients.appToken(resource);
        },
      },
      {
        apiClientId: getConfig().identity.apiClientId,
        spaClientId: getConfig().identity.spaClientId,
        apiIdentifierUri: getConfig().identity.apiIdentifierUri,
        mailSender: null,
        managedScopes: [managedWorkspace()],
        expiryScopes: [],
        stepUpAuthContext: "c1",
      },
    );
    expect(report.findings.map((finding) => finding.kind)).toEqual(["missing"]);
    expect(report.findings[0]?.line).toMatch(/cannot get a token for Azure Resource Manager \(AADSTS7000215\)/);
  });
});
