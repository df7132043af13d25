/**
 * Seeds "Contoso ML": a deterministic tenant from a seed. Everything is drawn from one SeededRandom in a fixed order,
 * so the same seed yields the same ids. Credential dates are the exception: they are relative to the tenant's creation
 * time so that "expires within 7 days" stays true whenever the sandbox starts.
 */
import { SANDBOX_CLOUDS } from "../clouds";
import { CONSOLE_MANAGED_IDENTITY_NAME, type Persona, type PersonaKey, type SandboxCloudName, SANDBOX_TENANT_ID } from "../contract";
import builtinRoleDefinitions from "./data/builtin-role-definitions.aml.json" with { type: "json" };
import linkedRoleDefinitions from "./data/builtin-role-definitions.linked.json" with { type: "json" };
import { armTimestamp, resourceGroupArmId, subscriptionArmId, userAssignedIdentityArmId, workspaceArmId } from "./arm-ids";
import { assignConsoleRole, CONSOLE_API_SERVICE_PRINCIPAL_ID, seedConsoleApplications, seedConsoleManagedIdentity, seedSandboxDeployer } from "./console-apps";
import { firstPartyServicePrincipals } from "./first-party";
import type {
  ApplicationRecord,
  FederatedIdentityCredentialRecord,
  GroupRecord,
  KeyCredentialRecord,
  PasswordCredentialRecord,
  RoleAssignmentPrincipalType,
  RoleDefinitionRecord,
  ServicePrincipalRecord,
  UserRecord,
  WorkspaceRecord,
} from "./model";
import { EVERYONE_PRINCIPAL_ID, newApplication, newRoleAssignment, TENANT_DOMAIN } from "./model";
import { PERSONAS, persona, PINNED_GROUP_IDS, SEEDED_USER_PASSWORD } from "./personas";
import { SeededRandom } from "./prng";
import { linkedResourceRandom, seedLinkedResources } from "./seed-linked";
import { Tenant } from "./tenant";

export type TenantScale = "default" | "large" | "large-estate";

export interface SeedOptions {
  readonly seed: number;
  readonly scale: TenantScale;
  /** Reference for credential expiry; defaults to the wall clock at seeding. */
  readonly now?: Date;
  /** The Azure cloud the tenant emulates. Default: public. */
  readonly cloud?: SandboxCloudName;
}

/** Fixed reference for every non-credential date, so the rest of the tenant is identical across runs. */
const SEED_EPOCH_MS = Date.UTC(2025, 0, 6, 9, 30, 0);
const DAY_MS = 86_400_000;

export const ROLE_IDS = {
  owner: "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
  contributor: "b24988ac-6180-42a0-ab88-20f7382dd24c",
  reader: "acdd72a7-3385-48ef-bd42-f606fba81ae7",
  userAccessAdministrator: "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9",
  rbacAdministrator: "f58310d9-a9f6-439a-9e8d-f62e7b41a168",
  dataScientist: "f6c7c914-8db3-469d-8ca1-694a8f32e121",
  computeOperator: "e503ece1-11d0-4e8e-8e2c-7a6c3bf38815",
  metricsWriter: "635dd51f-9968-44d3-b7fb-6d9a6bd613ae",
  connectionSecretsReader: "ea01e6af-a1c1-4350-9563-ad00f8c72ec5",
  aiDeveloper: "64702f94-c441-49e6-a78b-ef80e0188fee",
} as const;

/** Fixed names of the records `seedAccessBeyondAssignments` adds on mlw-fraud-prod (tests find them by these). */
export const SEEDED_BEYOND_ASSIGNMENTS = {
  eligibility: "9f1e0001-5eed-4d1e-8000-00000000e001",
  eligibilitySchedule: "9f1e0001-5eed-4d1e-8000-00000000e101",
  activatedEligibility: "9f1e0001-5eed-4d1e-8000-00000000e002",
  activatedEligibilitySchedule: "9f1e0001-5eed-4d1e-8000-00000000e102",
  activation: "9f1e0001-5eed-4d1e-8000-00000000a001",
  activationSchedule: "9f1e0001-5eed-4d1e-8000-00000000a101",
  activationRoleAssignment: "9f1e0001-5eed-4d1e-8000-00000000a201",
  conditionedAssignment: "9f1e0001-5eed-4d1e-8000-00000000c001",
  denyAssignment: "9f1e0001-5eed-4d1e-8000-00000000d001",
} as const;

/**
 * Fixed ids of what `seedPartnerAndFreshPrincipals` adds on mlw-forecast-prod (no e2e counts its rows; the admin manages it):
 * a CSP partner's AdminAgents group (a `directoryObjectPartnerReference`, held through a `ForeignGroup` assignment)
 * and a user created at seeding whose directory reads lag by `FRESH_PRINCIPAL_REPLICATION_LAG_MS`.
 */
export const SEEDED_PARTNER = {
  workspace: "mlw-forecast-prod",
  partnerTenantId: "7a3c5e10-2b4d-4c6e-8f01-a2b3c4d5e6f7",
  reference: "7a3c5e10-0a6e-4a11-9c3d-00000000ad01",
  referenceName: "Fabrikam CSP AdminAgents",
  referenceAssignment: "7a3c5e10-0a6e-4a11-9c3d-0000000000a1",
  freshUser: "7a3c5e10-0a6e-4a11-9c3d-00000000f001",
  freshUserName: "Noor Haddad",
  freshAssignment: "7a3c5e10-0a6e-4a11-9c3d-0000000000f1",
} as const;

/**
 * How long the seeded fresh user stays invisible to directory reads by id after seeding. Entra does not publish a
 * figure ("a replication delay"); ten minutes keeps it visible in a test or a demo while leaving it short of the
 * console's default replication window.
 */
export const FRESH_PRINCIPAL_REPLICATION_LAG_MS = 10 * 60 * 1000;

/** A service provider's tenant that manages Contoso ML Research through Azure Lighthouse (not a tenant the sandbox serves). */
export const LIGHTHOUSE_PARTNER_TENANT_ID = "4f2d9c1a-6b3e-4d8f-9a01-2c3b4d5e6f70";

/**
 * The portal's "Allow user to only assign selected roles" condition, here for AzureML Data Scientist (the shape of
 * MicrosoftDocs azure-docs role-based-access-control/delegate-role-assignments-examples.md).
 */
export const DATA_SCIENTIST_ONLY_CONDITION =
  "((!(ActionMatches{'Microsoft.Authorization/roleAssignments/write'})) OR (@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {f6c7c914-8db3-469d-8ca1-694a8f32e121})) AND ((!(ActionMatches{'Microsoft.Authorization/roleAssignments/delete'})) OR (@Resource[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {f6c7c914-8db3-469d-8ca1-694a8f32e121}))";

/** Workspace-level roles with rough real-world frequencies. */
const WORKSPACE_ROLE_WEIGHTS: readonly [string, number][] = [
  [ROLE_IDS.dataScientist, 35],
  [ROLE_IDS.reader, 20],
  [ROLE_IDS.computeOperator, 15],
  [ROLE_IDS.contributor, 10],
  [ROLE_IDS.aiDeveloper, 8],
  [ROLE_IDS.connectionSecretsReader, 4],
  [ROLE_IDS.metricsWriter, 4],
  [ROLE_IDS.owner, 2],
  [ROLE_IDS.rbacAdministrator, 2],
];

const FIRST_NAMES = [
  "Aisha",
  "Ben",
  "Carla",
  "Dmitri",
  "Elena",
  "Farid",
  "Grace",
  "Hiro",
  "Ines",
  "Jonas",
  "Kemi",
  "Liam",
  "Maya",
  "Nikhil",
  "Olga",
  "Pedro",
  "Quinn",
  "Rosa",
  "Sven",
  "Tara",
  "Uma",
  "Victor",
  "Wen",
  "Ximena",
  "Yusuf",
  "Zoe",
  "Amir",
  "Beatriz",
  "Chen",
  "Dana",
  "Emeka",
  "Freya",
  "Gustavo",
  "Hana",
  "Ivan",
  "Julia",
  "Kofi",
  "Lena",
  "Mateo",
  "Nadia",
];
const LAST_NAMES = [
  "Okafor",
  "Schmidt",
  "Rossi",
  "Ivanov",
  "Garcia",
  "Haddad",
  "Kim",
  "Tanaka",
  "Silva",
  "Berg",
  "Adeyemi",
  "Murphy",
  "Patel",
  "Novak",
  "Costa",
  "Larsen",
  "Nguyen",
  "Moreau",
  "Kowalski",
  "Dubois",
  "Sato",
  "Mendes",
  "Jensen",
  "Ali",
  "Fischer",
  "Yilmaz",
  "Hughes",
  "Lopez",
  "Wang",
  "Andersen",
  "Mensah",
  "Eriksson",
  "Romero",
  "Khan",
  "Weber",
  "Santos",
  "Brennan",
  "Horvath",
  "Ortiz",
  "Lindqvist",
];
const DEPARTMENTS: readonly [string, readonly string[]][] = [
  ["Data Science", ["Data Scientist", "Senior Data Scientist", "Principal Data Scientist"]],
  ["ML Platform", ["ML Engineer", "Senior ML Engineer", "Platform Engineer"]],
  ["Research", ["Research Scientist", "Applied Scientist"]],
  ["Finance Analytics", ["Analyst", "Senior Analyst"]],
  ["Security", ["Security Engineer", "Security Analyst"]],
  ["IT", ["Cloud Administrator", "Support Engineer"]],
];
const OFFICES = ["Seattle", "Dublin", "Singapore", "Berlin", "Toronto"];
const APP_PURPOSES = [
  "fraud-scoring",
  "churn-model",
  "demand-forecast",
  "recsys-ranker",
  "vision-inspect",
  "feature-pipeline",
  "label-sync",
  "drift-monitor",
  "batch-inference",
  "model-registry-sync",
  "data-export",
  "notebook-runner",
  "llm-eval",
  "prompt-flow",
  "etl-orchestrator",
  "metrics-push",
  "ab-test-service",
  "annotation-tool",
  "report-builder",
  "mlops-deployer",
];
const ENVIRONMENTS = ["prod", "dev", "test"];

interface WorkspacePlan {
  readonly name: string;
  readonly kind: WorkspaceRecord["kind"];
  readonly friendlyName: string;
  readonly description: string;
  readonly hub?: string;
}
interface ResourceGroupPlan {
  readonly name: string;
  readonly location: string;
  readonly workspaces: readonly WorkspacePlan[];
}
interface SubscriptionPlan {
  readonly key: "production" | "development" | "research";
  readonly displayName: string;
  readonly resourceGroups: readonly ResourceGroupPlan[];
}

/** Custom roles: one assignable only at rg-ml-prod-eastus, one that may write role assignments (so privileged). */
export const CUSTOM_ROLE_IDS = {
  fraudModelReviewer: "3f9c2a71-6d4e-4b8a-9e15-7c2d8b4a6f10",
  accessDelegate: "b7e4d2c9-1a3f-4e6b-8d5c-9f0a2e4c6b81",
} as const;

/** The seeded resource group with a non-ASCII name, and its workspace. */
export const UNICODE_RESOURCE_GROUP = "rg-ml-prod-münchen-予測";
export const UNICODE_RESOURCE_GROUP_WORKSPACE = "mlw-forecast-muc";

const ws = (name: string, friendlyName: string, description: string): WorkspacePlan => ({
  name,
  kind: "Default",
  friendlyName,
  description,
});

const ARM_PLAN: readonly SubscriptionPlan[] = [
  {
    key: "production",
    displayName: "Contoso ML Production",
    resourceGroups: [
      {
        name: "rg-ml-prod-eastus",
        location: "eastus",
        workspaces: [
          ws("mlw-fraud-prod", "Fraud detection (prod)", "Card-fraud scoring models."),
          ws("mlw-churn-prod", "Churn (prod)", "Customer churn prediction."),
          ws("mlw-forecast-prod", "Demand forecasting (prod)", "Weekly demand forecasts."),
        ],
      },
      {
        name: "rg-ml-prod-westeurope",
        location: "westeurope",
        workspaces: [
          ws("mlw-recsys-prod", "Recommendations (prod)", "Product recommendations."),
          ws("mlw-vision-prod", "Visual inspection (prod)", "Factory visual inspection."),
        ],
      },
      { name: "rg-shared-prod", location: "eastus", workspaces: [] },
    ],
  },
  {
    key: "development",
    displayName: "Contoso ML Development",
    resourceGroups: [
      {
        name: "rg-ml-dev",
        location: "eastus2",
        workspaces: [
          ws("mlw-fraud-dev", "Fraud detection (dev)", "Development workspace for fraud models."),
          ws("mlw-churn-dev", "Churn (dev)", "Development workspace for churn models."),
          ws("mlw-sandbox-dev", "Sandbox (dev)", "Free-for-all experimentation."),
        ],
      },
      {
        name: "rg-ml-dev-experiments",
        location: "eastus2",
        workspaces: [ws("mlw-experiments-dev", "Experiments (dev)", "Short-lived experiments.")],
      },
    ],
  },
  {
    key: "research",
    displayName: "Contoso ML Research",
    resourceGroups: [
      {
        name: "rg-ai-research",
        location: "swedencentral",
        workspaces: [
          { name: "hub-ai-research", kind: "Hub", friendlyName: "AI Research hub", description: "Shared AI hub." },
          {
            name: "proj-genai",
            kind: "Project",
            friendlyName: "GenAI project",
            description: "Generative AI prototypes.",
            hub: "hub-ai-research",
          },
          {
            name: "proj-nlp",
            kind: "Project",
            friendlyName: "NLP project",
            description: "Language models research.",
            hub: "hub-ai-research",
          },
        ],
      },
      {
        name: "rg-ml-research",
        location: "westus3",
        workspaces: [ws("mlw-research-general", "Research (general)", "General research workspace.")],
      },
    ],
  },
];

/** Group names with their parent (nesting), 30 in all. */
const GROUP_PLAN: readonly [string, string | null][] = [
  ["All ML Staff", null],
  ["Data Scientists", "All ML Staff"],
  ["DS - Fraud", "Data Scientists"],
  ["DS - Churn", "Data Scientists"],
  ["DS - Forecasting", "Data Scientists"],
  ["DS - Recommendations", "Data Scientists"],
  ["DS - Vision", "Data Scientists"],
  ["ML Engineers", "All ML Staff"],
  ["MLE - Platform", "ML Engineers"],
  ["MLE - Serving", "ML Engineers"],
  ["AI Research", "All ML Staff"],
  ["Research - GenAI", "AI Research"],
  ["Research - NLP", "AI Research"],
  ["ML Team Leads", null],
  ["ML Workspace Admins", null],
  ["Security Reviewers", null],
  ["Finance Analytics", null],
  ["Finance Analytics - Forecast Consumers", "Finance Analytics"],
  ["Contractors", null],
  ["Contractors - Labeling", "Contractors"],
  ["Interns 2025", "Data Scientists"],
  ["MLOps On-Call", "ML Engineers"],
  ["Automation Identities", null],
  ["Project Atlas (legacy)", null],
  ["Project Falcon", null],
  ["Project Falcon - Core", "Project Falcon"],
  ["Responsible AI Board", null],
  ["Cloud Platform Admins", null],
  ["GPU Quota Approvers", "Cloud Platform Admins"],
  ["Data Stewards", null],
];

type CredentialKind = "expired" | "expiring7" | "expiring30" | "expiring90" | "longLived" | "healthy";

/** Days from the tenant's creation to a credential's end, per bucket (negative = already expired). */
const EXPIRY_DAYS: Record<CredentialKind, readonly [number, number]> = {
  expired: [-200, -1],
  expiring7: [1, 6],
  expiring30: [8, 29],
  expiring90: [31, 89],
  longLived: [800, 3000],
  healthy: [120, 700],
};

interface AppPlan {
  readonly name: string;
  readonly appSecrets: readonly CredentialKind[];
  readonly appCertificates: readonly CredentialKind[];
  readonly spSecrets: readonly CredentialKind[];
  readonly federated: boolean;
}

/** The first apps are hand-picked so each dashboard case exists whatever the seed. */
const FEATURED_APPS: readonly AppPlan[] = [
  // SP-object secret expiring within 7 days on an app that holds AzureML Data Scientist (the headline risk case).
  { name: "fraud-scoring-batch", appSecrets: [], appCertificates: [], spSecrets: ["expiring7"], federated: false },
  { name: "churn-retrain-job", appSecrets: ["expired"], appCertificates: [], spSecrets: [], federated: false },
  { name: "forecast-publisher", appSecrets: ["expiring7"], appCertificates: [], spSecrets: [], federated: false },
  { name: "recsys-feature-sync", appSecrets: ["expiring30"], appCertificates: [], spSecrets: [], federated: false },
  { name: "vision-label-export", appSecrets: [], appCertificates: ["expiring90"], spSecrets: [], federated: false },
  { name: "legacy-scoring-api", appSecrets: ["longLived"], appCertificates: [], spSecrets: [], federated: false },
  { name: "github-mlops-deployer", appSecrets: [], appCertificates: [], spSecrets: [], federated: true },
  { name: "model-monitor", appSecrets: ["healthy"], appCertificates: ["healthy"], spSecrets: [], federated: false },
  { name: "drift-alerts", appSecrets: [], appCertificates: ["expired"], spSecrets: ["expiring30"], federated: false },
  { name: "notebook-scheduler", appSecrets: ["expired", "healthy"], appCertificates: [], spSecrets: [], federated: false },
];

const CREDENTIAL_KINDS: readonly CredentialKind[] = ["expired", "expiring7", "expiring30", "expiring90", "longLived", "healthy"];

function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** Builds the tenant. Split into steps that share one context so the draw order (and thus ids) stays fixed. */
class ContosoSeeder {
  readonly tenant: Tenant;
  private readonly rng: SeededRandom;
  private readonly nowMs: number;
  private readonly usedUpns = new Set<string>();
  private readonly assignmentTriples = new Set<string>();
  readonly seededUsers: UserRecord[] = [];
  readonly groupsByName = new Map<string, GroupRecord>();
  readonly appServicePrincipals: ServicePrincipalRecord[] = [];
  readonly managedIdentities: ServicePrincipalRecord[] = [];
  readonly workspaces: WorkspaceRecord[] = [];
  readonly subscriptionIds = new Map<SubscriptionPlan["key"], string>();
  private assignableGroups: GroupRecord[] | undefined;

  constructor(private readonly options: SeedOptions) {
    this.rng = new SeededRandom(options.seed);
    const now = options.now ?? new Date();
    this.nowMs = now.getTime();
    this.tenant = new Tenant(SANDBOX_TENANT_ID, now, SANDBOX_CLOUDS[options.cloud ?? "public"]);
  }

  run(): Tenant {
    const created = this.pastDate(900, 700);
    this.tenant.setPersonas(PERSONAS);
    firstPartyServicePrincipals(created, this.tenant.cloud).forEach((sp) => this.tenant.addServicePrincipal(sp));
    this.seedRoleDefinitions();
    this.seedPersonas();
    seedConsoleApplications(this.tenant, created, persona("admin").objectId);
    seedSandboxDeployer(this.tenant, created, persona("admin").objectId);
    for (let i = 0; i < 200; i++) this.seedUser();
    this.seedGuests();
    this.seedGroups();
    this.seedConsoleRoleAssignments();
    this.seedArm();
    seedConsoleManagedIdentity(
      this.tenant,
      userAssignedIdentityArmId(this.subscriptionId("production"), "rg-shared-prod", CONSOLE_MANAGED_IDENTITY_NAME),
      created,
    );
    FEATURED_APPS.forEach((plan) => this.seedApp(plan));
    for (let i = FEATURED_APPS.length; i < 60; i++) this.seedApp(this.randomAppPlan(i));
    this.seedAutomationGroup();
    this.seedRoleAssignments();
    this.seedOrphans();
    // After the default seed's random draws, so that they stay as they were.
    this.seedNestedGroupAccess();
    this.seedUnicodeResourceGroup();
    this.seedCustomRoles();
    this.seedAccessBeyondAssignments();
    this.seedStepUpPersona();
    this.seedFraudOwnerPersona();
    this.seedNestedConsoleAssignment();
    this.seedPartnerAndFreshPrincipals();
    this.seedSamlAndFlexibleCredentials();
    // From a generator of their own: the workspaces' linked resources and the companion roles already granted on them
    // (before the large scales, which fill the production subscription to its assignment limit).
    const linkedRandom = linkedResourceRandom(this.options.seed);
    seedLinkedResources(this.tenant, linkedRandom, SEED_EPOCH_MS, this.workspaces, { companions: true });
    if (this.options.scale === "large" || this.options.scale === "large-estate") this.seedLargeScale();
    if (this.options.scale === "large-estate") this.seedEstate();
    if (this.options.scale !== "default") seedLinkedResources(this.tenant, linkedRandom, SEED_EPOCH_MS, this.workspaces, { companions: false });
    return this.tenant;
  }

  /**
   * Access that reaches a persona only through nested groups, as real tenants have: "All ML Staff" holds AzureML
   * Compute Operator on mlw-fraud-prod, and the team lead is in it through DS - Fraud → Data Scientists → All ML Staff.
   */
  private seedNestedGroupAccess(): void {
    const fraud = this.workspaces.find((workspace) => workspace.name === "mlw-fraud-prod");
    if (!fraud) throw new Error("No workspace mlw-fraud-prod");
    this.assign(workspaceArmId(fraud.subscriptionId, fraud.resourceGroup, fraud.name), this.mustGroup("All ML Staff").id, "Group", ROLE_IDS.computeOperator);
  }

  /**
   * A resource group whose name has non-ASCII letters, holding a workspace, as Azure allows ("Unicode characters that
   * match the allowed characters", Resource Groups - Create Or Update): every scope parser has to read it.
   */
  private seedUnicodeResourceGroup(): void {
    const production = this.subscriptionId("production");
    const rg: ResourceGroupPlan = { name: UNICODE_RESOURCE_GROUP, location: "germanywestcentral", workspaces: [] };
    this.tenant.addResourceGroup({ subscriptionId: production, name: rg.name, location: rg.location, tags: { environment: "production" } });
    const workspace = this.seedWorkspace(
      production,
      rg,
      ws(UNICODE_RESOURCE_GROUP_WORKSPACE, "Forecasting Munich (prod)", "Regional demand forecasts."),
      "production",
    );
    const scope = workspaceArmId(production, rg.name, workspace.name);
    this.assign(scope, CONSOLE_API_SERVICE_PRINCIPAL_ID, "ServicePrincipal", ROLE_IDS.rbacAdministrator);
    this.assign(resourceGroupArmId(production, rg.name), workspace.systemAssignedPrincipalId, "ServicePrincipal", ROLE_IDS.reader);
    this.assign(scope, this.mustGroup("DS - Forecasting").id, "Group", ROLE_IDS.dataScientist);
  }

  /**
   * Custom roles as organisations define them. One is assignable only at a resource group, so ARM lists it at that
   * resource group and below but not at the subscription; one can write role assignments, so it is privileged although
   * its name is on no list.
   */
  private seedCustomRoles(): void {
    const production = this.subscriptionId("production");
    const custom = (name: string, roleName: string, description: string, assignableScope: string, actions: string[]): RoleDefinitionRecord => ({
      name,
      roleName,
      type: "CustomRole",
      description,
      assignableScopes: [assignableScope],
      permissions: [{ actions, notActions: [], dataActions: [], notDataActions: [] }],
      createdOn: "2025-03-12T09:30:00.0000000Z",
      updatedOn: "2025-03-12T09:30:00.0000000Z",
      createdBy: persona("admin").objectId,
      updatedBy: persona("admin").objectId,
    });
    this.tenant.addRoleDefinition(
      custom(
        CUSTOM_ROLE_IDS.fraudModelReviewer,
        "Contoso Fraud Model Reviewer",
        "Reads fraud workspaces, their experiments and models, to review them before release.",
        resourceGroupArmId(production, "rg-ml-prod-eastus"),
        [
          "Microsoft.MachineLearningServices/workspaces/read",
          "Microsoft.MachineLearningServices/workspaces/experiments/*/read",
          "Microsoft.MachineLearningServices/workspaces/models/*/read",
        ],
      ),
    );
    this.tenant.addRoleDefinition(
      custom(
        CUSTOM_ROLE_IDS.accessDelegate,
        "Contoso ML Access Delegate",
        "Lets team leads manage who can use their workspaces.",
        subscriptionArmId(production),
        [
          "Microsoft.Authorization/roleAssignments/read",
          "Microsoft.Authorization/roleAssignments/write",
          "Microsoft.Authorization/roleAssignments/delete",
          "Microsoft.MachineLearningServices/workspaces/read",
        ],
      ),
    );
  }

  /**
   * What decides access on mlw-fraud-prod besides plain role assignments (see SEEDED_BEYOND_ASSIGNMENTS): a PIM
   * eligibility, a PIM activation with its end (and the role assignment PIM made for it), an RBAC Administrator
   * assignment limited by an ABAC condition, and a deny assignment from a deployment stack. Fixed ids and no random
   * draws, so the rest of the seed stays as it was; the people are the first members who hold nothing anywhere.
   */
  private seedAccessBeyondAssignments(): void {
    const fraud = this.workspaces.find((workspace) => workspace.name === "mlw-fraud-prod");
    if (!fraud) throw new Error("No workspace mlw-fraud-prod");
    const scope = workspaceArmId(fraud.subscriptionId, fraud.resourceGroup, fraud.name);
    const unassigned = this.seededUsers.filter(
      (user) =>
        user.userType === "Member" && this.tenant.roleAssignmentsOfPrincipal(user.id).length === 0 && this.tenant.transitiveGroupIds(user.id).length === 0,
    );
    const [eligible, activated, conditioned] = unassigned;
    if (!eligible || !activated || !conditioned) throw new Error("Not enough unassigned members for the PIM seed");
    const ids = SEEDED_BEYOND_ASSIGNMENTS;
    const hour = 3_600_000;
    const iso = (ms: number) => new Date(ms).toISOString();
    const admin = persona("admin").objectId;

    this.tenant.addRoleEligibility({
      name: ids.eligibility,
      scheduleName: ids.eligibilitySchedule,
      scope,
      roleDefinitionName: ROLE_IDS.dataScientist,
      principalId: eligible.id,
      principalType: "User",
      startDateTime: iso(this.nowMs - 30 * DAY_MS),
      endDateTime: iso(this.nowMs + 335 * DAY_MS),
      condition: null,
      conditionVersion: null,
      createdOn: iso(this.nowMs - 30 * DAY_MS),
    });

    this.tenant.addRoleEligibility({
      name: ids.activatedEligibility,
      scheduleName: ids.activatedEligibilitySchedule,
      scope,
      roleDefinitionName: ROLE_IDS.computeOperator,
      principalId: activated.id,
      principalType: "User",
      startDateTime: iso(this.nowMs - 60 * DAY_MS),
      endDateTime: null,
      condition: null,
      conditionVersion: null,
      createdOn: iso(this.nowMs - 60 * DAY_MS),
    });
    const activatedOn = armTimestamp(new Date(this.nowMs - hour));
    this.tenant.putRoleAssignment(
      newRoleAssignment({
        name: ids.activationRoleAssignment,
        scope,
        roleDefinitionName: ROLE_IDS.computeOperator,
        principalId: activated.id,
        principalType: "User",
        createdOn: activatedOn,
        createdBy: activated.id,
      }),
    );
    this.tenant.addRoleAssignmentSchedule({
      name: ids.activation,
      scheduleName: ids.activationSchedule,
      scope,
      roleDefinitionName: ROLE_IDS.computeOperator,
      principalId: activated.id,
      principalType: "User",
      assignmentType: "Activated",
      roleAssignmentName: ids.activationRoleAssignment,
      linkedEligibilityName: ids.activatedEligibility,
      startDateTime: iso(this.nowMs - hour),
      endDateTime: iso(this.nowMs + 7 * hour),
      condition: null,
      conditionVersion: null,
      createdOn: iso(this.nowMs - hour),
    });

    const conditionedOn = this.armDateFixed(120);
    this.tenant.putRoleAssignment(
      newRoleAssignment({
        name: ids.conditionedAssignment,
        scope,
        roleDefinitionName: ROLE_IDS.rbacAdministrator,
        principalId: conditioned.id,
        principalType: "User",
        description: "May assign only AzureML Data Scientist",
        condition: DATA_SCIENTIST_ONLY_CONDITION,
        conditionVersion: "2.0",
        createdOn: conditionedOn,
        createdBy: admin,
      }),
    );

    // A partner manages the research subscription through Azure Lighthouse.
    const research = this.tenant.subscriptions.get(this.subscriptionId("research").toLowerCase());
    if (research) research.managedByTenants = [LIGHTHOUSE_PARTNER_TENANT_ID];

    this.tenant.addDenyAssignment({
      name: ids.denyAssignment,
      denyAssignmentName: "Deployment stack stack-ml-fraud: deny write and delete",
      description: "Created by the deployment stack stack-ml-fraud: its resources cannot be deleted or changed outside the stack.",
      scope,
      permissions: [
        {
          actions: ["Microsoft.MachineLearningServices/workspaces/delete", "Microsoft.MachineLearningServices/workspaces/write"],
          notActions: [],
          dataActions: [],
          notDataActions: [],
        },
      ],
      principals: [{ id: EVERYONE_PRINCIPAL_ID, type: "SystemDefined" }],
      excludePrincipals: [],
      doNotApplyToChildScopes: false,
      isSystemProtected: true,
      createdOn: this.armDateFixed(200),
    });
  }

  /** An ARM timestamp `daysAgo` days before the seed epoch, without a random draw. */
  private armDateFixed(daysAgo: number): string {
    return armTimestamp(new Date(SEED_EPOCH_MS - daysAgo * DAY_MS));
  }

  // --- dates -------------------------------------------------------------------------------------

  /** A deterministic ISO date between `maxDaysAgo` and `minDaysAgo` before the seed epoch. */
  private pastDate(maxDaysAgo: number, minDaysAgo = 0): string {
    const days = this.rng.int(minDaysAgo, maxDaysAgo);
    return isoSeconds(SEED_EPOCH_MS - days * DAY_MS - this.rng.int(0, 86_399) * 1000);
  }

  private armDate(maxDaysAgo: number, minDaysAgo = 0): string {
    const days = this.rng.int(minDaysAgo, maxDaysAgo);
    const ms = SEED_EPOCH_MS - days * DAY_MS - this.rng.int(0, 86_399_999);
    return armTimestamp(new Date(ms), this.rng.int(0, 9999).toString().padStart(4, "0"));
  }

  // --- role definitions and personas -------------------------------------------------------------

  private seedRoleDefinitions(): void {
    // The AML roles, then the companion roles an access bundle grants on a workspace's linked resources.
    for (const raw of [...builtinRoleDefinitions, ...linkedRoleDefinitions]) {
      const definition: RoleDefinitionRecord = {
        name: raw.name,
        roleName: raw.properties.roleName,
        type: "BuiltInRole",
        description: raw.properties.description,
        assignableScopes: [...raw.properties.assignableScopes],
        permissions: raw.properties.permissions.map((p) => ({
          actions: [...p.actions],
          notActions: [...p.notActions],
          dataActions: [...p.dataActions],
          notDataActions: [...p.notDataActions],
        })),
        // The reference file leaves a few timestamps unknown; ARM always has them, so use a plausible date.
        createdOn: ("createdOn" in raw.properties ? raw.properties.createdOn : null) ?? "2023-11-01T00:00:00.0000000Z",
        updatedOn: ("updatedOn" in raw.properties ? raw.properties.updatedOn : null) ?? "2024-06-01T00:00:00.0000000Z",
        createdBy: null,
        updatedBy: null,
      };
      this.tenant.addRoleDefinition(definition);
    }
  }

  private seedPersonas(): void {
    // The step-up and fraud-owner personas came later; they are seeded last and without random draws so that the rest
    // stays as it was.
    for (const p of PERSONAS.filter((candidate) => candidate.key !== "step-up-admin" && candidate.key !== "fraud-owner")) {
      const [givenName, surname] = p.displayName.split(" ");
      this.tenant.addUser({
        kind: "user",
        id: p.objectId,
        userPrincipalName: p.userPrincipalName,
        displayName: p.displayName,
        givenName: givenName ?? null,
        surname: surname ?? null,
        mail: p.userPrincipalName,
        jobTitle: p.key === "security" ? "Security Analyst" : p.key === "no-role" ? "Data Scientist" : "ML Lead",
        department: p.key === "security" ? "Security" : "ML Platform",
        officeLocation: "Seattle",
        mobilePhone: null,
        businessPhones: [],
        preferredLanguage: "en-US",
        accountEnabled: true,
        userType: "Member",
        createdDateTime: this.pastDate(900, 600),
        password: p.password,
      });
      this.usedUpns.add(p.userPrincipalName.toLowerCase());
    }
  }

  // --- users and groups ------------------------------------------------------------------------------

  private uniqueUpn(localPart: string): string {
    let candidate = `${localPart}@${TENANT_DOMAIN}`;
    for (let n = 2; this.usedUpns.has(candidate.toLowerCase()); n++) candidate = `${localPart}${n}@${TENANT_DOMAIN}`;
    this.usedUpns.add(candidate.toLowerCase());
    return candidate;
  }

  private seedUser(upnPrefix = ""): UserRecord {
    const givenName = this.rng.pick(FIRST_NAMES);
    const surname = this.rng.pick(LAST_NAMES);
    const [department, titles] = this.rng.pick(DEPARTMENTS);
    const upn = this.uniqueUpn(`${upnPrefix}${givenName}.${surname}`.toLowerCase());
    const user = this.tenant.addUser({
      kind: "user",
      id: this.rng.guid(),
      userPrincipalName: upn,
      displayName: `${givenName} ${surname}`,
      givenName,
      surname,
      mail: upn,
      jobTitle: this.rng.pick(titles),
      department,
      officeLocation: this.rng.pick(OFFICES),
      mobilePhone: this.rng.chance(0.3) ? `+1 425 555 ${this.rng.int(1000, 9999)}` : null,
      businessPhones: this.rng.chance(0.5) ? [`+1 206 555 ${this.rng.int(1000, 9999)}`] : [],
      preferredLanguage: "en-US",
      accountEnabled: !this.rng.chance(0.05),
      userType: "Member",
      createdDateTime: this.pastDate(1500, 10),
      password: SEEDED_USER_PASSWORD,
    });
    this.seededUsers.push(user);
    return user;
  }

  private seedGuests(): void {
    for (const [name, domain] of [
      ["Priya Raman", "fabrikam.com"],
      ["Marco Bianchi", "northwindtraders.com"],
      ["Ada Quist", "adatum.com"],
    ] as const) {
      const [given, sur] = name.split(" ") as [string, string];
      const external = `${given.toLowerCase()}.${sur.toLowerCase()}@${domain}`;
      const guest = this.tenant.addUser({
        kind: "user",
        id: this.rng.guid(),
        userPrincipalName: `${external.replace("@", "_")}#EXT#@${TENANT_DOMAIN}`,
        displayName: `${name} (${domain})`,
        givenName: given,
        surname: sur,
        mail: external,
        jobTitle: "Consultant",
        department: null,
        officeLocation: null,
        mobilePhone: null,
        businessPhones: [],
        preferredLanguage: null,
        accountEnabled: true,
        userType: "Guest",
        createdDateTime: this.pastDate(400, 30),
        password: SEEDED_USER_PASSWORD,
      });
      this.seededUsers.push(guest);
    }
  }

  private seedGroups(): void {
    for (const [name] of GROUP_PLAN) {
      const nickname = name
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, "-")
        .replace(/^-|-$/g, "");
      const mailEnabled = this.rng.chance(0.3);
      // Drawn even when pinned, so that every later draw stays as it was.
      const drawnId = this.rng.guid();
      const group: GroupRecord = {
        kind: "group",
        id: PINNED_GROUP_IDS[name] ?? drawnId,
        displayName: name,
        description: `${name} (Contoso ML)`,
        mailNickname: nickname,
        mail: mailEnabled ? `${nickname}@${TENANT_DOMAIN}` : null,
        mailEnabled,
        securityEnabled: true,
        groupTypes: mailEnabled ? ["Unified"] : [],
        isAssignableToRole: false,
        visibility: mailEnabled ? "Private" : null,
        createdDateTime: this.pastDate(1200, 30),
        memberIds: [],
        ownerIds: [],
      };
      this.tenant.addGroup(group);
      this.groupsByName.set(name, group);
    }
    for (const [name, parent] of GROUP_PLAN) {
      const group = this.groupsByName.get(name);
      if (!group) continue;
      if (parent) this.tenant.addGroupMember(this.mustGroup(parent).id, group.id);
      if (name === "Automation Identities") continue; // Filled with service principals later.
      const memberCount = this.rng.int(4, 22);
      for (let i = 0; i < memberCount; i++) this.tenant.addGroupMember(group.id, this.rng.pick(this.seededUsers).id);
      group.ownerIds = [this.rng.pick(this.seededUsers).id];
    }
    const personaGroups: [PersonaKey, string][] = [
      ["admin", "ML Workspace Admins"],
      ["admin", "Cloud Platform Admins"],
      ["limited-admin", "ML Workspace Admins"],
      ["team-lead", "ML Team Leads"],
      ["team-lead", "DS - Fraud"],
      ["security", "Security Reviewers"],
      ["no-role", "DS - Churn"],
    ];
    for (const [key, groupName] of personaGroups) {
      this.tenant.addGroupMember(this.mustGroup(groupName).id, persona(key).objectId);
    }
  }

  /**
   * Console.Requester on "Data Scientists", a group whose members are mostly its nested team groups: Entra gives app
   * roles through direct membership only, so the no-role persona (DS - Churn → Data Scientists) gets no role and, with
   * "Assignment required" on the console API, is refused at sign-in with AADSTS50105. Fixed id and date, so no
   * seeded draw moves.
   */
  private seedNestedConsoleAssignment(): void {
    const created = isoSeconds(SEED_EPOCH_MS - 200 * DAY_MS);
    assignConsoleRole(this.tenant, "c0ffee00-5e7e-4000-8000-0000000000d5", this.mustGroup("Data Scientists").id, "Group", "Console.Requester", created);
  }

  /** A persona seeded after the random draws: a fixed id, name, job and creation date, and its console role. */
  private addLatePersona(
    key: PersonaKey,
    names: { readonly givenName: string; readonly surname: string; readonly jobTitle: string },
    created: string,
    consoleRole: { readonly assignmentId: string; readonly role: "Console.Admin" | "Console.Requester" },
  ): Persona {
    const p = persona(key);
    this.tenant.addUser({
      kind: "user",
      id: p.objectId,
      userPrincipalName: p.userPrincipalName,
      displayName: p.displayName,
      givenName: names.givenName,
      surname: names.surname,
      mail: p.userPrincipalName,
      jobTitle: names.jobTitle,
      department: "ML Platform",
      officeLocation: "Seattle",
      mobilePhone: null,
      businessPhones: [],
      preferredLanguage: "en-US",
      accountEnabled: true,
      userType: "Member",
      createdDateTime: created,
      password: p.password,
    });
    this.usedUpns.add(p.userPrincipalName.toLowerCase());
    assignConsoleRole(this.tenant, consoleRole.assignmentId, p.objectId, "User", consoleRole.role, created);
    return p;
  }

  /** Like Avery Admin (Owner of production, Console.Admin), but ARM demands MFA for their writes. */
  private seedStepUpPersona(): void {
    const p = this.addLatePersona("step-up-admin", { givenName: "Morgan", surname: "Step-Up", jobTitle: "ML Lead" }, isoSeconds(SEED_EPOCH_MS - 400 * DAY_MS), {
      assignmentId: "c0ffee00-5e7e-4000-8000-000000000006",
      role: "Console.Admin",
    });
    const createdOn = armTimestamp(new Date(SEED_EPOCH_MS - 400 * DAY_MS), "0006");
    this.tenant.putRoleAssignment(
      newRoleAssignment({
        name: "c0ffee00-5e7e-4000-8000-0000000000a6",
        scope: subscriptionArmId(this.subscriptionId("production")),
        roleDefinitionName: ROLE_IDS.owner,
        principalId: p.objectId,
        principalType: "User",
        createdOn,
        createdBy: persona("admin").objectId,
      }),
    );
    for (const each of PERSONAS) if (each.armWritesNeedMfa) this.tenant.armWriteMfaUsers.add(each.objectId.toLowerCase());
  }

  /**
   * The owner of DS - Fraud (besides its seeded owner), whom the sandbox's request policy routes mlw-fraud-* requests
   * to: a Console.Requester with Role Based Access Control Administrator on mlw-fraud-prod, so a routed approval there
   * grants as them. Unconditioned: the sandbox does not evaluate ABAC conditions and never lets a conditioned
   * assignment manage role assignments (sandbox/arm/authorize.ts). Fixed ids, no random draws.
   */
  private seedFraudOwnerPersona(): void {
    const created = isoSeconds(SEED_EPOCH_MS - 300 * DAY_MS);
    const p = this.addLatePersona("fraud-owner", { givenName: "Frankie", surname: "Fraud-Owner", jobTitle: "Fraud Analytics Lead" }, created, {
      assignmentId: "c0ffee00-5e7e-4000-8000-000000000007",
      role: "Console.Requester",
    });
    const group = this.mustGroup("DS - Fraud");
    group.ownerIds = [...group.ownerIds, p.objectId];
    const fraud = this.workspaces.find((workspace) => workspace.name === "mlw-fraud-prod");
    if (!fraud) throw new Error("No workspace mlw-fraud-prod");
    this.tenant.putRoleAssignment(
      newRoleAssignment({
        name: "c0ffee00-5e7e-4000-8000-0000000000a7",
        scope: workspaceArmId(fraud.subscriptionId, fraud.resourceGroup, fraud.name),
        roleDefinitionName: ROLE_IDS.rbacAdministrator,
        principalId: p.objectId,
        principalType: "User",
        description: "Fraud team lead: manages access to the fraud workspace",
        createdOn: armTimestamp(new Date(SEED_EPOCH_MS - 300 * DAY_MS), "0007"),
        createdBy: persona("admin").objectId,
      }),
    );
  }

  /**
   * Two principals the directory lookup does not return, and that are not deleted. A Cloud Solution Provider's
   * AdminAgents group reaches a customer's resources through GDAP as a `ForeignGroup` assignment (principal types in
   * the 2022-04-01 swagger: User, Group, ServicePrincipal, ForeignGroup, Device); Graph knows it only as a
   * `directoryObjectPartnerReference`. A user created at seeding (its dates are relative to the seeding time, like
   * credential dates) was given a role right away, with its principal type set, as ARM advises for new principals; its
   * directory reads by id lag behind. No draws from the seeded generator: the rest of the tenant stays as it was.
   */
  private seedPartnerAndFreshPrincipals(): void {
    const workspace = this.workspaces.find((candidate) => candidate.name === SEEDED_PARTNER.workspace);
    if (!workspace) throw new Error(`No workspace ${SEEDED_PARTNER.workspace}`);
    const scope = workspaceArmId(workspace.subscriptionId, workspace.resourceGroup, workspace.name);
    this.tenant.addPartnerReference({
      kind: "partnerReference",
      id: SEEDED_PARTNER.reference,
      displayName: SEEDED_PARTNER.referenceName,
      description: "Partner organisation's admin agents (GDAP)",
      externalPartnerTenantId: SEEDED_PARTNER.partnerTenantId,
      objectType: "Group",
    });
    this.tenant.putRoleAssignment(
      newRoleAssignment({
        name: SEEDED_PARTNER.referenceAssignment,
        scope,
        roleDefinitionName: ROLE_IDS.contributor,
        principalId: SEEDED_PARTNER.reference,
        principalType: "ForeignGroup",
        createdOn: armTimestamp(new Date(SEED_EPOCH_MS - 120 * DAY_MS), "0001"),
        createdBy: null,
      }),
    );

    const created = new Date(this.nowMs);
    const upn = `noor.haddad@${TENANT_DOMAIN}`;
    this.tenant.addUser({
      kind: "user",
      id: SEEDED_PARTNER.freshUser,
      userPrincipalName: upn,
      displayName: SEEDED_PARTNER.freshUserName,
      givenName: "Noor",
      surname: "Haddad",
      mail: upn,
      jobTitle: "Data Scientist",
      department: "Data Science",
      officeLocation: "Seattle",
      mobilePhone: null,
      businessPhones: [],
      preferredLanguage: "en-US",
      accountEnabled: true,
      userType: "Member",
      createdDateTime: isoSeconds(this.nowMs),
      password: SEEDED_USER_PASSWORD,
    });
    this.usedUpns.add(upn);
    this.tenant.delayReplication(SEEDED_PARTNER.freshUser, new Date(this.nowMs + FRESH_PRINCIPAL_REPLICATION_LAG_MS));
    this.tenant.putRoleAssignment(
      newRoleAssignment({
        name: SEEDED_PARTNER.freshAssignment,
        scope,
        roleDefinitionName: ROLE_IDS.dataScientist,
        principalId: SEEDED_PARTNER.freshUser,
        principalType: "User",
        createdOn: armTimestamp(created, "0002"),
        createdBy: persona("admin").objectId,
      }),
    );
  }

  private mustGroup(name: string): GroupRecord {
    const group = this.groupsByName.get(name);
    if (!group) throw new Error(`Seed plan names an unknown group ${name}`);
    return group;
  }

  private seedConsoleRoleAssignments(): void {
    const created = this.pastDate(300, 100);
    assignConsoleRole(this.tenant, this.rng.guid(), persona("admin").objectId, "User", "Console.Admin", created);
    assignConsoleRole(this.tenant, this.rng.guid(), persona("limited-admin").objectId, "User", "Console.Admin", created);
    // Through a group, as most tenants do it: exercises transitive app-role resolution.
    assignConsoleRole(this.tenant, this.rng.guid(), this.mustGroup("ML Team Leads").id, "Group", "Console.Requester", created);
    assignConsoleRole(this.tenant, this.rng.guid(), persona("security").objectId, "User", "Console.SecurityReader", created);
  }

  // --- ARM ----------------------------------------------------------------------------------------------

  private seedArm(): void {
    for (const plan of ARM_PLAN) {
      const subscriptionId = this.rng.guid();
      this.subscriptionIds.set(plan.key, subscriptionId);
      this.tenant.addSubscription({
        subscriptionId,
        displayName: plan.displayName,
        state: "Enabled",
        quotaId: "EnterpriseAgreement_2014-09-01",
        spendingLimit: "Off",
        tags: { costCenter: `CC-${this.rng.int(1000, 9999)}`, owner: "ml-platform" },
      });
      for (const rgPlan of plan.resourceGroups) {
        this.tenant.addResourceGroup({
          subscriptionId,
          name: rgPlan.name,
          location: rgPlan.location,
          tags: { environment: plan.key },
        });
        for (const wsPlan of rgPlan.workspaces) this.seedWorkspace(subscriptionId, rgPlan, wsPlan, plan.key);
      }
    }
    const production = this.subscriptionId("production");
    const userAssigned = ["uami-ml-training-prod", "uami-ml-inference-prod", "uami-feature-store", "uami-batch-scoring"].map((name) => {
      const armId = userAssignedIdentityArmId(production, "rg-shared-prod", name);
      return [armId, this.seedManagedIdentity(name, armId, true)] as const;
    });
    // Customer-managed-key workspaces use a user-assigned identity for encryption, as in the 2024-10-01 example.
    const [encryptionIdentityId, encryptionIdentity] = userAssigned[0] ?? [];
    for (const workspace of this.workspaces) {
      if (workspace.hbiWorkspace && encryptionIdentityId && encryptionIdentity) {
        workspace.userAssignedIdentities[encryptionIdentityId] = {
          principalId: encryptionIdentity.id,
          clientId: encryptionIdentity.appId,
        };
      }
    }
  }

  subscriptionId(key: SubscriptionPlan["key"]): string {
    const id = this.subscriptionIds.get(key);
    if (!id) throw new Error(`No subscription ${key}`);
    return id;
  }

  private seedWorkspace(subscriptionId: string, rg: ResourceGroupPlan, plan: WorkspacePlan, environment: string): WorkspaceRecord {
    const armId = workspaceArmId(subscriptionId, rg.name, plan.name);
    const identity = this.seedManagedIdentity(plan.name, armId, false);
    const workspace: WorkspaceRecord = {
      subscriptionId,
      resourceGroup: rg.name,
      name: plan.name,
      location: rg.location,
      kind: plan.kind,
      friendlyName: plan.friendlyName,
      description: plan.description,
      workspaceId: this.rng.guid(),
      createdAt: this.armDate(700, 200),
      createdBy: persona("admin").userPrincipalName,
      tags: { environment, team: plan.name.split("-")[1] ?? "ml" },
      publicNetworkAccess: environment === "production" ? "Disabled" : "Enabled",
      hbiWorkspace: plan.name.includes("fraud"),
      hubResourceId: plan.hub ? workspaceArmId(subscriptionId, rg.name, plan.hub) : null,
      systemAssignedPrincipalId: identity.id,
      userAssignedIdentities: {},
    };
    this.tenant.addWorkspace(workspace);
    this.workspaces.push(workspace);
    return workspace;
  }

  private seedManagedIdentity(name: string, armId: string, userAssigned: boolean): ServicePrincipalRecord {
    const appId = this.rng.guid();
    const start = this.nowMs - this.rng.int(1, 60) * DAY_MS;
    const sp = this.tenant.addServicePrincipal({
      kind: "servicePrincipal",
      id: this.rng.guid(),
      appId,
      displayName: name,
      appDisplayName: null,
      appDescription: null,
      description: null,
      servicePrincipalType: "ManagedIdentity",
      appOwnerOrganizationId: null,
      accountEnabled: true,
      appRoleAssignmentRequired: false,
      createdDateTime: this.pastDate(700, 100),
      servicePrincipalNames: [appId, `https://identity.azure.net/${this.rng.text(43)}=`],
      alternativeNames: [`isExplicit=${userAssigned ? "True" : "False"}`, armId],
      replyUrls: [],
      tags: [],
      signInAudience: null,
      appRoles: [],
      oauth2PermissionScopes: [],
      passwordCredentials: [],
      // Entra rotates a managed identity's certificate itself; it is visible on the SP object.
      keyCredentials: [this.keyCredential(start, start + 90 * DAY_MS, `CN=${appId}`)],
      ownerIds: [],
    });
    this.managedIdentities.push(sp);
    return sp;
  }

  // --- applications ------------------------------------------------------------------------------------

  private randomAppPlan(index: number): AppPlan {
    const name = `${APP_PURPOSES[index % APP_PURPOSES.length] ?? "app"}-${ENVIRONMENTS[index % 3] ?? "prod"}-${index}`;
    const shape = index % 6;
    const kind = (): CredentialKind => this.rng.pick(CREDENTIAL_KINDS);
    if (shape === 0) return { name, appSecrets: [], appCertificates: [], spSecrets: [kind()], federated: false };
    if (shape === 1) return { name, appSecrets: [], appCertificates: [], spSecrets: [], federated: true };
    if (shape === 2) return { name, appSecrets: [], appCertificates: [kind()], spSecrets: [], federated: false };
    if (shape === 3) return { name, appSecrets: [kind(), kind()], appCertificates: [], spSecrets: [], federated: false };
    if (shape === 4) return { name, appSecrets: [], appCertificates: [], spSecrets: [], federated: false };
    return { name, appSecrets: [kind()], appCertificates: [], spSecrets: [], federated: false };
  }

  private credentialWindow(kind: CredentialKind): [number, number] {
    const [minDays, maxDays] = EXPIRY_DAYS[kind];
    const end = this.nowMs + this.rng.int(minDays, maxDays) * DAY_MS + this.rng.int(0, 3600) * 1000;
    // Long-lived credentials span more than two years; the others follow common 6–24 month lifetimes.
    const lifetimeDays = kind === "longLived" ? this.rng.int(1100, 3650) : this.rng.pick([180, 365, 730]);
    return [end - lifetimeDays * DAY_MS, end];
  }

  private passwordCredential(kind: CredentialKind, displayName: string): PasswordCredentialRecord {
    const [start, end] = this.credentialWindow(kind);
    const secretText = this.rng.text(40);
    return {
      keyId: this.rng.guid(),
      displayName,
      hint: secretText.slice(0, 3),
      secretText,
      startDateTime: isoSeconds(start),
      endDateTime: isoSeconds(end),
    };
  }

  private keyCredential(start: number, end: number, displayName: string): KeyCredentialRecord {
    const sha1 = Buffer.from(Array.from({ length: 20 }, () => this.rng.int(0, 255)));
    const sha256 = Buffer.from(Array.from({ length: 32 }, () => this.rng.int(0, 255)));
    return {
      keyId: this.rng.guid(),
      displayName,
      type: "AsymmetricX509Cert",
      usage: "Verify",
      startDateTime: isoSeconds(start),
      endDateTime: isoSeconds(end),
      customKeyIdentifier: sha1.toString("hex").toUpperCase(),
      thumbprintSha1: sha1.toString("base64url"),
      thumbprintSha256: sha256.toString("base64url"),
      publicKeyPem: null,
    };
  }

  private seedApp(plan: AppPlan, ownerPool: readonly UserRecord[] = this.seededUsers): ServicePrincipalRecord {
    const appId = this.rng.guid();
    const federated: FederatedIdentityCredentialRecord[] = plan.federated
      ? [
          {
            id: this.rng.guid(),
            name: "github-main",
            issuer: "https://token.actions.githubusercontent.com",
            subject: `repo:contoso-ml/${plan.name}:ref:refs/heads/main`,
            description: "GitHub Actions deployments from main",
            audiences: [this.tenant.cloud.tokenExchangeAudience],
          },
        ]
      : [];
    const ownerCount = this.rng.int(0, 2);
    const application: ApplicationRecord = newApplication({
      id: this.rng.guid(),
      appId,
      displayName: plan.name,
      createdDateTime: this.pastDate(1400, 20),
      passwordCredentials: plan.appSecrets.map((kind, i) => this.passwordCredential(kind, `secret-${i + 1}`)),
      keyCredentials: plan.appCertificates.map((kind) => {
        const [start, end] = this.credentialWindow(kind);
        return this.keyCredential(start, end, `CN=${plan.name}`);
      }),
      federatedIdentityCredentials: federated,
      ownerIds: Array.from({ length: ownerCount }, () => this.rng.pick(ownerPool).id),
    });
    this.tenant.addApplication(application);
    const sp = this.tenant.addServicePrincipal({
      kind: "servicePrincipal",
      id: this.rng.guid(),
      appId,
      displayName: plan.name,
      appDisplayName: plan.name,
      appDescription: null,
      description: null,
      servicePrincipalType: "Application",
      appOwnerOrganizationId: this.tenant.tenantId,
      accountEnabled: true,
      appRoleAssignmentRequired: false,
      createdDateTime: application.createdDateTime,
      servicePrincipalNames: [appId],
      alternativeNames: [],
      replyUrls: [],
      tags: ["WindowsAzureActiveDirectoryIntegratedApp"],
      signInAudience: "AzureADMyOrg",
      appRoles: [],
      oauth2PermissionScopes: [],
      passwordCredentials: plan.spSecrets.map((kind) => this.passwordCredential(kind, "sp-secret")),
      keyCredentials: [],
      ownerIds: [...new Set(application.ownerIds)],
    });
    this.appServicePrincipals.push(sp);
    return sp;
  }

  private seedAutomationGroup(): void {
    const group = this.mustGroup("Automation Identities");
    for (const sp of this.appServicePrincipals.slice(0, 8)) this.tenant.addGroupMember(group.id, sp.id);
    for (const mi of this.managedIdentities.slice(0, 3)) this.tenant.addGroupMember(group.id, mi.id);
  }

  // --- role assignments ------------------------------------------------------------------------------

  /** Adds an assignment unless the (scope, principal, role) triple exists; returns whether it was added. */
  private assign(scope: string, principalId: string, principalType: RoleAssignmentPrincipalType, roleId: string): boolean {
    const triple = `${scope.toLowerCase()}|${principalId.toLowerCase()}|${roleId}`;
    if (this.assignmentTriples.has(triple)) return false;
    this.assignmentTriples.add(triple);
    const createdOn = this.armDate(600, 2);
    const creator = persona("admin").objectId;
    this.tenant.putRoleAssignment(
      newRoleAssignment({
        name: this.rng.guid(),
        scope,
        roleDefinitionName: roleId,
        principalId,
        principalType,
        createdOn,
        createdBy: creator,
      }),
    );
    return true;
  }

  private weightedWorkspaceRole(): string {
    const total = WORKSPACE_ROLE_WEIGHTS.reduce((sum, [, weight]) => sum + weight, 0);
    let roll = this.rng.next() * total;
    for (const [roleId, weight] of WORKSPACE_ROLE_WEIGHTS) {
      roll -= weight;
      if (roll < 0) return roleId;
    }
    return ROLE_IDS.reader;
  }

  /**
   * Groups with a persona among their (transitive) members never get random roles, so each persona's Azure access is
   * exactly what its description says (the limited admin must stay Reader-only).
   */
  private randomAssignableGroups(): GroupRecord[] {
    if (!this.assignableGroups) {
      const personaGroups = new Set(PERSONAS.flatMap((p) => this.tenant.transitiveGroupIds(p.objectId)));
      this.assignableGroups = [...this.groupsByName.values()].filter((g) => !personaGroups.has(g.id.toLowerCase()));
    }
    return this.assignableGroups;
  }

  private randomPrincipal(): [string, RoleAssignmentPrincipalType] {
    const roll = this.rng.next();
    if (roll < 0.6) return [this.rng.pick(this.seededUsers).id, "User"];
    if (roll < 0.85) return [this.rng.pick(this.randomAssignableGroups()).id, "Group"];
    if (roll < 0.95) return [this.rng.pick(this.appServicePrincipals).id, "ServicePrincipal"];
    return [this.rng.pick(this.managedIdentities).id, "ServicePrincipal"];
  }

  private seedRoleAssignments(): void {
    const production = this.subscriptionId("production");
    const development = this.subscriptionId("development");
    const allSubscriptions = [...this.subscriptionIds.values()];
    const ws = (name: string): string => {
      const workspace = this.workspaces.find((w) => w.name === name);
      if (!workspace) throw new Error(`No workspace ${name}`);
      return workspaceArmId(workspace.subscriptionId, workspace.resourceGroup, workspace.name);
    };
    // Personas.
    this.assign(subscriptionArmId(production), persona("admin").objectId, "User", ROLE_IDS.owner);
    this.assign(subscriptionArmId(production), persona("limited-admin").objectId, "User", ROLE_IDS.reader);
    this.assign(subscriptionArmId(development), persona("limited-admin").objectId, "User", ROLE_IDS.reader);
    for (const sub of allSubscriptions) this.assign(subscriptionArmId(sub), persona("security").objectId, "User", ROLE_IDS.reader);
    this.assign(ws("mlw-fraud-prod"), persona("team-lead").objectId, "User", ROLE_IDS.dataScientist);
    this.assign(resourceGroupArmId(production, "rg-ml-prod-eastus"), persona("team-lead").objectId, "User", ROLE_IDS.reader);
    this.assign(ws("mlw-sandbox-dev"), persona("no-role").objectId, "User", ROLE_IDS.dataScientist);
    // The console's API identity: manage access on workspaces, read subscriptions for unattended jobs.
    for (const sub of allSubscriptions) {
      this.assign(subscriptionArmId(sub), CONSOLE_API_SERVICE_PRINCIPAL_ID, "ServicePrincipal", ROLE_IDS.reader);
    }
    for (const workspace of this.workspaces) {
      const scope = workspaceArmId(workspace.subscriptionId, workspace.resourceGroup, workspace.name);
      this.assign(scope, CONSOLE_API_SERVICE_PRINCIPAL_ID, "ServicePrincipal", ROLE_IDS.rbacAdministrator);
      // Workspace identities read their resource group (as AML sets up for linked resources).
      this.assign(
        resourceGroupArmId(workspace.subscriptionId, workspace.resourceGroup),
        workspace.systemAssignedPrincipalId,
        "ServicePrincipal",
        ROLE_IDS.reader,
      );
    }
    // The featured risky app: SP-object secret expiring within 7 days, and Data Scientist on a workspace.
    const fraudScoring = this.appServicePrincipals[0];
    if (fraudScoring) this.assign(ws("mlw-fraud-prod"), fraudScoring.id, "ServicePrincipal", ROLE_IDS.dataScientist);
    this.assign(ws("mlw-fraud-prod"), this.mustGroup("DS - Fraud").id, "Group", ROLE_IDS.dataScientist);
    this.assign(ws("mlw-churn-prod"), this.mustGroup("DS - Churn").id, "Group", ROLE_IDS.dataScientist);
    this.assign(subscriptionArmId(production), this.mustGroup("ML Workspace Admins").id, "Group", ROLE_IDS.reader);

    for (const workspace of this.workspaces) {
      const scope = workspaceArmId(workspace.subscriptionId, workspace.resourceGroup, workspace.name);
      for (let added = 0; added < 26;) if (this.assign(scope, ...this.randomPrincipal(), this.weightedWorkspaceRole())) added++;
    }
    for (const rg of this.tenant.resourceGroups.values()) {
      const scope = resourceGroupArmId(rg.subscriptionId, rg.name);
      for (let added = 0; added < 6;) if (this.assign(scope, ...this.randomPrincipal(), this.weightedWorkspaceRole())) added++;
    }
    for (const sub of allSubscriptions) {
      const roles = [ROLE_IDS.reader, ROLE_IDS.contributor, ROLE_IDS.reader, ROLE_IDS.userAccessAdministrator];
      for (let added = 0; added < 6;) if (this.assign(subscriptionArmId(sub), ...this.randomPrincipal(), this.rng.pick(roles))) added++;
    }
  }

  /** Principals that held roles and were then deleted: their assignments stay ("Identity not found"). */
  private seedOrphans(): void {
    const targets = this.workspaces.slice(0, 4);
    for (const [index, workspace] of targets.entries()) {
      const scope = workspaceArmId(workspace.subscriptionId, workspace.resourceGroup, workspace.name);
      const leaver = this.seedUser("former.");
      this.assign(scope, leaver.id, "User", ROLE_IDS.dataScientist);
      if (index === 0) this.assign(resourceGroupArmId(workspace.subscriptionId, workspace.resourceGroup), leaver.id, "User", ROLE_IDS.reader);
      this.seededUsers.pop();
      this.tenant.deleteDirectoryObject(leaver.id);
    }
    const retiredApp = this.seedApp({ name: "retired-scoring-app", appSecrets: [], appCertificates: [], spSecrets: ["expired"], federated: false });
    const first = targets[0];
    if (first) this.assign(workspaceArmId(first.subscriptionId, first.resourceGroup, first.name), retiredApp.id, "ServicePrincipal", ROLE_IDS.computeOperator);
    this.appServicePrincipals.pop();
    this.tenant.deleteDirectoryObject(retiredApp.id);
  }

  /**
   * Credentials that are not sign-in secrets, have no subject or live outside Graph, as real tenants hold them:
   * - "expense-portal-saml": a SAML single sign-on enterprise app whose service principal carries a token-signing
   *   certificate as `servicePrincipal: addTokenSigningCertificate` stores one — a private key with usage Sign, a public
   *   key with usage Verify and a passwordCredential (the PFX password), all three with the same customKeyIdentifier,
   *   the password and the Sign key with the same keyId
   *   (https://learn.microsoft.com/graph/api/serviceprincipal-addtokensigningcertificate). It expires within 30 days;
   *   Entra makes these for up to 3 years.
   * - "release-publisher": a flexible federated credential, `subject: null` with a `claimsMatchingExpression`
   *   (https://learn.microsoft.com/entra/workload-id/workload-identities-flexible-federated-identity-credentials).
   * - "uami-ml-inference-prod": a user-assigned managed identity trusting an AKS service account, a federated
   *   credential ARM keeps on the identity resource (Microsoft.ManagedIdentity 2023-01-31), not Graph.
   */
  private seedSamlAndFlexibleCredentials(): void {
    const saml = this.seedApp({ name: "expense-portal-saml", appSecrets: [], appCertificates: [], spSecrets: [], federated: false });
    const end = this.nowMs + 21 * DAY_MS;
    const start = end - 3 * 365 * DAY_MS;
    const sign = this.keyCredential(start, end, "CN=Microsoft Azure Federated SSO Certificate");
    // Binary on the wire (base64 of the thumbprint's bytes); preferredTokenSigningKeyThumbprint is the same thumbprint in hex.
    const thumbprint = sign.customKeyIdentifier;
    const customKeyIdentifier = Buffer.from(thumbprint, "hex").toString("base64");
    const secretText = this.rng.text(40);
    saml.keyCredentials = [
      { ...sign, usage: "Sign", customKeyIdentifier },
      { ...sign, keyId: this.rng.guid(), usage: "Verify", customKeyIdentifier },
    ];
    saml.passwordCredentials = [
      {
        keyId: sign.keyId,
        displayName: sign.displayName,
        hint: secretText.slice(0, 3),
        secretText,
        startDateTime: sign.startDateTime,
        endDateTime: sign.endDateTime,
        customKeyIdentifier,
      },
    ];
    saml.preferredSingleSignOnMode = "saml";
    saml.preferredTokenSigningKeyThumbprint = thumbprint;

    const publisher = this.seedApp({ name: "release-publisher", appSecrets: [], appCertificates: [], spSecrets: [], federated: false });
    const application = this.tenant.getApplicationByAppId(publisher.appId);
    if (!application) throw new Error("No application release-publisher");
    application.federatedIdentityCredentials = [
      {
        id: this.rng.guid(),
        name: "github-release-tags",
        issuer: "https://token.actions.githubusercontent.com",
        subject: null,
        description: "GitHub Actions releases from version tags",
        audiences: ["api://AzureADTokenExchange"],
        claimsMatchingExpression: { value: "claims['sub'] matches 'repo:contoso-ml/release-publisher:ref:refs/tags/v*'", languageVersion: 1 },
      },
    ];

    // An AKS workload identity trusted by a user-assigned managed identity: Azure stores it on the ARM resource.
    const inference = this.managedIdentities.find((sp) => sp.displayName === "uami-ml-inference-prod");
    if (!inference) throw new Error("No managed identity uami-ml-inference-prod");
    inference.armFederatedIdentityCredentials = [
      {
        id: this.rng.guid(),
        name: "aks-scoring-workload",
        issuer: `https://oidc.prod-aks.azure.com/${this.tenant.tenantId}/${this.rng.guid()}/`,
        subject: "system:serviceaccount:ml-serving:scoring-api",
        description: null,
        audiences: ["api://AzureADTokenExchange"],
      },
    ];
  }

  // --- large scale -------------------------------------------------------------------------------------

  /**
   * 20,000 users, 5,000 applications, exactly 4,000 role assignments in the production subscription (its limit at
   * default settings), and one workspace (mlw-scale-prod) with 2,000 applicable assignments over ~1,500 principals.
   */
  private seedLargeScale(): void {
    const scaleUsers: UserRecord[] = [];
    while (this.tenant.users.size < 20_000) scaleUsers.push(this.seedUser("s."));
    const scaleApps: ServicePrincipalRecord[] = [];
    while (this.tenant.applications.size < 5_000) {
      const index = this.tenant.applications.size;
      const plan: AppPlan = {
        name: `${APP_PURPOSES[index % APP_PURPOSES.length] ?? "app"}-scale-${index}`,
        appSecrets: index % 4 === 0 ? [] : [this.rng.pick(CREDENTIAL_KINDS)],
        appCertificates: index % 7 === 0 ? [this.rng.pick(CREDENTIAL_KINDS)] : [],
        spSecrets: index % 9 === 0 ? [this.rng.pick(CREDENTIAL_KINDS)] : [],
        federated: index % 4 === 0,
      };
      scaleApps.push(this.seedApp(plan, scaleUsers));
    }
    const production = this.subscriptionId("production");
    this.tenant.addResourceGroup({ subscriptionId: production, name: "rg-ml-scale", location: "eastus", tags: { environment: "production" } });
    const scaleWorkspace = this.seedWorkspace(
      production,
      { name: "rg-ml-scale", location: "eastus", workspaces: [] },
      ws("mlw-scale-prod", "Scale benchmark (prod)", "Workspace with thousands of assignments for benchmarks."),
      "production",
    );
    const scaleScope = workspaceArmId(production, scaleWorkspace.resourceGroup, scaleWorkspace.name);
    this.assign(scaleScope, CONSOLE_API_SERVICE_PRINCIPAL_ID, "ServicePrincipal", ROLE_IDS.rbacAdministrator);
    this.seedWorkspaceFleet(scaleUsers);

    const groups = this.randomAssignableGroups();
    const pool: [string, RoleAssignmentPrincipalType][] = [
      ...scaleUsers.slice(0, 1_300).map((u): [string, RoleAssignmentPrincipalType] => [u.id, "User"]),
      ...scaleApps.slice(0, 170).map((sp): [string, RoleAssignmentPrincipalType] => [sp.id, "ServicePrincipal"]),
      ...groups.map((g): [string, RoleAssignmentPrincipalType] => [g.id, "Group"]),
    ];
    const productionScope = subscriptionArmId(production).toLowerCase();
    const applicableNow = [...this.tenant.roleAssignments.values()].filter((a) => {
      const scope = a.scope.toLowerCase();
      return scope === "/" || scope === productionScope || scope === scaleScope.toLowerCase();
    }).length;
    const roles = [ROLE_IDS.dataScientist, ROLE_IDS.reader, ROLE_IDS.computeOperator, ROLE_IDS.aiDeveloper];
    let needed = 2_000 - applicableNow;
    for (let k = 0; needed > 0; k++) {
      const principal = pool[k % pool.length];
      const role = roles[Math.floor(k / pool.length) % roles.length];
      if (!principal || !role) break;
      if (this.assign(scaleScope, principal[0], principal[1], role)) needed--;
    }
    // Fill the subscription to its limit with assignments that do not apply to the scale workspace.
    const otherScopes = this.workspaces
      .filter((w) => w.subscriptionId === production && w.name !== scaleWorkspace.name)
      .map((w) => workspaceArmId(w.subscriptionId, w.resourceGroup, w.name));
    let remaining = 4_000 - this.tenant.countRoleAssignmentsInSubscription(production);
    for (let k = 0; remaining > 0; k++) {
      const user = scaleUsers[1_300 + (k % (scaleUsers.length - 1_300))];
      const scope = otherScopes[k % otherScopes.length];
      if (!user || !scope) break;
      if (this.assign(scope, user.id, "User", this.weightedWorkspaceRole())) remaining--;
    }
  }

  /**
   * The large tenant grown to 1,000 subscriptions and 10,000 workspaces: the 997 added subscriptions each hold one
   * resource group of about ten workspaces, each with the console's identity and two users assigned, and the
   * security persona and the console read every subscription, as in the seed's own three.
   */
  private seedEstate(): void {
    const users = [...this.tenant.users.values()].filter((user) => user.userPrincipalName.startsWith("s."));
    const added = ESTATE_SUBSCRIPTIONS - this.tenant.subscriptions.size;
    let workspacesLeft = ESTATE_WORKSPACES - this.tenant.workspaces.size;
    let userIndex = 0;
    for (let index = 1; index <= added; index++) {
      const subscriptionId = this.rng.guid();
      const number = String(index).padStart(4, "0");
      this.tenant.addSubscription({
        subscriptionId,
        displayName: `Contoso Estate ${number}`,
        state: "Enabled",
        quotaId: "EnterpriseAgreement_2014-09-01",
        spendingLimit: "Off",
        tags: { costCenter: `CC-${this.rng.int(1000, 9999)}`, owner: "ml-platform" },
      });
      this.assign(subscriptionArmId(subscriptionId), persona("security").objectId, "User", ROLE_IDS.reader);
      this.assign(subscriptionArmId(subscriptionId), CONSOLE_API_SERVICE_PRINCIPAL_ID, "ServicePrincipal", ROLE_IDS.reader);
      const resourceGroup: ResourceGroupPlan = { name: `rg-ml-estate-${number}`, location: "westeurope", workspaces: [] };
      this.tenant.addResourceGroup({ subscriptionId, name: resourceGroup.name, location: resourceGroup.location, tags: { environment: "estate" } });
      const here = Math.ceil(workspacesLeft / (added - index + 1));
      for (let w = 1; w <= here; w++) {
        const workspace = this.seedWorkspace(
          subscriptionId,
          resourceGroup,
          ws(`mlw-estate-${number}-${String(w).padStart(2, "0")}`, `Estate ${number}/${w}`, "An estate workspace."),
          "estate",
        );
        const scope = workspaceArmId(subscriptionId, workspace.resourceGroup, workspace.name);
        this.assign(scope, CONSOLE_API_SERVICE_PRINCIPAL_ID, "ServicePrincipal", ROLE_IDS.rbacAdministrator);
        for (let k = 0; k < 2; k++) {
          const user = users[userIndex++ % users.length];
          if (user) this.assign(scope, user.id, "User", this.weightedWorkspaceRole());
        }
      }
      workspacesLeft -= here;
    }
  }

  /**
   * A fleet of ordinary workspaces in every subscription (a real ML estate has dozens), each with a few assignments
   * in the development and research subscriptions; the production subscription's are filled to its limit later.
   */
  private seedWorkspaceFleet(users: readonly UserRecord[]): void {
    let userIndex = 0;
    for (const plan of ARM_PLAN) {
      const subscriptionId = this.subscriptionId(plan.key);
      const environment = plan.key === "production" ? "prod" : plan.key === "development" ? "dev" : "research";
      const resourceGroup: ResourceGroupPlan = { name: `rg-ml-fleet-${environment}`, location: "northeurope", workspaces: [] };
      this.tenant.addResourceGroup({ subscriptionId, name: resourceGroup.name, location: resourceGroup.location, tags: { environment: plan.key } });
      for (let index = 1; index <= FLEET_WORKSPACES_PER_SUBSCRIPTION; index++) {
        const name = `mlw-fleet-${environment}-${String(index).padStart(2, "0")}`;
        const workspace = this.seedWorkspace(
          subscriptionId,
          resourceGroup,
          ws(name, `Fleet ${index} (${environment})`, "One of many team workspaces."),
          plan.key,
        );
        if (plan.key === "production") continue;
        const scope = workspaceArmId(subscriptionId, workspace.resourceGroup, workspace.name);
        for (let added = 0; added < 8; userIndex++) {
          const user = users[userIndex % users.length];
          if (!user) break;
          if (this.assign(scope, user.id, "User", this.weightedWorkspaceRole())) added++;
        }
      }
    }
  }
}

/** The large-estate variant: subscriptions and workspaces in all, as a big enterprise's ML estate. */
export const ESTATE_SUBSCRIPTIONS = 1_000;
export const ESTATE_WORKSPACES = 10_000;

/** Workspaces the large scale adds to each subscription, so the whole tenant has 51 over 3 subscriptions. */
const FLEET_WORKSPACES_PER_SUBSCRIPTION = 12;
export function seedContosoMl(options: SeedOptions): Tenant {
  return new ContosoSeeder(options).run();
}
