/**
 * The scopes the self-check reads come from Gatehouse's own records: mapped workspaces, workspaces of live requests
 * and of changes in flight; time-bound live requests also need the console to remove assignments there.
 */
import { randomUUID } from "node:crypto";

import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";

import type { DatabaseHandle } from "@/lib/db/client";
import { accessRequests } from "@/lib/requests/schema";
import { makeMapping } from "@/test/support/builders/mappings";
import { storageEngines } from "@/test/support/databases";
import { groupMappings } from "@/lib/mappings/schema";
import { listManagedScopes, logConsoleSetupCheck } from "./run-self-check";

const workspace = (name: string) =>
  `/subscriptions/00000000-0000-4000-8000-000000000001/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/${name}`;

function request(name: string, status: string, expiresAt: Date | null) {
  const now = new Date("2026-12-01T00:00:00Z");
  return {
    id: randomUUID(),
    workspaceId: workspace(name),
    workspaceKey: workspace(name).toLowerCase(),
    workspaceName: name,
    roleDefinitionId: "f6c7c914-8db3-469d-8ca1-694a8f32e121",
    roleName: "AzureML Data Scientist",
    principalId: randomUUID(),
    principalKind: "user",
    principalDisplayName: "Teammate",
    requesterObjectId: randomUUID(),
    requesterTenantId: randomUUID(),
    requesterName: "Requester",
    requesterUpn: "requester@contoso.com",
    justification: "Needs it",
    durationMinutes: expiresAt ? 60 : null,
    status,
    approvalsRequired: 1,
    createdAt: now,
    pendingUntil: now,
    expiresAt,
    updatedAt: now,
  } as typeof accessRequests.$inferInsert;
}

describe.each(storageEngines())("the self-check's managed scopes on $name", (engine) => {
  let handle: DatabaseHandle;
  beforeAll(async () => {
    handle = await engine.open();
  });
  afterAll(async () => {
    await handle?.close();
  });

  it("are mapped workspaces and live requests' workspaces; time-bound live requests' need assignment removal", async () => {
    await handle.db.insert(groupMappings).values(makeMapping({ scope: workspace("mlw-mapped") }));
    await handle.db
      .insert(accessRequests)
      .values([
        request("mlw-permanent", "granted", null),
        request("mlw-time-bound", "granted", new Date("2026-12-08T00:00:00Z")),
        request("mlw-denied", "denied", null),
        request("mlw-pending", "pending", null),
      ]);
    const scopes = await listManagedScopes(handle.db);
    expect([...scopes.managedScopes].sort()).toEqual([workspace("mlw-mapped"), workspace("mlw-permanent"), workspace("mlw-time-bound")].sort());
    expect(scopes.expiryScopes).toEqual([workspace("mlw-time-bound")]);
  });
});

describe("the self-check at start-up", () => {
  it("logs its head line and one line per finding, here against the shared sandbox's seeded setup", async () => {
    const handle = await storageEngines()[0]!.open();
    const lines: string[] = [];
    const out = vi.spyOn(console, "log").mockImplementation((line: string) => void lines.push(line));
    const err = vi.spyOn(console, "error").mockImplementation((line: string) => void lines.push(line));
    try {
      await logConsoleSetupCheck(handle.db);
    } finally {
      out.mockRestore();
      err.mockRestore();
      await handle.close();
    }
    const selfCheck = lines
      .map((line) => JSON.parse(line) as { source: string; level: string; message: string; kind?: string })
      .filter((entry) => entry.source === "self-check");
    expect(selfCheck.map((entry) => [entry.level, entry.kind])).toEqual([
      ["info", undefined],
      // The sandbox's default sender holds the unscoped Entra ID Mail.Send grant: a note, not something missing.
      ["info", "note"],
    ]);
    expect(selfCheck[0]?.message).toMatch(/nothing missing/);
    expect(selfCheck[1]?.message).toMatch(/Mail\.Send is granted/);
  });

  it("never throws: a database that fails is one warning", async () => {
    const failing = {
      selectDistinct: () => {
        throw new Error("connection refused");
      },
    } as unknown as Parameters<typeof logConsoleSetupCheck>[0];
    const lines: string[] = [];
    const err = vi.spyOn(console, "error").mockImplementation((line: string) => void lines.push(line));
    try {
      await expect(logConsoleSetupCheck(failing)).resolves.toBeUndefined();
    } finally {
      err.mockRestore();
    }
    expect(lines.map((line) => JSON.parse(line) as { source: string; level: string; message: string })).toEqual([
      expect.objectContaining({ source: "self-check", level: "warn", message: "the setup self-check could not run" }),
    ]);
  });
});
