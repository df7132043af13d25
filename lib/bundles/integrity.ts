import "server-only";

import { isRestError } from "@azure/core-rest-pipeline";

import { authorizationClient, type ArmIdentity } from "@/lib/arm/client";
import type { Database } from "@/lib/db";
import { findHeldAccess } from "@/lib/ownership/holders";
import { subscriptionOfScope } from "@/lib/shared/arm-scope";
import type { BundleGrantPartRow, BundleGrantView } from "./schema";

/** A part the bundle believes it holds that does not hold any more, and why. */
export interface MissingPart {
  readonly part: BundleGrantPartRow;
  readonly why: "released" | "absent_in_azure";
  /** For people: "removed in Azure outside Gatehouse", … */
  readonly words: string;
}

export type IntegrityReport =
  | { readonly status: "complete" }
  | { readonly status: "incomplete"; readonly missing: readonly MissingPart[] }
  | { readonly status: "unknown"; readonly reason: string };

/**
 * Drift of one bundle grant: each part it holds is checked in Gatehouse's records (its holder may have been ended by
 * an admin's removal of that assignment) and in Azure (the assignment may have been removed outside Gatehouse). A
 * bundle missing any part is "incomplete"; resuming it grants those parts again.
 */
export async function checkBundleIntegrity(db: Database, identity: ArmIdentity, view: BundleGrantView): Promise<IntegrityReport> {
  const missing: MissingPart[] = [];
  try {
    for (const part of view.parts) {
      if ((part.state !== "granted" && part.state !== "already_granted") || !part.scope) continue;
      const held = await findHeldAccess(db, { scope: part.scope, principalId: view.grant.principalId, roleDefinitionId: part.roleDefinitionId });
      const ours = held?.holders.some((holder) => holder.kind === "bundle" && holder.bundleGrantId === view.grant.id);
      if (!held || !ours) {
        missing.push({
          part,
          why: "released",
          words: "Its assignment was removed through Gatehouse (on the workspace page or with another holder), so the bundle no longer holds it.",
        });
        continue;
      }
      try {
        await authorizationClient(identity, subscriptionOfScope(part.scope) ?? "").roleAssignments.get(part.scope, held.assignment.assignmentName);
      } catch (error) {
        if (!(isRestError(error) && error.statusCode === 404)) throw error;
        missing.push({ part, why: "absent_in_azure", words: "Its role assignment is gone from Azure: someone removed it outside Gatehouse." });
      }
    }
  } catch (error) {
    return {
      status: "unknown",
      reason:
        isRestError(error) && error.statusCode === 403 ? "You may not read role assignments on every part's resource." : "Azure could not be asked just now.",
    };
  }
  return missing.length === 0 ? { status: "complete" } : { status: "incomplete", missing };
}
