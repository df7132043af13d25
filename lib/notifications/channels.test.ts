/**
 * Channel names across the console: the request policy refuses a route naming a channel that is not configured, and
 * `channelsFor` sends what no route sends elsewhere to the `default` channel. Configuration is this file's own.
 */
import { afterAll, describe, expect, it } from "vitest";

import { exportToWorkers } from "@/test/support/test-env";

exportToWorkers({
  GATEHOUSE_NOTIFICATION_CHANNELS: JSON.stringify({
    "ml-platform": { kind: "teams", url: "https://prod-23.westeurope.logic.azure.com/workflows/a/triggers/manual/paths/invoke?sig=s" },
    fraud: { kind: "slack", url: "https://hooks.slack.com/services/T0/B0/x" },
  }),
  GATEHOUSE_NOTIFICATION_WEBHOOK_URL: "https://hooks.slack.com/services/T0/B1/y",
});
const { parseRequestPolicy, RequestPolicyError } = await import("@/lib/requests/policy");
const { channelsFor, configuredChannels } = await import("./channels");

afterAll(() => {
  exportToWorkers({ GATEHOUSE_NOTIFICATION_CHANNELS: "", GATEHOUSE_NOTIFICATION_WEBHOOK_URL: "" });
});

const policy = (channels: string[][]) => ({
  pendingLifetimeHours: 48,
  durations: ["1d"],
  roles: [{ roleDefinitionId: "f6c7c914-8db3-469d-8ca1-694a8f32e121", name: "AzureML Data Scientist", maxDuration: "1d" }],
  routes: channels.map((names, index) => ({
    id: `route-${index}`,
    name: `Route ${index}`,
    match: { workspaces: [`mlw-${index}-*`] },
    approvers: { groups: ["0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0"] },
    channels: names,
  })),
});

describe("request policy routes and chat channels", () => {
  it("accepts routes naming configured channels (the default one included)", () => {
    expect(parseRequestPolicy(policy([["ml-platform", "fraud"], ["default"], []]), "policy.json", []).routes.map((route) => route.channels)).toEqual([
      ["ml-platform", "fraud"],
      ["default"],
      [],
    ]);
  });

  it("refuses a route naming a channel that is not configured, naming the route, the position and the channel", () => {
    let problems: readonly string[] = [];
    try {
      parseRequestPolicy(policy([["ml-platform"], ["fraud", "ml-platfrom", "approvals"]]), "policy.json", []);
    } catch (error) {
      expect(error).toBeInstanceOf(RequestPolicyError);
      problems = (error as Error).message.split("\n");
    }
    expect(problems.join("\n")).toContain("routes.1.channels.1: no channel named ml-platfrom in GATEHOUSE_NOTIFICATION_CHANNELS");
    expect(problems.join("\n")).toContain("routes.1.channels.2: no channel named approvals in GATEHOUSE_NOTIFICATION_CHANNELS");
    expect(problems.join("\n")).not.toContain("routes.0");
    // The configured names can be given, as with the grantable roles.
    expect(() => parseRequestPolicy(policy([["fraud"]]), "policy.json", [], [])).toThrow("routes.0.channels.0: no channel named fraud");
  });
});

describe("channelsFor and configuredChannels", () => {
  it("a route's own channels, else the default channel", () => {
    expect(channelsFor(["fraud", "fraud", "ml-platform"])).toEqual(["fraud", "ml-platform"]);
    expect(channelsFor([])).toEqual(["default"]);
    expect(channelsFor(undefined)).toEqual(["default"]);
  });

  it("lists each channel by name, kind and host, never its URL", () => {
    const channels = configuredChannels();
    expect(channels).toEqual([
      { name: "default", kind: "slack", host: "hooks.slack.com" },
      { name: "fraud", kind: "slack", host: "hooks.slack.com" },
      { name: "ml-platform", kind: "teams", host: "prod-23.westeurope.logic.azure.com" },
    ]);
    expect(JSON.stringify(channels)).not.toMatch(/sig=|services/);
  });
});
