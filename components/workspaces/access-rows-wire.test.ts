import { describe, expect, it } from "vitest";

import type { AccessRow } from "@/lib/workspaces/get-workspace-access";
import { decodeAccessRows, encodeAccessRows, packAccessRows, unpackAccessRows, unpackPrincipals } from "./access-rows-wire";

const SUBSCRIPTION = "/subscriptions/0b1f6471-1bf0-4dda-aec3-cb9272f09590";
const WORKSPACE = `${SUBSCRIPTION}/resourceGroups/rg-ml/providers/Microsoft.MachineLearningServices/workspaces/mlw-churn-dev`;

function row(name: string, overrides: Partial<AccessRow> = {}): AccessRow {
  return {
    assignmentId: `${WORKSPACE}/providers/Microsoft.Authorization/roleAssignments/${name}`,
    assignmentName: name,
    scope: WORKSPACE,
    origin: "workspace",
    roleDefinitionId: "f6c7c914-8db3-469d-8ca1-694a8f32e121",
    roleName: "AzureML Data Scientist",
    roleDescription: "Can perform all actions within an Azure Machine Learning workspace, except …",
    principalId: `${name}-principal`,
    principalType: "User",
    principal: { id: `${name}-principal`, kind: "user", displayName: name, secondaryId: `${name}@contoso.test` },
    principalStatus: "resolved",
    description: null,
    condition: null,
    pim: null,
    createdOn: "2026-01-01T00:00:00.000Z",
    createdBy: null,
    heldBy: [],
    ...overrides,
  };
}

const ROWS: AccessRow[] = [
  row("a"),
  row("b", { principal: null, principalStatus: "not_found" }),
  row("c", { principal: undefined, principalStatus: "not_resolvable" }),
  // An id that is not the canonical `<scope>/providers/…/<name>` (other casing) comes back exactly as it was.
  row("d", { assignmentId: `${WORKSPACE.toUpperCase()}/providers/Microsoft.Authorization/roleAssignments/d`, origin: "workspace" }),
  row("e", { scope: SUBSCRIPTION, origin: "subscription", assignmentId: `${SUBSCRIPTION}/providers/Microsoft.Authorization/roleAssignments/e` }),
  // The same role id with another name (definitions could not be read for one row) stays apart.
  row("f", { roleName: "f6c7c914-8db3-469d-8ca1-694a8f32e121", roleDescription: "" }),
  row("g", {
    principal: { id: "p", kind: "partner", displayName: "Partner helpdesk", secondaryId: null } as AccessRow["principal"],
    condition: "@Resource[x] StringEquals 'y'",
    description: "why",
    pim: { assignmentType: "Activated", endDateTime: "2026-02-01T00:00:00Z" },
    createdBy: "someone",
    heldBy: [{ id: 7, kind: "direct", label: "Direct grant by admin@contoso.test", href: null, expiresAt: null, preExisting: false }] as AccessRow["heldBy"],
  }),
  // A principal seen on two rows is one table entry.
  row("h", { principal: { id: "a-principal", kind: "user", displayName: "a", secondaryId: "a@contoso.test" } }),
];

describe("access rows on the wire", () => {
  it("decodes to exactly the rows that were encoded", () => {
    expect(decodeAccessRows(encodeAccessRows(ROWS))).toEqual(ROWS);
    expect(decodeAccessRows(encodeAccessRows([]))).toEqual([]);
  });

  it("sends each role, scope and principal once, and ARM-shaped assignment ids not at all", () => {
    const wire = encodeAccessRows(ROWS);
    expect(wire.roles).toHaveLength(2);
    expect(wire.scopes).toHaveLength(2);
    expect(wire.principals.map((principal) => principal.displayName)).toEqual(["a", "d", "e", "f", "Partner helpdesk"]);
    expect(wire.rows.map((tuple) => tuple[1])).toEqual([null, null, null, ROWS[3]!.assignmentId, null, null, null, null]);
    // A principal id is sent once, in the principal table, unless the row's own differs from it (or it has none there).
    expect(wire.rows.map((tuple) => tuple[4])).toEqual([null, "b-principal", "c-principal", null, null, null, "g-principal", "h-principal"]);
    expect(wire.creators).toEqual(["someone"]);
    expect(JSON.stringify(wire).length).toBeLessThan(JSON.stringify(ROWS).length / 2);
  });

  it("packs the tables into texts and unpacks them to the same wire", () => {
    const wire = encodeAccessRows(ROWS);
    const packed = packAccessRows(wire);
    expect([typeof packed.principals, typeof packed.table]).toEqual(["string", "string"]);
    expect(unpackAccessRows(packed)).toEqual(wire);
    expect(unpackPrincipals(packed)).toEqual(wire.principals);
    expect(decodeAccessRows(unpackAccessRows(packAccessRows(encodeAccessRows([]))))).toEqual([]);
  });

  it("keeps extra principals in the table", () => {
    const extra = { id: "x", kind: "group", displayName: "Eligible group", secondaryId: null } as const;
    expect(encodeAccessRows([row("a")], [extra]).principals).toHaveLength(2);
  });
});
