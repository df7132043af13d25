/**
 * ID permutation (security test plan row 6): several requesters file requests; for every caller and every request id
 * that is not theirs — as stored, upper-cased, or another GUID — reading, listing and withdrawing answer "not found" or
 * nothing, exactly as for an id that does not exist, and change nothing. Approvers see every request they may decide.
 * Runs against an in-memory database with the directory and the grant stood in for.
 */
import { randomUUID } from "node:crypto";

import { count, eq } from "drizzle-orm";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { auditEvents } from "@/lib/db/schema";
import { type DatabaseHandle, openDatabase } from "@/lib/db/client";
import { approveAccessRequest, cancelAccessRequest, denyAccessRequest } from "@/lib/requests/decide-request";
import { parseRequestPolicy } from "@/lib/requests/policy";
import { findAccessRequest, listAccessRequests } from "@/lib/requests/queries";
import { type AccessRequestRow, accessRequests, type RequestStatus } from "@/lib/requests/schema";
import { submitAccessRequest } from "@/lib/requests/submit-request";
import { isAllowed } from "@/lib/shared/permissions";
import { makeDelegatedContext } from "@/test/support/builders/context";
import { makeAccessRequest } from "@/test/support/builders/requests";
import { refusalOf } from "@/test/support/refusal";
import { trustingDirectory } from "@/test/support/request-directory";
import { reliabilityLong } from "@/test/support/test-env";

const RUNS = reliabilityLong() ? 500 : 60;
const DATA_SCIENTIST = "f6c7c914-8db3-469d-8ca1-694a8f32e121";
const policy = parseRequestPolicy(
  { pendingLifetimeHours: 48, durations: ["1d", "7d"], roles: [{ roleDefinitionId: DATA_SCIENTIST, name: "AzureML Data Scientist", maxDuration: "7d" }] },
  "policy.json",
  [],
);
const NOW = new Date("2026-06-01T10:00:00Z");
const STATES: readonly RequestStatus[] = ["pending", "approved", "granted", "failed", "denied", "cancelled", "expired", "lapsed"];

const requesters = ["ana", "bo", "chen", "dara"].map((name) => makeDelegatedContext(name, { roles: ["Console.Requester"] }));
const admin = makeDelegatedContext("approver");
let handle: DatabaseHandle;
/** Every request filed, by its requester's object id. */
const filedBy = new Map<string, AccessRequestRow[]>();
let all: AccessRequestRow[] = [];

beforeAll(async () => {
  handle = await openDatabase({ kind: "pglite-memory" });
  let n = 0;
  for (const requester of requesters) {
    const rows: AccessRequestRow[] = [];
    for (const state of STATES.slice(0, 3 + (n % 4))) {
      const { request } = await submitAccessRequest(
        requester,
        // Each request's principal is named like its requester's other ones: a search for it must not cross over.
        makeAccessRequest({ duration: "1d", principal: { id: randomUUID(), kind: "user", displayName: `Teammate of ${requester.person.displayName}` } }),
        { db: handle.db, policy, now: NOW, notify: false, directory: trustingDirectory },
      );
      await handle.db.update(accessRequests).set({ status: state }).where(eq(accessRequests.id, request.id));
      rows.push({ ...request, status: state });
      n++;
    }
    filedBy.set(requester.person.objectId.toLowerCase(), rows);
  }
  all = [...filedBy.values()].flat();
});
afterAll(async () => {
  await handle.close();
});

const viewerOf = (context: ReturnType<typeof makeDelegatedContext>, isAdmin = false) => ({
  tenantId: context.person.tenantId,
  objectId: context.person.objectId,
  isAdmin,
});
const own = (context: ReturnType<typeof makeDelegatedContext>) => filedBy.get(context.person.objectId.toLowerCase()) ?? [];

/** A caller and an id that does not name one of the caller's requests: someone else's, in another shape, or made up. */
const foreignPair = fc
  .tuple(fc.nat(), fc.nat(), fc.constantFrom("as stored", "upper-case", "other GUID", "v4 GUID", "nil GUID", "braced"))
  .map(([callerIndex, requestIndex, shape]) => {
    const caller = requesters[callerIndex % requesters.length]!;
    const others = all.filter((request) => request.requesterObjectId !== caller.person.objectId.toLowerCase());
    const target = others[requestIndex % others.length]!;
    const id =
      shape === "as stored"
        ? target.id
        : shape === "upper-case"
          ? target.id.toUpperCase()
          : shape === "other GUID"
            ? `${target.id.slice(0, -1)}${target.id.endsWith("0") ? "1" : "0"}`
            : shape === "v4 GUID"
              ? randomUUID()
              : shape === "nil GUID"
                ? "00000000-0000-0000-0000-000000000000"
                : `{${target.id}}`;
    return { caller, target, id, shape };
  });

async function snapshot() {
  const rows = await handle.db.select().from(accessRequests);
  const [events] = await handle.db.select({ n: count() }).from(auditEvents);
  return { rows: rows.map((row) => `${row.id}|${row.status}|${row.version}`).sort(), events: events!.n };
}

describe("a requester and requests that are not theirs", () => {
  it("reading one by id finds nothing, whatever the id's shape", async () => {
    await fc.assert(
      fc.asyncProperty(foreignPair, async ({ caller, id }) => {
        expect(await findAccessRequest(viewerOf(caller), id, handle.db)).toBeUndefined();
      }),
      { numRuns: RUNS, seed: 6 },
    );
  });

  it("listing, with any filter or search, shows only their own", async () => {
    const search = fc.oneof(
      fc.constant(undefined),
      fc.constantFrom(...requesters.map((requester) => requester.person.displayName), "Teammate", "Data Scientist", "%", "_", "'"),
    );
    await fc.assert(
      fc.asyncProperty(fc.nat(), fc.option(fc.constantFrom(...STATES), { nil: undefined }), search, fc.boolean(), async (index, status, q, mine) => {
        const caller = requesters[index % requesters.length]!;
        const listed = await listAccessRequests(viewerOf(caller), { mine, ...(status ? { status } : {}), ...(q ? { q } : {}) }, handle.db);
        const ownIds = new Set(own(caller).map((request) => request.id));
        for (const row of listed) expect(ownIds.has(row.id), `${caller.person.displayName} listed ${row.requesterName}'s request`).toBe(true);
        // Unfiltered, they see all of their own.
        if (!status && !q) expect(listed.map((row) => row.id).sort()).toEqual([...ownIds].sort());
      }),
      { numRuns: RUNS, seed: 61 },
    );
  });

  it("withdrawing one is answered exactly like an id that does not exist, and changes nothing", async () => {
    const unknown = await refusalOf(cancelAccessRequest(requesters[0]!, { requestId: randomUUID(), comment: "" }, { db: handle.db, notify: false }));
    expect(unknown.code).toBe("not_found");
    await fc.assert(
      fc.asyncProperty(foreignPair, async ({ caller, id }) => {
        const before = await snapshot();
        const refused = await refusalOf(cancelAccessRequest(caller, { requestId: id, comment: "" }, { db: handle.db, notify: false }));
        expect({ code: refused.code, userMessage: refused.userMessage }).toEqual({ code: unknown.code, userMessage: unknown.userMessage });
        const after = await snapshot();
        expect(after.rows).toEqual(before.rows);
        // At most the refusal is audited (authz.denied): no request changed.
        expect(after.events - before.events).toBeLessThanOrEqual(1);
      }),
      { numRuns: RUNS, seed: 62 },
    );
  });

  it("retrying is not theirs to do at all (the permission matrix); approving or denying a request no route gives them is refused, whatever its state, and changes nothing", async () => {
    expect(isAllowed("retryAccessRequest", ["Console.Requester"])).toBe(false);
    const options = { db: handle.db, policy, now: NOW, notify: false, directory: trustingDirectory };
    for (const requester of requesters) {
      for (const request of all.filter((candidate) => !own(requester).includes(candidate))) {
        for (const decide of [approveAccessRequest, denyAccessRequest]) {
          expect(await refusalOf(decide(requester, { requestId: request.id, comment: "Not mine to decide" }, options))).toMatchObject({
            code: "forbidden",
            reason: "not_routed",
          });
        }
        const [row] = await handle.db.select({ status: accessRequests.status }).from(accessRequests).where(eq(accessRequests.id, request.id));
        expect(row?.status).toBe(request.status);
      }
    }
  });

  it("their own requests stay theirs: each reads back and withdraws as filed", async () => {
    for (const requester of requesters) {
      for (const request of own(requester)) expect((await findAccessRequest(viewerOf(requester), request.id, handle.db))?.id).toBe(request.id);
      const pending = own(requester).find((request) => request.status === "pending")!;
      expect((await cancelAccessRequest(requester, { requestId: pending.id, comment: "" }, { db: handle.db, notify: false, now: NOW })).request.status).toBe(
        "cancelled",
      );
    }
  });
});

describe("an approver", () => {
  it("reads every request by id and lists them all, filtered by status as asked", async () => {
    for (const request of all) expect((await findAccessRequest(viewerOf(admin, true), request.id, handle.db))?.id).toBe(request.id);
    const listed = await listAccessRequests(viewerOf(admin, true), { mine: false }, handle.db);
    expect(listed.map((row) => row.id).sort()).toEqual(all.map((request) => request.id).sort());
    const pending = await listAccessRequests(viewerOf(admin, true), { mine: false, status: "pending" }, handle.db);
    const stored = await handle.db.select({ id: accessRequests.id }).from(accessRequests).where(eq(accessRequests.status, "pending"));
    expect(pending.map((row) => row.id).sort()).toEqual(stored.map((row) => row.id).sort());
  });

  it("with 'mine' sees only the requests they filed themselves (none here)", async () => {
    expect(await listAccessRequests(viewerOf(admin, true), { mine: true }, handle.db)).toEqual([]);
  });
});
