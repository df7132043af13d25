/**
 * Audit completeness, model-based: random sequences of state-changing server actions — grants (one or two people at
 * once), revokes, group mappings made and deleted, access requests submitted, approved, denied and cancelled, the
 * expiry job run from the console — with ARM refusing a write now and then, mixed with refusals (no session, a console
 * role that may not, a role the grantable-role policy refuses, an approval of one's own request, withdrawing someone
 * else's), called through the real `serverAction` wrapper as signed-in personas on a sandbox tenant of this file's
 * own (only `next/headers` is stood in for: each persona's real session cookie and a same-origin request); and the
 * expiry job as the scheduler runs it, nine hours on, so granted requests expire.
 *
 * A small model predicts what each step changes; after each step the test reads what really changed — the
 * workspace's role assignments in the tenant, the access requests' statuses and the group mappings in the database —
 * and checks the step's audit events against it:
 *
 * - one `role_assignment.granted` per assignment that appeared and one `role_assignment.revoked` per one that went,
 *   each naming it (scope, principal, role), and none for assignments that did not change;
 * - one `request.submitted` per new request, and per request whose status moved exactly the chain of transition
 *   events (`from` → `to`) from its old status to its new one; none for requests that did not move;
 * - one `mapping.created` / `mapping.deleted` per mapping row made / removed;
 * - every event names who did it and where: the persona, its console session's row id and the client address and
 *   user agent that session recorded (control characters replaced); the job names itself, and the session it was
 *   started in when an admin ran it from the console (none when scheduled);
 * - a refused step changes nothing and records exactly the `authz.denied` the code audits for it (with its reason),
 *   or nothing where a refusal is not audited one by one (a caller without a session is counted per source instead).
 *
 * The chain verifies at the end of every run.
 */
import fc from "fast-check";
import { eq, gt, max } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";

import type { ActionResult } from "@/lib/shared/action-result";
import { createTenant } from "@/sandbox/tenant/index";
import { startPrivateSandbox } from "@/test/support/private-sandbox";
import { reliabilityLong } from "@/test/support/test-env";
import { DATA_SCIENTIST, FREE_USERS, WORKSPACE } from "./support/churn-workspace";
import { nextRequest as request } from "@/test/support/next-request";

const RUNS = reliabilityLong() ? 100 : 15;
const COMPUTE_OPERATOR = "e503ece1-11d0-4e8e-8e2c-7a6c3bf38815";
const OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635";
const ROLES = [DATA_SCIENTIST, COMPUTE_OPERATOR] as const;

vi.mock("next/headers", () => import("@/test/support/next-request").then((module) => module.nextHeadersModule));

// Before any console code reads its configuration.
const tenant = await startPrivateSandbox();

const { getConfig } = await import("@/lib/config");
const { getDatabase } = await import("@/lib/db");
const { auditEvents } = await import("@/lib/db/schema");
const { groupMappings } = await import("@/lib/mappings/schema");
const { accessRequests } = await import("@/lib/requests/schema");
const { verifyAuditChain } = await import("@/lib/audit/verify");
const { getSessionKey, sessionLifetimes } = await import("@/lib/auth/session");
const { createSession } = await import("@/lib/auth/session-store");
const { validateConsoleToken } = await import("@/lib/auth/token-validator");
const { assignmentNameFor } = await import("@/lib/workspaces/grant-workspace-roles");
const { runRequestJobs } = await import("@/lib/requests/run-request-jobs");
const { systemActor } = await import("@/lib/auth/audit-actor");
const { refusalTallies } = await import("@/lib/security/schema");
const { personaApiToken } = await import("@/test/support/persona-token");
const workspaces = await import("@/app/actions/workspaces");
const mappings = await import("@/app/actions/mappings");
const requests = await import("@/app/actions/requests");

// ---- Who acts, from where -----------------------------------------------------------------------------------------

type Persona = "admin" | "team-lead" | "security";

interface SignedIn {
  readonly cookie: string;
  readonly objectId: string;
  readonly displayName: string;
  readonly sessionId: string;
  readonly clientAddress: string;
  /** As the session stored it (bounded, raw). */
  readonly userAgent: string;
}

/** What the audit trail must show of a user agent: control and line-separator characters replaced. */
const shownUserAgent = (userAgent: string) =>
  Array.from(userAgent, (character) => {
    const code = character.codePointAt(0)!;
    return code < 0x20 || (code >= 0x7f && code <= 0x9f) || code === 0x2028 || code === 0x2029 ? "\ufffd" : character;
  }).join("");

const CLIENTS: Record<Persona, { clientAddress: string; userAgent: string }> = {
  admin: { clientAddress: "198.51.100.7", userAgent: "Mozilla/5.0 (audit-model admin)" },
  // A user agent with a forged second line: the trail keeps it on one line.
  "team-lead": { clientAddress: "2001:db8:1:2::/64", userAgent: 'Mozilla/5.0 (team lead)\r\n{"level":"error"}\u2028x' },
  security: { clientAddress: "203.0.113.9", userAgent: "Mozilla/5.0 (audit-model security)" },
};

const people = {} as Record<Persona, SignedIn>;

/** Signs a persona in as `POST /api/session` does, from the client this test gives them. */
async function signIn(persona: Persona): Promise<SignedIn> {
  const token = await personaApiToken(persona);
  const validation = await validateConsoleToken(token, { via: "sign-in" });
  if (!validation.ok) throw new Error(`the token of ${persona} was refused: ${validation.reason}`);
  const created = await createSession(
    await getDatabase(),
    { principal: validation.principal, token, ...CLIENTS[persona] },
    { key: await getSessionKey(), now: new Date(), lifetimes: sessionLifetimes() },
  );
  return {
    cookie: created.cookieValue,
    objectId: validation.principal.objectId,
    displayName: validation.principal.displayName,
    sessionId: created.id,
    ...CLIENTS[persona],
  };
}

async function as<T>(persona: Persona, call: () => Promise<ActionResult<T>>): Promise<ActionResult<T>> {
  request.cookie = people[persona].cookie;
  return call();
}

// ---- Whom it is about ----------------------------------------------------------------------------------------------

const oracle = createTenant({ seed: 1, scale: "default" });
const holdsSomethingHere = new Set(
  [...oracle.roleAssignments.values()]
    .filter((assignment) => assignment.scope.toLowerCase() === WORKSPACE.toLowerCase())
    .map((assignment) => assignment.principalId),
);
// Disjoint pools, so a direct grant's assignment is never also held by a request or a mapping (a revoke of one held
// by something else asks to be acknowledged first, which is not this test's subject).
const GRANT_USERS = FREE_USERS.slice(0, 3);
// People a request can be for: no role anywhere, directly or through a group (else "nothing to request").
const assignedAnywhere = [...oracle.roleAssignments.values()].map((assignment) => assignment.principalId);
const coveredUsers = new Set([...assignedAnywhere, ...assignedAnywhere.filter((id) => oracle.groups.has(id)).flatMap((id) => oracle.transitiveMemberIds(id))]);
const REQUEST_USERS = FREE_USERS.slice(3)
  .filter((user) => !coveredUsers.has(user.id))
  .slice(0, 3);
const GROUPS = [...oracle.groups.values()].filter((group) => !holdsSomethingHere.has(group.id)).slice(0, 2);

// ---- What changed --------------------------------------------------------------------------------------------------

interface Snapshot {
  /** `principal|role` of every role assignment at the workspace itself. */
  readonly assignments: ReadonlySet<string>;
  readonly requests: ReadonlyMap<string, string>;
  readonly mappings: ReadonlyMap<string, string>;
  readonly lastEventId: number;
}

const key = (principalId: string, roleId: string) => `${principalId.toLowerCase()}|${roleId.toLowerCase().split("/").at(-1)}`;

async function snapshot(): Promise<Snapshot> {
  const db = await getDatabase();
  const assignments = new Set(
    [...tenant.sandbox.tenant.roleAssignments.values()]
      .filter((assignment) => assignment.scope.toLowerCase() === WORKSPACE.toLowerCase())
      .map((assignment) => key(assignment.principalId, assignment.roleDefinitionName)),
  );
  const requestRows = await db.select({ id: accessRequests.id, status: accessRequests.status }).from(accessRequests);
  const mappingRows = await db.select({ id: groupMappings.id, groupId: groupMappings.groupId }).from(groupMappings);
  const [last] = await db.select({ id: max(auditEvents.id) }).from(auditEvents);
  return {
    assignments,
    requests: new Map(requestRows.map((row) => [row.id, row.status])),
    mappings: new Map(mappingRows.map((row) => [row.id, row.groupId])),
    lastEventId: last?.id ?? 0,
  };
}

type EventRow = typeof auditEvents.$inferSelect;

/** What the runs did, so the test can tell that they did it (a sequence of refusals only would prove little). */
const tally = new Map<string, number>();
const seenActions = new Set<string>();

async function eventsSince(id: number): Promise<EventRow[]> {
  const db = await getDatabase();
  return db.select().from(auditEvents).where(gt(auditEvents.id, id)).orderBy(auditEvents.id);
}

const difference = <T>(a: ReadonlySet<T>, b: ReadonlySet<T>) => [...a].filter((item) => !b.has(item)).sort();
const details = (event: EventRow) => event.details as Record<string, unknown>;

/** What a step is expected to do: change things (checked against the trail), or be refused in one of these ways. */
type Expectation =
  | { readonly kind: "changes" }
  | { readonly kind: "refused"; readonly audited?: { readonly deniedBecause: string; readonly consoleAction: string } }
  /** Either (the model does not predict it, e.g. a request the policy may call already covered); checked all the same. */
  | { readonly kind: "either" };

/** The checks every step gets: the trail matches what changed, and every event says who and where. */
/**
 * Who acted: a persona in their session; "job", the expiry job an admin ran from the console; "scheduled", the
 * expiry job as the scheduler runs it; "anonymous", a caller without a session.
 */
type Actor = Persona | "job" | "scheduled" | "anonymous";

async function checkStep(actor: Actor, before: Snapshot, result: ActionResult<unknown>, expected: Expectation): Promise<Snapshot> {
  const after = await snapshot();
  const events = await eventsSince(before.lastEventId);
  const context = `${actor}: ${JSON.stringify(result).slice(0, 300)}\nevents: ${events.map((event) => `${event.action}:${event.outcome}`).join(", ")}`;

  // Who and where.
  // An unidentified caller's refusals are counted per source and minute, never one event each.
  if (actor === "anonymous") expect(events, context).toEqual([]);
  const person = actor === "job" ? people.admin : actor === "scheduled" || actor === "anonymous" ? undefined : people[actor];
  for (const event of events) {
    if (event.actorKind === "system") {
      expect(["job", "scheduled"], context).toContain(actor);
      expect(event.actorJob, context).toBe("access-request-expiry");
    } else {
      expect(event.actorKind, context).toBe("user");
      expect(event.actorObjectId, context).toBe(person?.objectId);
      expect(event.actorJob, context).toBeNull();
    }
    // A scheduled run comes from no session.
    expect(event.actorSessionId, context).toBe(person?.sessionId ?? null);
    expect(event.actorClientAddress, context).toBe(person?.clientAddress ?? null);
    expect(event.actorUserAgent, context).toBe(person ? shownUserAgent(person.userAgent) : null);
    expect(event.occurredAt).toBeInstanceOf(Date);
  }

  // Role assignments: one event per assignment that appeared or went, naming it.
  const granted = difference(after.assignments, before.assignments);
  const revoked = difference(before.assignments, after.assignments);
  // An outcome that found Azure already as asked (`alreadyExisted`, `wasAbsent`) is recorded but changed nothing.
  const noOp = (event: EventRow) => details(event).alreadyExisted === true || details(event).wasAbsent === true;
  for (const event of events.filter((candidate) => candidate.action.startsWith("role_assignment.") && noOp(candidate))) {
    const named = key(event.targetPrincipalId!, event.targetRoleDefinitionId!);
    const there = event.action === "role_assignment.granted";
    expect([before.assignments.has(named), after.assignments.has(named)], `${event.action} as a no-op, but it changed — ${context}`).toEqual([there, there]);
  }
  const namedBy = (action: string) =>
    events
      .filter((event) => event.action === action && !noOp(event))
      .map((event) => {
        expect(event.targetScope?.toLowerCase(), context).toBe(WORKSPACE.toLowerCase());
        return key(event.targetPrincipalId!, event.targetRoleDefinitionId!);
      })
      .sort();
  expect(namedBy("role_assignment.granted"), `granted events vs. new assignments — ${context}`).toEqual(granted);
  expect(namedBy("role_assignment.revoked"), `revoked events vs. removed assignments — ${context}`).toEqual(revoked);

  // Requests: one submitted event per new request; per moved request, the chain of transitions from old to new.
  const newRequests = [...after.requests.keys()].filter((id) => !before.requests.has(id)).sort();
  const submitted = events.filter((event) => event.action === "request.submitted").map((event) => event.targetRequestId!);
  expect(submitted.sort(), `submitted events vs. new requests — ${context}`).toEqual(newRequests);
  const transitions = events.filter((event) => event.action.startsWith("request.") && typeof details(event).to === "string");
  // The catalogue calls a granted request "active" (lib/requests/decide-request.ts); other statuses are the same.
  const asAudited = (status: string) => (status === "granted" ? "active" : status);
  for (const [id, stored] of after.requests) {
    const status = asAudited(stored);
    const from = asAudited(before.requests.get(id) ?? "pending");
    const chain = transitions.filter((event) => event.targetRequestId === id).map((event) => [details(event).from, details(event).to]);
    if (from === status) {
      expect(chain, `request ${id} did not move but has transition events — ${context}`).toEqual([]);
      continue;
    }
    expect(chain.length, `request ${id} moved ${from} → ${status} without a transition event — ${context}`).toBeGreaterThan(0);
    expect(chain[0]![0], context).toBe(from);
    expect(chain.at(-1)![1], context).toBe(status);
    for (let index = 1; index < chain.length; index += 1) expect(chain[index]![0], context).toBe(chain[index - 1]![1]);
  }
  expect(
    transitions.every((event) => after.requests.has(event.targetRequestId!)),
    context,
  ).toBe(true);

  // Mappings: one event per row made or removed.
  const madeMappings = [...after.mappings.keys()].filter((id) => !before.mappings.has(id)).sort();
  const removedMappings = [...before.mappings.keys()].filter((id) => !after.mappings.has(id)).sort();
  const mappingEvents = (action: string) =>
    events
      .filter((event) => event.action === action)
      .map((event) => String(details(event).mappingId))
      .sort();
  // A mapping whose grant ARM refused is made and removed again in the same step, with both events.
  const transient = mappingEvents("mapping.created").filter((id) => mappingEvents("mapping.deleted").includes(id));
  expect(
    mappingEvents("mapping.created").filter((id) => !transient.includes(id)),
    `mapping.created vs. rows — ${context}`,
  ).toEqual(madeMappings);
  expect(
    mappingEvents("mapping.deleted").filter((id) => !transient.includes(id)),
    `mapping.deleted vs. rows — ${context}`,
  ).toEqual(removedMappings);

  tally.set(`${expected.kind}:${result.status}`, (tally.get(`${expected.kind}:${result.status}`) ?? 0) + 1);
  for (const event of events) {
    seenActions.add(`${event.action}:${event.outcome}`);
    if (event.action === "authz.denied") seenActions.add(`${event.action}:${event.outcome}/${String(details(event).deniedBecause)}`);
  }

  // Refusals change nothing, and are audited where the code audits them.
  if (expected.kind === "refused") {
    expect(result.status, context).toBe("error");
    expect(granted.length + revoked.length + newRequests.length + madeMappings.length + removedMappings.length, context).toBe(0);
    expect(transitions, context).toEqual([]);
    if (expected.audited) {
      expect(
        events.map((event) => event.action),
        context,
      ).toEqual(["authz.denied"]);
      expect(events[0]!.outcome).toBe("denied");
      expect(details(events[0]!), context).toMatchObject(expected.audited);
    } else {
      expect(events, context).toEqual([]);
    }
  } else if (expected.kind === "changes") {
    expect(result.status, context).toBe("success");
  }
  return after;
}

// ---- The model and the commands ------------------------------------------------------------------------------------

interface Model {
  /** `principal|role` the admin granted directly (and has not revoked). */
  readonly direct: Set<string>;
  /** Requests this run filed: id → whom for, status as the model expects it. */
  readonly requests: Map<
    string,
    { principalId: string; by: "team-lead" | "admin"; status: "pending" | "granted" | "denied" | "cancelled" | "failed" | "expired" }
  >;
  /** Mappings this run made: id → `group|role`. */
  readonly mappings: Map<string, string>;
}

type Real = { current: Snapshot };

/**
 * ARM refuses the next role-assignment write (403 AuthorizationFailed: not retried), then answers normally again: the
 * grant fails after its intent was recorded, and the trail must say so without claiming a change.
 */
async function withArmRefusingOneWrite<T>(refuse: boolean, call: () => Promise<T>): Promise<T> {
  if (!refuse) return call();
  await tenant.control.faults.add({
    method: "PUT",
    path: "/subscriptions/**/roleAssignments/*",
    status: 403,
    errorCode: "AuthorizationFailed",
    errorMessage: "The client does not have authorization to perform this action (refused by the audit model test).",
    times: 1,
  });
  try {
    return await call();
  } finally {
    await tenant.control.faults.clear();
  }
}

const pick = <T>(items: readonly T[], index: number): T | undefined => (items.length === 0 ? undefined : items[index % items.length]);

class Grant implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly persona: Persona,
    readonly users: readonly number[],
    readonly role: number,
    readonly armRefuses = false,
  ) {}
  check = () => true;
  async run(model: Model, real: Real) {
    const role = ROLES[this.role % ROLES.length]!;
    const users = [...new Set(this.users.map((index) => GRANT_USERS[index % GRANT_USERS.length]!))];
    const result = await withArmRefusingOneWrite(this.armRefuses, () =>
      as(this.persona, () =>
        workspaces.grantWorkspaceRoles({
          workspaceId: WORKSPACE,
          roleDefinitionId: role,
          principals: users.map((user) => ({ id: user.id, kind: "user", displayName: user.displayName })),
        }),
      ),
    );
    const allowed = this.persona === "admin";
    real.current = await checkStep(
      this.persona,
      real.current,
      result,
      allowed ? { kind: "changes" } : { kind: "refused", audited: { deniedBecause: "console_role_missing", consoleAction: "grantWorkspaceRoles" } },
    );
    if (allowed && result.status === "success") {
      const items = result.data as { principalId: string; status: string }[];
      for (const user of users) {
        const item = items.find((candidate) => candidate.principalId === user.id.toLowerCase());
        // Granted (or already there) means there; failed means ARM has nothing new.
        expect(real.current.assignments.has(key(user.id, role))).toBe(item?.status !== "failed" || model.direct.has(key(user.id, role)));
        if (item?.status !== "failed") model.direct.add(key(user.id, role));
      }
      if (!this.armRefuses) expect(items.every((item) => item.status !== "failed")).toBe(true);
    }
  }
  toString = () => `grant(${this.persona}, users ${this.users.join("+")}, role ${this.role}${this.armRefuses ? ", ARM refuses a write" : ""})`;
}

/** A privileged role the operator has not allowed: refused before anything is written, and audited. */
class GrantOwner implements fc.AsyncCommand<Model, Real> {
  constructor(readonly user: number) {}
  check = () => true;
  async run(_model: Model, real: Real) {
    const user = GRANT_USERS[this.user % GRANT_USERS.length]!;
    const result = await as("admin", () =>
      workspaces.grantWorkspaceRoles({
        workspaceId: WORKSPACE,
        roleDefinitionId: OWNER,
        principals: [{ id: user.id, kind: "user", displayName: user.displayName }],
      }),
    );
    real.current = await checkStep("admin", real.current, result, {
      kind: "refused",
      audited: { deniedBecause: "role_not_grantable", consoleAction: "grantWorkspaceRoles" },
    });
  }
  toString = () => `grantOwner(user ${this.user})`;
}

class Revoke implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly persona: Persona,
    readonly index: number,
  ) {}
  check = (model: Readonly<Model>) => model.direct.size > 0;
  async run(model: Model, real: Real) {
    const target = pick([...model.direct].sort(), this.index)!;
    const [principalId, roleId] = target.split("|") as [string, string];
    const assignmentId = `${WORKSPACE}/providers/Microsoft.Authorization/roleAssignments/${assignmentNameFor(WORKSPACE, principalId, roleId)}`;
    const result = await as(this.persona, () => workspaces.revokeWorkspaceRoles({ workspaceId: WORKSPACE, assignmentIds: [assignmentId] }));
    const allowed = this.persona === "admin";
    real.current = await checkStep(
      this.persona,
      real.current,
      result,
      allowed ? { kind: "changes" } : { kind: "refused", audited: { deniedBecause: "console_role_missing", consoleAction: "revokeWorkspaceRoles" } },
    );
    if (allowed) {
      model.direct.delete(target);
      expect(real.current.assignments.has(target)).toBe(false);
    }
  }
  toString = () => `revoke(${this.persona}, #${this.index})`;
}

class CreateMapping implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly group: number,
    readonly role: number,
    readonly armRefuses = false,
  ) {}
  check = () => GROUPS.length > 0;
  async run(model: Model, real: Real) {
    const group = GROUPS[this.group % GROUPS.length]!;
    const role = ROLES[this.role % ROLES.length]!;
    const exists = [...model.mappings.values()].includes(key(group.id, role));
    const result = await withArmRefusingOneWrite(this.armRefuses, () =>
      as("admin", () => mappings.createMapping({ workspaceId: WORKSPACE, groupId: group.id, roleDefinitionId: role })),
    );
    // The same mapping twice is refused as a conflict, which is not an authorization refusal: nothing is recorded. One
    // whose grant ARM refuses is made and removed again (both recorded).
    real.current = await checkStep("admin", real.current, result, exists ? { kind: "refused" } : this.armRefuses ? { kind: "either" } : { kind: "changes" });
    if (!exists && result.status === "success") {
      const made = (result.data as { mapping: { id: string } | null }).mapping;
      if (made) {
        model.mappings.set(made.id, key(group.id, role));
        expect(real.current.assignments.has(key(group.id, role))).toBe(true);
      } else {
        expect(this.armRefuses).toBe(true);
      }
    }
  }
  toString = () => `createMapping(group ${this.group}, role ${this.role}${this.armRefuses ? ", ARM refuses a write" : ""})`;
}

class DeleteMapping implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly index: number,
    readonly revokeAssignment: boolean,
  ) {}
  check = (model: Readonly<Model>) => model.mappings.size > 0;
  async run(model: Model, real: Real) {
    const mappingId = pick([...model.mappings.keys()].sort(), this.index)!;
    const assignment = model.mappings.get(mappingId)!;
    const result = await as("admin", () => mappings.deleteMapping({ mappingId, revokeAssignment: this.revokeAssignment }));
    real.current = await checkStep("admin", real.current, result, { kind: "changes" });
    model.mappings.delete(mappingId);
    expect(real.current.mappings.has(mappingId)).toBe(false);
    expect(real.current.assignments.has(assignment)).toBe(!this.revokeAssignment);
  }
  toString = () => `deleteMapping(#${this.index}, revoke ${this.revokeAssignment})`;
}

/** A request filed by the team lead, or by the admin (who then may not approve it: separation of duties). */
class Submit implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly by: "team-lead" | "admin",
    readonly whom: number,
  ) {}
  check = () => true;
  async run(model: Model, real: Real) {
    const principal = REQUEST_USERS[this.whom % REQUEST_USERS.length]!;
    const open = [...model.requests.values()].some((filed) => filed.principalId === principal.id && (filed.status === "pending" || filed.status === "granted"));
    // A failed request (this run's or an earlier one's) may or may not stand in the way; the checks hold either way.
    const failedBefore = (
      await (await getDatabase()).select({ status: accessRequests.status }).from(accessRequests).where(eq(accessRequests.principalId, principal.id))
    ).some((row) => row.status === "failed");
    const result = await as(this.by, () =>
      requests.submitAccessRequest({
        workspaceId: WORKSPACE,
        roleDefinitionId: DATA_SCIENTIST,
        principal: { id: principal.id, kind: "user", displayName: principal.displayName },
        justification: "Model-based audit test: retraining the churn model",
        duration: "8h",
      }),
    );
    // An open request (or access it gave) for the same person and role is refused as a conflict, which is not
    // audited (nothing was decided about anyone's access).
    real.current = await checkStep(this.by, real.current, result, open ? { kind: "refused" } : failedBefore ? { kind: "either" } : { kind: "changes" });
    if (result.status === "success") {
      const { id } = result.data;
      model.requests.set(id, { principalId: principal.id, by: this.by, status: "pending" });
      expect(real.current.requests.get(id)).toBe("pending");
    }
  }
  toString = () => `submit(${this.by}, for #${this.whom})`;
}

type Decision = "approve" | "deny" | "cancel";

class Decide implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly decision: Decision,
    readonly persona: Persona,
    readonly index: number,
    readonly armRefuses = false,
  ) {}
  check = (model: Readonly<Model>) => [...model.requests.values()].some((filed) => filed.status === "pending");
  async run(model: Model, real: Real) {
    const pending = [...model.requests.entries()].filter(([, filed]) => filed.status === "pending").sort(([a], [b]) => a.localeCompare(b));
    const [requestId, filed] = pick(pending, this.index)!;
    const input = { requestId, comment: "Decided by the model-based audit test" };
    const call = { approve: requests.approveAccessRequest, deny: requests.denyAccessRequest, cancel: requests.cancelAccessRequest }[this.decision];
    const result = await withArmRefusingOneWrite(this.armRefuses, () => as(this.persona, () => call(input)));
    const consoleAction = { approve: "approveAccessRequest", deny: "denyAccessRequest", cancel: "cancelAccessRequest" }[this.decision];
    // Who may: the security reader none of them (console role); cancel is the requester's; nobody approves their own
    // request; approve and deny reach a requester too, who may decide only what an approver route gives them (none
    // covers this workspace: only Console.Admin decides here).
    const refusedBecause =
      this.persona === "security"
        ? "console_role_missing"
        : this.decision === "cancel"
          ? this.persona !== filed.by
            ? "not_requester"
            : undefined
          : this.decision === "approve" && filed.by === this.persona
            ? "self_approval"
            : this.persona === "team-lead"
              ? "not_routed_approver"
              : undefined;
    const expected: Expectation = refusedBecause ? { kind: "refused", audited: { deniedBecause: refusedBecause, consoleAction } } : { kind: "changes" };
    real.current = await checkStep(this.persona, real.current, result, expected);
    if (expected.kind === "changes") {
      // An approval whose grant ARM refused leaves the request failed (retryable), not granted.
      const status =
        this.decision === "approve" && this.armRefuses ? "failed" : ({ approve: "granted", deny: "denied", cancel: "cancelled" } as const)[this.decision];
      filed.status = status;
      expect(real.current.requests.get(requestId)).toBe(status);
    }
  }
  toString = () => `${this.decision}(${this.persona}, #${this.index}${this.armRefuses ? ", ARM refuses a write" : ""})`;
}

/** The expiry job, run from the console: as the console's identity, started in the admin's session. */
class RunJobsNow implements fc.AsyncCommand<Model, Real> {
  check = () => true;
  async run(_model: Model, real: Real) {
    const result = await as("admin", () => requests.runRequestJobsNow({}));
    real.current = await checkStep("job", real.current, result, { kind: "changes" });
  }
  toString = () => "runRequestJobsNow()";
}

/** The expiry job as the scheduler runs it, nine hours on: every 8-hour grant is due. */
class ExpireLater implements fc.AsyncCommand<Model, Real> {
  check = () => true;
  async run(model: Model, real: Real) {
    const later = new Date(Date.now() + 9 * 3_600_000);
    const run = await runRequestJobs(await getDatabase(), systemActor("access-request-expiry"), later, { notify: false });
    real.current = await checkStep("scheduled", real.current, { status: "success", data: run }, { kind: "changes" });
    for (const [id, filed] of model.requests) {
      if (filed.status !== "granted") continue;
      filed.status = "expired";
      expect(real.current.requests.get(id)).toBe("expired");
    }
  }
  toString = () => "expiryJob(+9h)";
}

/** A caller without a session: refused before anything, counted (not recorded one by one), nothing changed. */
class Anonymous implements fc.AsyncCommand<Model, Real> {
  check = () => true;
  async run(_model: Model, real: Real) {
    const counted = async () => {
      const rows = await (await getDatabase()).select({ count: refusalTallies.count, reason: refusalTallies.reason }).from(refusalTallies);
      return rows.filter((row) => row.reason === "authz.denied/no_session/grantWorkspaceRoles").reduce((sum, row) => sum + row.count, 0);
    };
    const before = await counted();
    request.cookie = "";
    const user = GRANT_USERS[0]!;
    const result = await workspaces.grantWorkspaceRoles({
      workspaceId: WORKSPACE,
      roleDefinitionId: DATA_SCIENTIST,
      principals: [{ id: user.id, kind: "user", displayName: user.displayName }],
    });
    real.current = await checkStep("anonymous", real.current, result, { kind: "refused" });
    expect(result).toMatchObject({ status: "error", code: "unauthenticated" });
    expect(await counted()).toBe(before + 1);
  }
  toString = () => "anonymousGrant()";
}

const persona = fc.constantFrom<Persona>("admin", "admin", "admin", "team-lead", "security");
const index = fc.nat({ max: 20 });
/** One call in five meets ARM refusing a write. */
const armRefuses = fc.nat({ max: 4 }).map((draw) => draw === 0);
const commands = [
  fc
    .tuple(persona, fc.array(index, { minLength: 1, maxLength: 2 }), index, armRefuses)
    .map(([who, users, role, refuses]) => new Grant(who, users, role, refuses)),
  index.map((user) => new GrantOwner(user)),
  fc.tuple(persona, index).map(([who, at]) => new Revoke(who, at)),
  fc.tuple(index, index, armRefuses).map(([group, role, refuses]) => new CreateMapping(group, role, refuses)),
  fc.tuple(index, fc.boolean()).map(([at, revoke]) => new DeleteMapping(at, revoke)),
  fc.tuple(fc.constantFrom<"team-lead" | "admin">("team-lead", "team-lead", "admin"), index).map(([by, whom]) => new Submit(by, whom)),
  fc.tuple(fc.constantFrom<"team-lead" | "admin">("team-lead", "team-lead", "admin"), index).map(([by, whom]) => new Submit(by, whom)),
  fc
    .tuple(fc.constantFrom<Decision>("approve", "deny", "cancel"), fc.constantFrom<Persona>("admin", "admin", "team-lead", "security"), index, armRefuses)
    .map(([decision, who, at, refuses]) => new Decide(decision, who, at, decision === "approve" && refuses)),
  fc.constant(new RunJobsNow()),
  fc.constant(new ExpireLater()),
  fc.constant(new Anonymous()),
];

/** Every command once, in an order where each does something: the first sequence checked. */
const TOUR = [
  new Grant("admin", [0, 1], 0),
  new Grant("admin", [2], 1, true),
  new Grant("team-lead", [2], 0),
  new GrantOwner(2),
  new Revoke("security", 0),
  new Revoke("admin", 0),
  new Submit("team-lead", 0),
  new Decide("approve", "team-lead", 0),
  new Decide("deny", "team-lead", 0),
  new Decide("approve", "admin", 0),
  new Submit("team-lead", 1),
  new Decide("cancel", "admin", 0),
  new Decide("deny", "admin", 0),
  new Submit("admin", 2),
  new Decide("approve", "admin", 0),
  new Decide("cancel", "team-lead", 0),
  new Decide("cancel", "admin", 0),
  new Submit("team-lead", 2),
  new Decide("approve", "admin", 0, true),
  new CreateMapping(1, 0, true),
  new CreateMapping(0, 0),
  new CreateMapping(0, 0),
  new DeleteMapping(0, true),
  new CreateMapping(1, 1),
  new DeleteMapping(0, false),
  new RunJobsNow(),
  new ExpireLater(),
  new Anonymous(),
];

/** Puts the tenant and the database back to how the run found them (as the admin, through the same actions). */
async function undo(model: Model): Promise<void> {
  request.cookie = people.admin.cookie;
  for (const mappingId of model.mappings.keys()) await mappings.deleteMapping({ mappingId, revokeAssignment: true });
  for (const [requestId, filed] of model.requests) {
    if (filed.status === "pending") await requests.denyAccessRequest({ requestId, comment: "End of run" });
  }
  const leftover = [...tenant.sandbox.tenant.roleAssignments.values()].filter(
    (assignment) =>
      assignment.scope.toLowerCase() === WORKSPACE.toLowerCase() &&
      [...GRANT_USERS, ...REQUEST_USERS, ...GROUPS].some((principal) => principal.id === assignment.principalId) === true,
  );
  if (leftover.length > 0) {
    const results = await workspaces.revokeWorkspaceRoles({
      workspaceId: WORKSPACE,
      assignmentIds: leftover.map((assignment) => `${WORKSPACE}/providers/Microsoft.Authorization/roleAssignments/${assignment.name}`),
      acknowledgedHolderIds: await holderIdsOf(),
    });
    expect(results.status).toBe("success");
  }
  // Active requests whose assignment went are closed by the revoke above (it ends their holders).
}

async function holderIdsOf(): Promise<number[]> {
  const { assignmentHolders } = await import("@/lib/ownership/schema");
  const db = await getDatabase();
  return (await db.select({ id: assignmentHolders.id }).from(assignmentHolders)).map((row) => row.id);
}

beforeAll(async () => {
  request.origin = getConfig().publicOrigin;
  for (const who of ["admin", "team-lead", "security"] as const) people[who] = await signIn(who);
  expect(GRANT_USERS).toHaveLength(3);
  expect(REQUEST_USERS).toHaveLength(3);
  expect(GROUPS).toHaveLength(2);
}, 60_000);

afterAll(async () => {
  await tenant.close();
});

describe("audit completeness, model-based (real server actions on a sandbox tenant)", () => {
  it(`${RUNS} random sequences: one event per state change with who, what, outcome and where; refusals change nothing`, { timeout: 600_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { maxCommands: 10 }), async (sequence) => {
        const model: Model = { direct: new Set(), requests: new Map(), mappings: new Map() };
        const real: Real = { current: await snapshot() };
        try {
          await fc.asyncModelRun(() => ({ model, real }), sequence);
        } finally {
          await undo(model);
        }
        expect(await verifyAuditChain(await getDatabase())).toMatchObject({ ok: true });
      }),
      { numRuns: RUNS, endOnFailure: true, examples: [[TOUR]] },
    );
    // The tour (run first) reached every kind of change and refusal; random sequences add their orders and mixes.
    expect([...seenActions].sort()).toEqual(
      expect.arrayContaining([
        "authz.denied:denied",
        "authz.denied:denied/console_role_missing",
        "authz.denied:denied/not_requester",
        "authz.denied:denied/not_routed_approver",
        "authz.denied:denied/role_not_grantable",
        "authz.denied:denied/self_approval",
        "mapping.created:succeeded",
        "mapping.deleted:succeeded",
        "request.approved:succeeded",
        "request.failed:failed",
        "role_assignment.grant_failed:failed",
        "request.cancelled:succeeded",
        "request.denied:succeeded",
        "request.expired:succeeded",
        "request.granted:succeeded",
        "request.submitted:succeeded",
        "role_assignment.granted:succeeded",
        "role_assignment.revoked:succeeded",
      ]),
    );
    expect(tally.get("refused:error")).toBeGreaterThan(0);
    expect(tally.get("changes:success")).toBeGreaterThan(0);
  });
});
