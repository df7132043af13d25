/**
 * OData query handling for directory collections: `$select`, `$top` (1–999), `$skiptoken` paging with absolute
 * `@odata.nextLink`, `$count`, `$search`, `$filter` and `$orderby`, with Graph's advanced-query rules
 * (`ConsistencyLevel: eventual`, plus `$count=true` for `ne`/`not`/`endsWith`).
 */
import type { SandboxRequest, SandboxResponse } from "../contract";
import type { DirectoryObjectRecord } from "../tenant/model";
import { DIRECTORY_OBJECT_FILTERABLE, ENTITY_TYPES, type EntityType, entityTypeOf, type GraphObject } from "./entities";
import { FilterSyntaxError, parseFilter } from "./filter";
import { GRAPH_MESSAGES, graphCount, graphError, graphJson } from "./responses";

export const DEFAULT_PAGE_SIZE = 100;
const MAX_PAGE_SIZE = 999;
const CREDENTIAL_COLLECTIONS = new Set(["passwordcredentials", "keycredentials"]);

export interface CollectionOptions {
  /** The entity type of every item, or undefined for a mixed directoryObject collection. */
  readonly entity?: EntityType;
  /** Text after `$metadata#`, e.g. `users` or `directoryObjects`. */
  readonly contextName: string;
  /** The request ended in `/$count`. */
  readonly countSegment?: boolean;
}

/** `v1.0` or `beta`, from the request path. */
export function graphVersion(request: SandboxRequest): string {
  return request.path.split("/").filter(Boolean)[0] ?? "v1.0";
}

export function isEventual(request: SandboxRequest): boolean {
  return (request.headers["consistencylevel"] ?? "").toLowerCase() === "eventual";
}

function contextUrl(request: SandboxRequest, name: string, select: readonly string[] | undefined, entity = false): string {
  const projection = select ? `(${select.join(",")})` : "";
  return `${request.origin}/${graphVersion(request)}/$metadata#${name}${projection}${entity ? "/$entity" : ""}`;
}

type Parsed<T> = { ok: true; value: T } | { ok: false; response: SandboxResponse };

function parseTop(request: SandboxRequest): Parsed<number> {
  const raw = request.query.get("$top");
  if (raw === null) return { ok: true, value: request.defaultPageSize ?? DEFAULT_PAGE_SIZE };
  const top = Number(raw);
  if (!Number.isInteger(top) || top < 1 || top > MAX_PAGE_SIZE) {
    return { ok: false, response: graphError(request, 400, "Request_UnsupportedQuery", GRAPH_MESSAGES.invalidPageSize(raw)) };
  }
  return { ok: true, value: top };
}

/** Validates `$select` against the properties the item types have. */
export function parseSelect(request: SandboxRequest, types: readonly EntityType[]): Parsed<string[] | undefined> {
  const raw = request.query.get("$select");
  if (raw === null || raw.trim() === "") return { ok: true, value: undefined };
  const known = new Map<string, string>();
  for (const type of types) for (const key of type.selectable) known.set(key.toLowerCase(), key);
  const selected: string[] = [];
  for (const name of raw
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)) {
    const canonical = known.get(name.toLowerCase());
    if (!canonical) {
      const typeName = types.length === 1 ? (types[0]?.typeName ?? "directoryObject") : "directoryObject";
      return {
        ok: false,
        response: graphError(request, 400, "Request_BadRequest", `Could not find a property named '${name}' on type 'microsoft.graph.${typeName}'.`),
      };
    }
    selected.push(canonical);
  }
  return { ok: true, value: selected };
}

/** Picks the selected (or default) properties in order; `@odata.type` first for mixed collections. */
export function project(view: GraphObject, type: EntityType, select: readonly string[] | undefined, withType: boolean): GraphObject {
  const out: GraphObject = withType ? { "@odata.type": `#microsoft.graph.${type.typeName}` } : {};
  for (const key of select ?? type.defaultSelect) if (key in view) out[key] = view[key];
  return out;
}

function searchPredicate(raw: string): ((view: GraphObject) => boolean) | undefined {
  // `"displayName:tier" OR "mail:tier"`: tokenised prefix match per clause, as the directory search does.
  const clauses = [...raw.matchAll(/"([^":]+):([^"]*)"|\b(AND|OR)\b/gi)];
  if (clauses.length === 0) return undefined;
  const terms: { property: string; term: string }[] = [];
  let useAnd = false;
  for (const clause of clauses) {
    if (clause[3]) useAnd = clause[3].toUpperCase() === "AND";
    else if (clause[1] !== undefined) terms.push({ property: clause[1], term: (clause[2] ?? "").toLowerCase() });
  }
  const matches = (view: GraphObject, property: string, term: string) => {
    const key = Object.keys(view).find((k) => k.toLowerCase() === property.toLowerCase());
    const value = key === undefined ? undefined : view[key];
    if (typeof value !== "string") return false;
    const lower = value.toLowerCase();
    return lower.startsWith(term) || lower.split(/[^a-z0-9]+/).some((token) => token.startsWith(term));
  };
  return (view) => (useAnd ? terms.every((t) => matches(view, t.property, t.term)) : terms.some((t) => matches(view, t.property, t.term)));
}

function decodeSkipToken(token: string | null): number | undefined {
  if (token === null) return 0;
  const offset = Number(Buffer.from(token, "base64url").toString("utf8"));
  return Number.isInteger(offset) && offset >= 0 ? offset : undefined;
}

function nextLink(request: SandboxRequest, offset: number): string {
  const query = new URLSearchParams(request.query);
  query.delete("$skiptoken");
  query.set("$skiptoken", Buffer.from(String(offset), "utf8").toString("base64url"));
  // Segments are re-encoded: a guest UPN holds '#', which would otherwise start a fragment.
  const path = request.path.split("/").map(encodeURIComponent).join("/");
  return `${request.origin}${path}?${query.toString()}`;
}

/** Runs the whole OData pipeline over directory records and renders Graph's collection response. */
export function respondWithCollection(request: SandboxRequest, records: readonly DirectoryObjectRecord[], options: CollectionOptions): SandboxResponse {
  const eventual = isEventual(request);
  const countRequested = (request.query.get("$count") ?? "").toLowerCase() === "true";
  const advanced = eventual && countRequested;
  if (options.countSegment && !eventual) {
    return graphError(request, 400, "Request_BadRequest", GRAPH_MESSAGES.countNotSupported);
  }
  const top = parseTop(request);
  if (!top.ok) return top.response;
  if (request.query.has("$expand")) {
    return graphError(request, 400, "Request_BadRequest", "$expand is not supported by the Gatehouse sandbox.");
  }
  const types = options.entity ? [options.entity] : ENTITY_TYPES;
  const select = parseSelect(request, types);
  if (!select.ok) return select.response;

  let items = records.map((record) => {
    const type = entityTypeOf(record);
    return { type, view: type.view(record) };
  });

  const rawFilter = request.query.get("$filter");
  if (rawFilter !== null && rawFilter.trim() !== "") {
    let parsed;
    try {
      parsed = parseFilter(rawFilter);
    } catch (error) {
      const detail = error instanceof FilterSyntaxError ? error.message : "Invalid filter.";
      return graphError(request, 400, "BadRequest", `Invalid filter clause: ${detail}`);
    }
    const credential = parsed.lambdaProperties.find((p) => CREDENTIAL_COLLECTIONS.has(p.toLowerCase()));
    if (credential) {
      const canonical = credential.toLowerCase() === "keycredentials" ? "keyCredentials" : "passwordCredentials";
      return graphError(request, 400, "Request_UnsupportedQuery", GRAPH_MESSAGES.complexQuery(canonical));
    }
    const filterable = options.entity?.filterable ?? DIRECTORY_OBJECT_FILTERABLE;
    const unsupported = parsed.properties.find((p) => !filterable.has(p.toLowerCase()));
    if (unsupported) {
      return graphError(
        request,
        400,
        "Request_UnsupportedQuery",
        GRAPH_MESSAGES.unsupportedFilterProperty(unsupported, options.entity?.resourceName ?? "DirectoryObject"),
      );
    }
    const needsAdvanced = parsed.advancedOperators[0];
    if (needsAdvanced && !advanced) {
      return graphError(request, 400, "Request_UnsupportedQuery", GRAPH_MESSAGES.operatorNeedsAdvanced(needsAdvanced));
    }
    items = items.filter((item) => parsed.predicate(item.view));
  }

  const rawSearch = request.query.get("$search");
  if (rawSearch !== null) {
    if (!eventual) return graphError(request, 400, "Request_UnsupportedQuery", GRAPH_MESSAGES.searchNeedsConsistency);
    const search = searchPredicate(rawSearch);
    if (!search) {
      return graphError(request, 400, "Request_UnsupportedQuery", `Syntax error: the $search value '${rawSearch}' is not valid. Use "property:term".`);
    }
    items = items.filter((item) => search(item.view));
  }

  const rawOrderBy = request.query.get("$orderby");
  if (rawOrderBy !== null && rawOrderBy.trim() !== "") {
    const [property = "", direction = "asc"] = rawOrderBy.trim().split(/\s+/);
    // Only displayName/userPrincipalName sort without advanced parameters, and never together with $filter.
    const basic = ["displayname", "userprincipalname"].includes(property.toLowerCase()) && !request.query.has("$filter");
    if (!basic && !advanced) {
      return graphError(request, 400, "Request_UnsupportedQuery", "Sorting not supported for current query.");
    }
    const sign = direction.toLowerCase() === "desc" ? -1 : 1;
    const valueOf = (view: GraphObject) => {
      const key = Object.keys(view).find((k) => k.toLowerCase() === property.toLowerCase());
      const value = key === undefined ? "" : view[key];
      return typeof value === "string" ? value.toLowerCase() : JSON.stringify(value ?? "");
    };
    items = [...items].sort((a, b) => sign * valueOf(a.view).localeCompare(valueOf(b.view)));
  }

  if (options.countSegment) return graphCount(request, items.length);

  const offset = decodeSkipToken(request.query.get("$skiptoken"));
  if (offset === undefined) return graphError(request, 400, "Request_BadRequest", "The skip token is not valid.");
  const pageItems = items.slice(offset, offset + top.value);
  const more = offset + top.value < items.length;
  const body: Record<string, unknown> = { "@odata.context": contextUrl(request, options.contextName, select.value) };
  // `@odata.count` only on the first page, and only for advanced queries (`$count=true` is ignored otherwise).
  if (countRequested && eventual && offset === 0) body["@odata.count"] = items.length;
  if (more) body["@odata.nextLink"] = nextLink(request, offset + top.value);
  body.value = pageItems.map((item) => project(item.view, item.type, select.value, !options.entity));
  return graphJson(request, 200, body);
}

/** A single entity with `$select`, e.g. `GET /users/{id}`. */
export function respondWithEntity(request: SandboxRequest, record: DirectoryObjectRecord, contextName: string): SandboxResponse {
  const type = entityTypeOf(record);
  const select = parseSelect(request, [type]);
  if (!select.ok) return select.response;
  return graphJson(request, 200, {
    "@odata.context": contextUrl(request, contextName, select.value, true),
    ...project(type.view(record), type, select.value, false),
  });
}

export { contextUrl };

/**
 * A collection of non-directory objects (app role assignments, …): `$top` and `$skiptoken` paging and a `$select`
 * checked against the objects' own properties. No `$filter`/`$search`: Graph supports few of them here; a route that
 * applied one itself names it in `applied`, and it stays in the next link.
 */
export function respondWithPlainCollection(
  request: SandboxRequest,
  items: readonly GraphObject[],
  contextName: string,
  selectable: readonly string[],
  applied: readonly string[] = [],
): SandboxResponse {
  const top = parseTop(request);
  if (!top.ok) return top.response;
  for (const unsupported of ["$filter", "$search", "$orderby", "$expand"]) {
    if (request.query.has(unsupported) && !applied.includes(unsupported)) {
      return graphError(
        request,
        400,
        "Request_UnsupportedQuery",
        `The query parameter '${unsupported}' is not supported by the Gatehouse sandbox on this collection.`,
      );
    }
  }
  const rawSelect = request.query.get("$select");
  let select: string[] | undefined;
  if (rawSelect !== null && rawSelect.trim() !== "") {
    select = [];
    for (const name of rawSelect
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean)) {
      const canonical = selectable.find((key) => key.toLowerCase() === name.toLowerCase());
      if (!canonical) return graphError(request, 400, "Request_BadRequest", `Could not find a property named '${name}'.`);
      select.push(canonical);
    }
  }
  const offset = decodeSkipToken(request.query.get("$skiptoken"));
  if (offset === undefined) return graphError(request, 400, "Request_BadRequest", "The skip token is not valid.");
  const page = items.slice(offset, offset + top.value);
  const body: Record<string, unknown> = { "@odata.context": contextUrl(request, contextName, select) };
  if (offset + top.value < items.length) body["@odata.nextLink"] = nextLink(request, offset + top.value);
  body.value = page.map((item) => {
    if (!select) return item;
    const projected: GraphObject = {};
    for (const key of select) projected[key] = item[key];
    return projected;
  });
  return graphJson(request, 200, body);
}
