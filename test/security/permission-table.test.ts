/**
 * The server's permission rules against the hand-written table (permission-table.ts): the role × action matrix, the
 * sandbox personas' roles, the request page's buttons, and what each request operation really does for each actor in
 * each request state (run against an in-memory database, with the directory and the grant stood in for).
 */
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import type { DatabaseHandle } from "@/lib/db/client";
import { openDatabase } from "@/lib/db/client";
import { allowedActions } from "@/lib/requests/allowed-actions";
import { approveAccessRequest, cancelAccessRequest, denyAccessRequest, retryAccessRequest } from "@/lib/requests/decide-request";
import { parseRequestPolicy } from "@/lib/requests/policy";
import { type AccessRequestRow, accessRequests, REQUEST_STATUSES } from "@/lib/requests/schema";
import { submitAccessRequest } from "@/lib/requests/submit-request";
import { CONSOLE_ROLES, type ConsoleRole } from "@/lib/shared/console-roles";
import { isAllowed, PERMISSIONS, type Permission } from "@/lib/shared/permissions";
import { createTenant } from "@/sandbox/tenant/index";
import { makeDelegatedContext } from "@/test/support/builders/context";
import { makeAccessRequest } from "@/test/support/builders/requests";
import { trustingDirectory } from "@/test/support/request-directory";
import {
  type Actor,
  ACTORS,
  type Column,
  COLUMN_ROLE,
  COLUMNS,
  expectedCell,
  expectedRequestOutcome,
  expectedStatusAfterRefusal,
  PERMISSION_TABLE,
  PERSONA_COLUMN,
  REQUEST_ACTIONS,
  REQUEST_STATES,
  type RequestAction,
  type RequestStateName,
  type TablePermission,
} from "./permission-table";

const rolesOf = (columns: readonly Column[]): ConsoleRole[] => columns.flatMap((column) => (COLUMN_ROLE[column] ? [COLUMN_ROLE[column] as ConsoleRole] : []));

describe("the permission matrix against the hand-written table", () => {
  it("lists the same permissions", () => {
    expect(Object.keys(PERMISSION_TABLE).sort()).toEqual(Object.keys(PERMISSIONS).sort());
  });

  it("agrees on every role × permission cell", () => {
    const disagreements: string[] = [];
    for (const permission of Object.keys(PERMISSION_TABLE) as TablePermission[]) {
      for (const column of COLUMNS) {
        const server = isAllowed(permission, rolesOf([column])) ? "allow" : "deny";
        if (server !== PERMISSION_TABLE[permission][column]) {
          disagreements.push(`${permission} × ${column}: server ${server}, table ${PERMISSION_TABLE[permission][column]}`);
        }
      }
    }
    expect(disagreements).toEqual([]);
  });

  it("agrees for people holding several roles (allowed when any of them is)", () => {
    const subsets = [1, 2, 3, 4, 5, 6, 7].map((mask) => (["admin", "requester", "securityReader"] as const).filter((_, bit) => mask & (1 << bit)));
    for (const permission of Object.keys(PERMISSION_TABLE) as TablePermission[]) {
      for (const columns of subsets) {
        expect(isAllowed(permission, rolesOf(columns)) ? "allow" : "deny", `${permission} × ${columns.join("+")}`).toBe(expectedCell(permission, columns));
      }
    }
  });

  it("knows every console role, and each sandbox persona holds the roles of its column", () => {
    expect(COLUMNS.flatMap((column) => (COLUMN_ROLE[column] ? [COLUMN_ROLE[column]] : [])).sort()).toEqual([...CONSOLE_ROLES].sort());
    const personas = createTenant({ seed: 1, scale: "default" }).personas();
    expect(personas.map((persona) => persona.key).sort()).toEqual(Object.keys(PERSONA_COLUMN).sort());
    for (const persona of personas) {
      const column = PERSONA_COLUMN[persona.key];
      expect([...persona.consoleRoles], persona.key).toEqual(COLUMN_ROLE[column] ? [COLUMN_ROLE[column]] : []);
    }
  });
});

// ---- Request actions by state ------------------------------------------------------------------------------------

const DATA_SCIENTIST = "f6c7c914-8db3-469d-8ca1-694a8f32e121";
const policy = parseRequestPolicy(
  { pendingLifetimeHours: 48, durations: ["8h", "1d", "7d"], roles: [{ roleDefinitionId: DATA_SCIENTIST, name: "AzureML Data Scientist", maxDuration: "7d" }] },
  "policy.json",
  [],
);
const NOW = new Date("2026-06-01T10:00:00Z");
const requester = makeDelegatedContext("requester", { roles: ["Console.Requester"] });
const otherRequester = makeDelegatedContext("other-requester", { roles: ["Console.Requester"] });
const admin = makeDelegatedContext("admin");

describe("request actions by request state, against the hand-written table", () => {
  let handle: DatabaseHandle;
  beforeAll(async () => {
    handle = await openDatabase({ kind: "pglite-memory" });
  });
  afterAll(async () => {
    await handle.close();
  });
  const opts = () => ({
    db: handle.db,
    policy,
    now: NOW,
    notify: false,
    directory: trustingDirectory,
    grant: (request: AccessRequestRow) =>
      Promise.resolve({ principalId: request.principalId, displayName: request.principalDisplayName, status: "granted" as const, message: "Granted." }),
  });

  /** A request filed by `requester`, for `receiving` (or a new teammate), moved to `state`. */
  async function requestIn(state: RequestStateName, receiving?: { objectId: string; name: string }): Promise<AccessRequestRow> {
    const principal = receiving ? { id: receiving.objectId, kind: "user" as const, displayName: receiving.name } : undefined;
    const { request } = await submitAccessRequest(requester, makeAccessRequest({ duration: "1d", ...(principal ? { principal } : {}) }), opts());
    if (state === "pending") return request;
    if (state === "pending-lapsed") {
      await handle.db.execute(sql`update access_requests set pending_until = ${new Date(NOW.getTime() - 60_000).toISOString()} where id = ${request.id}`);
    } else {
      await handle.db.execute(sql`update access_requests set status = ${state} where id = ${request.id}`);
    }
    return { ...request, status: state === "pending-lapsed" ? "pending" : state };
  }

  function contextOf(actor: Actor) {
    if (actor === "requester") return requester;
    if (actor === "otherRequester") return otherRequester;
    if (actor === "admin") return admin;
    return makeDelegatedContext("receiving-admin");
  }
  const columnOf: Record<Actor, Column> = { requester: "requester", otherRequester: "requester", admin: "admin", adminReceiving: "admin" };
  const PERMISSION_OF: Record<RequestAction, Permission> = {
    cancel: "cancelAccessRequest",
    approve: "approveAccessRequest",
    deny: "denyAccessRequest",
    retry: "retryAccessRequest",
  };
  const OPERATION = { cancel: cancelAccessRequest, approve: approveAccessRequest, deny: denyAccessRequest, retry: retryAccessRequest };

  /** What the server does: the permission matrix first (as serverAction checks it), then the operation. */
  async function serverOutcome(action: RequestAction, state: RequestStateName, actor: Actor): Promise<{ outcome: string; statusAfter: string }> {
    const context = contextOf(actor);
    const request = await requestIn(state, actor === "adminReceiving" ? { objectId: context.person.objectId, name: context.person.displayName } : undefined);
    let outcome: string;
    if (!isAllowed(PERMISSION_OF[action], rolesOf([columnOf[actor]]))) {
      outcome = "forbidden";
    } else {
      try {
        await OPERATION[action](context, { requestId: request.id, comment: "Reviewed" }, opts());
        outcome = "ok";
      } catch (error) {
        outcome = (error as { code?: string }).code ?? String(error);
      }
    }
    const [after] = await handle.db
      .select({ status: accessRequests.status })
      .from(accessRequests)
      .where(sql`${accessRequests.id} = ${request.id}`);
    return { outcome, statusAfter: after!.status };
  }

  it("covers every request status", () => {
    expect(REQUEST_STATES.filter((state) => state !== "pending-lapsed").sort()).toEqual([...REQUEST_STATUSES].sort());
  });

  it.each(REQUEST_ACTIONS)("%s: every actor in every state gets what the table says, and a refusal changes nothing", async (action) => {
    const disagreements: string[] = [];
    for (const state of REQUEST_STATES) {
      for (const actor of ACTORS) {
        const expected = expectedRequestOutcome(action, state, actor);
        const { outcome, statusAfter } = await serverOutcome(action, state, actor);
        if (outcome !== expected) disagreements.push(`${action} on ${state} by ${actor}: server ${outcome}, table ${expected}`);
        const left = expectedStatusAfterRefusal(action, state, actor);
        if (outcome !== "ok" && statusAfter !== left) disagreements.push(`${action} on ${state} by ${actor}: refused and left ${statusAfter}, table ${left}`);
      }
    }
    expect(disagreements).toEqual([]);
  });

  it("the request page offers exactly the buttons the table allows", async () => {
    const disagreements: string[] = [];
    for (const state of REQUEST_STATES.filter((candidate) => candidate !== "pending-lapsed")) {
      for (const actor of ACTORS) {
        const context = contextOf(actor);
        const request = await requestIn(
          state,
          actor === "adminReceiving" ? { objectId: context.person.objectId, name: context.person.displayName } : undefined,
        );
        const offered = allowedActions(
          request,
          { tenantId: context.person.tenantId, objectId: context.person.objectId, roles: rolesOf([columnOf[actor]]) },
          policy,
        );
        const may = (action: RequestAction) => expectedRequestOutcome(action, state, actor) === "ok";
        const shown = {
          cancel: offered.cancel,
          // A self-involved admin sees the decision buttons disabled, with the reason.
          approve: offered.decide && !offered.selfInvolved,
          retry: offered.retry && !offered.selfInvolved,
        };
        for (const action of ["cancel", "approve", "retry"] as const) {
          if (shown[action] !== may(action)) disagreements.push(`${action} on ${state} for ${actor}: page ${shown[action]}, table ${may(action)}`);
        }
      }
    }
    expect(disagreements).toEqual([]);
  });
});
