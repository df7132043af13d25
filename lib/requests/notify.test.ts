/**
 * Who is mailed as an approver: Console.Admin holders as Entra resolves app roles — assigned directly, or a direct
 * member of an assigned security group. Runs on a tenant of its own, because it assigns the role to more groups.
 */
import { afterAll, describe, expect, it } from "vitest";

import { PERSONAS } from "@/sandbox/tenant/index";
import { assignConsoleRole } from "@/sandbox/tenant/console-apps";
import { type PrivateSandbox, startPrivateSandbox } from "@/test/support/private-sandbox";

const privateSandbox: PrivateSandbox = await startPrivateSandbox();
const { findApprovers } = await import("./notify");

afterAll(async () => {
  await privateSandbox.close();
});

describe("findApprovers", () => {
  it("lists users assigned Console.Admin and direct user members of assigned security groups, never nested members", async () => {
    const tenant = privateSandbox.sandbox.tenant;
    const groups = [...tenant.groups.values()];
    const dataScientists = groups.find((group) => group.displayName === "Data Scientists")!;
    // A group with users both directly and through nested team groups (DS - Churn holds the no-role persona).
    const nestedOnly = tenant.transitiveMemberIds(dataScientists.id).filter((id) => tenant.users.has(id) && !dataScientists.memberIds.includes(id));
    expect(nestedOnly.length).toBeGreaterThan(0);
    assignConsoleRole(tenant, "0c0a5e11-7e57-4000-8000-000000000001", dataScientists.id, "Group", "Console.Admin", "2026-01-01T00:00:00Z");
    // Group-based assignment counts for security groups only: a Microsoft 365 group's members are not approvers.
    const m365 = groups.find((group) => group.displayName === "Finance Analytics")!;
    m365.securityEnabled = false;
    m365.groupTypes = ["Unified"];
    expect(m365.memberIds.some((id) => tenant.users.has(id) && !dataScientists.memberIds.includes(id))).toBe(true);
    assignConsoleRole(tenant, "0c0a5e11-7e57-4000-8000-000000000002", m365.id, "Group", "Console.Admin", "2026-01-01T00:00:00Z");

    const directAdmins = PERSONAS.filter((persona) => persona.consoleRoles.includes("Console.Admin")).map((persona) => persona.objectId);
    const directMembers = dataScientists.memberIds.filter((id) => tenant.users.has(id));
    const expected = new Set([...directAdmins, ...directMembers].map((id) => id.toLowerCase()));

    const approvers = await findApprovers();
    expect(new Set(approvers)).toEqual(expected);
    for (const id of nestedOnly) expect(approvers).not.toContain(id.toLowerCase());
  });
});
