import "server-only";

import { and, eq, inArray, isNotNull } from "drizzle-orm";

import { armGet, armListAll } from "@/lib/arm/client";
import { getAppToken } from "@/lib/azure/tokens";
import { getConfig } from "@/lib/config";
import type { Database } from "@/lib/db";
import { azureChangeIntents } from "@/lib/db/schema";
import { appGraphClient } from "@/lib/graph/client";
import { describeError, log } from "@/lib/log";
import { groupMappings } from "@/lib/mappings/schema";
import { accessRequests } from "@/lib/requests/schema";
import { formatSelfCheck, runSelfCheck, type SelfCheckClients, type SelfCheckInput, type SelfCheckReport } from "./self-check";

/** Statuses of a request whose assignment is (or may be) in place and will be removed by the console at its end. */
const LIVE_REQUEST_STATUSES = ["granted", "expiring", "expiry_failed"] as const;

/**
 * The scopes admins manage through Gatehouse, from its own records: mapped workspaces, workspaces of live requests and
 * of changes in flight (the console must read those to settle them); and the workspaces whose time-bound grants the
 * console will remove itself.
 */
export async function listManagedScopes(db: Database): Promise<Pick<SelfCheckInput, "managedScopes" | "expiryScopes">> {
  const [mapped, live, timeBound, inFlight] = await Promise.all([
    db.selectDistinct({ scope: groupMappings.scope }).from(groupMappings),
    db
      .selectDistinct({ scope: accessRequests.workspaceId })
      .from(accessRequests)
      .where(inArray(accessRequests.status, [...LIVE_REQUEST_STATUSES])),
    db
      .selectDistinct({ scope: accessRequests.workspaceId })
      .from(accessRequests)
      .where(and(inArray(accessRequests.status, [...LIVE_REQUEST_STATUSES]), isNotNull(accessRequests.expiresAt))),
    db.selectDistinct({ scope: azureChangeIntents.scope }).from(azureChangeIntents).where(eq(azureChangeIntents.state, "pending")),
  ]);
  return {
    managedScopes: [...mapped, ...live, ...inFlight].map((row) => row.scope),
    expiryScopes: timeBound.map((row) => row.scope),
  };
}

/** The console's own clients: app tokens, app-only Graph, ARM as the app. */
export function consoleSelfCheckClients(): SelfCheckClients {
  return {
    appToken: (resource) => getAppToken(resource),
    graph: appGraphClient(),
    arm: {
      get: (path, apiVersion) => armGet({ kind: "app" }, path, apiVersion),
      listAll: (path, apiVersion) => armListAll({ kind: "app" }, path, apiVersion),
    },
  };
}

/** Runs the self-check with the console's configuration and clients. */
export async function checkConsoleSetup(db: Database, clients: SelfCheckClients = consoleSelfCheckClients()): Promise<SelfCheckReport> {
  const { identity, notifications, stepUp } = getConfig();
  return runSelfCheck(clients, {
    apiClientId: identity.apiClientId,
    spaClientId: identity.spaClientId,
    apiIdentifierUri: identity.apiIdentifierUri,
    mailSender: notifications.sender,
    stepUpAuthContext: stepUp.authContext,
    ...(await listManagedScopes(db)),
  });
}

/**
 * At start-up in azure mode: logs one line per finding. Never throws and never delays serving: a failure here (the
 * database or Entra briefly unreachable) is logged, and the next start checks again.
 */
export async function logConsoleSetupCheck(db: Database): Promise<void> {
  try {
    const report = await checkConsoleSetup(db);
    const missing = report.findings.some((finding) => finding.kind === "missing");
    log(missing ? "warn" : "info", "self-check", formatSelfCheck(report)[0] ?? "");
    for (const finding of report.findings) {
      log(finding.kind === "missing" || finding.kind === "warning" ? "warn" : "info", "self-check", finding.line, { kind: finding.kind });
    }
  } catch (error) {
    log("warn", "self-check", "the setup self-check could not run", { error: describeError(error) });
  }
}
