import { describe, expect, it } from "vitest";

import { parseRequestPolicy, RequestPolicyError, routeFor } from "./policy";

const DATA_SCIENTIST = "f6c7c914-8db3-469d-8ca1-694a8f32e121";
const READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7";
const FRAUD_GROUP = "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0";

const base = {
  pendingLifetimeHours: 48,
  durations: ["8h", "1d", "permanent"],
  roles: [
    { roleDefinitionId: DATA_SCIENTIST, name: "AzureML Data Scientist", maxDuration: "1d" },
    { roleDefinitionId: READER, name: "Reader", maxDuration: "permanent" },
  ],
};

function policyWith(routes: unknown[]) {
  return parseRequestPolicy({ ...base, routes }, "policy.json", []);
}

const fraud = { id: "fraud", name: "Fraud workspaces", match: { workspaces: ["mlw-fraud-*"] }, approvers: { groups: [FRAUD_GROUP] } };

describe("approver routes", () => {
  it("takes the first route whose every match field fits, and none when nothing fits", () => {
    const policy = policyWith([
      { ...fraud, id: "fraud-readers", match: { workspaces: ["mlw-fraud-*"], roles: [READER] } },
      fraud,
      { id: "team-tag", name: "Tagged vision", match: { tags: { Team: "vision" } }, approvers: { ownersOf: [FRAUD_GROUP] } },
    ]);
    const subject = { workspaceName: "MLW-Fraud-Prod", workspaceTags: {}, roleDefinitionId: DATA_SCIENTIST };
    expect(routeFor(policy, subject)?.id).toBe("fraud");
    expect(routeFor(policy, { ...subject, roleDefinitionId: READER })?.id).toBe("fraud-readers");
    expect(routeFor(policy, { ...subject, workspaceName: "mlw-vision-dev", workspaceTags: { team: "vision" } })?.id).toBe("team-tag");
    expect(routeFor(policy, { ...subject, workspaceName: "mlw-vision-dev", workspaceTags: { team: "Vision" } })).toBeUndefined();
    expect(routeFor(policy, { ...subject, workspaceName: "mlw-fraudster" })).toBeUndefined();
    expect(routeFor(policy, { ...subject, workspaceName: "xmlw-fraud-prod" })).toBeUndefined();
  });

  it("defaults to one step and no channels", () => {
    expect(policyWith([fraud]).routes[0]).toMatchObject({ flow: "single", channels: [], approvers: { groups: [FRAUD_GROUP], ownersOf: [] } });
  });

  it("names every problem: a route matching everything, no approver group, a duplicate id, a role not in the policy", () => {
    let message = "";
    try {
      policyWith([
        { ...fraud, match: {} },
        { ...fraud, approvers: {} },
        { ...fraud, match: { roles: ["8e3af657-a8ff-443c-a75c-2fe8c4bcb635"] } },
      ]);
    } catch (error) {
      expect(error).toBeInstanceOf(RequestPolicyError);
      message = (error as Error).message;
    }
    expect(message).toContain("routes.0.match: must say what it matches");
    expect(message).toContain("routes.1.approvers: must name at least one group");
    expect(message).toContain("routes.1.id: listed twice");
    expect(message).toContain("routes.2.match.roles.0: 8e3af657-a8ff-443c-a75c-2fe8c4bcb635 is not one of the policy's roles");
  });
});
