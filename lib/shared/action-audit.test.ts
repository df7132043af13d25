import { describe, expect, it } from "vitest";

import { AUDIT_ACTIONS } from "@/lib/audit";
import { ACTION_AUDIT } from "./action-audit";
import { actionNames } from "./permissions";

describe("the audit contract of server actions", () => {
  it("documents every server action in the permission matrix", () => {
    expect(Object.keys(ACTION_AUDIT).sort()).toEqual(actionNames().sort());
  });

  it("names only events the audit catalogue knows", () => {
    const known = new Set<string>(AUDIT_ACTIONS);
    for (const [action, contract] of Object.entries(ACTION_AUDIT)) {
      for (const event of [...contract.succeeded, ...contract.failed]) expect(known.has(event), `${action}: ${event}`).toBe(true);
      if (!contract.readOnly) expect(contract.succeeded.length, `${action} changes state, so it records its success`).toBeGreaterThan(0);
    }
    expect(known.has("authz.denied")).toBe(true);
  });
});
