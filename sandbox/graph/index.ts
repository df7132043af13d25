/**
 * Microsoft Graph emulation for `/v1.0/…` (and `/beta/…`, same shapes): directory reads, getByIds, $batch and
 * sendMail, with delegated calls limited by `scp` and app-only calls by `roles`.
 */
import type { SandboxHandler, SandboxRequest, SandboxResponse, SandboxSettings } from "../contract";
import type { Tenant } from "../tenant/tenant";
import { denyUnlessPermitted, PERMISSIONS } from "./permissions";
import { GRAPH_MESSAGES, graphError } from "./responses";
import { handleBatch } from "./routes/batch";
import { checkMemberGroups } from "./routes/check-member-groups";
import { getByIds, getDirectoryObject } from "./routes/directory-objects";
import { routeDirectory } from "./routes/directory";
import { listPermissionGrants } from "./routes/permission-grants";

const VERSIONS = new Set(["v1.0", "beta"]);

/** An injected fault's answer for one request inside `$batch` (`outer`: the batch call), or undefined to serve it. */
export type BatchItemFault = (request: SandboxRequest, outer: SandboxRequest) => SandboxResponse | undefined;

export function createGraphHandler(tenant: Tenant, settings: SandboxSettings, batchItemFault?: BatchItemFault): SandboxHandler {
  const handler: SandboxHandler = (incoming: SandboxRequest): SandboxResponse | Promise<SandboxResponse> => {
    // Read per request: the control API changes settings while the sandbox runs.
    const request: SandboxRequest = { ...incoming, defaultPageSize: settings.graphDefaultPageSize };
    const segments = request.path.split("/").filter(Boolean);
    const [version = "", first = "", ...rest] = segments;
    if (!VERSIONS.has(version)) return graphError(request, 400, "BadRequest", GRAPH_MESSAGES.segmentNotFound(version));
    const method = request.method.toUpperCase();
    if (first === "$batch" && rest.length === 0) {
      return method === "POST"
        ? handleBatch(request, handler, batchItemFault)
        : graphError(request, 405, "Request_BadRequest", GRAPH_MESSAGES.methodNotAllowed);
    }
    if (first.toLowerCase() === "directoryobjects") {
      if (rest.length === 1 && rest[0]?.toLowerCase() === "getbyids") {
        return method === "POST" ? getByIds(tenant, request) : graphError(request, 405, "Request_BadRequest", GRAPH_MESSAGES.methodNotAllowed);
      }
      if (rest.length === 1 && rest[0] && method === "GET") return getDirectoryObject(tenant, request, rest[0]);
      if (rest.length === 2 && rest[0] && rest[1]?.toLowerCase() === "checkmembergroups") {
        if (method !== "POST") return graphError(request, 405, "Request_BadRequest", GRAPH_MESSAGES.methodNotAllowed);
        const record = tenant.getDirectoryObject(rest[0]);
        if (!record) return graphError(request, 404, "Request_ResourceNotFound", GRAPH_MESSAGES.resourceNotFound(rest[0]));
        return denyUnlessPermitted(request, PERMISSIONS.readMemberships) ?? checkMemberGroups(tenant, request, record.id);
      }
      return graphError(request, 400, "BadRequest", GRAPH_MESSAGES.segmentNotFound(rest[0] ?? first));
    }
    if (first === "") return graphError(request, 400, "BadRequest", GRAPH_MESSAGES.segmentNotFound(version));
    if (first.toLowerCase() === "oauth2permissiongrants" && rest.length === 0) {
      return method === "GET" ? listPermissionGrants(tenant, request) : graphError(request, 405, "Request_BadRequest", GRAPH_MESSAGES.methodNotAllowed);
    }
    return routeDirectory(tenant, request, [first, ...rest]);
  };
  return handler;
}
