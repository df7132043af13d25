import "server-only";

import type { BundlePartView } from "@/lib/shared/bundle-parts";
import { placeWords } from "@/lib/shared/linked-resource-kinds";
import { type Database, getDatabase } from "@/lib/db";
import { getRequestPolicy } from "@/lib/requests/policy";
import type { AccessRequestRow } from "@/lib/requests/schema";
import { findBundleGrantOfRequest } from "./grant-bundle";
import type { BundleGrantPartRow, BundleGrantStatus } from "./schema";

export interface BundleOfRequest {
  readonly caption: string;
  readonly parts: readonly BundlePartView[];
  /** The bundle grant carrying the request, once approval made one. */
  readonly grantId: string | null;
  readonly status: BundleGrantStatus | null;
}

export function partView(part: BundleGrantPartRow): BundlePartView {
  return {
    key: part.partKey,
    roleName: part.roleName,
    on: placeWords(part.on),
    resourceName: part.resourceName,
    why: part.why,
    state: part.state,
    note: part.note,
    reference: part.reference,
  };
}

/**
 * A bundle request's parts for its page: each part's result once approval granted them (and what its end removed or
 * kept), or, before that, what the bundle will grant. The caller has already decided the viewer may see the request.
 */
export async function bundlePartsOfRequest(request: AccessRequestRow, db?: Database): Promise<BundleOfRequest | undefined> {
  if (!request.bundleId) return undefined;
  const database = db ?? (await getDatabase());
  const grant = await findBundleGrantOfRequest(database, request.id);
  if (grant) {
    const words: Record<BundleGrantStatus, string> = {
      granting: "being granted",
      granted: "granted",
      partial: "partly granted",
      ending: "ending",
      end_failed: "ended, but not every part could be removed yet",
      ended: "ended",
    };
    return {
      caption: `${grant.grant.bundleName} bundle: ${words[grant.grant.status]}`,
      parts: grant.parts.map(partView),
      grantId: grant.grant.id,
      status: grant.grant.status,
    };
  }
  const bundle = getRequestPolicy().bundles.find((candidate) => candidate.id === request.bundleId);
  const definition = bundle
    ? [
        { key: "workspace", roleName: bundle.workspaceRole.name, on: "workspace", why: "The workspace role itself." },
        ...bundle.companions.map((companion) => ({
          key: `${companion.on}:${companion.roleDefinitionId}`,
          roleName: companion.name,
          on: placeWords(companion.on),
          why: companion.why,
        })),
      ]
    : [];
  return {
    caption: `${request.bundleName ?? "Bundle"}: what approval grants (each part on the resource the workspace links to)`,
    parts: definition.map((part) => ({ ...part, resourceName: null, state: "planned" as const, note: null, reference: null })),
    grantId: null,
    status: null,
  };
}
