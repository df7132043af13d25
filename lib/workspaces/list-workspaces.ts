import "server-only";

import { z } from "zod";

import { armError, armListAll, authorizationClient, type ArmIdentity } from "@/lib/arm/client";
import { AppError } from "@/lib/errors";
import { log } from "@/lib/log";
import { listedAssignmentApplies, parseScope } from "@/lib/shared/arm-scope";

export const WORKSPACES_API_VERSION = "2024-10-01";
export const SUBSCRIPTIONS_API_VERSION = "2022-12-01";

export interface WorkspaceSummary {
  readonly id: string;
  readonly name: string;
  readonly friendlyName: string | null;
  readonly subscriptionId: string;
  readonly subscriptionName: string;
  readonly resourceGroup: string;
  readonly location: string;
  /** Role assignments that apply to the workspace (its own and inherited); null when they could not be read. */
  readonly roleAssignmentCount: number | null;
}

export interface SubscriptionFailure {
  readonly subscriptionId: string;
  readonly subscriptionName: string;
  readonly message: string;
  readonly reference?: string;
}

export interface WorkspaceList {
  readonly workspaces: readonly WorkspaceSummary[];
  /** Subscriptions that could not be read; the others still show. */
  readonly failures: readonly SubscriptionFailure[];
  /** Workspace ids ARM listed that Gatehouse could not read as a workspace scope: shown, not silently left out. */
  readonly unreadableIds: readonly string[];
}

const SubscriptionWire = z.object({ subscriptionId: z.string(), displayName: z.string() });
export const WorkspaceWire = z.object({
  id: z.string(),
  name: z.string(),
  location: z.string(),
  properties: z.object({ friendlyName: z.string().nullable().optional() }).partial().optional(),
});

/**
 * Every Azure ML workspace the person can read: subscriptions first, then each subscription's workspaces and role
 * assignments in parallel (one assignment list per subscription serves all of its workspaces' counts).
 */
export async function listWorkspaces(identity: ArmIdentity): Promise<WorkspaceList> {
  const subscriptions = (await armListAll(identity, "/subscriptions", SUBSCRIPTIONS_API_VERSION)).map((item) => SubscriptionWire.parse(item));
  const results = await Promise.all(subscriptions.map((subscription) => listInSubscription(identity, subscription)));
  const workspaces = results.flatMap((result) => ("workspaces" in result ? result.workspaces : []));
  workspaces.sort((a, b) => a.name.localeCompare(b.name));
  return {
    workspaces,
    failures: results.flatMap((result) => ("failure" in result ? [result.failure] : [])),
    unreadableIds: results.flatMap((result) => ("workspaces" in result ? result.unreadableIds : [])),
  };
}

async function listInSubscription(
  identity: ArmIdentity,
  subscription: z.infer<typeof SubscriptionWire>,
): Promise<{ workspaces: WorkspaceSummary[]; unreadableIds: string[] } | { failure: SubscriptionFailure }> {
  const subscriptionId = subscription.subscriptionId.toLowerCase();
  try {
    const [items, assignmentScopes] = await Promise.all([
      armListAll(identity, `/subscriptions/${subscriptionId}/providers/Microsoft.MachineLearningServices/workspaces`, WORKSPACES_API_VERSION),
      listAssignmentScopes(identity, subscriptionId),
    ]);
    const unreadableIds: string[] = [];
    const workspaces = items.flatMap((item): WorkspaceSummary[] => {
      const wire = WorkspaceWire.parse(item);
      const parsed = parseScope(wire.id);
      if (parsed?.level !== "workspace") {
        log("warn", "workspaces", "a workspace id could not be read as a scope", { subscriptionId, id: wire.id });
        unreadableIds.push(wire.id);
        return [];
      }
      return [
        {
          id: parsed.scope,
          name: wire.name,
          friendlyName: wire.properties?.friendlyName ?? null,
          subscriptionId,
          subscriptionName: subscription.displayName,
          resourceGroup: parsed.resourceGroup!,
          location: wire.location,
          roleAssignmentCount: assignmentScopes === null ? null : assignmentScopes.filter((scope) => listedAssignmentApplies(scope, parsed.scope)).length,
        },
      ];
    });
    return { workspaces, unreadableIds };
  } catch (error) {
    const appError = error instanceof AppError ? error : armError(error);
    return {
      failure: {
        subscriptionId,
        subscriptionName: subscription.displayName,
        message: appError.userMessage,
        ...(appError.upstreamRequestId ? { reference: appError.upstreamRequestId } : {}),
      },
    };
  }
}

/** Scopes of every assignment in the subscription, or null when the person may not read them. */
async function listAssignmentScopes(identity: ArmIdentity, subscriptionId: string): Promise<string[] | null> {
  try {
    const scopes: string[] = [];
    for await (const assignment of authorizationClient(identity, subscriptionId).roleAssignments.listForSubscription()) {
      if (assignment.scope) scopes.push(assignment.scope);
    }
    return scopes;
  } catch {
    return null;
  }
}
