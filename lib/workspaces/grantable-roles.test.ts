/**
 * The grantable-role policy: which roles Gatehouse grants at all. The pure verdict over built-in and custom roles and
 * the setting that allows them; then, on a sandbox of its own with the default setting (none allowed), that a grant,
 * a mapping and a mapping import of a forbidden role are refused before any role-assignment call, and audited.
 */
import { afterAll, describe, expect, it } from "vitest";

import { ConfigError, parseConfig, PRIVILEGED_BUILT_IN_ROLES } from "@/lib/config/env.mjs";
import { PRIVILEGED_ROLE_IDS, ROLE_GUIDANCE } from "@/lib/shared/aml-roles";
import type { PermissionBlock } from "@/lib/shared/rbac-actions";
import { workspaceArmId } from "@/sandbox/tenant/arm-ids";
import { CUSTOM_ROLE_IDS, ROLE_IDS } from "@/sandbox/tenant/index";
import { watchOutgoingCalls } from "@/test/support/outgoing-calls";
import { startPrivateSandbox } from "@/test/support/private-sandbox";
import { refusalOf } from "@/test/support/refusal";

const tenant = await startPrivateSandbox();
const { roleGrantability, GRANTABLE_SETTING } = await import("./grantable-roles");
const { grantWorkspaceRoles } = await import("./grant-workspace-roles");
const { grantOnWorkspacePage } = await import("./grant-on-workspace-page");
const { getGrantOptions } = await import("./get-grant-options");
const { createMapping } = await import("@/lib/mappings/mappings");
const { importMappingsDocument } = await import("@/lib/mappings/mapping-document");
const { listMappings } = await import("@/lib/mappings/store");
const { groupMappings } = await import("@/lib/mappings/schema");
const { grantKey } = await import("@/lib/mappings/drift");
const { applyReconcile } = await import("@/lib/mappings/reconcile");
const { parseRequestPolicy, RequestPolicyError } = await import("@/lib/requests/policy");
const { searchAuditEvents } = await import("@/lib/audit");
const { getDatabase } = await import("@/lib/db");
const { personaContext } = await import("@/test/support/persona-token");
const { makeAccessRequest } = await import("@/test/support/builders/requests");
const { submitAccessRequest } = await import("@/lib/requests/submit-request");
const { approveAccessRequest } = await import("@/lib/requests/decide-request");
const { azureRequestDirectory } = await import("@/lib/requests/directory");

afterAll(async () => {
  await tenant.close();
});
// Signed in once: the tests below are about what the console refuses, not about signing in.
const adminContext = await personaContext("admin");
const leadContext = await personaContext("team-lead");

const block = (actions: string[], notActions: string[] = []): PermissionBlock[] => [{ actions, notActions, dataActions: [], notDataActions: [] }];
const OWNER = ROLE_IDS.owner;

describe("roleGrantability (nothing allowed)", () => {
  it("refuses the four privileged built-in roles and allows the Azure ML roles and Reader", () => {
    const refused = ROLE_GUIDANCE.filter((role) => !roleGrantability({ id: role.id, name: role.name }, []).grantable).map((role) => role.name);
    expect(refused.sort()).toEqual(["Contributor", "Owner", "Role Based Access Control Administrator", "User Access Administrator"]);
    for (const id of [ROLE_IDS.reader, ROLE_IDS.dataScientist, ROLE_IDS.computeOperator, ROLE_IDS.aiDeveloper, ROLE_IDS.connectionSecretsReader]) {
      expect(roleGrantability({ id, name: id }, []), id).toEqual({ grantable: true });
    }
  });

  it("judges a built-in role by its id, whatever the case or the permissions it is said to have", () => {
    expect(roleGrantability({ id: OWNER.toUpperCase(), name: "Owner", permissions: block(["Microsoft.MachineLearningServices/*/read"]) }, [])).toMatchObject({
      grantable: false,
      because: "privileged_built_in",
    });
  });

  it("refuses a custom role that can write or delete role assignments, or holds *", () => {
    const custom = "11111111-2222-4333-8444-555555555555";
    expect(roleGrantability({ id: custom, name: "Delegate", permissions: block(["Microsoft.Authorization/roleAssignments/write"]) }, [])).toMatchObject({
      grantable: false,
      because: "changes_role_assignments",
    });
    expect(roleGrantability({ id: custom, name: "Remover", permissions: block(["Microsoft.Authorization/roleAssignments/delete"]) }, [])).toMatchObject({
      grantable: false,
      because: "changes_role_assignments",
    });
    expect(roleGrantability({ id: custom, name: "Auth admin", permissions: block(["microsoft.authorization/*"]) }, [])).toMatchObject({ grantable: false });
    expect(roleGrantability({ id: custom, name: "Everything", permissions: block(["*"], ["Microsoft.Authorization/*"]) }, [])).toMatchObject({
      grantable: false,
      because: "all_actions",
    });
    // ARM said so, without the permissions at hand (a request for a role only known by id).
    expect(roleGrantability({ id: custom, name: "Delegate", changesAccess: true }, [])).toMatchObject({ grantable: false });
  });

  it("allows a harmless custom role", () => {
    const reviewer = block(["Microsoft.MachineLearningServices/workspaces/read", "Microsoft.Authorization/roleAssignments/read"]);
    expect(roleGrantability({ id: "11111111-2222-4333-8444-555555555555", name: "Reviewer", permissions: reviewer }, [])).toEqual({ grantable: true });
  });

  it("says in the refusal which role, why, and the setting (with the role's id) that allows it", () => {
    const verdict = roleGrantability({ id: OWNER, name: "Owner" }, []);
    expect(verdict.grantable).toBe(false);
    if (verdict.grantable) return;
    expect(verdict.message).toContain("Owner can't be granted through Gatehouse");
    expect(verdict.message).toContain(`${GRANTABLE_SETTING}`);
    expect(verdict.message).toContain(OWNER);
  });
});

describe("roleGrantability (allowed by the operator)", () => {
  it("allows exactly the privileged roles listed, built-in or custom", () => {
    const custom = "11111111-2222-4333-8444-555555555555";
    const allowed = [OWNER, custom];
    expect(roleGrantability({ id: OWNER, name: "Owner" }, allowed)).toEqual({ grantable: true });
    expect(roleGrantability({ id: custom, name: "Delegate", permissions: block(["*"]) }, allowed)).toEqual({ grantable: true });
    expect(roleGrantability({ id: ROLE_IDS.userAccessAdministrator, name: "User Access Administrator" }, allowed).grantable).toBe(false);
    expect(roleGrantability({ id: ROLE_IDS.contributor, name: "Contributor" }, allowed).grantable).toBe(false);
  });

  it("reads GATEHOUSE_GRANTABLE_PRIVILEGED_ROLES: none by default, built-in names or GUIDs, and refuses anything else", () => {
    expect(parseConfig({}).roles.grantablePrivileged).toEqual([]);
    expect(parseConfig({ GATEHOUSE_GRANTABLE_PRIVILEGED_ROLES: "none" }).roles.grantablePrivileged).toEqual([]);
    expect(
      parseConfig({ GATEHOUSE_GRANTABLE_PRIVILEGED_ROLES: "Owner, role based access control administrator, B7E4D2C9-1A3F-4E6B-8D5C-9F0A2E4C6B81" }).roles
        .grantablePrivileged,
    ).toEqual([OWNER, ROLE_IDS.rbacAdministrator, CUSTOM_ROLE_IDS.accessDelegate]);
    // A custom role's name is not accepted: names can change, and a new role could take an old one's name.
    expect(() => parseConfig({ GATEHOUSE_GRANTABLE_PRIVILEGED_ROLES: "Contoso ML Access Delegate" })).toThrow(ConfigError);
    expect(() => parseConfig({ GATEHOUSE_GRANTABLE_PRIVILEGED_ROLES: "Owner,all" })).toThrow(/GATEHOUSE_GRANTABLE_PRIVILEGED_ROLES/);
  });

  it("names the same built-in roles as the ones Gatehouse treats as privileged", () => {
    expect(new Set(Object.values(PRIVILEGED_BUILT_IN_ROLES))).toEqual(PRIVILEGED_ROLE_IDS);
    for (const role of ROLE_GUIDANCE.filter((candidate) => candidate.privileged)) {
      expect((PRIVILEGED_BUILT_IN_ROLES as Record<string, string>)[role.name.toLowerCase()]).toBe(role.id);
    }
  });
});

describe("the request policy against the grantable-role policy (start-up)", () => {
  const policyWith = (roleDefinitionId: string, name: string) => ({
    pendingLifetimeHours: 24,
    durations: ["8h"],
    roles: [{ roleDefinitionId, name, maxDuration: "8h", approvers: 2 }],
  });

  it("refuses a requestable role nobody may be granted, naming it and the setting", () => {
    expect(() => parseRequestPolicy(policyWith(OWNER, "Owner"), "policy.json", [])).toThrow(RequestPolicyError);
    expect(() => parseRequestPolicy(policyWith(ROLE_IDS.contributor, "Contributor"), "policy.json", [OWNER])).toThrow(
      /roles\.0\.roleDefinitionId: Contributor is privileged and not grantable; allow it in GATEHOUSE_GRANTABLE_PRIVILEGED_ROLES/,
    );
  });

  it("accepts it once the operator allows it", () => {
    expect(parseRequestPolicy(policyWith(OWNER, "Owner"), "policy.json", [OWNER]).roles.map((role) => role.name)).toEqual(["Owner"]);
  });
});

const model = tenant.sandbox.tenant;
const scopeOf = (name: string) => {
  const workspace = [...model.workspaces.values()].find((candidate) => candidate.name === name)!;
  return workspaceArmId(workspace.subscriptionId, workspace.resourceGroup, workspace.name);
};
const FRAUD = scopeOf("mlw-fraud-prod");
const holdsSomething = new Set([...model.roleAssignments.values()].map((assignment) => assignment.principalId.toLowerCase()));
const [someUser] = [...model.users.values()].filter((user) => !holdsSomething.has(user.id.toLowerCase()) && user.userPrincipalName.includes("@"));
const [groupA, groupB, groupC, groupD] = [...model.groups.values()].filter((group) => !holdsSomething.has(group.id.toLowerCase()));
const assignmentsOf = (principalId: string) => model.roleAssignmentsOfPrincipal(principalId).map((assignment) => assignment.roleDefinitionName);
const roleAssignmentCalls = <T extends { path: string }>(calls: readonly T[]) => calls.filter((call) => /\/roleassignments\//i.test(call.path));

async function deniedEvents(roleDefinitionId: string) {
  const { events } = await searchAuditEvents(await getDatabase(), { actions: ["authz.denied"] }, { size: 50 });
  return events.filter((event) => event.target.roleDefinitionId === roleDefinitionId);
}

describe("grants, mappings and imports of a forbidden role (nothing allowed)", () => {
  it("refuses a grant of Owner before any role-assignment call, and records the refusal", async () => {
    const admin = adminContext;
    const network = watchOutgoingCalls();
    const refusal = await refusalOf(
      grantWorkspaceRoles(admin, {
        workspaceId: FRAUD,
        roleDefinitionId: OWNER.toUpperCase(),
        principals: [{ id: someUser!.id, kind: "user", displayName: someUser!.displayName }],
      }),
    );
    expect(refusal).toMatchObject({ code: "forbidden", reason: "role_not_grantable (privileged_built_in)" });
    expect(refusal.userMessage).toContain("GATEHOUSE_GRANTABLE_PRIVILEGED_ROLES");
    // A built-in role is known by its id: no call to Azure at all (no token, no role definitions, no assignment).
    expect(network.calls()).toEqual([]);
    expect(assignmentsOf(someUser!.id)).toEqual([]);
    const [event] = await deniedEvents(OWNER);
    expect(event).toMatchObject({
      outcome: "denied",
      details: { consoleAction: "grantWorkspaceRoles", deniedBecause: "role_not_grantable" },
      target: { scope: FRAUD, roleName: "Owner" },
    });
  });

  it("refuses the same on the workspace page, for someone else and for the admin themselves (no request is filed)", async () => {
    const admin = adminContext;
    const adminId = admin.caller.objectId;
    for (const principal of [
      { id: someUser!.id, kind: "user" as const, displayName: someUser!.displayName },
      { id: adminId, kind: "user" as const, displayName: admin.person.displayName },
    ]) {
      const network = watchOutgoingCalls();
      const refusal = await refusalOf(
        grantOnWorkspacePage(admin, { workspaceId: FRAUD, roleDefinitionId: ROLE_IDS.userAccessAdministrator, principals: [principal] }),
      );
      expect(refusal.code).toBe("forbidden");
      expect(network.calls()).toEqual([]);
    }
  });

  it("refuses a custom role that can write role assignments, judged by what it allows", async () => {
    const admin = adminContext;
    const refusal = await refusalOf(
      grantWorkspaceRoles(admin, {
        workspaceId: FRAUD,
        roleDefinitionId: CUSTOM_ROLE_IDS.accessDelegate,
        principals: [{ id: someUser!.id, kind: "user", displayName: someUser!.displayName }],
      }),
    );
    expect(refusal).toMatchObject({ code: "forbidden", reason: "role_not_grantable (changes_role_assignments)" });
    expect(refusal.userMessage).toContain("Contoso ML Access Delegate can't be granted");
  });

  it("leaves forbidden roles out of the grant dialog and names them with the reason", async () => {
    const options = await getGrantOptions(adminContext.caller, FRAUD);
    const offered = new Set(options.roles.map((role) => role.id));
    for (const id of [OWNER, ROLE_IDS.contributor, ROLE_IDS.userAccessAdministrator, ROLE_IDS.rbacAdministrator, CUSTOM_ROLE_IDS.accessDelegate]) {
      expect(offered.has(id), id).toBe(false);
      expect(options.notOffered.find((role) => role.id === id)?.reason, id).toContain("GATEHOUSE_GRANTABLE_PRIVILEGED_ROLES");
    }
    for (const id of [ROLE_IDS.reader, ROLE_IDS.dataScientist, CUSTOM_ROLE_IDS.fraudModelReviewer]) expect(offered.has(id), id).toBe(true);
  });

  it("refuses a mapping to Owner before the mapping exists", async () => {
    const admin = adminContext;
    const network = watchOutgoingCalls();
    const refusal = await refusalOf(createMapping(admin, { workspaceId: FRAUD, groupId: groupA!.id, roleDefinitionId: OWNER }));
    expect(refusal.code).toBe("forbidden");
    expect(network.calls()).toEqual([]);
    expect(await listMappings(await getDatabase())).toEqual([]);
    expect(assignmentsOf(groupA!.id)).toEqual([]);
  });

  it("flags in the dry run the lines the import would refuse (a privileged built-in role, a custom role that writes assignments)", async () => {
    const network = watchOutgoingCalls();
    const result = await importMappingsDocument(adminContext, {
      document: {
        kind: "gatehouse.mappings",
        version: 1,
        mappings: [
          { workspaceId: FRAUD, groupId: groupA!.id, roleDefinitionId: OWNER, roleName: "Owner" },
          { workspaceId: FRAUD, groupId: groupA!.id, roleDefinitionId: CUSTOM_ROLE_IDS.accessDelegate, roleName: "delegate" },
          { workspaceId: FRAUD, groupId: groupB!.id, roleDefinitionId: ROLE_IDS.dataScientist, roleName: "AzureML Data Scientist" },
        ],
      },
      dryRun: true,
      revokeRemoved: false,
    });
    const refusals = Object.fromEntries(result.plan.creates.map((entry) => [entry.roleDefinitionId, entry.refusal]));
    expect(refusals[OWNER]).toContain("GATEHOUSE_GRANTABLE_PRIVILEGED_ROLES");
    expect(refusals[CUSTOM_ROLE_IDS.accessDelegate]).toContain("role assignments");
    expect(refusals[ROLE_IDS.dataScientist]).toBeUndefined();
    expect(result).toMatchObject({ applied: false, results: [] });
    // Read only: role definitions, no write, no mapping.
    expect(network.calls().filter((call) => call.method !== "GET" && !call.path.includes("/oauth2/"))).toEqual([]);
    expect(await listMappings(await getDatabase())).toEqual([]);
  });

  it("imports a document line by line: the Owner line is refused with the reason, the others are applied", async () => {
    const admin = adminContext;
    const result = await importMappingsDocument(admin, {
      document: {
        kind: "gatehouse.mappings",
        version: 1,
        mappings: [
          { workspaceId: FRAUD, groupId: groupA!.id, roleDefinitionId: OWNER, roleName: "Owner" },
          { workspaceId: FRAUD, groupId: groupB!.id, roleDefinitionId: ROLE_IDS.dataScientist, roleName: "AzureML Data Scientist" },
        ],
      },
      dryRun: false,
      revokeRemoved: false,
    });
    const owner = result.results.find((item) => item.roleName === "Owner");
    expect(owner).toMatchObject({ change: "create", ok: false });
    expect(owner!.message).toContain("Owner can't be granted through Gatehouse");
    expect(owner!.message).toContain("GATEHOUSE_GRANTABLE_PRIVILEGED_ROLES");
    expect(result.results.find((item) => item.roleName === "AzureML Data Scientist")).toMatchObject({ ok: true });
    expect(assignmentsOf(groupA!.id)).toEqual([]);
    expect(assignmentsOf(groupB!.id)).toEqual([ROLE_IDS.dataScientist]);
    expect((await listMappings(await getDatabase())).map((mapping) => mapping.roleDefinitionId)).toEqual([ROLE_IDS.dataScientist]);
  });
});

describe("reconciling mappings that include a forbidden role (nothing allowed)", () => {
  it("fails that item with the reason and applies the others", async () => {
    // A mapping of Owner recorded before the policy (or imported from an existing assignment), beside a harmless one.
    const db = await getDatabase();
    for (const [group, roleId, roleName] of [
      [groupC!, OWNER, "Owner"],
      [groupD!, ROLE_IDS.reader, "Reader"],
    ] as const) {
      await db.insert(groupMappings).values({
        id: crypto.randomUUID(),
        scope: FRAUD,
        scopeKey: FRAUD.toLowerCase(),
        groupId: group.id.toLowerCase(),
        groupDisplayName: group.displayName,
        roleDefinitionId: roleId,
        roleName,
        assignmentName: crypto.randomUUID(),
        createdBy: adminContext.actor,
        createdAt: new Date(),
      });
    }
    const network = watchOutgoingCalls();
    const results = await applyReconcile(adminContext, {
      workspaceId: FRAUD,
      keys: [grantKey(FRAUD, groupC!.id, OWNER), grantKey(FRAUD, groupD!.id, ROLE_IDS.reader)],
    });
    expect(results.map((result) => [result.roleName, result.status])).toEqual([
      ["Owner", "failed"],
      ["Reader", "applied"],
    ]);
    expect(results[0]!.message).toContain("GATEHOUSE_GRANTABLE_PRIVILEGED_ROLES");
    expect(assignmentsOf(groupC!.id)).toEqual([]);
    expect(assignmentsOf(groupD!.id)).toEqual([ROLE_IDS.reader]);
    // One role-assignment write: Reader's. Owner's was refused before any call.
    expect(roleAssignmentCalls(network.calls()).filter((call) => call.method === "PUT")).toHaveLength(1);
  });
});

describe("requests for a forbidden role (nothing allowed)", () => {
  // A policy may name a custom role by id only; what it allows is read from ARM when a request is filed and approved.
  const policy = () =>
    parseRequestPolicy(
      {
        pendingLifetimeHours: 168,
        durations: ["7d"],
        roles: [{ roleDefinitionId: CUSTOM_ROLE_IDS.accessDelegate, name: "Contoso ML Access Delegate", maxDuration: "7d" }],
      },
      "policy.json",
      [],
    );
  const request = (user: { id: string; displayName: string }) =>
    makeAccessRequest({
      workspaceId: FRAUD,
      roleDefinitionId: CUSTOM_ROLE_IDS.accessDelegate,
      justification: "Manages who can use the fraud workspace",
      duration: "7d",
      principal: { id: user.id, kind: "user", displayName: user.displayName },
    });
  const freeUsers = [...model.users.values()].filter(
    (user) => !holdsSomething.has(user.id.toLowerCase()) && user.userType === "Member" && model.transitiveGroupIds(user.id).length === 0,
  );

  it("refuses the submission, naming the role and the setting, and files nothing", async () => {
    const db = await getDatabase();
    const refusal = await refusalOf(submitAccessRequest(leadContext, request(freeUsers[1]!), { db, notify: false, policy: policy() }));
    expect(refusal).toMatchObject({ code: "forbidden", reason: "role_not_grantable (changes_role_assignments)" });
    expect(refusal.fieldErrors?.roleDefinitionId?.[0]).toContain("GATEHOUSE_GRANTABLE_PRIVILEGED_ROLES");
    expect(await deniedEvents(CUSTOM_ROLE_IDS.accessDelegate)).toContainEqual(
      expect.objectContaining({ details: { consoleAction: "submitAccessRequest", deniedBecause: "role_not_grantable" } }),
    );
  });

  it("refuses the approval of one filed while ARM could not say what the role allows, before any role-assignment call", async () => {
    const db = await getDatabase();
    const blind = { ...azureRequestDirectory, roleIsPrivileged: () => Promise.reject(new Error("ARM unavailable")) };
    const filed = await submitAccessRequest(leadContext, request(freeUsers[2]!), { db, notify: false, policy: policy(), directory: blind });
    expect(filed.request.status).toBe("pending");
    const network = watchOutgoingCalls();
    const refusal = await refusalOf(approveAccessRequest(adminContext, { requestId: filed.request.id, comment: "" }, { db, notify: false, policy: policy() }));
    expect(refusal).toMatchObject({ code: "forbidden", reason: "role_not_grantable (changes_role_assignments)" });
    expect(roleAssignmentCalls(network.calls())).toEqual([]);
    expect(assignmentsOf(freeUsers[2]!.id)).toEqual([]);
  });
});
