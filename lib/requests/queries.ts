import "server-only";

import { and, desc, eq, ilike, inArray, or, type SQL } from "drizzle-orm";
import { z } from "zod";

import { type Database, getDatabase } from "@/lib/db";
import { listWorkspaces } from "@/lib/workspaces/list-workspaces";
import { isRequester } from "./decision-guards";
import { type RoutingOptions, routesOfApprover } from "./routing";
import { accessRequests, type AccessRequestRow, REQUEST_STATUSES } from "./schema";

export const queueFilterSchema = z.strictObject({
  status: z.enum(REQUEST_STATUSES).optional(),
  q: z.string().trim().max(100).optional(),
  mine: z.boolean().default(false),
});
export type QueueFilter = z.output<typeof queueFilterSchema>;

/** Who is looking: their tenant and object id (never the UPN, which can be renamed), and whether they decide requests. */
export interface Viewer {
  readonly tenantId: string;
  readonly objectId: string;
  readonly isAdmin: boolean;
}

/**
 * Requests for the list page. `mine`: the ones the viewer filed. Otherwise the approval queue: admins see everyone's;
 * a routed approver (a member or owner an approver route names) the requests filed under their routes; anyone else
 * only their own.
 */
export async function listAccessRequests(viewer: Viewer, filter: QueueFilter, db?: Database, routing: RoutingOptions = {}): Promise<AccessRequestRow[]> {
  const database = db ?? (await getDatabase());
  const conditions: SQL[] = [];
  // Tenant and object id together: the same object id in another tenant is someone else.
  const own = and(eq(accessRequests.requesterTenantId, viewer.tenantId.toLowerCase()), eq(accessRequests.requesterObjectId, viewer.objectId.toLowerCase()))!;
  if (filter.mine) conditions.push(own);
  else if (!viewer.isAdmin) {
    const routes = await routesOfApprover(viewer, routing);
    conditions.push(routes.length > 0 ? inArray(accessRequests.routeId, routes) : own);
  }
  if (filter.status) conditions.push(eq(accessRequests.status, filter.status));
  if (filter.q) {
    const like = `%${filter.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    conditions.push(
      or(
        ilike(accessRequests.workspaceName, like),
        ilike(accessRequests.roleName, like),
        ilike(accessRequests.principalDisplayName, like),
        ilike(accessRequests.requesterName, like),
      )!,
    );
  }
  return database
    .select()
    .from(accessRequests)
    .where(conditions.length ? and(...conditions) : undefined)
    .orderBy(desc(accessRequests.createdAt))
    .limit(200);
}

/** One request, if the viewer may see it (admins: all; others: their own, and those filed under a route they approve on). */
export async function findAccessRequest(viewer: Viewer, id: string, db?: Database, routing: RoutingOptions = {}): Promise<AccessRequestRow | undefined> {
  if (!z.uuid().safeParse(id).success) return undefined;
  const database = db ?? (await getDatabase());
  const [row] = await database.select().from(accessRequests).where(eq(accessRequests.id, id));
  if (!row) return undefined;
  if (viewer.isAdmin || isRequester(viewer, row)) return row;
  return row.routeId !== null && (await routesOfApprover(viewer, routing)).includes(row.routeId) ? row : undefined;
}

/** Whether the viewer approves on any route (then the requests page shows them an approval queue). */
export async function isRoutedApprover(viewer: Viewer, routing: RoutingOptions = {}): Promise<boolean> {
  return !viewer.isAdmin && (await routesOfApprover(viewer, routing)).length > 0;
}

/**
 * For each request, the other requests on its workspace for the same principal or filed by the same requester, newest
 * first (at most 10 each): what an approver weighs next to it. One query for all of them (for deciders only: the
 * approval queue and the request page's decision).
 */
export async function listRelatedRequests(requests: readonly AccessRequestRow[], db?: Database): Promise<Map<string, AccessRequestRow[]>> {
  const related = new Map<string, AccessRequestRow[]>();
  if (requests.length === 0) return related;
  const database = db ?? (await getDatabase());
  const workspaceKeys = [...new Set(requests.map((request) => request.workspaceKey))];
  const principalIds = [...new Set(requests.map((request) => request.principalId))];
  const requesterIds = [...new Set(requests.map((request) => request.requesterObjectId))];
  const candidates = await database
    .select()
    .from(accessRequests)
    .where(
      and(
        inArray(accessRequests.workspaceKey, workspaceKeys),
        or(inArray(accessRequests.principalId, principalIds), inArray(accessRequests.requesterObjectId, requesterIds)),
      ),
    )
    .orderBy(desc(accessRequests.createdAt))
    .limit(1000);
  for (const request of requests) {
    related.set(
      request.id,
      candidates
        .filter(
          (other) =>
            other.id !== request.id &&
            other.workspaceKey === request.workspaceKey &&
            (other.principalId === request.principalId || other.requesterObjectId === request.requesterObjectId),
        )
        .slice(0, 10),
    );
  }
  return related;
}

/** Requests whose access ended but could not be removed yet (expiry failed; retried with back-off). */
export async function countExpiryFailures(db?: Database): Promise<number> {
  const database = db ?? (await getDatabase());
  return (await database.select({ id: accessRequests.id }).from(accessRequests).where(eq(accessRequests.status, "expiry_failed"))).length;
}

/** Pending requests waiting for a decision (the badge in the queue). */
export async function countPending(db?: Database): Promise<number> {
  const database = db ?? (await getDatabase());
  return (
    await database
      .select({ id: accessRequests.id })
      .from(accessRequests)
      .where(inArray(accessRequests.status, ["pending"]))
  ).length;
}

export interface RequestableWorkspace {
  readonly id: string;
  readonly name: string;
  readonly subscriptionName: string;
}

/**
 * Workspaces a request can target, read as the console's own identity: people who ask usually have no Azure rights
 * of their own. Only ids and names reach the form.
 */
export async function listRequestableWorkspaces(): Promise<RequestableWorkspace[]> {
  const { workspaces } = await listWorkspaces({ kind: "app" });
  return workspaces.map((workspace) => ({ id: workspace.id, name: workspace.friendlyName ?? workspace.name, subscriptionName: workspace.subscriptionName }));
}
