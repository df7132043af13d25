import { describe, expect, it } from "vitest";

import type { CredentialRow } from "@/lib/shared/credentials";
import { credentialsCsv, csvField } from "./csv";
import { applyView, parseView } from "./view";

function row(overrides: Partial<CredentialRow>): CredentialRow {
  return {
    id: "application:a:k",
    identityKey: "app:a",
    identityName: "app",
    appId: "a",
    objectType: "application",
    objectId: "a",
    kind: "secret",
    keyId: "k",
    credentialName: "secret-1",
    startDateTime: "2026-01-01T00:00:00Z",
    endDateTime: "2026-07-01T00:00:00Z",
    bucket: "healthy",
    risk: 10,
    owners: [],
    roles: [],
    ...overrides,
  };
}

describe("credential views", () => {
  const rows = [
    row({
      id: "1",
      identityName: "fraud-scoring-batch",
      objectType: "servicePrincipal",
      bucket: "within1",
      risk: 80,
      roles: [{ workspace: "mlw-fraud-prod", workspaceScope: "/x", roleId: "r", roleName: "AzureML Data Scientist", privileged: false, assignmentScope: "/x" }],
    }),
    row({ id: "2", identityName: "beta", bucket: "expired", risk: 50, owners: [{ id: "o", displayName: "Ada Admin", mail: "ada@contoso" }] }),
    row({ id: "3", identityName: "alpha", bucket: "secretless", risk: 0, objectType: "managedIdentity", kind: "managedIdentity" }),
  ];

  it("filters by bucket, type, owner, workspace and role, and sorts", () => {
    const view = (query: string) => {
      const parsed = parseView(new URLSearchParams(query));
      if (!parsed.ok) throw new Error(parsed.messages.join());
      return applyView(rows, parsed.view).map((r) => r.id);
    };
    expect(view("")).toEqual(["1", "2", "3"]);
    expect(view("bucket=within1")).toEqual(["1"]);
    expect(view("type=managedIdentity")).toEqual(["3"]);
    expect(view("owner=ada")).toEqual(["2"]);
    expect(view("workspace=mlw-fraud-prod&role=AzureML+Data+Scientist")).toEqual(["1"]);
    expect(view("sort=name")).toEqual(["3", "2", "1"]);
    expect(view("sort=name&dir=desc")).toEqual(["1", "2", "3"]);
    expect(parseView(new URLSearchParams("bucket=nope")).ok).toBe(false);
  });

  it("neutralises formulas in CSV and never writes a secret value", () => {
    expect(csvField('=HYPERLINK("x")')).toBe('"\'=HYPERLINK(""x"")"');
    expect(csvField("-1+2")).toBe('"\'-1+2"');
    expect(csvField("@SUM")).toBe('"\'@SUM"');
    expect(csvField(-5)).toBe('"-5"');
    const csv = credentialsCsv([row({ identityName: "+cmd|' /C calc'!A0" })], [7, 30, 90], "2026-06-01T00:00:00.000Z");
    expect(csv).toContain(`"'+cmd|' /C calc'!A0"`);
    expect(csv.split("\r\n")[1]).toMatch(/^"Identity","App id"/);
    // Graph's hint (a secret's first characters) is neither a column nor a value in the export.
    expect(csv.split("\r\n")[1]).not.toMatch(/hint/i);
  });
});
