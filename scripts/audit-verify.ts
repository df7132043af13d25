/**
 * `npm run audit:verify`: walks the audit hash chain and names the first broken link, then checks the chain against
 * its external anchor (the events shipped to the sink and the signed checkpoints) and names what the database hides:
 * cut-off events, a re-hashed chain, a head moved back.
 *
 *   npm run audit:verify                          sandbox mode: reads the sandbox's ingestion endpoint itself
 *   npm run audit:verify -- --anchors rows.json   rows exported from Log Analytics (docs/audit-siem.md has the query)
 *   npm run audit:verify -- --database-only       only the walk inside the database (weaker: see docs/audit-siem.md)
 *
 * Exit code 0 intact, 1 broken, 2 could not run.
 */
import nextEnv from "@next/env";

import { loadCheckpointPublicKey } from "@/lib/audit/checkpoint";
import { type AnchorRecord, readAnchorFile, readSandboxAnchors } from "@/lib/audit/sink";
import { verifyAuditChain, verifyAuditChainAgainstAnchors } from "@/lib/audit/verify";
import { ConfigError, loadConfig } from "@/lib/config/env.mjs";
import { openDatabase } from "@/lib/db/client";

class UsageError extends Error {}

function parseArguments(argv: readonly string[]): { anchorsPath?: string; databaseOnly: boolean } {
  let anchorsPath: string | undefined;
  let databaseOnly = false;
  for (let index = 0; index < argv.length; index++) {
    const argument = argv[index];
    if (argument === "--database-only") databaseOnly = true;
    else if (argument === "--anchors") {
      anchorsPath = argv[++index];
      if (!anchorsPath) throw new UsageError("--anchors needs the path of a JSON file exported from Log Analytics.");
    } else throw new UsageError(`Unknown argument ${argument}. Use --anchors <file> or --database-only.`);
  }
  if (databaseOnly && anchorsPath) throw new UsageError("--anchors and --database-only exclude each other.");
  return { ...(anchorsPath ? { anchorsPath } : {}), databaseOnly };
}

async function main(): Promise<number> {
  const options = parseArguments(process.argv.slice(2));
  nextEnv.loadEnvConfig(process.cwd(), false, { info: () => undefined, error: console.error });
  const config = loadConfig({ phase: "build" });

  let anchors: AnchorRecord[] | undefined;
  if (options.anchorsPath) anchors = await readAnchorFile(options.anchorsPath);
  else if (!options.databaseOnly) {
    if (config.mode === "sandbox" && config.sandboxOrigin && config.audit.sink) anchors = await readSandboxAnchors(config.sandboxOrigin, config.audit.sink);
    else {
      throw new UsageError(
        "In azure mode the anchor is read from Log Analytics: run the query in docs/audit-siem.md, save its rows as JSON and pass --anchors <file> (or --database-only for the weaker walk inside the database).",
      );
    }
  }

  const database = await openDatabase(config.database);
  try {
    if (!anchors) {
      const result = await verifyAuditChain(database.db);
      if (result.ok) {
        console.log(
          `Audit chain intact inside the database: ${result.checkedEvents} events, last event ${result.lastEventId}. Not checked against the external anchor.`,
        );
        return 0;
      }
      const { eventId, problem, detail } = result.brokenAt;
      console.error(`Audit chain BROKEN at event ${eventId} (${problem}): ${detail}. ${result.checkedEvents} events before it verified.`);
      return 1;
    }

    const publicKey = await loadCheckpointPublicKey({ publicKeyPath: config.audit.checkpointPublicKeyPath, privateKeyPath: config.audit.checkpointKeyPath });
    const result = await verifyAuditChainAgainstAnchors(database.db, anchors, publicKey);
    if (!result.chain.ok) {
      const { eventId, problem, detail } = result.chain.brokenAt;
      console.error(`Audit chain BROKEN at event ${eventId} (${problem}): ${detail}. ${result.chain.checkedEvents} events before it verified.`);
    }
    for (const finding of result.findings) {
      console.error(`Audit trail does not match its anchor at event ${finding.eventId} (${finding.problem}): ${finding.detail}.`);
    }
    const anchored = result.lastCheckpoint
      ? `last signed checkpoint: event ${result.lastCheckpoint.sequence} at ${result.lastCheckpoint.time}`
      : "no signed checkpoint yet";
    const summary = `${result.shippedEvents} events shipped, ${result.validCheckpoints} checkpoints verified (${anchored}); ${result.unanchoredEvents} events not yet anchored.`;
    if (result.ok) {
      console.log(`Audit chain intact and matches its anchor: ${result.chain.ok ? result.chain.checkedEvents : 0} events; ${summary}`);
      return 0;
    }
    console.error(summary);
    return 1;
  } finally {
    await database.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(
      error instanceof ConfigError || error instanceof UsageError
        ? error.message
        : `Audit verification failed to run: ${error instanceof Error ? error.message : String(error)}`,
    );
    process.exit(2);
  },
);
