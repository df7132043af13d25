import "server-only";

import { actionMatches, type PermissionBlock } from "@/lib/shared/rbac-actions";

import { namespaceOf, type OperationsCatalogue, type Plane, resourceTypeFromName } from "./catalogue";

/** What `expandRole` needs of a role definition; `RoleDefinition` (lib/workspaces/role-definitions.ts) has it. */
export interface RoleToExpand {
  readonly name: string;
  readonly permissions: readonly PermissionBlock[];
}

export type OperationVerb = "read" | "write" | "delete" | "action";

export interface GrantedOperation {
  readonly name: string;
  readonly plane: Plane;
  readonly resourceType: string;
  readonly verb: OperationVerb;
  /** What the catalogue says of it; absent for an operation a role names literally that the catalogue lacks. */
  readonly displayName?: string;
  readonly description?: string;
  /** Reads a secret: keys, connection or datastore secrets, credentials, a Key Vault secret's value. */
  readonly readsSecrets: boolean;
}

/** A pattern of one permission block whose reach the catalogue cannot enumerate, with what that block takes away. */
export interface UncataloguedReach {
  readonly plane: Plane;
  readonly pattern: string;
  readonly excluded: readonly string[];
  readonly role: string;
}

export interface RoleExpansion {
  readonly control: readonly GrantedOperation[];
  readonly data: readonly GrantedOperation[];
  /** The role's own blocks, unexpanded, for the "raw operations" view. */
  readonly patterns: readonly PermissionBlock[];
  /** Patterns that match nothing in the catalogue or reach namespaces it lacks (`*`, reads on every namespace, `Microsoft.Authorization/*`). */
  readonly uncatalogued: readonly UncataloguedReach[];
  /** The role gives at least the operations listed: some of its patterns reach beyond the catalogue. */
  readonly atLeast: boolean;
}

// Operations that hand out a secret: listing keys, secrets or credentials, reading environment or metadata secrets,
// notebook keys and tokens, and a Key Vault secret's value.
const SECRET_READS = [
  /\/list[a-z]*keys\/action$/,
  /\/listsecrets\/action$/,
  /\/listcredentials\/action$/,
  /\/readsecrets\/action$/,
  /\/getsecret\/action$/,
  /\/listnotebook(keys|accesstoken)\/read$/,
  /\/metadata\/secrets\/read$/,
  /\/onlineendpoints\/token\/action$/,
];

export function readsSecrets(operation: string): boolean {
  const lower = operation.toLowerCase();
  return SECRET_READS.some((pattern) => pattern.test(lower));
}

export function verbOf(operation: string): OperationVerb {
  const last = operation.split("/").at(-1)?.toLowerCase();
  return last === "read" || last === "write" || last === "delete" ? last : "action";
}

function planePatterns(block: PermissionBlock, plane: Plane): { allowed: readonly string[]; excluded: readonly string[] } {
  return plane === "control" ? { allowed: block.actions, excluded: block.notActions } : { allowed: block.dataActions, excluded: block.notDataActions };
}

/** ARM's evaluation of one block on one plane: some allowed pattern matches and no excluded one does. */
export function blockAllows(block: PermissionBlock, plane: Plane, operation: string): boolean {
  const { allowed, excluded } = planePatterns(block, plane);
  return allowed.some((pattern) => actionMatches(pattern, operation)) && !excluded.some((pattern) => actionMatches(pattern, operation));
}

function uncataloguedOperation(name: string, plane: Plane): GrantedOperation {
  return { name, plane, resourceType: resourceTypeFromName(name), verb: verbOf(name), readsSecrets: readsSecrets(name) };
}

/**
 * The operations a role grants, on the control plane (`Actions` − `NotActions`) and the data plane (`DataActions` −
 * `NotDataActions`) separately, each block evaluated on its own as ARM does and the results joined. Wildcards are
 * expanded over the catalogue; where a pattern reaches beyond it the result says "at least", never fewer than the role
 * gives. A pattern naming one operation the catalogue lacks is still listed, without a description.
 */
export function expandRole(role: RoleToExpand, catalogue: OperationsCatalogue): RoleExpansion {
  const granted: Record<Plane, Map<string, GrantedOperation>> = { control: new Map(), data: new Map() };
  const uncatalogued: UncataloguedReach[] = [];
  for (const block of role.permissions) {
    for (const plane of ["control", "data"] as const) {
      const { allowed, excluded } = planePatterns(block, plane);
      const candidates = catalogue.operations.filter((operation) => operation.plane === plane);
      for (const operation of candidates) {
        if (!blockAllows(block, plane, operation.name)) continue;
        granted[plane].set(operation.name.toLowerCase(), {
          name: operation.name,
          plane,
          resourceType: operation.resourceType,
          verb: verbOf(operation.name),
          displayName: operation.displayName,
          description: operation.description,
          readsSecrets: readsSecrets(operation.name),
        });
      }
      for (const pattern of allowed) {
        // A pattern the block itself takes away entirely (its notActions match the pattern as written) gives nothing.
        if (excluded.some((exclusion) => actionMatches(exclusion, pattern))) continue;
        const matchesCatalogue = candidates.some((operation) => actionMatches(pattern, operation.name));
        const namespace = namespaceOf(pattern);
        const reachesBeyond = !matchesCatalogue || namespace.includes("*") || !catalogue.namespaces.has(namespace.toLowerCase());
        if (!reachesBeyond) continue;
        uncatalogued.push({ plane, pattern, excluded, role: role.name });
        if (!pattern.includes("*") && !granted[plane].has(pattern.toLowerCase())) {
          granted[plane].set(pattern.toLowerCase(), uncataloguedOperation(pattern, plane));
        }
      }
    }
  }
  const sorted = (plane: Plane) => [...granted[plane].values()].sort((a, b) => a.name.localeCompare(b.name));
  return { control: sorted("control"), data: sorted("data"), patterns: role.permissions, uncatalogued, atLeast: uncatalogued.length > 0 };
}
