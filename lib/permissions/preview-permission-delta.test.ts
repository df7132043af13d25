/**
 * The permission delta as the console works it out, on a sandbox tenant of this file's own (it adds faults): the
 * provider-operations catalogue read from ARM as the caller and cached per person and namespace, current access read
 * through Check access (nested groups), "unknown" when the caller may not read it, deny assignments that still refuse
 * gained operations, and who may preview which role.
 */
import { afterAll, beforeEach, describe, expect, it } from "vitest";

import { AppError } from "@/lib/errors";
import { workspaceScope } from "@/lib/shared/arm-scope";
import { createTenant, ROLE_IDS } from "@/sandbox/tenant/index";
import { persona } from "@/sandbox/tenant/personas";
import { type PrivateSandbox, startPrivateSandbox } from "@/test/support/private-sandbox";

const tenant: PrivateSandbox = await startPrivateSandbox();

const { previewPermissionDelta } = await import("@/lib/permissions/preview-permission-delta");
const { clearProviderOperationsCache, providerOperationsCacheSize } = await import("@/lib/permissions/provider-operations");
const { personaContext } = await import("@/test/support/persona-token");

const oracle = createTenant({ seed: 1, scale: "default" });
function workspace(name: string): string {
  const found = [...oracle.workspaces.values()].find((candidate) => candidate.name === name)!;
  return workspaceScope(found.subscriptionId, found.resourceGroup, found.name);
}
const CHURN = workspace("mlw-churn-prod");
const FRAUD = workspace("mlw-fraud-prod");
const teamLead = persona("team-lead").objectId;
const ADMIN = ["Console.Admin"] as const;
const REQUESTER = ["Console.Requester"] as const;
const COMPUTE_WRITE = "Microsoft.MachineLearningServices/workspaces/computes/write";

afterAll(async () => {
  await tenant.close();
});

beforeEach(() => {
  clearProviderOperationsCache();
});

async function preview(who: "admin" | "team-lead", scope: string, roleDefinitionId: string, principalId = teamLead, now?: number) {
  const context = await personaContext(who);
  const [result] = await previewPermissionDelta(
    context,
    { principalId, parts: [{ scope, roleDefinitionId }] },
    { consoleRoles: who === "admin" ? ADMIN : REQUESTER, ...(now === undefined ? {} : { now }) },
  );
  return result!;
}

/** Who read provider operations from ARM while `work` ran: caller object id and namespace per call. */
async function catalogueReads(work: () => Promise<unknown>): Promise<string[]> {
  const since = await tenant.control.journal.lastSeq();
  await work();
  const { entries } = await tenant.control.journal.since(since);
  return entries
    .filter((entry) => entry.path.toLowerCase().includes("/providers/microsoft.authorization/provideroperations"))
    .map((entry) => `${entry.callerObjectId ?? "app"} ${entry.path.split("/").at(-1)!}`);
}

describe("previewPermissionDelta", () => {
  it("Contributor for the team lead on a workspace they have no role on: everything, at least, naming compute writes", async () => {
    const result = await preview("admin", CHURN, ROLE_IDS.contributor);
    expect(result.currentAccess).toBe("read");
    expect(result.principal).toEqual({ id: teamLead, displayName: "Taylor Team-Lead", kind: "user" });
    expect(result.roles).toEqual([{ id: ROLE_IDS.contributor, name: "Contributor" }]);
    expect(result.delta.alreadyCovered).toBe(false);
    expect(result.delta.atLeast).toBe(true);
    expect(result.delta.dangers.map((danger) => danger.kind)).toContain("all_actions");
    expect(result.summary.notable).toBe(COMPUTE_WRITE);
    expect(result.summary.count).toBeGreaterThan(30);
    expect(result.delta.control.flatMap((group) => group.operations.map((operation) => operation.name))).toContain(COMPUTE_WRITE);
  });

  it("Data Scientist for a member of DS - Fraud on mlw-fraud-prod: nothing new, covered by the group's role through DS - Fraud", async () => {
    const result = await preview("admin", FRAUD, ROLE_IDS.dataScientist);
    expect(result.currentAccess).toBe("read");
    expect(result.delta.alreadyCovered).toBe(true);
    expect(result.summary).toEqual({ count: 0, notable: null });
    // The team lead holds it directly too (personas.ts); both paths are named.
    expect(result.coveredBy).toEqual([
      { roleName: "AzureML Data Scientist", via: [], assignedTo: "Taylor Team-Lead", origin: "workspace", conditional: false },
      { roleName: "AzureML Data Scientist", via: ["DS - Fraud"], assignedTo: "DS - Fraud", origin: "workspace", conditional: false },
    ]);
  });

  it("lists the exclusions that remove nothing the catalogue knows of (Data Scientist's computes/*/write) and keeps compute writes granted", async () => {
    const result = await preview("admin", CHURN, ROLE_IDS.dataScientist);
    expect(result.ineffectiveExclusions).toContainEqual({
      role: "AzureML Data Scientist",
      plane: "control",
      pattern: "Microsoft.MachineLearningServices/workspaces/computes/*/write",
    });
    expect(result.summary.notable).toBe(COMPUTE_WRITE);
  });

  it("names the deny assignments that still refuse gained operations", async () => {
    const result = await preview("admin", FRAUD, ROLE_IDS.contributor);
    const stack = result.denies.find((deny) => deny.name.startsWith("Deployment stack"));
    expect(stack?.operations).toEqual(
      expect.arrayContaining(["Microsoft.MachineLearningServices/workspaces/write", "Microsoft.MachineLearningServices/workspaces/delete"]),
    );
  });

  it("says current access is unknown, never 'nothing new', when the caller may not read it; the delta is then everything the role allows", async () => {
    // As for a requester without the right to read role assignments there: Azure refuses them the list.
    const fault = await tenant.control.faults.add({ method: "GET", pathRegex: "/roleAssignments$", status: 403, times: 5 });
    const result = await preview("team-lead", FRAUD, ROLE_IDS.dataScientist).finally(() => tenant.control.faults.remove(fault.id));
    expect(result.currentAccess).toBe("unknown");
    expect(result.currentAccessNotice).toBe("Gatehouse could not read current access; this is everything the role allows.");
    expect(result.delta.alreadyCovered).toBe(false);
    expect(result.coveredBy).toEqual([]);
    expect(result.summary.count).toBeGreaterThan(0);
  });

  it("refuses a requester a role the request policy does not offer, before any call to Azure", async () => {
    const reads = await catalogueReads(async () => {
      await expect(preview("team-lead", CHURN, ROLE_IDS.owner)).rejects.toMatchObject({
        code: "forbidden",
        fieldErrors: { roleDefinitionId: [expect.any(String)] },
      });
    });
    expect(reads).toEqual([]);
  });

  it("refuses an unknown principal and a scope that is not a workspace", async () => {
    await expect(preview("admin", CHURN, ROLE_IDS.reader, "0badc0de-0000-4000-8000-000000000000")).rejects.toMatchObject({ code: "not_found" });
    await expect(preview("admin", CHURN.replace(/\/providers\/.*$/, ""), ROLE_IDS.reader)).rejects.toMatchObject({ code: "invalid_input" });
  });

  it("caches the catalogue per person and namespace: read once per person, again after the TTL", async () => {
    const admin = persona("admin").objectId;
    const lead = persona("team-lead").objectId;
    const now = Date.now();
    const first = await catalogueReads(() => preview("admin", CHURN, ROLE_IDS.dataScientist, teamLead, now));
    expect(first).toEqual([`${admin} Microsoft.MachineLearningServices`]);
    expect(await catalogueReads(() => preview("admin", FRAUD, ROLE_IDS.dataScientist, teamLead, now + 1000))).toEqual([]);
    // Another person's reads are their own.
    expect(await catalogueReads(() => preview("team-lead", CHURN, ROLE_IDS.dataScientist, teamLead, now))).toEqual([
      `${lead} Microsoft.MachineLearningServices`,
    ]);
    expect(providerOperationsCacheSize()).toBe(2);
    // An hour on, the entry has expired and is read again (and the expired ones are dropped).
    expect(await catalogueReads(() => preview("admin", CHURN, ROLE_IDS.dataScientist, teamLead, now + 61 * 60_000))).toEqual([
      `${admin} Microsoft.MachineLearningServices`,
    ]);
    expect(providerOperationsCacheSize()).toBe(1);
  });

  it("reads the namespaces a role names; one ARM does not know is asked once, then counts as beyond the catalogue", async () => {
    // Contributor's NotActions name Microsoft.Authorization and others the sandbox does not serve (400 InvalidResourceNamespace).
    const first = await catalogueReads(() => preview("admin", CHURN, ROLE_IDS.contributor));
    expect(first).toContain(`${persona("admin").objectId} Microsoft.Authorization`);
    expect(await catalogueReads(() => preview("admin", CHURN, ROLE_IDS.contributor))).toEqual([]);
  });

  it("fails with a plain message when the workspace's catalogue cannot be read, and does not cache the failure", async () => {
    const fault = await tenant.control.faults.add({
      method: "GET",
      pathRegex: "providerOperations/Microsoft.MachineLearningServices$",
      status: 500,
      times: 10,
    });
    try {
      const failure = await preview("admin", CHURN, ROLE_IDS.reader).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(AppError);
      expect((failure as AppError).userMessage).toMatch(/^Gatehouse could not read the list of Azure Machine Learning operations from Azure/);
    } finally {
      await tenant.control.faults.remove(fault.id);
    }
    expect(providerOperationsCacheSize()).toBe(0);
    expect((await preview("admin", CHURN, ROLE_IDS.dataScientist)).summary.count).toBeGreaterThan(0);
  });
});
