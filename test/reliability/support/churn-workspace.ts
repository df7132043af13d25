/**
 * The workspace the fault and crash tests change on their own sandbox tenants (seed 1, like every sandbox), and
 * seeded users who hold nothing on it yet.
 */
import { workspaceScope } from "@/lib/shared/arm-scope";
import { createTenant } from "@/sandbox/tenant/index";

export const DATA_SCIENTIST = "f6c7c914-8db3-469d-8ca1-694a8f32e121";
const oracle = createTenant({ seed: 1, scale: "default" });
const target = [...oracle.workspaces.values()].find((workspace) => workspace.name === "mlw-churn-prod")!;
export const WORKSPACE = workspaceScope(target.subscriptionId, target.resourceGroup, target.name);
/** A fault-rule glob over the workspace's role-assignment ids. */
export const ASSIGNMENTS_GLOB = `/subscriptions/*/resourceGroups/${target.resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${target.name}/providers/Microsoft.Authorization/roleAssignments/*`;
const holds = new Set([...oracle.roleAssignments.values()].filter((a) => a.scope.toLowerCase() === WORKSPACE.toLowerCase()).map((a) => a.principalId));
const PERSONA_UPN = /^(admin|limited-admin|team-lead|security|no-role)@/;
/** Seeded users (not personas) with no assignment on the workspace. */
export const FREE_USERS = [...oracle.users.values()].filter((user) => !PERSONA_UPN.test(user.userPrincipalName) && !holds.has(user.id));
