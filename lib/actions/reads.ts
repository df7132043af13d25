import "server-only";

import { z } from "zod";

import { verifyAzureAccess as verifyAccess } from "@/lib/account/verify-azure-access";
import { searchSessions as findSessions, searchSessionsSchema } from "@/lib/account/sessions";
import { type ActionContext, delegatedContext, serverAction } from "@/lib/actions/server-action";
import { verifyChainNow } from "@/lib/audit/chain-status";
import { callerOf } from "@/lib/auth/caller";
import { previewBundleDelta as previewBundle } from "@/lib/bundles/preview-bundle-delta";
import { planBundleGrant as planBundle } from "@/lib/bundles/workspace-bundles";
import { findSnapshot } from "@/lib/credentials/store";
import { getDatabase } from "@/lib/db";
import { AppError } from "@/lib/errors";
import { delegatedGraphClient } from "@/lib/graph/client";
import { searchPrincipals as findPrincipals } from "@/lib/graph/search-principals";
import { collectDrift } from "@/lib/mappings/collect";
import { previewMembers } from "@/lib/mappings/directory";
import { exportMappingsDocument } from "@/lib/mappings/mapping-document";
import { listMappings } from "@/lib/mappings/store";
import { previewPermissionDelta as previewRole } from "@/lib/permissions/preview-permission-delta";
import type { ActionResult } from "@/lib/shared/action-result";
import { parseScope } from "@/lib/shared/arm-scope";
import type { SnapshotSummary } from "@/lib/shared/credentials";
import type { ConsoleRead } from "@/lib/shared/permissions";
import { bundleIdSchema as bundleId, objectIdSchema as objectId, workspaceIdSchema as workspaceId } from "@/lib/shared/schemas";
import { checkWorkspaceAccess as checkAccess } from "@/lib/workspaces/check-workspace-access";
import { getGrantOptions as grantOptions } from "@/lib/workspaces/get-grant-options";

/**
 * The read-only calls the browser makes while a person works: answered at `POST /api/reads/<name>`
 * (app/api/reads/[read]/route.ts), each through `serverAction()`'s steps (same-origin check, session, rate limits,
 * permission matrix, zod, one error model). They are not server actions because Next dispatches a page's server
 * actions one at a time: a grant clicked while the permission preview loads would wait for the preview. Changes stay
 * server actions (app/actions/).
 */

declare const inputType: unique symbol;
/** A read's function, carrying the input the browser sends as a type (for `readFromConsole` in the browser). */
export type ConsoleReadCall<Input, Output> = ((raw: unknown) => Promise<ActionResult<Output>>) & { readonly [inputType]?: Input };

function read<Schema extends z.ZodType, Output>(
  name: ConsoleRead,
  input: Schema,
  run: (context: ActionContext, input: z.output<Schema>) => Promise<Output>,
): ConsoleReadCall<z.input<Schema>, Output> {
  return serverAction(name, input, run);
}

// The delta service also takes the resources a bundle's parts land on; previewPermissionDelta is about one role on a workspace.
const workspaceOnlyId = workspaceId.refine((id) => parseScope(id)?.level === "workspace", { error: "Choose a workspace from the list" });

export const READS = {
  // ---- Account ----------------------------------------------------------------------------------------------------

  /** Calls Graph and ARM as the signed-in person, proving on-behalf-of works end to end. */
  verifyAzureAccess: read("verifyAzureAccess", z.undefined(), async ({ session }) => verifyAccess(callerOf(session))),

  /** Admins: live sessions of the people whose sign-in name or name contains the query. */
  searchSessions: read("searchSessions", searchSessionsSchema, async (context, input) => findSessions(context, input)),

  // ---- Workspaces -------------------------------------------------------------------------------------------------

  /** Users, groups, service principals and managed identities matching a name, or one object id. */
  searchPrincipals: read(
    "searchPrincipals",
    z.strictObject({
      query: z.string().trim().min(2, { error: "Type at least 2 characters" }).max(100),
      kinds: z
        .array(z.enum(["user", "group", "servicePrincipal"]))
        .min(1)
        .default(["user", "group", "servicePrincipal"]),
    }),
    async (context, input) => findPrincipals(delegatedContext(context).caller, input.query, input.kinds),
  ),

  /** A principal's effective roles on a workspace, with the group path that grants each. */
  checkWorkspaceAccess: read("checkWorkspaceAccess", z.strictObject({ workspaceId, principalId: objectId }), async (context, input) =>
    checkAccess(delegatedContext(context).caller, input.workspaceId, input.principalId),
  ),

  /**
   * Roles and the subscription's assignment budget for the grant dialog. Loaded when the dialog opens, so the access
   * page itself costs one ARM list call, not a count of the whole subscription too.
   */
  getGrantOptions: read("getGrantOptions", z.strictObject({ workspaceId }), async (context, input) =>
    grantOptions(delegatedContext(context).caller, input.workspaceId),
  ),

  /**
   * What a principal would gain from one role on a workspace (the request form, the approval dialog, the grant dialog).
   * The same console roles as filing a request: requesters for the policy's roles, admins for any role. Role and
   * principal are read from Azure and the directory by id; nothing the browser names is trusted.
   */
  previewPermissionDelta: read(
    "previewPermissionDelta",
    z.strictObject({ workspaceId: workspaceOnlyId, roleDefinitionId: objectId, principalId: objectId }),
    async (context, input) => {
      const [result] = await previewRole(
        delegatedContext(context),
        { principalId: input.principalId, parts: [{ scope: input.workspaceId, roleDefinitionId: input.roleDefinitionId }] },
        { consoleRoles: context.session.principal.roles },
      );
      return result!;
    },
  ),

  // ---- Bundles ----------------------------------------------------------------------------------------------------

  /** What granting a bundle on a workspace would do, part by part, and its cost against each subscription's budget. */
  planBundleGrant: read("planBundleGrant", z.strictObject({ workspaceId, bundleId }), async (context, input) => {
    const view = await planBundle(delegatedContext(context).caller, input);
    return {
      bundleName: view.bundleName,
      description: view.description,
      grantable: view.grantable,
      parts: view.parts.map((part) => ({
        key: part.key,
        roleName: part.roleName,
        roleDefinitionId: part.roleDefinitionId,
        scope: part.scope,
        on: part.on,
        resourceName: part.resourceName,
        why: part.why,
        state: part.state,
        note: part.note ?? null,
      })),
      budgets: view.budgets,
    };
  }),

  /**
   * What a bundle would add for a principal, part by part on the resources it lands on (the request form, the approval
   * dialog, the grant dialog). Admins, and requesters for the policy's bundles; the bundle is placed on the server.
   */
  previewBundleDelta: read("previewBundleDelta", z.strictObject({ workspaceId, bundleId, principalId: objectId }), async (context, input) =>
    previewBundle(delegatedContext(context), input, { consoleRoles: context.session.principal.roles }),
  ),

  // ---- Mappings ---------------------------------------------------------------------------------------------------

  /** The roles a mapping can give on a workspace (the grant dialog's list). */
  mappingRoleOptions: read(
    "mappingRoleOptions",
    z.strictObject({ workspaceId }),
    async (context, input) => (await grantOptions(delegatedContext(context).caller, input.workspaceId)).roles,
  ),

  /** The first 50 members of a group (transitively), optionally matching a name, and the total count. */
  previewGroupMembers: read(
    "previewGroupMembers",
    z.strictObject({ groupId: objectId, search: z.string().trim().max(100).optional() }),
    async (context, input) => previewMembers(delegatedGraphClient(delegatedContext(context).caller), input.groupId, input.search || undefined),
  ),

  /** Every mapping as a JSON document (config as code). */
  exportMappings: read("exportMappings", z.strictObject({}), async () => exportMappingsDocument(await listMappings(await getDatabase()))),

  /** Compares mappings with Azure now, as the signed-in person: one workspace, or every workspace they can read. */
  checkMappingDrift: read("checkMappingDrift", z.strictObject({ workspaceId: workspaceId.optional() }), async (context, input) => {
    const caller = delegatedContext(context).caller;
    return collectDrift(
      await getDatabase(),
      { kind: "delegated", caller },
      delegatedGraphClient(caller),
      input.workspaceId ? { workspaceId: input.workspaceId } : {},
    );
  }),

  // ---- Credentials and audit --------------------------------------------------------------------------------------

  /** The progress (or outcome) of one credential inventory refresh. */
  getCredentialRefreshStatus: read(
    "getCredentialRefreshStatus",
    z.strictObject({ snapshotId: z.number().int().positive().max(Number.MAX_SAFE_INTEGER) }),
    async (_context, input): Promise<SnapshotSummary> => {
      const snapshot = await findSnapshot(await getDatabase(), input.snapshotId);
      if (!snapshot) {
        throw new AppError({ code: "not_found", message: `no credential snapshot ${input.snapshotId}`, userMessage: "That refresh no longer exists." });
      }
      return snapshot;
    },
  ),

  /** Walks the audit hash chain now (read-only) and returns the result the audit page shows. */
  verifyAuditChain: read("verifyAuditChain", z.undefined(), async () => verifyChainNow()),
} satisfies { readonly [Name in ConsoleRead]: ConsoleReadCall<unknown, unknown> };

type Reads = typeof READS;
/** What the browser sends for a read (before zod's defaults and trimming). */
export type ReadInput<Name extends ConsoleRead> = Reads[Name] extends ConsoleReadCall<infer Input, unknown> ? Input : never;
/** What a read answers with when it succeeds. */
export type ReadOutput<Name extends ConsoleRead> = Awaited<ReturnType<Reads[Name]>> extends ActionResult<infer Output> ? Output : never;

/** True when some value of T would not come through JSON as it left (the reads route answers in JSON, not Flight). */
type LostInJson<T> = T extends Date | Map<unknown, unknown> | Set<unknown> | bigint
  ? true
  : T extends readonly (infer Item)[]
    ? LostInJson<Item>
    : T extends object
      ? { [Key in keyof T]-?: LostInJson<T[Key]> }[keyof T]
      : false;
type EveryOutputSurvivesJson<Checked extends { readonly [Name in ConsoleRead]: false }> = Checked;
// Fails to compile when a read starts returning a Date, Map, Set or bigint: send ISO text or arrays instead.
export type _ReadOutputsSurviveJson = EveryOutputSurvivesJson<{ [Name in ConsoleRead]: LostInJson<ReadOutput<Name>> }>;

/** The read by its name (the reads route has checked the name with `isRead`). */
export function readCall(name: ConsoleRead): (raw: unknown) => Promise<ActionResult<unknown>> {
  return READS[name];
}
