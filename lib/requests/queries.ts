import "server-only";

import { and, desc, eq, ilike, inArray, or, type SQL } from "drizzle-orm";
import { z } from "zod";

import { type Database, getDatabase } from "@/lib/db";
import { listWorkspaces } from "@/lib/workspaces/list-workspaces";
import { isRequester } from "./decision-guards";
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
 * Requests for the list page. Admins see everyone's (the approval queue); requesters only the ones they filed.
 */
export async function listAccessRequests(viewer: Viewer, filter: QueueFilter, db?: Database): Promise<AccessRequestRow[]> {
  const database = db ?? (await getDatabase());
  const conditions: SQL[] = [];
  if (!viewer.isAdmin || filter.mine) {
    // Tenant and object id together: the same object id in another tenant is someone else.
    conditions.push(eq(accessRequests.requesterTenantId, viewer.tenantId.toLowerCase()), eq(accessRequests.requesterObjectId, viewer.objectId.toLowerCase()));
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

/** One request, if the viewer may see it (admins: all; others: their own). */
export async function findAccessRequest(viewer: Viewer, id: string, db?: Database): Promise<AccessRequestRow | undefined> {
  if (!z.uuid().safeParse(id).success) return undefined;
  const database = db ?? (await getDatabase());
  const [row] = await database.select().from(accessRequests).where(eq(accessRequests.id, id));
  if (!row) return undefined;
  return viewer.isAdmin || isRequester(viewer, row) ? row : undefined;
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
