import "server-only";

import { createPublicKey } from "node:crypto";

import { verifyAuditChain } from "@/lib/audit";
import { getConfig } from "@/lib/config";
import { getDatabase } from "@/lib/db";
import { describeError, log } from "@/lib/log";
import { loadCheckpointPrivateKey } from "./checkpoint";
import { readSandboxAnchors } from "./sink";
import { verifyAuditChainAgainstAnchors, yieldToEventLoop } from "./verify";

/**
 * The last verification of the audit hash chain, kept in this server's memory. Walking a million events takes
 * seconds, so the page shows the last result (with its time) and re-verifies in the background once it is older than
 * a few minutes; "Verify now" waits for a fresh walk. One walk at a time per server (single flight).
 */
export type ChainStatus =
  | { readonly state: "intact"; readonly checkedEvents: number; readonly verifiedAt: string }
  | {
      readonly state: "broken";
      readonly checkedEvents: number;
      readonly eventId: number;
      readonly problem: string;
      readonly detail: string;
      readonly verifiedAt: string;
    }
  | { readonly state: "unknown"; readonly running: boolean };

const FRESH_FOR_MS = 5 * 60_000;
/** How long a page view waits for a background walk before rendering without it. */
const PAGE_WAIT_MS = 1_500;

interface ChainCache {
  last?: Exclude<ChainStatus, { state: "unknown" }>;
  running?: Promise<Exclude<ChainStatus, { state: "unknown" }>>;
  /** Someone pressed "Verify now" and waits for the running walk: it stops pausing between batches. */
  urgent?: boolean;
}

/**
 * A walk started by a page view runs beside the console's requests, on the same database (PGlite has one connection)
 * and event loop: it reads small batches and pauses after each for as long as the batch took, so a request waits
 * behind at most one short batch and the walk takes at most half of the time. A walk someone waits for runs at full
 * speed.
 */
const BACKGROUND_BATCH_SIZE = 250;

function betweenBatches(batchMs: number): Promise<void> {
  if (cache.urgent) return yieldToEventLoop();
  return new Promise((resolve) => setTimeout(resolve, Math.min(Math.max(batchMs, 1), 1_000)).unref());
}

// On globalThis so dev-mode module reloads share one cache and one running walk.
const globalForChain = globalThis as typeof globalThis & { gatehouseAuditChain?: ChainCache };
const cache: ChainCache = (globalForChain.gatehouseAuditChain ??= {});

/** Starts a walk unless one is running, and returns it. Failures reject; the cache keeps its last good result. */
function runVerification(): Promise<Exclude<ChainStatus, { state: "unknown" }>> {
  cache.running ??= (async () => {
    try {
      const result = await verifyWithAnchorWhereReadable();
      const verifiedAt = new Date().toISOString();
      const status: Exclude<ChainStatus, { state: "unknown" }> = result.ok
        ? { state: "intact", checkedEvents: result.checkedEvents, verifiedAt }
        : {
            state: "broken",
            checkedEvents: result.checkedEvents,
            eventId: result.brokenAt.eventId,
            problem: result.brokenAt.problem,
            detail: result.brokenAt.detail,
            verifiedAt,
          };
      if (!result.ok) log("error", "audit", "audit chain broken", { eventId: result.brokenAt.eventId, problem: result.brokenAt.problem });
      cache.last = status;
      return status;
    } finally {
      cache.running = undefined;
      cache.urgent = false;
    }
  })();
  return cache.running;
}

type Verification = { ok: true; checkedEvents: number } | { ok: false; checkedEvents: number; brokenAt: { eventId: number; problem: string; detail: string } };

/**
 * In sandbox mode the sink (the sandbox's ingestion endpoint) can be read back here, so the page checks the chain
 * against its anchor too. In azure mode the console does not read Log Analytics (its identity only publishes): the
 * page walks the database, and `npm run audit:verify -- --anchors` is the full check (docs/audit-siem.md).
 */
async function verifyWithAnchorWhereReadable(): Promise<Verification> {
  const db = await getDatabase();
  const { mode, sandboxOrigin, audit } = getConfig();
  const options = { batchSize: BACKGROUND_BATCH_SIZE, betweenBatches };
  if (mode !== "sandbox" || !sandboxOrigin || !audit.sink || !audit.checkpointKeyPath) return verifyAuditChain(db, options);
  const [anchors, privateKey] = await Promise.all([
    readSandboxAnchors(sandboxOrigin, audit.sink),
    loadCheckpointPrivateKey(audit.checkpointKeyPath, { createIfMissing: true }),
  ]);
  const result = await verifyAuditChainAgainstAnchors(db, anchors, createPublicKey(privateKey), options);
  if (!result.chain.ok) return result.chain;
  const finding = result.findings[0];
  return finding ? { ok: false, checkedEvents: result.chain.checkedEvents, brokenAt: finding } : result.chain;
}

/**
 * For page views: the cached result, refreshed in the background when stale. The view that starts a walk waits briefly
 * for it (a small trail is walked in that time); views while a walk is already running show the last result at once,
 * since a walk of a large trail takes minutes in the background.
 */
export async function currentChainStatus(): Promise<ChainStatus> {
  const stale = !cache.last || Date.now() - Date.parse(cache.last.verifiedAt) > FRESH_FOR_MS;
  if (!stale && cache.last) return cache.last;
  if (cache.running) return cache.last ?? { state: "unknown", running: true };
  const walk = runVerification();
  walk.catch((error: unknown) => {
    log("error", "audit", "audit chain verification failed", { error: describeError(error) });
  });
  const timeout = new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), PAGE_WAIT_MS).unref());
  const settled = await Promise.race([walk.catch(() => undefined), timeout]);
  return settled ?? cache.last ?? { state: "unknown", running: cache.running !== undefined };
}

/** For "Verify now": a fresh walk (joining one already running). Throws when the database fails. */
export async function verifyChainNow(): Promise<ChainStatus> {
  const walk = runVerification();
  cache.urgent = true;
  return walk;
}
