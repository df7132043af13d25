import "server-only";

/**
 * Access bundles as the policy file defines them: a workspace role plus companion roles on the resources the
 * workspace links to (its storage account, key vault, container registry, Application Insights) and on chosen Azure
 * ML registries. Pure; the dialogs get the parts from the server.
 */
import { z } from "zod";

import { LINKED_RESOURCE_KINDS } from "@/lib/shared/linked-resource-kinds";
import { LOWER_CASE_GUID } from "@/lib/shared/patterns";

export { LINKED_RESOURCE_KINDS, LINKED_RESOURCE_LABELS, type LinkedResourceKind } from "@/lib/shared/linked-resource-kinds";

const roleId = z.string().regex(LOWER_CASE_GUID, "must be a lower-case role definition GUID");
const registryId = z
  .string()
  .regex(
    /^\/subscriptions\/[0-9a-f-]{36}\/resourceGroups\/[^/]+\/providers\/Microsoft\.MachineLearningServices\/registries\/[^/]+$/i,
    "must be the full ARM id of an Azure ML registry",
  );

export const companionSchema = z
  .strictObject({
    on: z.enum(LINKED_RESOURCE_KINDS),
    roleDefinitionId: roleId,
    name: z.string().min(1).max(256),
    /** Why a data scientist needs it: shown beside the part in every dialog. */
    why: z.string().min(1).max(500),
    /**
     * `vaultUsesRbac`: only where the key vault authorizes data access with Azure RBAC. A vault in access-policy mode
     * ignores role assignments for secrets, so granting one there would give nothing and mislead.
     */
    onlyWhen: z.literal("vaultUsesRbac").optional(),
    /** For `amlRegistry`: the registries (full ARM ids) the role is granted on. */
    registries: z.array(registryId).max(20).optional(),
  })
  .superRefine((companion, context) => {
    if (companion.on === "amlRegistry" && !companion.registries?.length) {
      context.addIssue({ code: "custom", path: ["registries"], message: "an amlRegistry companion names at least one registry" });
    }
    if (companion.on !== "amlRegistry" && companion.registries) {
      context.addIssue({ code: "custom", path: ["registries"], message: "only an amlRegistry companion names registries" });
    }
    if (companion.onlyWhen === "vaultUsesRbac" && companion.on !== "keyVault") {
      context.addIssue({ code: "custom", path: ["onlyWhen"], message: "vaultUsesRbac applies to a keyVault companion only" });
    }
  });

export const bundleSchema = z.strictObject({
  /** Stable id (kept on requests and grants): lower-case letters, digits and dashes. */
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, "lower-case letters, digits and dashes"),
  name: z.string().min(1).max(100),
  description: z.string().min(1).max(500),
  workspaceRole: z.strictObject({ roleDefinitionId: roleId, name: z.string().min(1).max(256) }),
  companions: z.array(companionSchema).max(20),
});

export type BundleDefinition = z.output<typeof bundleSchema>;
export type CompanionDefinition = z.output<typeof companionSchema>;
