import type { Metadata } from "next";
import { z } from "zod";

import { Forbidden } from "@/components/auth/forbidden";
import { MappingsConsole } from "@/components/mappings/mappings-console";
import { callerOf } from "@/lib/auth/caller";
import { authorizePage } from "@/lib/auth/authorize";
import { getMappingsOverview } from "@/lib/mappings/get-mappings-overview";
import { parseScope } from "@/lib/shared/arm-scope";
import { isAllowed } from "@/lib/shared/permissions";

export const metadata: Metadata = { title: "Mappings" };
export const dynamic = "force-dynamic";

/** `?workspace=<workspace id>` (the workspace page links here) shows that workspace's mappings first. */
const searchSchema = z.object({ workspace: z.string().max(512).optional().catch(undefined) });

export default async function MappingsPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const authorization = await authorizePage("viewMappings");
  if (!authorization.ok) return authorization.reason === "forbidden" ? <Forbidden permission="viewMappings" /> : null;
  const { principal } = authorization.session;
  const { mappings: rows, latest, workspaces } = await getMappingsOverview(callerOf(authorization.session));
  const requested = searchSchema.parse(await searchParams).workspace;
  const parsedWorkspace = requested !== undefined ? parseScope(requested) : undefined;
  const initialWorkspace = parsedWorkspace?.level === "workspace" ? parsedWorkspace.scope : "";

  return (
    <div className="space-y-6">
      <div className="space-y-1">
        <h1 className="text-xl font-semibold">Group mappings</h1>
        <p className="text-ink-muted">
          A mapping says &ldquo;members of this Entra group hold this role on this workspace&rdquo;. Gatehouse creates the group&apos;s role assignment and
          reports where Azure has drifted from the mappings.
        </p>
      </div>
      {requested !== undefined && initialWorkspace === "" && (
        <p role="alert" className="rounded-md border border-warning bg-surface-raised px-4 py-3 text-warning">
          The link&apos;s workspace is not an Azure ML workspace id; showing every workspace&apos;s mappings.
        </p>
      )}
      {!workspaces.ok && (
        <p role="alert" className="rounded-md border border-danger/40 bg-surface-raised px-4 py-3 text-danger">
          Couldn&apos;t list your workspaces: {workspaces.message}
        </p>
      )}
      <MappingsConsole
        mappings={[...rows]}
        workspaces={workspaces.ok ? [...workspaces.list] : []}
        latest={latest}
        canAdmin={isAllowed("createMapping", principal.roles)}
        initialWorkspace={initialWorkspace}
      />
    </div>
  );
}
