import { describe, expect, it } from "vitest";

import { computeDrift, type DriftInput, grantKey, type MappingRecord, type WorkspaceAssignment } from "./drift";
import { planImport } from "./mapping-document";

const WS = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/mlw-test";
const DS = "f6c7c914-8db3-469d-8ca1-694a8f32e121";
const READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7";
const G1 = "11111111-1111-1111-1111-111111111111";
const G2 = "22222222-2222-2222-2222-222222222222";
const U1 = "aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa";
const U2 = "bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb";
const GONE = "dddddddd-dddd-dddd-dddd-dddddddddddd";
const PARTNER = "eeeeeeee-eeee-eeee-eeee-eeeeeeeeeeee";
const NOW = Date.parse("2026-06-01T12:00:00Z");
const WINDOW = 30 * 60_000;
const OLD = "2026-01-01T00:00:00.000Z";
const MOMENTS_AGO = new Date(NOW - 5 * 60_000).toISOString();

const mapping = (groupId: string, roleDefinitionId = DS, id = `m-${groupId.slice(0, 4)}`): MappingRecord => ({
  id,
  scope: WS,
  groupId,
  groupDisplayName: `Group ${groupId.slice(0, 4)}`,
  roleDefinitionId,
  roleName: roleDefinitionId === DS ? "AzureML Data Scientist" : "Reader",
  assignmentName: "00000000-0000-0000-0000-00000000000a",
  createdAt: "2026-01-01T00:00:00.000Z",
  createdBy: "admin@contoso",
});
const assignment = (principalId: string, principalType: string, roleDefinitionId = DS, createdOn: string | null = OLD): WorkspaceAssignment => ({
  assignmentId: `${WS}/providers/Microsoft.Authorization/roleAssignments/${principalId.slice(0, 8)}-${roleDefinitionId.slice(0, 4)}`,
  assignmentName: "x",
  principalId,
  principalType,
  roleDefinitionId,
  roleName: roleDefinitionId === DS ? "AzureML Data Scientist" : "Reader",
  createdOn,
});
const names = new Map([
  [G1, "DS Team"],
  [G2, "Readers"],
  [U1, "Uma"],
  [U2, "Ugo"],
]);

function input(partial: Partial<DriftInput>): DriftInput {
  return {
    workspace: { id: WS, name: "mlw-test" },
    mappings: [],
    assignments: [],
    principals: names,
    principalsComplete: true,
    now: NOW,
    replicationWindowMs: WINDOW,
    groupUsers: new Map(),
    ...partial,
  };
}

const cases: Array<[string, Partial<DriftInput>, Array<{ kind: string; principalId: string; change: string | null; dependsOn?: string | null }>]> = [
  ["nothing mapped, nothing assigned: no drift", {}, []],
  ["a mapping whose assignment exists: no drift", { mappings: [mapping(G1)], assignments: [assignment(G1, "Group")] }, []],
  ["mapped but missing: a create", { mappings: [mapping(G1)] }, [{ kind: "missing", principalId: G1, change: "grant" }]],
  [
    "same group, other role assigned: still missing, and the other is unmapped",
    { mappings: [mapping(G1)], assignments: [assignment(G1, "Group", READER)] },
    [
      { kind: "missing", principalId: G1, change: "grant" },
      { kind: "unmapped_group", principalId: G1, change: "revoke" },
    ],
  ],
  ["group assignment without a mapping: unmapped", { assignments: [assignment(G2, "Group")] }, [{ kind: "unmapped_group", principalId: G2, change: "revoke" }]],
  [
    "direct user assignment covered by a present mapped group: redundant",
    { mappings: [mapping(G1)], assignments: [assignment(G1, "Group"), assignment(U1, "User")], groupUsers: new Map([[G1, new Set([U1])]]) },
    [{ kind: "redundant_direct", principalId: U1, change: "revoke", dependsOn: null }],
  ],
  [
    "direct user assignment whose mapped group assignment is missing: redundant after the create",
    { mappings: [mapping(G1)], assignments: [assignment(U1, "User")], groupUsers: new Map([[G1, new Set([U1])]]) },
    [
      { kind: "missing", principalId: G1, change: "grant" },
      { kind: "redundant_direct", principalId: U1, change: "revoke", dependsOn: grantKey(WS, G1, DS) },
    ],
  ],
  [
    "direct user assignment with another role than the group's: not redundant",
    { mappings: [mapping(G1)], assignments: [assignment(G1, "Group"), assignment(U1, "User", READER)], groupUsers: new Map([[G1, new Set([U1])]]) },
    [],
  ],
  [
    "a user who is not a member: not redundant",
    { mappings: [mapping(G1)], assignments: [assignment(G1, "Group"), assignment(U2, "User")], groupUsers: new Map([[G1, new Set([U1])]]) },
    [],
  ],
  ["membership unknown: no redundancy claimed", { mappings: [mapping(G1)], assignments: [assignment(G1, "Group"), assignment(U1, "User")] }, []],
  ["assignment to a deleted identity", { assignments: [assignment(GONE, "User")] }, [{ kind: "deleted_principal", principalId: GONE, change: "revoke" }]],
  [
    "a CSP partner's group (ForeignGroup), resolved as a partner reference: no drift",
    { assignments: [assignment(PARTNER, "ForeignGroup")], principals: new Map([...names, [PARTNER, "Fabrikam CSP AdminAgents"]]) },
    [],
  ],
  ["a ForeignGroup the directory did not return: not called deleted", { assignments: [assignment(PARTNER, "ForeignGroup")] }, []],
  [
    "a Device or unknown principal type: not resolvable, not called deleted",
    { assignments: [assignment(GONE, "Device"), assignment(U2, "Unknown", READER)] },
    [],
  ],
  ["an identity assigned moments ago that the directory does not return yet: no revoke", { assignments: [assignment(GONE, "User", DS, MOMENTS_AGO)] }, []],
  ["an assignment without a creation time is not called deleted", { assignments: [assignment(GONE, "User", DS, null)] }, []],
  [
    "just past the replication window: deleted",
    { assignments: [assignment(GONE, "User", DS, new Date(NOW - WINDOW).toISOString())] },
    [{ kind: "deleted_principal", principalId: GONE, change: "revoke" }],
  ],
  ["directory unavailable: nobody is called deleted", { assignments: [assignment(GONE, "User")], principals: new Map(), principalsComplete: false }, []],
  ["mapped group deleted: fix the mapping, no create", { mappings: [mapping(GONE)] }, [{ kind: "mapped_group_deleted", principalId: GONE, change: null }]],
  ["service principal assignments are not drift", { assignments: [assignment(U2, "ServicePrincipal")] }, []],
  [
    "ids compare case-insensitively",
    { mappings: [mapping(G1.toUpperCase())], assignments: [{ ...assignment(G1, "Group"), roleDefinitionId: DS.toUpperCase() }] },
    [],
  ],
];

describe("computeDrift", () => {
  it.each(cases)("%s", (_name, partial, expected) => {
    const items = computeDrift(input(partial));
    expect(
      items.map((item) => ({
        kind: item.kind,
        principalId: item.principalId,
        change: item.change,
        ...("dependsOn" in (expected.find((e) => e.principalId === item.principalId && e.kind === item.kind) ?? {}) ? { dependsOn: item.dependsOn } : {}),
      })),
    ).toEqual(expected);
    for (const item of items) expect(item.reason.length).toBeGreaterThan(20);
  });

  it("gives every item a stable key: creates by workspace|group|role, deletes by assignment id", () => {
    const [missing] = computeDrift(input({ mappings: [mapping(G1)] }));
    expect(missing!.key).toBe(`grant:${WS.toLowerCase()}|${G1}|${DS}`);
    const [unmapped] = computeDrift(input({ assignments: [assignment(G2, "Group")] }));
    expect(unmapped!.key).toBe(`revoke:${assignment(G2, "Group").assignmentId.toLowerCase()}`);
  });
});

describe("planImport", () => {
  const doc = (entries: Array<[string, string]>) => ({
    kind: "gatehouse.mappings" as const,
    version: 1 as const,
    mappings: entries.map(([groupId, roleDefinitionId]) => ({ workspaceId: WS, groupId, roleDefinitionId })),
  });
  it("splits a document into creates, deletes and unchanged against the current mappings", () => {
    const plan = planImport(
      doc([
        [G1, DS],
        [G2.toUpperCase(), READER],
      ]),
      [mapping(G1), mapping(U1, READER)],
    );
    expect(plan.creates.map((e) => e.groupId)).toEqual([G2]);
    expect(plan.deletes.map((e) => e.groupId)).toEqual([U1]);
    expect(plan.unchanged.map((e) => e.groupId)).toEqual([G1]);
  });
  it("collapses duplicates in the document", () => {
    expect(
      planImport(
        doc([
          [G1, DS],
          [G1, DS],
        ]),
        [],
      ).creates,
    ).toHaveLength(1);
  });
});
