/**
 * The workspace page's role assignments as they cross to the browser: thousands of rows repeat a handful of roles
 * (name and description), scopes and principals, so those go once in tables and each row is a tuple of indexes and
 * its own fields. Lossless: `decodeAccessRows(encodeAccessRows(rows))` equals `rows`. Measured on the bench's 2,000
 * assignments, the page's HTML shrank from 2.5 MB to 0.8 MB, and to 0.5 MB once principals went as tuples and rows
 * stopped repeating their principal's id and their creator.
 *
 * `packAccessRows` then makes the tables two JSON texts: React serializes a string as it is, where it visits every
 * value of nested arrays and objects, on the server and again in the browser; at 2,000 rows those visits (and their
 * garbage) were the largest part of the page's own server time. Components that share the packed object get it
 * once (React sends an object it has already sent as a reference).
 */
import type { ResolvedPrincipal } from "@/lib/graph/principals";
import type { AccessRow } from "@/lib/workspaces/get-workspace-access";

const ASSIGNMENTS_SEGMENT = "/providers/Microsoft.Authorization/roleAssignments/";

/** -1: the directory did not return the principal (null); -2: the directory could not be asked (undefined). */
type PrincipalRef = number;

type RowTuple = [
  assignmentName: string,
  /** Null when the id is `<scope>/providers/Microsoft.Authorization/roleAssignments/<name>`, as ARM makes it. */
  assignmentId: string | null,
  scope: number,
  role: number,
  /** Null when it is exactly the id of the row's principal in the table (almost every row). */
  principalId: string | null,
  principalType: string,
  principal: PrincipalRef,
  principalStatus: AccessRow["principalStatus"],
  description: string | null,
  condition: string | null,
  pim: AccessRow["pim"],
  createdOn: string | null,
  /** An index into `creators`: a handful of people and pipelines make thousands of assignments. */
  createdBy: number | null,
  heldBy: AccessRow["heldBy"],
];

export interface AccessRowsWire {
  /** [scope, origin] */
  readonly scopes: readonly (readonly [string, AccessRow["origin"]])[];
  /** [role definition id, name, description] */
  readonly roles: readonly (readonly [string, string, string])[];
  readonly principals: readonly ResolvedPrincipal[];
  /** Who created the assignments (`createdBy`). */
  readonly creators: readonly string[];
  readonly rows: readonly RowTuple[];
}

function indexer<K, V>(list: V[], keyOf: (value: V) => K): (value: V) => number {
  const indexes = new Map<K, number>();
  return (value) => {
    const key = keyOf(value);
    let index = indexes.get(key);
    if (index === undefined) {
      index = list.push(value) - 1;
      indexes.set(key, index);
    }
    return index;
  };
}

/**
 * `extraPrincipals` (e.g. those of PIM eligibilities) join the principal table, so one table can serve every list on
 * the page that names principals.
 */
export function encodeAccessRows(rows: readonly AccessRow[], extraPrincipals: readonly ResolvedPrincipal[] = []): AccessRowsWire {
  const scopes: (readonly [string, AccessRow["origin"]])[] = [];
  const roles: (readonly [string, string, string])[] = [];
  const principals: ResolvedPrincipal[] = [];
  // A table entry must give back exactly what each row had, so every field of it is compared. Scopes and roles are
  // found by the scope (role id) first, then its few entries field by field: no key string is built per row (at 2,000
  // rows, those concatenations were most of this function's time). Principals are usually the same object on every
  // row that names them (one directory lookup), so identity is tried before their JSON.
  const scopeEntries = new Map<string, number[]>();
  const scopeIndex = (scope: string, origin: AccessRow["origin"]) => {
    let candidates = scopeEntries.get(scope);
    if (candidates === undefined) scopeEntries.set(scope, (candidates = []));
    for (const index of candidates) if (scopes[index]![1] === origin) return index;
    const index = scopes.push([scope, origin]) - 1;
    candidates.push(index);
    return index;
  };
  const roleEntries = new Map<string, number[]>();
  const roleIndex = (id: string, name: string, description: string) => {
    let candidates = roleEntries.get(id);
    if (candidates === undefined) roleEntries.set(id, (candidates = []));
    for (const index of candidates) if (roles[index]![1] === name && roles[index]![2] === description) return index;
    const index = roles.push([id, name, description]) - 1;
    candidates.push(index);
    return index;
  };
  const creators: string[] = [];
  const creatorIndex = indexer(creators, (creator) => creator);
  const principalByJson = indexer(principals, (principal) => JSON.stringify(principal));
  const principalByObject = new Map<ResolvedPrincipal, number>();
  const principalIndex = (principal: ResolvedPrincipal) => {
    let index = principalByObject.get(principal);
    if (index === undefined) {
      index = principalByJson(principal);
      principalByObject.set(principal, index);
    }
    return index;
  };
  const encoded = rows.map((row): RowTuple => {
    const { assignmentId, assignmentName, scope } = row;
    const principalRef = row.principal === null ? -1 : row.principal === undefined ? -2 : principalIndex(row.principal);
    // Canonical: `<scope>/providers/Microsoft.Authorization/roleAssignments/<name>`, checked without building it.
    const canonical =
      assignmentId.length === scope.length + ASSIGNMENTS_SEGMENT.length + assignmentName.length &&
      assignmentId.startsWith(scope) &&
      assignmentId.startsWith(ASSIGNMENTS_SEGMENT, scope.length) &&
      assignmentId.endsWith(assignmentName);
    return [
      assignmentName,
      canonical ? null : assignmentId,
      scopeIndex(scope, row.origin),
      roleIndex(row.roleDefinitionId, row.roleName, row.roleDescription),
      row.principal?.id === row.principalId ? null : row.principalId,
      row.principalType,
      principalRef,
      row.principalStatus,
      row.description,
      row.condition,
      row.pim,
      row.createdOn,
      row.createdBy === null ? null : creatorIndex(row.createdBy),
      row.heldBy,
    ];
  });
  for (const principal of extraPrincipals) principalIndex(principal);
  return { scopes, roles, principals, creators, rows: encoded };
}

export function decodeAccessRows(wire: AccessRowsWire): AccessRow[] {
  return wire.rows.map(
    ([
      assignmentName,
      assignmentId,
      scopeRef,
      roleRef,
      principalId,
      principalType,
      principalRef,
      principalStatus,
      description,
      condition,
      pim,
      createdOn,
      createdBy,
      heldBy,
    ]): AccessRow => {
      const [scope, origin] = wire.scopes[scopeRef]!;
      const [roleDefinitionId, roleName, roleDescription] = wire.roles[roleRef]!;
      const principal = principalRef === -1 ? null : principalRef === -2 ? undefined : wire.principals[principalRef]!;
      return {
        assignmentId: assignmentId ?? `${scope}${ASSIGNMENTS_SEGMENT}${assignmentName}`,
        assignmentName,
        scope,
        origin,
        roleDefinitionId,
        roleName,
        roleDescription,
        principalId: principalId ?? principal!.id,
        principalType,
        principal,
        principalStatus,
        description,
        condition,
        pim,
        createdOn,
        createdBy: createdBy === null ? null : wire.creators[createdBy]!,
        heldBy,
      };
    },
  );
}

export interface PackedAccessRows {
  /** JSON of the principal table, each principal a tuple. */
  readonly principals: string;
  /** JSON of `{ scopes, roles, creators, rows }`. */
  readonly table: string;
}

/** A principal as packed: [id, kind, display name, secondary id], without its keys repeated 1,000 times. */
type PrincipalTuple = [id: string, kind: ResolvedPrincipal["kind"], displayName: string, secondaryId: string | null];

export function packAccessRows({ principals, scopes, roles, creators, rows }: AccessRowsWire): PackedAccessRows {
  const tuples = principals.map((principal): PrincipalTuple => [principal.id, principal.kind, principal.displayName, principal.secondaryId]);
  return { principals: JSON.stringify(tuples), table: JSON.stringify({ scopes, roles, creators, rows }) };
}

export function unpackAccessRows(packed: PackedAccessRows): AccessRowsWire {
  const { scopes, roles, creators, rows } = JSON.parse(packed.table) as Omit<AccessRowsWire, "principals">;
  return { scopes, roles, principals: unpackPrincipals(packed), creators, rows };
}

// The table and the check panel get the same packed object: its principals are parsed once for both. Callers only read them.
const unpacked = new WeakMap<PackedAccessRows, ResolvedPrincipal[]>();

/** Only the principal table, for the other lists on the page that name principals. */
export function unpackPrincipals(packed: PackedAccessRows): ResolvedPrincipal[] {
  let principals = unpacked.get(packed);
  if (principals === undefined) {
    principals = (JSON.parse(packed.principals) as PrincipalTuple[]).map(([id, kind, displayName, secondaryId]): ResolvedPrincipal => ({
      id,
      kind,
      displayName,
      secondaryId,
    }));
    unpacked.set(packed, principals);
  }
  return principals;
}
