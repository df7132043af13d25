/**
 * `POST /directoryObjects/getByIds` (≤ 1000 ids, optional `types`) and `GET /directoryObjects/{id}`.
 *
 * CSP partner references (`directoryObjectPartnerReference`) come back only when `types` names them: "If not
 * specified, the default is directoryObject, which contains all of the resource types defined in the directory,
 * except for references to a Cloud Solution Provider partner organization" (microsoftgraph/microsoft-graph-docs-contrib
 * api-reference/v1.0/api/directoryobject-getbyids.md). Both reads miss an object inside its emulated replication lag
 * (`Tenant.delayReplication`), measured on the sandbox clock.
 */
import type { SandboxRequest, SandboxResponse } from "../../contract";
import type { DirectoryObjectRecord, PartnerReferenceRecord } from "../../tenant/model";
import { isGuid } from "../../tenant/prng";
import type { Tenant } from "../../tenant/tenant";
import { ENTITY_TYPES, entityTypeOf } from "../entities";
import { contextUrl, parseSelect, project, respondWithEntity } from "../odata";
import { denyUnlessPermitted, PERMISSIONS } from "../permissions";
import { GRAPH_MESSAGES, graphError, graphJson } from "../responses";

const MAX_IDS = 1000;
const KNOWN_TYPES = new Map<string, DirectoryObjectRecord["kind"] | PartnerReferenceRecord["kind"] | "unsupported">([
  ["user", "user"],
  ["group", "group"],
  ["serviceprincipal", "servicePrincipal"],
  ["application", "application"],
  ["device", "unsupported"],
  ["orgcontact", "unsupported"],
  ["directoryobjectpartnerreference", "partnerReference"],
]);

export function getByIds(tenant: Tenant, request: SandboxRequest): SandboxResponse {
  const denied = denyUnlessPermitted(request, PERMISSIONS.readDirectoryObjects);
  if (denied) return denied;
  const body = request.body as { ids?: unknown; types?: unknown } | undefined;
  if (!Array.isArray(body?.ids) || !body.ids.every((id): id is string => typeof id === "string")) {
    return graphError(request, 400, "Request_BadRequest", "The request body must contain 'ids', an array of object ids.");
  }
  const ids: string[] = body.ids;
  if (ids.length > MAX_IDS) {
    return graphError(request, 400, "Request_BadRequest", `The number of ids (${ids.length}) exceeds the limit of ${MAX_IDS}.`);
  }
  const invalid = ids.find((id) => !isGuid(id));
  if (invalid !== undefined) return graphError(request, 400, "Request_BadRequest", `Invalid object identifier '${invalid}'.`);
  let wantedKinds: Set<string> | undefined;
  if (body.types !== undefined) {
    if (!Array.isArray(body.types) || !body.types.every((t): t is string => typeof t === "string")) {
      return graphError(request, 400, "Request_BadRequest", "'types' must be an array of type names.");
    }
    wantedKinds = new Set();
    for (const type of body.types) {
      const kind = KNOWN_TYPES.get(type.toLowerCase().replace(/^microsoft\.graph\./, ""));
      if (!kind) return graphError(request, 400, "Request_BadRequest", `Invalid type name '${type}'.`);
      wantedKinds.add(kind);
    }
  }
  const select = parseSelect(request, ENTITY_TYPES);
  if (!select.ok) return select.response;
  const seen = new Set<string>();
  const value: unknown[] = [];
  for (const id of ids) {
    const partner = wantedKinds?.has("partnerReference") ? tenant.getPartnerReference(id) : undefined;
    if (partner && !seen.has(partner.id)) {
      seen.add(partner.id);
      value.push(partnerReferenceView(partner));
      continue;
    }
    const record = tenant.replicatedDirectoryObject(id, request.now);
    // Unknown ids (and ids not replicated yet) are silently omitted, as Graph does.
    if (!record || seen.has(record.id) || (wantedKinds && !wantedKinds.has(record.kind))) continue;
    seen.add(record.id);
    const type = entityTypeOf(record);
    // Without `$select`, whole objects (the documented example shows a user's `accountEnabled`); with it, only what it
    // names, as every OData read: a caller that selects its properties and leaves `accountEnabled` out never sees it.
    value.push(project(type.view(record), type, select.value ?? type.selectable, true));
  }
  return graphJson(request, 200, { "@odata.context": contextUrl(request, "directoryObjects", undefined), value });
}

export function getDirectoryObject(tenant: Tenant, request: SandboxRequest, id: string): SandboxResponse {
  const denied = denyUnlessPermitted(request, PERMISSIONS.readDirectoryObjects);
  if (denied) return denied;
  const partner = tenant.getPartnerReference(id);
  if (partner) return partnerReferenceEntity(request, partner);
  const record = tenant.replicatedDirectoryObject(id, request.now);
  if (!record) return graphError(request, 404, "Request_ResourceNotFound", GRAPH_MESSAGES.resourceNotFound(id));
  const response = respondWithEntity(request, record, "directoryObjects");
  // directoryObjects/{id} is polymorphic, so the body names its type.
  const body = response.body as Record<string, unknown> | undefined;
  if (response.status !== 200 || !body) return response;
  const { "@odata.context": context, ...rest } = body;
  return { ...response, body: { "@odata.context": context, "@odata.type": `#microsoft.graph.${entityTypeOf(record).typeName}`, ...rest } };
}

/** Graph's `directoryObjectPartnerReference` (learn.microsoft.com/graph/api/resources/directoryobjectpartnerreference). */
function partnerReferenceView(reference: PartnerReferenceRecord): Record<string, unknown> {
  return {
    "@odata.type": "#microsoft.graph.directoryObjectPartnerReference",
    id: reference.id,
    deletedDateTime: null,
    description: reference.description,
    displayName: reference.displayName,
    externalPartnerTenantId: reference.externalPartnerTenantId,
    objectType: reference.objectType,
  };
}

const PARTNER_REFERENCE_PROPERTIES = ["id", "deletedDateTime", "description", "displayName", "externalPartnerTenantId", "objectType"];

/** `GET /directoryObjects/{id}` of a partner reference: the polymorphic entity, `$select` checked against its properties. */
function partnerReferenceEntity(request: SandboxRequest, reference: PartnerReferenceRecord): SandboxResponse {
  const view = partnerReferenceView(reference);
  const raw = request.query.get("$select");
  const selected: string[] = [];
  for (const name of (raw ?? "")
    .split(",")
    .map((part) => part.trim())
    .filter(Boolean)) {
    const canonical = PARTNER_REFERENCE_PROPERTIES.find((property) => property.toLowerCase() === name.toLowerCase());
    if (!canonical) {
      return graphError(
        request,
        400,
        "Request_BadRequest",
        `Could not find a property named '${name}' on type 'microsoft.graph.directoryObjectPartnerReference'.`,
      );
    }
    selected.push(canonical);
  }
  const keys = selected.length > 0 ? selected : PARTNER_REFERENCE_PROPERTIES;
  return graphJson(request, 200, {
    "@odata.context": contextUrl(request, "directoryObjects", selected.length > 0 ? selected : undefined, true),
    "@odata.type": view["@odata.type"],
    ...Object.fromEntries(keys.map((key) => [key, view[key]])),
  });
}
