/**
 * `npm run audit:archive`: the audit trail's retention path. Moves the events that happened before a date out of the
 * database into a file, as the database owner (docs/audit-siem.md, "Retention and archives").
 *
 *   npm run audit:archive -- --before 2026-01-01 --out audit-2025.ndjson            what would be archived
 *   npm run audit:archive -- --before 2026-01-01 --out audit-2025.ndjson --confirm  write the file, then archive
 *   npm run audit:archive -- --check audit-2025.ndjson                             check an archive file's chain
 *
 * With a sink configured, only events already shipped and covered by a signed checkpoint are archived. The file is
 * written and read back before anything is deleted; keep it (and its SHA-256, which the `audit.archived` event names)
 * where your retention policy says. Exit code 0 done, 1 refused or broken, 2 could not run.
 */
import { existsSync } from "node:fs";

import nextEnv from "@next/env";

import { archiveAuditEvents, checkAuditArchiveFile, planAuditArchive, writeAuditArchiveFile } from "@/lib/audit/archive";
import { ConfigError, loadConfig } from "@/lib/config/env.mjs";
import { openDatabase } from "@/lib/db/client";
import { auditShipping } from "@/lib/db/schema";

class UsageError extends Error {}

interface Options {
  readonly before?: Date;
  readonly out?: string;
  readonly confirm: boolean;
  readonly check?: string;
}

function parseArguments(argv: readonly string[]): Options {
  let before: Date | undefined;
  let out: string | undefined;
  let check: string | undefined;
  let confirm = false;
  for (let index = 0; index < argv.length; index++) {
    const argument = argv[index];
    const value = () => {
      const next = argv[++index];
      if (!next) throw new UsageError(`${argument} needs a value.`);
      return next;
    };
    if (argument === "--before") {
      const text = value();
      before = new Date(text);
      if (!/^\d{4}-\d{2}-\d{2}/.test(text) || Number.isNaN(before.getTime())) throw new UsageError(`--before ${text}: use a date such as 2026-01-01.`);
    } else if (argument === "--out") out = value();
    else if (argument === "--check") check = value();
    else if (argument === "--confirm") confirm = true;
    else throw new UsageError(`Unknown argument ${argument}. Use --before <date> --out <file> [--confirm], or --check <file>.`);
  }
  if (check) {
    if (before || out || confirm) throw new UsageError("--check takes no other argument.");
    return { check, confirm };
  }
  if (!before || !out) throw new UsageError("--before <date> and --out <file> are required.");
  if (before.getTime() > Date.now()) throw new UsageError("--before is in the future: only past events can be archived.");
  if (existsSync(out)) throw new UsageError(`${out} exists already; an archive is never written over another file.`);
  return { before, out, confirm };
}

async function main(): Promise<number> {
  const options = parseArguments(process.argv.slice(2));
  if (options.check) {
    const result = await checkAuditArchiveFile(options.check);
    if (!result.ok) {
      console.error(`Archive file BROKEN: ${result.problem}`);
      return 1;
    }
    console.log(
      `Archive file intact: events ${result.firstEventId} to ${result.lastEventId}, last hash ${result.lastHash}, SHA-256 ${result.sha256}. Compare the SHA-256 with the audit.archived event.`,
    );
    return 0;
  }

  nextEnv.loadEnvConfig(process.cwd(), false, { info: () => undefined, error: console.error });
  const config = loadConfig({ phase: "build" });
  // Only the owner may delete from the audit table: with role separation, that is the migration role.
  const location =
    config.database.kind === "postgres" && config.database.migrationUrl ? { ...config.database, url: config.database.migrationUrl } : config.database;
  const database = await openDatabase(location);
  try {
    const [shipping] = await database.db.select().from(auditShipping);
    const anchoredThrough = config.audit.sink ? Math.min(shipping?.shippedThrough ?? 0, shipping?.checkpointThrough ?? 0) : undefined;
    const plan = await planAuditArchive(database.db, { before: options.before!, ...(anchoredThrough === undefined ? {} : { anchoredThrough }) });
    if (!plan.ok) {
      console.error(`Nothing archived: ${plan.reason}`);
      return 1;
    }
    const { range } = plan;
    const described = `events ${range.firstEventId} to ${range.lastEventId} (${range.eventCount})`;
    if (!options.confirm) {
      console.log(`Would archive ${described} to ${options.out}. Run again with --confirm to write the file and remove them from the database.`);
      return 0;
    }
    const written = await writeAuditArchiveFile(database.db, range, options.out!);
    const check = await checkAuditArchiveFile(options.out!);
    if (!check.ok || check.sha256 !== written.sha256 || check.lastHash !== written.lastHash) {
      console.error(`Nothing archived: the file read back does not match what was written (${check.ok ? "a different SHA-256" : check.problem}).`);
      return 1;
    }
    const { archived } = await archiveAuditEvents(database.db, {
      range,
      fileSha256: written.sha256,
      lastHash: written.lastHash,
      actor: { kind: "system", appId: config.identity.apiClientId, tenantId: config.identity.tenantId, job: "audit-archive" },
    });
    console.log(`Archived ${archived} events (${described}) to ${options.out}, SHA-256 ${written.sha256}. Keep the file where your retention policy says.`);
    return 0;
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
        : `Audit archive failed to run: ${error instanceof Error ? error.message : String(error)}`,
    );
    process.exit(2);
  },
);
