/**
 * Azure Resource Graph: `POST /providers/Microsoft.ResourceGraph/resources` over the `resources` table (AML workspaces,
 * their linked resources and AML registries: the resources the tenant models), the `authorizationresources` table (role assignments) and the
 * `resourcecontainers` table (subscriptions, with the management groups above them).
 *
 * Only a small, strictly parsed subset of KQL is understood: `<table> | where type =~ '<type>'` followed by `project`,
 * `extend`, `where <condition>` (see parseCondition), `summarize count() by <column>` and `order by <column> [asc|desc], …`. Anything else is refused with Resource Graph's own error
 * body (`BadRequest` with `InvalidQuery` and `ParserFailure` details, the `ErrorResponse` of the 2024-04-01 spec;
 * a live body is quoted in Azure/aztfexport#485), never answered with an approximation.
 *
 * Wire rules (2024-04-01 `resourcegraph.json`, examples ResourcesFirstPageQuery/ResourcesNextPageQuery):
 * `resultTruncated` is the string "true"/"false"; `options.$top` is 1..1000 (100 when absent, the documented
 * default); paging is a `$skipToken` the client sends back in the next request's body; `data` is an array of objects
 * (`resultFormat: objectArray`, the default) or `{columns, rows}` (`table`). The REST API takes at most 1,000
 * subscriptions per request (governance/resource-graph/troubleshoot/general.md, "Too many subscriptions").
 */
import { createHash, randomUUID } from "node:crypto";

import type { SandboxResponse } from "../contract";
import { subscriptionOfScope } from "../tenant/arm-ids";
import { LINKED_RESOURCE_TYPES, type LinkedResourceRecord, type RoleAssignmentRecord, type WorkspaceRecord } from "../tenant/model";
import type { Tenant } from "../tenant/tenant";
import { authorizer } from "./authorize";
import type { ArmContext } from "./context";
import { linkedResourceId, linkedResourceReadAction, renderLinkedResource } from "./linked-resources";
import { renderRoleAssignment, renderWorkspace, roleAssignmentId } from "./render";
import { visibleSubscriptionIds } from "./resources";
import { armError, armJson } from "./responses";
import { scopeCovers } from "./scopes";

export const RESOURCE_GRAPH_API_VERSIONS = ["2021-03-01", "2022-10-01", "2024-04-01"] as const;
const DEFAULT_TOP = 100;
const MAX_TOP = 1000;
const MAX_SUBSCRIPTIONS = 1000;
const WORKSPACE_TYPE = "microsoft.machinelearningservices/workspaces";
const ROLE_ASSIGNMENT_TYPE = "microsoft.authorization/roleassignments";
const WORKSPACE_READ = "Microsoft.MachineLearningServices/workspaces/read";
const ROLE_ASSIGNMENT_READ = "Microsoft.Authorization/roleAssignments/read";

type Row = Record<string, unknown>;
type Expression = { kind: "column"; path: string[] } | { kind: "call"; fn: "tostring" | "tolower"; argument: Expression };
type Condition =
  | { kind: "or"; left: Condition; right: Condition }
  | { kind: "and"; left: Condition; right: Condition }
  | { kind: "compare"; column: string; op: ComparisonOperator; value: string }
  | { kind: "in"; column: string; caseInsensitive: boolean; values: string[] };
type ComparisonOperator = "=~" | "==" | "!=" | "contains" | "!contains" | "startswith" | "!startswith";
type Operator =
  | { kind: "where"; type: string }
  | { kind: "filter"; condition: Condition }
  | { kind: "project" | "extend"; columns: { name: string; expression: Expression }[] }
  | { kind: "summarize"; countName: string; by: string }
  | { kind: "order"; keys: { by: string; descending: boolean }[] };
interface ParsedQuery {
  readonly table: "resources" | "authorizationresources" | "resourcecontainers";
  readonly operators: Operator[];
}

class QueryError extends Error {}

export function queryResourceGraph(context: ArmContext): SandboxResponse {
  const { request } = context;
  const body = request.body;
  if (typeof body !== "object" || body === null || Array.isArray(body) || typeof (body as { query?: unknown }).query !== "string") {
    return armError(
      context,
      400,
      "InvalidRequestContent",
      "The request content was invalid and could not be deserialized: 'Required property 'query' not found in JSON.'.",
    );
  }
  const { query, subscriptions, options = {} } = body as { query: string; subscriptions?: unknown; options?: Record<string, unknown> };
  const optionProblem = checkOptions(options);
  if (optionProblem) return badRequest(context, [{ code: "InvalidParameter", message: optionProblem }]);
  if (subscriptions !== undefined && (!Array.isArray(subscriptions) || subscriptions.some((s) => typeof s !== "string"))) {
    return badRequest(context, [{ code: "InvalidParameter", message: "The 'subscriptions' property must be an array of subscription ids." }]);
  }
  if (Array.isArray(subscriptions) && subscriptions.length > MAX_SUBSCRIPTIONS) {
    return badRequest(context, [
      { code: "TooManySubscriptions", message: `The query may name at most ${MAX_SUBSCRIPTIONS} subscriptions; ${subscriptions.length} were given.` },
    ]);
  }
  // Without `subscriptions` (or `managementGroups`) the query is at tenant scope: every subscription the caller can
  // see. The spec's `allowPartialScopes` ("only applicable for tenant and management group level queries … in case the
  // number of subscriptions exceed allowed limits", default false) means more than the limit is refused unless the
  // caller accepts a partial result; the stricter reading is emulated, with the documented 1,000 as the limit.
  if (subscriptions === undefined && options.allowPartialScopes !== true && visibleSubscriptionIds(context).size > MAX_SUBSCRIPTIONS) {
    return badRequest(context, [
      {
        code: "TooManySubscriptions",
        message: `The tenant-scope query covers ${visibleSubscriptionIds(context).size} subscriptions, more than ${MAX_SUBSCRIPTIONS}; name at most ${MAX_SUBSCRIPTIONS} subscriptions or set allowPartialScopes.`,
      },
    ]);
  }

  let parsed: ParsedQuery;
  try {
    parsed = parseQuery(query);
  } catch (error) {
    return badRequest(context, [
      {
        code: "InvalidQuery",
        message: "Query is invalid. Please refer to the documentation for the Azure Resource Graph service and fix the error before retrying.",
      },
      { code: "ParserFailure", message: "ParserFailure", token: error instanceof QueryError ? error.message : "" },
    ]);
  }

  const scopeSubscriptions = subscriptionsInScope(context, subscriptions as string[] | undefined);
  const fingerprint = createHash("sha256")
    .update(JSON.stringify([request.caller.objectId, query, [...scopeSubscriptions].sort(), options.authorizationScopeFilter ?? null]))
    .digest("base64url")
    .slice(0, 16);
  let offset = typeof options.$skip === "number" ? options.$skip : 0;
  let snapshotId: string | undefined;
  if (typeof options.$skipToken === "string") {
    const decoded = decodeSkipToken(options.$skipToken, fingerprint);
    if (decoded === undefined) return badRequest(context, [{ code: "InvalidSkipToken", message: "The $skipToken is not valid for this query and scope." }]);
    // The spec: $skip overrides the token's offset when both are present.
    if (typeof options.$skip !== "number") offset = decoded.offset;
    snapshotId = decoded.snapshot;
  }

  // A continuation reads the result its first page was cut from (a snapshot, kept for a few queries), so pages of a
  // large result neither shift nor cost a full evaluation each.
  let rows = snapshotId === undefined ? undefined : snapshotsOf(context).get(snapshotId);
  if (rows === undefined) {
    try {
      rows = evaluate(
        parsed,
        sourceRows(
          context,
          parsed.table,
          scopeSubscriptions,
          typeof options.authorizationScopeFilter === "string" ? options.authorizationScopeFilter : "AtScopeAndBelow",
          (parsed.operators[0] as { type: string }).type,
        ),
      );
    } catch (error) {
      return badRequest(context, [
        {
          code: "InvalidQuery",
          message: "Query is invalid. Please refer to the documentation for the Azure Resource Graph service and fix the error before retrying.",
        },
        { code: "UnknownColumn", message: error instanceof Error ? error.message : "Unknown column." },
      ]);
    }
    snapshotId = undefined;
  }
  const top = typeof options.$top === "number" ? options.$top : DEFAULT_TOP;
  const page = rows.slice(offset, offset + top);
  const more = offset + page.length < rows.length;
  // Paging needs a column that is not dynamic (an object); the projections understood here always have one.
  const pageable = rows.length === 0 || Object.values(rows[0] ?? {}).some((value) => typeof value !== "object" || value === null);
  const data = options.resultFormat === "table" ? asTable(page) : page;
  return armJson(context, 200, {
    totalRecords: rows.length,
    count: page.length,
    resultTruncated: more && !pageable ? "true" : "false",
    ...(more && pageable ? { $skipToken: encodeSkipToken(offset + page.length, fingerprint, snapshotId ?? keepSnapshot(context, rows)) } : {}),
    facets: [],
    data,
  });
}

function badRequest(context: ArmContext, details: Record<string, unknown>[]): SandboxResponse {
  const { request } = context;
  return armJson(context, 400, {
    error: {
      code: "BadRequest",
      message: `Please provide below info when asking for support: timestamp = ${request.now.toISOString()}, correlationId = ${request.headers["x-ms-correlation-request-id"] ?? request.requestId}.`,
      details,
    },
  });
}

function checkOptions(options: unknown): string | undefined {
  if (typeof options !== "object" || options === null || Array.isArray(options)) return "The 'options' property must be an object.";
  const o = options as Record<string, unknown>;
  if (o.$top !== undefined && (!Number.isInteger(o.$top) || (o.$top as number) < 1 || (o.$top as number) > MAX_TOP)) {
    return `The '$top' option must be an integer between 1 and ${MAX_TOP}.`;
  }
  if (o.$skip !== undefined && (!Number.isInteger(o.$skip) || (o.$skip as number) < 0)) return "The '$skip' option must be a non-negative integer.";
  if (o.$skipToken !== undefined && typeof o.$skipToken !== "string") return "The '$skipToken' option must be a string.";
  if (o.allowPartialScopes !== undefined && typeof o.allowPartialScopes !== "boolean") return "The 'allowPartialScopes' option must be a boolean.";
  if (o.resultFormat !== undefined && o.resultFormat !== "objectArray" && o.resultFormat !== "table") {
    return "The 'resultFormat' option must be 'table' or 'objectArray'.";
  }
  const filters = ["AtScopeAndBelow", "AtScopeAndAbove", "AtScopeExact", "AtScopeAboveAndBelow"];
  if (o.authorizationScopeFilter !== undefined && !filters.includes(o.authorizationScopeFilter as string)) {
    return `The 'authorizationScopeFilter' option must be one of ${filters.join(", ")}.`;
  }
  return undefined;
}

function encodeSkipToken(offset: number, fingerprint: string, snapshot: string): string {
  return Buffer.from(JSON.stringify({ o: offset, f: fingerprint, s: snapshot }), "utf8").toString("base64");
}

function decodeSkipToken(token: string, fingerprint: string): { offset: number; snapshot: string | undefined } | undefined {
  try {
    const value = JSON.parse(Buffer.from(token, "base64").toString("utf8")) as { o?: unknown; f?: unknown; s?: unknown };
    if (value.f !== fingerprint || !Number.isInteger(value.o) || (value.o as number) < 0) return undefined;
    return { offset: value.o as number, snapshot: typeof value.s === "string" ? value.s : undefined };
  } catch {
    return undefined;
  }
}

const MAX_SNAPSHOTS = 32;
const snapshots = new WeakMap<object, Map<string, Row[]>>();

function snapshotsOf(context: ArmContext): Map<string, Row[]> {
  let map = snapshots.get(context.tenant);
  if (!map) {
    map = new Map();
    snapshots.set(context.tenant, map);
  }
  return map;
}

function keepSnapshot(context: ArmContext, rows: Row[]): string {
  const map = snapshotsOf(context);
  const id = randomUUID();
  map.set(id, rows);
  // Oldest first out: a Map iterates in insertion order.
  for (const key of map.keys()) {
    if (map.size <= MAX_SNAPSHOTS) break;
    map.delete(key);
  }
  return id;
}

/**
 * Named subscriptions the caller can see (others are left out: a query never reveals them), or all it can see. A
 * subscription is visible as ARM's subscription list shows it: the caller holds a role at the root or inside it.
 */
function subscriptionsInScope(context: ArmContext, named: readonly string[] | undefined): Set<string> {
  const { tenant } = context;
  const visible = visibleSubscriptionIds(context);
  const wanted = named ? named.map((s) => s.toLowerCase()) : [...tenant.subscriptions.keys()].sort();
  // A partial tenant-scope query (allowPartialScopes) reads the first 1,000; a larger one was refused before.
  return new Set(wanted.filter((s) => tenant.subscriptions.has(s) && visible.has(s)).slice(0, named ? undefined : MAX_SUBSCRIPTIONS));
}

/**
 * The table's rows the caller may read, of the one type the query's first `where` keeps (the rows of other types
 * would be dropped by it anyway: building only these keeps a 10,000-workspace estate's query cheap).
 */
function sourceRows(context: ArmContext, table: ParsedQuery["table"], subscriptions: Set<string>, filter: string, type: string): Row[] {
  const { tenant, settings, request } = context;
  const allowed = new Map<string, boolean>();
  const authorized = authorizer(tenant, settings, request.caller, request.now);
  const check = (action: string, scope: string) => {
    const key = `${action} ${scope.toLowerCase()}`;
    let answer = allowed.get(key);
    if (answer === undefined) {
      answer = authorized(action, scope);
      allowed.set(key, answer);
    }
    return answer;
  };
  // What is allowed at a subscription is allowed on everything in it: one check per subscription for most callers.
  const may = (action: string, scope: string, subscriptionId = subscriptionOfScope(scope)) =>
    (subscriptionId !== undefined && check(action, `/subscriptions/${subscriptionId.toLowerCase()}`)) || check(action, scope);
  if (table === "resources") {
    const linkedKinds = new Set(Object.entries(LINKED_RESOURCE_TYPES).flatMap(([kind, armType]) => (armType.toLowerCase() === type ? [kind] : [])));
    const workspaces = (type === WORKSPACE_TYPE ? [...tenant.workspaces.values()] : [])
      .filter((w) => subscriptions.has(w.subscriptionId.toLowerCase()))
      .filter((w) =>
        may(WORKSPACE_READ, `/subscriptions/${w.subscriptionId}/resourceGroups/${w.resourceGroup}/providers/${WORKSPACE_TYPE}/${w.name}`, w.subscriptionId),
      )
      .map((w) => workspaceRow(w, tenant.tenantId));
    const linked = [...tenant.linkedResources.values()]
      .filter((r) => linkedKinds.has(r.kind) && subscriptions.has(r.subscriptionId.toLowerCase()))
      .filter((r) => may(linkedResourceReadAction(r.kind), linkedResourceId(r)))
      .map((r) => linkedResourceRow(r, tenant));
    return [...workspaces, ...linked];
  }
  if (table === "resourcecontainers") {
    return type === "microsoft.resources/subscriptions" ? [...subscriptions].map((id) => subscriptionRow(context, id)) : [];
  }
  if (type !== ROLE_ASSIGNMENT_TYPE) return [];
  const rows: Row[] = [];
  // Thousands of assignments sit at far fewer scopes: each scope's place is worked out once per query.
  const places = new Map<string, { readonly below: boolean; readonly exact: boolean; readonly aboveOf: string | undefined }>();
  const placeOf = (scope: string) => {
    let place = places.get(scope);
    if (place === undefined) {
      const subscriptionId = subscriptionOfScope(scope);
      const below = subscriptionId !== undefined && subscriptions.has(subscriptionId);
      place = {
        below,
        exact: below && scope.replace(/\/+$/, "").split("/").length === 3,
        aboveOf: subscriptionId === undefined ? [...subscriptions].find((s) => scopeCovers(tenant, scope, `/subscriptions/${s}`)) : undefined,
      };
      places.set(scope, place);
    }
    return place;
  };
  for (const assignment of tenant.roleAssignments.values()) {
    const { below, exact, aboveOf } = placeOf(assignment.scope);
    const include =
      filter === "AtScopeExact"
        ? exact
        : filter === "AtScopeAndAbove"
          ? exact || aboveOf !== undefined
          : filter === "AtScopeAboveAndBelow"
            ? below || aboveOf !== undefined
            : below;
    if (!include) continue;
    // Rows above a subscription are read through the subscription, as a list at that subscription shows them.
    if (!may(ROLE_ASSIGNMENT_READ, below ? assignment.scope : `/subscriptions/${aboveOf}`)) continue;
    rows.push(roleAssignmentRow(assignment, tenant.tenantId));
  }
  return rows;
}

/**
 * Each workspace's row, made once per record: a query over a 10,000-workspace estate otherwise renders every workspace
 * again (and the emulator's time, not the network's, would be what a bench of the list page measured). Records are
 * not changed once seeded, a reset makes new ones, and the query engine never changes a row (`extend` copies it).
 */
const workspaceRows = new WeakMap<WorkspaceRecord, { readonly tenantId: string; readonly row: Row }>();

function workspaceRow(workspace: WorkspaceRecord, tenantId: string): Row {
  const cached = workspaceRows.get(workspace);
  if (cached?.tenantId === tenantId) return cached.row;
  const row = renderWorkspaceRow(workspace, tenantId);
  workspaceRows.set(workspace, { tenantId, row });
  return row;
}

function renderWorkspaceRow(workspace: WorkspaceRecord, tenantId: string): Row {
  const wire = renderWorkspace(workspace, tenantId) as Row;
  return {
    id: wire.id,
    name: workspace.name,
    type: WORKSPACE_TYPE,
    tenantId,
    kind: workspace.kind,
    location: workspace.location,
    // Resource Graph lower-cases the resourceGroup column (ids keep their casing).
    resourceGroup: workspace.resourceGroup.toLowerCase(),
    subscriptionId: workspace.subscriptionId,
    managedBy: "",
    sku: wire.sku,
    plan: null,
    properties: wire.properties,
    tags: wire.tags,
    identity: wire.identity,
    zones: null,
    extendedLocation: null,
  };
}

/** A linked resource or AML registry in `resources`: Resource Graph lower-cases `type` and `resourceGroup`. */
function linkedResourceRow(resource: LinkedResourceRecord, tenant: Tenant): Row {
  const wire = renderLinkedResource(resource, tenant) as Row;
  return {
    id: linkedResourceId(resource),
    name: resource.name,
    type: LINKED_RESOURCE_TYPES[resource.kind].toLowerCase(),
    tenantId: tenant.tenantId,
    kind: wire.kind ?? "",
    location: resource.location,
    resourceGroup: resource.resourceGroup.toLowerCase(),
    subscriptionId: resource.subscriptionId,
    managedBy: "",
    sku: wire.sku ?? null,
    plan: null,
    properties: wire.properties,
    tags: resource.tags,
    identity: null,
    zones: null,
    extendedLocation: null,
  };
}

/**
 * A subscription in `resourcecontainers`: `properties.managementGroupAncestorsChain` lists its management groups
 * nearest first, each `{name, displayName}` (the tenant root group is not modelled by the sandbox).
 */
function subscriptionRow(context: ArmContext, subscriptionId: string): Row {
  const { tenant } = context;
  const subscription = tenant.subscriptions.get(subscriptionId)!;
  const chain = tenant.managementGroupsAbove(`/subscriptions/${subscriptionId}`).map((name) => {
    const group = tenant.managementGroups.get(name);
    return { displayName: group?.displayName ?? name, name: group?.name ?? name };
  });
  return {
    id: `/subscriptions/${subscription.subscriptionId}`,
    name: subscription.displayName,
    type: "microsoft.resources/subscriptions",
    tenantId: tenant.tenantId,
    kind: "",
    location: "",
    resourceGroup: "",
    subscriptionId: subscription.subscriptionId,
    managedBy: "",
    sku: null,
    plan: null,
    properties: { state: subscription.state, managementGroupAncestorsChain: chain },
    tags: subscription.tags,
    identity: null,
    zones: null,
    extendedLocation: null,
  };
}

function roleAssignmentRow(assignment: RoleAssignmentRecord, tenantId: string): Row {
  const wire = renderRoleAssignment(assignment) as Row;
  const resourceGroup = /^\/subscriptions\/[^/]+\/resourceGroups\/([^/]+)/i.exec(assignment.scope)?.[1];
  return {
    id: roleAssignmentId(assignment.scope, assignment.name),
    name: assignment.name,
    type: ROLE_ASSIGNMENT_TYPE,
    tenantId,
    kind: "",
    location: "",
    resourceGroup: resourceGroup?.toLowerCase() ?? "",
    subscriptionId: subscriptionOfScope(assignment.scope) ?? "",
    managedBy: "",
    sku: null,
    plan: null,
    properties: wire.properties,
    tags: null,
    identity: null,
    zones: null,
    extendedLocation: null,
  };
}

// --- the KQL subset ------------------------------------------------------------------------------------------------

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Splits on `|` outside single or double quotes (where a backslash escapes the next character). */
function splitPipes(query: string): string[] {
  const parts: string[] = [];
  let current = "";
  let quote: string | undefined;
  let escaped = false;
  for (const char of query) {
    if (quote) {
      if (escaped) escaped = false;
      else if (char === "\\") escaped = true;
      else if (char === quote) quote = undefined;
    } else if (char === "'" || char === '"') {
      quote = char;
    } else if (char === "|") {
      parts.push(current.trim());
      current = "";
      continue;
    }
    current += char;
  }
  if (quote) throw new QueryError(current.trim());
  parts.push(current.trim());
  return parts;
}

export function parseQuery(query: string): ParsedQuery {
  const [tablePart, ...operatorParts] = splitPipes(query);
  const table = tablePart?.toLowerCase();
  if (table !== "resources" && table !== "authorizationresources" && table !== "resourcecontainers") throw new QueryError(tablePart ?? "");
  // The first operator must narrow the table to one type; later `where`s filter with the conditions below.
  const operators = operatorParts.map((text, index) => parseOperator(text, index === 0));
  if (operators[0]?.kind !== "where") throw new QueryError(operatorParts[0] ?? "");
  return { table, operators };
}

function parseOperator(text: string, first: boolean): Operator {
  let match = /^where\s+type\s*=~\s*(['"])([^'"]+)\1$/.exec(text);
  if (match && first) return { kind: "where", type: match[2]!.toLowerCase() };
  match = /^where\s+(.+)$/s.exec(text);
  if (match && !first) return { kind: "filter", condition: parseCondition(match[1]!) };
  match = /^(project|extend)\s+(.+)$/s.exec(text);
  if (match) {
    const columns = splitTopLevelCommas(match[2]!).map((item) => {
      const assignment = /^([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.+)$/s.exec(item);
      if (assignment) return { name: assignment[1]!, expression: parseExpression(assignment[2]!.trim()) };
      if (!IDENTIFIER.test(item)) throw new QueryError(item);
      const column: Expression = { kind: "column", path: [item] };
      return { name: item, expression: column };
    });
    return { kind: match[1] as "project" | "extend", columns };
  }
  match = /^summarize\s+(?:([A-Za-z_][A-Za-z0-9_]*)\s*=\s*)?count\(\)\s+by\s+([A-Za-z_][A-Za-z0-9_]*)$/.exec(text);
  if (match) return { kind: "summarize", countName: match[1] ?? "count_", by: match[2]! };
  match = /^(?:order|sort)\s+by\s+(.+)$/s.exec(text);
  if (match) {
    const keys = match[1]!.split(",").map((key) => {
      const parts = /^\s*([A-Za-z_][A-Za-z0-9_]*)(?:\s+(asc|desc))?\s*$/.exec(key);
      if (!parts) throw new QueryError(key.trim());
      // KQL sorts descending unless told otherwise.
      return { by: parts[1]!, descending: parts[2] !== "asc" };
    });
    return { kind: "order", keys };
  }
  throw new QueryError(text);
}

/**
 * A `where` condition: comparisons of a column with a string literal (`=~`, `==`, `!=`, `contains`, `!contains`,
 * `startswith`, `!startswith`), `in` / `in~` lists, `and`, `or` and parentheses. String literals follow KQL's rules
 * (Microsoft Learn, Kusto "The string data type"): single or double quotes, a backslash escaping `\\`, `\'`, `\"`,
 * `\n` and `\t`; verbatim (`@'…'`) and multi-line literals are not in the subset.
 */
function parseCondition(text: string): Condition {
  const tokens = tokenize(text);
  let at = 0;
  const peek = () => tokens[at];
  const take = (expected?: string) => {
    const token = tokens[at++];
    if (token === undefined || (expected !== undefined && (token.kind !== "word" || token.text !== expected))) throw new QueryError(token?.text ?? text);
    return token;
  };
  const literal = () => {
    const token = take();
    if (token.kind !== "string") throw new QueryError(token.text);
    return token.text;
  };
  const atom = (): Condition => {
    const token = take();
    if (token.kind === "word" && token.text === "(") {
      const inner = or();
      take(")");
      return inner;
    }
    if (token.kind !== "word" || !IDENTIFIER.test(token.text)) throw new QueryError(token.text);
    const op = take();
    if (op.kind === "word" && (op.text === "in" || op.text === "in~")) {
      take("(");
      const values = [literal()];
      while (peek()?.text === "," && peek()?.kind === "word") {
        take(",");
        values.push(literal());
      }
      take(")");
      return { kind: "in", column: token.text, caseInsensitive: op.text === "in~", values };
    }
    const comparisons: readonly string[] = ["=~", "==", "!=", "contains", "!contains", "startswith", "!startswith"];
    if (op.kind !== "word" || !comparisons.includes(op.text)) throw new QueryError(op.text);
    return { kind: "compare", column: token.text, op: op.text as ComparisonOperator, value: literal() };
  };
  const and = (): Condition => {
    let left = atom();
    while (peek()?.kind === "word" && peek()?.text === "and") {
      take("and");
      left = { kind: "and", left, right: atom() };
    }
    return left;
  };
  const or = (): Condition => {
    let left = and();
    while (peek()?.kind === "word" && peek()?.text === "or") {
      take("or");
      left = { kind: "or", left, right: and() };
    }
    return left;
  };
  const condition = or();
  if (at !== tokens.length) throw new QueryError(tokens[at]!.text);
  return condition;
}

const ESCAPES: Record<string, string> = { "\\": "\\", "'": "'", '"': '"', n: "\n", t: "\t" };

function tokenize(text: string): { kind: "word" | "string"; text: string }[] {
  const tokens: { kind: "word" | "string"; text: string }[] = [];
  let i = 0;
  while (i < text.length) {
    const char = text[i]!;
    if (/\s/.test(char)) {
      i++;
    } else if (char === "'" || char === '"') {
      let value = "";
      i++;
      for (;;) {
        if (i >= text.length) throw new QueryError(text);
        const next = text[i]!;
        if (next === char) break;
        if (next === "\\") {
          const escaped = ESCAPES[text[i + 1] ?? ""];
          if (escaped === undefined) throw new QueryError(text.slice(i, i + 2));
          value += escaped;
          i += 2;
        } else {
          value += next;
          i++;
        }
      }
      i++;
      tokens.push({ kind: "string", text: value });
    } else if ("(),".includes(char)) {
      tokens.push({ kind: "word", text: char });
      i++;
    } else {
      const word = /^(?:=~|==|!=|!?[A-Za-z_][A-Za-z0-9_]*~?)/.exec(text.slice(i))?.[0];
      if (!word) throw new QueryError(text.slice(i));
      tokens.push({ kind: "word", text: word });
      i += word.length;
    }
  }
  return tokens;
}

function conditionColumns(condition: Condition): string[] {
  return condition.kind === "or" || condition.kind === "and" ? [...conditionColumns(condition.left), ...conditionColumns(condition.right)] : [condition.column];
}

function holds(condition: Condition, row: Row): boolean {
  if (condition.kind === "or") return holds(condition.left, row) || holds(condition.right, row);
  if (condition.kind === "and") return holds(condition.left, row) && holds(condition.right, row);
  const value = scalarText(row[condition.column]);
  if (condition.kind === "in") {
    return condition.caseInsensitive ? condition.values.some((v) => v.toLowerCase() === value.toLowerCase()) : condition.values.includes(value);
  }
  const [x, y] = [value.toLowerCase(), condition.value.toLowerCase()];
  switch (condition.op) {
    case "==":
      return value === condition.value;
    case "!=":
      return value !== condition.value;
    case "=~":
      return x === y;
    case "contains":
      return x.includes(y);
    case "!contains":
      return !x.includes(y);
    case "startswith":
      return x.startsWith(y);
    case "!startswith":
      return !x.startsWith(y);
  }
}

function splitTopLevelCommas(text: string): string[] {
  const items: string[] = [];
  let depth = 0;
  let current = "";
  for (const char of text) {
    if (char === "(") depth++;
    if (char === ")") depth--;
    if (char === "," && depth === 0) {
      items.push(current.trim());
      current = "";
    } else {
      current += char;
    }
  }
  items.push(current.trim());
  if (items.some((item) => item === "")) throw new QueryError(text);
  return items;
}

function parseExpression(text: string): Expression {
  const call = /^(tostring|tolower)\((.+)\)$/s.exec(text);
  if (call) return { kind: "call", fn: call[1] as "tostring" | "tolower", argument: parseExpression(call[2]!.trim()) };
  const path = text.split(".");
  if (path.every((part) => IDENTIFIER.test(part))) return { kind: "column", path };
  throw new QueryError(text);
}

function evaluateExpression(expression: Expression, row: Row): unknown {
  if (expression.kind === "column") {
    const [column, ...rest] = expression.path;
    if (!(column! in row)) throw new Error(`The name '${column}' does not refer to any known column.`);
    let value: unknown = row[column!];
    for (const key of rest) value = typeof value === "object" && value !== null ? (value as Row)[key] : undefined;
    return value ?? null;
  }
  const value = evaluateExpression(expression.argument, row);
  if (expression.fn === "tostring") return scalarText(value);
  if (typeof value !== "string") throw new Error("tolower() expects a string.");
  return value.toLowerCase();
}

function evaluate(query: ParsedQuery, source: Row[]): Row[] {
  let rows = source;
  let columns = rows[0] ? Object.keys(rows[0]) : Object.keys(workspaceRowTemplate);
  let ordered = false;
  for (const operator of query.operators) {
    if (operator.kind === "where") {
      rows = rows.filter((row) => String(row.type).toLowerCase() === operator.type);
    } else if (operator.kind === "filter") {
      for (const column of conditionColumns(operator.condition)) {
        if (!columns.includes(column)) throw new Error(`The name '${column}' does not refer to any known column.`);
      }
      rows = rows.filter((row) => holds(operator.condition, row));
    } else if (operator.kind === "project" || operator.kind === "extend") {
      for (const { expression } of operator.columns) checkColumns(expression, columns);
      const projected = (row: Row): Row => {
        const out: Row = operator.kind === "extend" ? { ...row } : {};
        for (const { name, expression } of operator.columns) out[name] = evaluateExpression(expression, row);
        return out;
      };
      columns = operator.kind === "extend" ? [...columns, ...operator.columns.map((c) => c.name)] : operator.columns.map((c) => c.name);
      rows = rows.map(projected);
    } else if (operator.kind === "summarize") {
      if (!columns.includes(operator.by)) throw new Error(`The name '${operator.by}' does not refer to any known column.`);
      const counts = new Map<unknown, number>();
      for (const row of rows) counts.set(row[operator.by], (counts.get(row[operator.by]) ?? 0) + 1);
      rows = [...counts].map(([key, count]) => ({ [operator.by]: key, [operator.countName]: count }));
      columns = [operator.by, operator.countName];
    } else if (operator.kind === "order") {
      for (const { by } of operator.keys) {
        if (!columns.includes(by)) throw new Error(`The name '${by}' does not refer to any known column.`);
      }
      rows = [...rows].sort((a, b) => {
        for (const { by, descending } of operator.keys) {
          const order = compare(a[by], b[by]);
          if (order !== 0) return descending ? -order : order;
        }
        return 0;
      });
      ordered = true;
    }
  }
  // Pages come in a stable order, as Resource Graph sorts paged results by id.
  if (!ordered) {
    const key = columns.includes("id") ? "id" : columns[0];
    if (key) rows = [...rows].sort((a, b) => compare(a[key], b[key]));
  }
  return rows;
}

/** Column names every table has, so a query over an empty table still validates its columns. */
const workspaceRowTemplate: Row = Object.fromEntries(
  [
    "id",
    "name",
    "type",
    "tenantId",
    "kind",
    "location",
    "resourceGroup",
    "subscriptionId",
    "managedBy",
    "sku",
    "plan",
    "properties",
    "tags",
    "identity",
    "zones",
    "extendedLocation",
  ].map((c) => [c, null]),
);

function checkColumns(expression: Expression, columns: readonly string[]): void {
  if (expression.kind === "call") return checkColumns(expression.argument, columns);
  if (!columns.includes(expression.path[0]!)) throw new Error(`The name '${expression.path[0]}' does not refer to any known column.`);
}

/** KQL's tostring(): null is the empty string, a dynamic value its JSON. */
function scalarText(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return JSON.stringify(value);
}

function compare(a: unknown, b: unknown): number {
  if (typeof a === "number" && typeof b === "number") return a - b;
  const x = scalarText(a);
  const y = scalarText(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

function asTable(rows: Row[]): { columns: { name: string; type: string }[]; rows: unknown[][] } {
  const names = rows[0] ? Object.keys(rows[0]) : [];
  const typeOf = (value: unknown) =>
    typeof value === "number" ? "integer" : typeof value === "boolean" ? "boolean" : typeof value === "string" ? "string" : "object";
  return { columns: names.map((name) => ({ name, type: typeOf(rows[0]?.[name]) })), rows: rows.map((row) => names.map((name) => row[name])) };
}
