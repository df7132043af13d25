import "server-only";

import { and, desc, eq, inArray } from "drizzle-orm";

import type { DelegatedContext } from "@/lib/auth/caller";
import type { DelegatedCaller } from "@/lib/azure/tokens";
import { type Database, getDatabase } from "@/lib/db";
import { AppError } from "@/lib/errors";
import { resolvePrincipals } from "@/lib/graph/principals";
import { getRequestPolicy } from "@/lib/requests/policy";
import { parseScope } from "@/lib/shared/arm-scope";
import { invalidWorkspace } from "@/lib/workspaces/get-workspace-access";
import { type BundleGrantResult, endBundleGrant, type EndBundleOutcome, grantPlannedBundle, loadBundleGrant, planBundleForGrant } from "./grant-bundle";
import { type BundlePlanView, planBundle } from "./plan";
import { checkBundleIntegrity } from "./integrity";
import { bundleGrants, type BundleGrantPartRow, type BundleGrantRow, bundleGrantParts } from "./schema";
import { azureBundleSources } from "./sources";

/** The bundles the policy offers, for the workspace page's grant dialog. */
export function bundleOffers(): { readonly id: string; readonly name: string; readonly description: string }[] {
  return getRequestPolicy().bundles.map((bundle) => ({ id: bundle.id, name: bundle.name, description: bundle.description }));
}

/** What granting a bundle on a workspace would do, read as the signed-in admin. */
export function planBundleGrant(caller: DelegatedCaller, input: { readonly workspaceId: string; readonly bundleId: string }): Promise<BundlePlanView> {
  return planBundle(caller, input, azureBundleSources);
}

/**
 * An admin grants a bundle on the workspace page, to one principal the directory knows (its name and kind are read
 * from Graph, never taken from the browser), permanently.
 */
export async function grantBundleOnWorkspace(
  context: DelegatedContext,
  input: { readonly workspaceId: string; readonly bundleId: string; readonly principalId: string },
): Promise<BundleGrantResult> {
  const workspace = parseScope(input.workspaceId);
  if (workspace?.level !== "workspace") throw invalidWorkspace(input.workspaceId);
  // Opened before any upstream call starts: a first open (migrations) must not run while those calls wait.
  const db = await getDatabase();
  // Who the principal is and what the bundle would do are read side by side; the principal is judged first, as before.
  const [lookupRead, planRead] = await Promise.allSettled([
    resolvePrincipals(context.caller, [input.principalId]),
    planBundleForGrant(context, { workspaceId: workspace.scope, bundleId: input.bundleId, expiresAt: null }, azureBundleSources),
  ]);
  if (lookupRead.status === "rejected") throw lookupRead.reason;
  const lookup = lookupRead.value;
  if (!lookup.complete) {
    throw new AppError({
      code: "upstream_failed",
      message: "principal lookup failed",
      userMessage: lookup.failureMessage ?? "The directory could not be asked who that is.",
    });
  }
  const principal = lookup.found.get(input.principalId.toLowerCase());
  if (!principal) {
    throw new AppError({
      code: "invalid_input",
      message: `principal ${input.principalId} not found`,
      userMessage: "That user, group or service principal is not in the directory.",
    });
  }
  if (planRead.status === "rejected") throw planRead.reason;
  return grantPlannedBundle(
    context,
    {
      workspaceId: workspace.scope,
      bundleId: input.bundleId,
      principal: { id: principal.id, kind: principal.kind, displayName: principal.displayName },
      expiresAt: null,
    },
    planRead.value,
    { db },
  );
}

/**
 * An admin removes a bundle granted on the workspace page, as one unit: each part's assignment goes only if the bundle
 * created it and nothing else holds it. A bundle carried by a request ends with the request instead.
 */
export async function removeBundleGrant(context: DelegatedContext, bundleGrantId: string): Promise<EndBundleOutcome> {
  const db = await getDatabase();
  const view = await loadBundleGrant(db, bundleGrantId);
  if (!view) throw new AppError({ code: "not_found", message: `bundle grant ${bundleGrantId} not found`, userMessage: "That bundle grant no longer exists." });
  if (view.grant.requestId) {
    throw new AppError({
      code: "conflict",
      message: "bundle grant carried by a request",
      userMessage: `This bundle was granted through request ${view.grant.requestId.slice(0, 8)}; it ends with that request.`,
    });
  }
  return endBundleGrant({
    identity: { kind: "delegated", caller: context.caller },
    actor: context.actor,
    db,
    bundleGrantId,
    reason: `removed by ${context.person.userPrincipalName}`,
    actingAs: context.person.userPrincipalName,
    now: new Date(),
    consoleRequestId: context.requestId,
  });
}

export interface WorkspaceBundleGrant {
  readonly grant: BundleGrantRow;
  readonly parts: readonly BundleGrantPartRow[];
}

/** The bundle grants on a workspace that are not over, newest first, with their parts. */
export async function listWorkspaceBundleGrants(workspaceId: string, db?: Database): Promise<WorkspaceBundleGrant[]> {
  const database = db ?? (await getDatabase());
  const grants = await database
    .select()
    .from(bundleGrants)
    .where(
      and(eq(bundleGrants.workspaceKey, workspaceId.toLowerCase()), inArray(bundleGrants.status, ["granting", "granted", "partial", "ending", "end_failed"])),
    )
    .orderBy(desc(bundleGrants.createdAt))
    .limit(200);
  if (grants.length === 0) return [];
  const parts = await database
    .select()
    .from(bundleGrantParts)
    .where(
      inArray(
        bundleGrantParts.bundleGrantId,
        grants.map((grant) => grant.id),
      ),
    );
  return grants.map((grant) => ({ grant, parts: parts.filter((part) => part.bundleGrantId === grant.id).sort((a, b) => a.id - b.id) }));
}

export interface WorkspaceBundleView {
  readonly id: string;
  readonly bundleName: string;
  readonly principalDisplayName: string;
  readonly requestId: string | null;
  readonly status: BundleGrantRow["status"];
  readonly expiresAt: string | null;
  /** Drift: parts the bundle should hold and does not; null when it could not be checked (with why). */
  readonly missing: readonly { readonly partKey: string; readonly words: string }[] | null;
  readonly integrityUnknown: string | null;
  readonly parts: readonly BundleGrantPartRow[];
}

/**
 * The workspace page's bundles: each live bundle grant with its parts, and for the granted ones whether every part
 * still holds ("bundle incomplete" otherwise), checked in Azure as the signed-in admin.
 */
export async function workspaceBundles(caller: DelegatedCaller, workspaceId: string): Promise<WorkspaceBundleView[]> {
  const db = await getDatabase();
  const grants = await listWorkspaceBundleGrants(workspaceId, db);
  return Promise.all(
    grants.map(async ({ grant, parts }): Promise<WorkspaceBundleView> => {
      const report =
        grant.status === "granted" || grant.status === "partial" ? await checkBundleIntegrity(db, { kind: "delegated", caller }, { grant, parts }) : null;
      return {
        id: grant.id,
        bundleName: grant.bundleName,
        principalDisplayName: grant.principalDisplayName,
        requestId: grant.requestId,
        status: grant.status,
        expiresAt: grant.expiresAt?.toISOString() ?? null,
        missing:
          report?.status === "incomplete"
            ? report.missing.map((missing) => ({ partKey: missing.part.partKey, words: missing.words }))
            : report?.status === "complete"
              ? []
              : null,
        integrityUnknown: report?.status === "unknown" ? report.reason : null,
        parts,
      };
    }),
  );
}
