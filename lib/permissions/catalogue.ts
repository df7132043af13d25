import "server-only";

import { z } from "zod";

/**
 * The provider-operations catalogue: every operation the resource providers define, as ARM lists them
 * (`GET /providers/Microsoft.Authorization/providerOperations/{namespace}?$expand=resourceTypes`,
 * ProviderOperationsMetadata). Role wildcards are expanded against it. Pure: the console fetches the metadata from ARM
 * and builds the catalogue with `catalogueFromProviderOperations`.
 */

export type Plane = "control" | "data";

export interface CatalogueOperation {
  /** The operation as ARM names it, e.g. `Microsoft.MachineLearningServices/workspaces/computes/write`. */
  readonly name: string;
  readonly displayName: string;
  readonly description: string;
  readonly plane: Plane;
  /** The resource type the operation acts on, with its namespace (`Microsoft.MachineLearningServices/workspaces/computes`). */
  readonly resourceType: string;
}

export interface OperationsCatalogue {
  /** Namespaces the catalogue holds, lower case: a pattern over any other namespace reaches beyond it. */
  readonly namespaces: ReadonlySet<string>;
  readonly operations: readonly CatalogueOperation[];
}

const operationSchema = z.object({
  name: z.string().min(1),
  displayName: z.string().nullish(),
  description: z.string().nullish(),
  isDataAction: z.boolean().nullish(),
});

/** ARM's answer; unknown fields are ignored (it is upstream data, not input). */
export const providerOperationsMetadataSchema = z.object({
  name: z.string().min(1),
  operations: z.array(operationSchema).nullish(),
  resourceTypes: z.array(z.object({ name: z.string().min(1), operations: z.array(operationSchema).nullish() })).nullish(),
});
export type ProviderOperationsMetadata = z.output<typeof providerOperationsMetadataSchema>;

export function catalogueFromProviderOperations(metadata: readonly unknown[]): OperationsCatalogue {
  const namespaces = new Set<string>();
  const byName = new Map<string, CatalogueOperation>();
  for (const raw of metadata) {
    const provider = providerOperationsMetadataSchema.parse(raw);
    namespaces.add(provider.name.toLowerCase());
    const entries = [
      ...(provider.operations ?? []).map((operation) => ({ operation, resourceType: provider.name })),
      ...(provider.resourceTypes ?? []).flatMap((type) =>
        (type.operations ?? []).map((operation) => ({ operation, resourceType: `${provider.name}/${type.name}` })),
      ),
    ];
    for (const { operation, resourceType } of entries) {
      const key = `${operation.isDataAction ? "data" : "control"} ${operation.name.toLowerCase()}`;
      if (byName.has(key)) continue;
      byName.set(key, {
        name: operation.name,
        displayName: operation.displayName ?? operation.name,
        description: operation.description ?? "",
        plane: operation.isDataAction ? "data" : "control",
        resourceType,
      });
    }
  }
  return { namespaces, operations: [...byName.values()] };
}

/** The namespace of an operation or a pattern: its first segment (`*` for a pattern over every namespace). */
export function namespaceOf(operationOrPattern: string): string {
  return operationOrPattern.split("/")[0] ?? operationOrPattern;
}

/**
 * The resource type of an operation not in the catalogue, read from its name: the segments between the namespace and
 * its verb (`…/computes/listKeys/action` acts on `…/computes`).
 */
export function resourceTypeFromName(name: string): string {
  const segments = name.split("/");
  const verbSegments = segments.at(-1)?.toLowerCase() === "action" && segments.length > 3 ? 2 : 1;
  return segments.slice(0, Math.max(1, segments.length - verbSegments)).join("/");
}
