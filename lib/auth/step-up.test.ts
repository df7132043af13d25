import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { openDatabase } from "@/lib/db/client";
import { makeDelegatedContext } from "@/test/support/builders/context";
import { hasSteppedUp, requireStepUp, STEP_UP_MESSAGE, stepUpClaims } from "./step-up";

type Handle = Awaited<ReturnType<typeof openDatabase>>;
let handle: Handle;

beforeAll(async () => {
  handle = await openDatabase({ kind: "pglite-memory" });
});
afterAll(async () => {
  await handle.close();
});

const check = { reason: "privileged_grant", consoleAction: "grantWorkspaceRoles", change: "grant of Owner" } as const;

async function refusals(requestId: string) {
  const result: unknown = await handle.db.execute(
    `select outcome, reason, details from audit_events where action = 'authz.denied' and console_request_id = '${requestId}'`,
  );
  return (result as { rows: { outcome: string; reason: string; details: unknown }[] }).rows;
}

describe("requireStepUp", () => {
  it("passes a sign-in whose acrs holds the required context, and records nothing", async () => {
    const context = makeDelegatedContext("ada", { authContexts: ["p1", "c1"] });
    await expect(requireStepUp(context, check, { db: handle.db, authContext: "c1" })).resolves.toBeUndefined();
    expect(await refusals(context.requestId)).toEqual([]);
  });

  it("refuses a sign-in without it with Entra's claims request for the context, and audits the refusal with its reason", async () => {
    const context = makeDelegatedContext("ada");
    const thrown = await requireStepUp(context, check, { db: handle.db, authContext: "c1" }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(thrown).toMatchObject({ name: "AppError", code: "interaction_required", userMessage: STEP_UP_MESSAGE });
    expect(JSON.parse((thrown as { claims: string }).claims)).toEqual({ access_token: { acrs: { essential: true, value: "c1" } } });
    expect(await refusals(context.requestId)).toEqual([
      {
        outcome: "denied",
        reason: "privileged_grant: grant of Owner needs authentication context c1",
        details: { consoleAction: "grantWorkspaceRoles", deniedBecause: "step_up_required" },
      },
    ]);
  });

  it("does not take another context, Microsoft's p1, or a look-alike for the configured one", async () => {
    for (const authContexts of [["c2"], ["p1"], ["c10"], ["C1"], ["c1 "]]) {
      const context = makeDelegatedContext("ada", { authContexts });
      await expect(requireStepUp(context, check, { db: handle.db, authContext: "c1" })).rejects.toMatchObject({ claims: stepUpClaims("c1") });
    }
    await expect(requireStepUp(makeDelegatedContext("ada", { authContexts: ["c1"] }), check, { db: handle.db, authContext: "c12" })).rejects.toMatchObject({
      claims: stepUpClaims("c12"),
    });
  });

  it("asks nothing when step-up is off", async () => {
    await expect(requireStepUp(makeDelegatedContext("ada"), check, { db: handle.db, authContext: null })).resolves.toBeUndefined();
    expect(hasSteppedUp([], null)).toBe(true);
    expect(hasSteppedUp(["c1"], "c1")).toBe(true);
    expect(hasSteppedUp(["c1"], "c2")).toBe(false);
  });

  it("uses the configured context by default: c1 in the sandbox", async () => {
    await expect(requireStepUp(makeDelegatedContext("ada"), check, { db: handle.db })).rejects.toMatchObject({ claims: stepUpClaims("c1") });
    await expect(requireStepUp(makeDelegatedContext("ada", { authContexts: ["c1"] }), check, { db: handle.db })).resolves.toBeUndefined();
  });
});
