/**
 * Where a bundle's companion roles land, and their names in words. Apart from `lib/bundles/definition.ts` (which re-exports them)
 * so that browser code can name them without bundling zod: zod probes `new Function` once, which the console's CSP
 * reports as a blocked eval even though the probe's failure is caught.
 */

/** The workspace properties a companion role can land on, as ARM names them, plus chosen AML registries. */
export const LINKED_RESOURCE_KINDS = ["storageAccount", "keyVault", "containerRegistry", "applicationInsights", "amlRegistry"] as const;
export type LinkedResourceKind = (typeof LINKED_RESOURCE_KINDS)[number];

export const LINKED_RESOURCE_LABELS: Record<LinkedResourceKind, string> = {
  storageAccount: "storage account",
  keyVault: "key vault",
  containerRegistry: "container registry",
  applicationInsights: "Application Insights",
  amlRegistry: "Azure ML registry",
};

/** Where a part lands, in words: "workspace", or a linked resource's label; anything else as it was stored. */
export function placeWords(on: string): string {
  if (on === "workspace") return "workspace";
  return (LINKED_RESOURCE_KINDS as readonly string[]).includes(on) ? LINKED_RESOURCE_LABELS[on as LinkedResourceKind] : on;
}
