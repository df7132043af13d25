import { readFileSync } from "node:fs";

import { describe, expect, it } from "vitest";

import { bundleSchema, type BundleDefinition } from "./definition";
import { type BundleFacts, type LinkedResourceFact, resolveBundle } from "./resolve";

const SUB = "00000000-0000-0000-0000-000000000001";
const OTHER_SUB = "00000000-0000-0000-0000-000000000002";
const RG = `/subscriptions/${SUB}/resourceGroups/rg-ml`;
const WORKSPACE = `${RG}/providers/Microsoft.MachineLearningServices/workspaces/mlw-churn-prod`;
const STORAGE = `${RG}/providers/Microsoft.Storage/storageAccounts/stchurn`;
const VAULT = `${RG}/providers/Microsoft.KeyVault/vaults/kv-churn`;
const REGISTRY = `${RG}/providers/Microsoft.ContainerRegistry/registries/crchurn`;
const AML_REGISTRY = `/subscriptions/${OTHER_SUB}/resourceGroups/rg-shared/providers/Microsoft.MachineLearningServices/registries/shared`;

/** The shipped policy's "Data scientist" bundle: the defaults are what is tested. */
const shipped = JSON.parse(readFileSync("config/request-policy.json", "utf8")) as { bundles: unknown[]; roles?: unknown[] };
const dataScientist: BundleDefinition = bundleSchema.parse(
  Object.fromEntries(Object.entries(shipped.bundles[0] as Record<string, unknown>).filter(([key]) => !["maxDuration", "approvers"].includes(key))),
);

const found = (id: string, extra: Partial<Extract<LinkedResourceFact, { state: "found" }>> = {}): LinkedResourceFact => ({
  state: "found",
  id,
  subscriptionId: id.split("/")[2]!,
  name: id.split("/").at(-1)!,
  ...extra,
});

function facts(overrides: Partial<BundleFacts["linked"]> = {}, canAssign: BundleFacts["canAssign"] = () => "yes"): BundleFacts {
  return {
    workspace: { id: WORKSPACE, name: "mlw-churn-prod", subscriptionId: SUB },
    linked: {
      storageAccount: found(STORAGE),
      keyVault: found(VAULT, { keyVaultUsesRbac: true }),
      containerRegistry: found(REGISTRY),
      applicationInsights: { state: "none" },
      ...overrides,
    },
    registries: new Map(),
    canAssign,
  };
}

describe("resolveBundle", () => {
  it("lands the shipped Data scientist bundle on the workspace and its linked resources", () => {
    const plan = resolveBundle(dataScientist, facts());
    expect(plan.grantable).toBe(true);
    expect(plan.parts.map((part) => [part.roleName, part.scope, part.state])).toEqual([
      ["AzureML Data Scientist", WORKSPACE, "grant"],
      ["Storage Blob Data Contributor", STORAGE, "grant"],
      ["Storage File Data Privileged Contributor", STORAGE, "grant"],
      ["AcrPull", REGISTRY, "grant"],
      ["Key Vault Secrets User", VAULT, "grant"],
    ]);
    expect(plan.assignmentsBySubscription).toEqual(new Map([[SUB, 5]]));
    expect(new Set(plan.parts.map((part) => part.key)).size).toBe(plan.parts.length);
  });

  it("leaves out the vault role where the vault uses access policies, and says why", () => {
    const plan = resolveBundle(dataScientist, facts({ keyVault: found(VAULT, { keyVaultUsesRbac: false }) }));
    const vault = plan.parts.find((part) => part.on === "keyVault")!;
    expect(vault.state).toBe("not_applicable");
    expect(vault.note).toMatch(/uses access policies/);
    expect(plan.grantable).toBe(true);
    expect(plan.assignmentsBySubscription.get(SUB)).toBe(4);
  });

  it("says a workspace without a container registry has nothing to pull from yet", () => {
    const plan = resolveBundle(dataScientist, facts({ containerRegistry: { state: "none" } }));
    const registry = plan.parts.find((part) => part.on === "containerRegistry");
    expect(registry?.state).toBe("not_applicable");
    expect(registry?.note).toMatch(/no container registry yet/);
    expect(plan.grantable).toBe(true);
  });

  it("blocks a part whose linked resource is gone, naming it, and the bundle with it", () => {
    const plan = resolveBundle(dataScientist, facts({ storageAccount: { state: "missing", id: STORAGE, name: "stchurn" } }));
    const storage = plan.parts.filter((part) => part.on === "storageAccount");
    expect(storage.map((part) => part.state)).toEqual(["blocked", "blocked"]);
    expect(storage[0]!.note).toMatch(/storage account stchurn no longer exists/);
    expect(plan.grantable).toBe(false);
  });

  it("blocks a part in another subscription the admin cannot write, and says so", () => {
    const otherVault = `/subscriptions/${OTHER_SUB}/resourceGroups/rg-sec/providers/Microsoft.KeyVault/vaults/kv-central`;
    const plan = resolveBundle(
      dataScientist,
      facts({ keyVault: found(otherVault, { keyVaultUsesRbac: true }) }, (scope) => (scope === otherVault ? "no" : "yes")),
    );
    const vault = plan.parts.find((part) => part.on === "keyVault")!;
    expect(vault.state).toBe("blocked");
    expect(vault.note).toContain("in another subscription");
    expect(vault.note).toContain("roleAssignments/write");
    expect(plan.grantable).toBe(false);
  });

  it("blocks, never guesses, when the admin's rights could not be read or the resource could not be seen", () => {
    const unknown = resolveBundle(
      dataScientist,
      facts({}, () => "unknown"),
    );
    expect(unknown.parts.every((part) => part.state === "blocked")).toBe(true);
    const hidden = resolveBundle(dataScientist, facts({ containerRegistry: { state: "unreadable", id: REGISTRY, name: "crchurn", reason: "access denied" } }));
    const unread = hidden.parts.find((part) => part.on === "containerRegistry")!;
    expect(unread.state).toBe("blocked");
    expect(unread.note).toMatch(/could not read/);
  });

  it("for time-bound access, blocks a part Gatehouse's own identity could not remove at expiry", () => {
    const plan = resolveBundle(dataScientist, { ...facts(), consoleCanRemove: (scope) => (scope === REGISTRY ? "no" : "yes") });
    const registry = plan.parts.find((part) => part.on === "containerRegistry")!;
    expect(registry.state).toBe("blocked");
    expect(registry.note).toMatch(/Gatehouse's own identity may not remove role assignments on the container registry crchurn/);
    expect(plan.grantable).toBe(false);
    expect(resolveBundle(dataScientist, { ...facts(), consoleCanRemove: () => "yes" }).grantable).toBe(true);
  });

  it("grants on each chosen AML registry, and blocks one it could not read", () => {
    const bundle: BundleDefinition = {
      ...dataScientist,
      companions: [
        {
          on: "amlRegistry",
          roleDefinitionId: "1823dd4f-9b8c-4ab6-ab4e-7397a3684615",
          name: "AzureML Registry User",
          why: "Use shared models and components.",
          registries: [AML_REGISTRY, `${RG}/providers/Microsoft.MachineLearningServices/registries/gone`],
        },
      ],
    };
    const plan = resolveBundle(bundle, { ...facts(), registries: new Map([[AML_REGISTRY.toLowerCase(), found(AML_REGISTRY)]]) });
    expect(plan.parts.slice(1).map((part) => [part.resourceName, part.state])).toEqual([
      ["shared", "grant"],
      ["gone", "blocked"],
    ]);
    expect(plan.assignmentsBySubscription).toEqual(
      new Map([
        [SUB, 1],
        [OTHER_SUB, 1],
      ]),
    );
  });
});

describe("bundle definitions", () => {
  it("refuses registries on a non-registry companion and a vault condition elsewhere", () => {
    const base = { roleDefinitionId: "7f951dda-4ed3-4680-a7ca-43fe172d538d", name: "AcrPull", why: "x" };
    expect(bundleSchema.shape.companions.safeParse([{ ...base, on: "containerRegistry", registries: [AML_REGISTRY] }]).success).toBe(false);
    expect(bundleSchema.shape.companions.safeParse([{ ...base, on: "containerRegistry", onlyWhen: "vaultUsesRbac" }]).success).toBe(false);
    expect(bundleSchema.shape.companions.safeParse([{ ...base, on: "amlRegistry" }]).success).toBe(false);
  });
});

describe("bundles in the request policy", async () => {
  const { parseRequestPolicy, RequestPolicyError } = await import("@/lib/requests/policy");
  const policy = (bundles: unknown[]) => ({ pendingLifetimeHours: 24, durations: ["1d", "7d"], roles: shipped.roles ?? [], bundles });
  const shippedRoles = (JSON.parse(readFileSync("config/request-policy.json", "utf8")) as { roles: unknown[] }).roles;

  it("accepts the shipped policy's bundles", () => {
    const parsed = parseRequestPolicy(JSON.parse(readFileSync("config/request-policy.json", "utf8")), "policy.json", []);
    expect(parsed.bundles.map((bundle) => [bundle.id, bundle.companions.length, bundle.approvers])).toEqual([["data-scientist", 4, 1]]);
  });

  it("refuses a bundle listed twice, and a privileged role in a bundle the operator has not allowed", () => {
    const bundle = shipped.bundles[0] as Record<string, unknown>;
    expect(() => parseRequestPolicy({ ...policy([bundle, bundle]), roles: shippedRoles }, "policy.json", [])).toThrow(/bundles\.1\.id: listed twice/);
    const withOwner = { ...bundle, workspaceRole: { roleDefinitionId: "8e3af657-a8ff-443c-a75c-2fe8c4bcb635", name: "Owner" }, approvers: 2 };
    expect(() => parseRequestPolicy({ ...policy([withOwner]), roles: shippedRoles }, "policy.json", [])).toThrow(RequestPolicyError);
    expect(() =>
      parseRequestPolicy({ ...policy([{ ...withOwner, approvers: 1 }]), roles: shippedRoles }, "policy.json", ["8e3af657-a8ff-443c-a75c-2fe8c4bcb635"]),
    ).toThrow(/needs "approvers": 2/);
  });
});
