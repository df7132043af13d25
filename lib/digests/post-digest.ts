import "server-only";

import { createHash } from "node:crypto";

import { eq, lte, ne, or, sql } from "drizzle-orm";

import { getConfig } from "@/lib/config";
import type { Database } from "@/lib/db";
import { describeError, log } from "@/lib/log";
import type { NotificationMessage } from "@/lib/notifications/message";
import { sendMessage } from "@/lib/notifications/send-notification";
import { notificationDigests } from "./schema";

export type DigestKind = "drift" | "credentials";

/** What a scheduled job has to say: the message, and a fingerprint of the findings it counts (same findings, same print). */
export interface Digest {
  readonly fingerprint: string;
  readonly message: NotificationMessage;
}

/** While the same findings last, they are posted again once per this long, not after every run. */
export const DIGEST_REPEAT_MS = 24 * 3_600_000;

/**
 * The chat channel digests go to (`notifications.digestChannel`, GATEHOUSE_NOTIFICATION_DIGEST_CHANNEL), or undefined
 * when none is set.
 */
export function digestChannel(): string | undefined {
  return getConfig().notifications.digestChannel ?? undefined;
}

/** A stable fingerprint of a set of findings (order does not matter). */
export function fingerprintOf(parts: readonly string[]): string {
  return createHash("sha256")
    .update([...parts].sort().join("\n"))
    .digest("hex");
}

/**
 * Posts a scheduled job's digest to the digest channel, to the channel only (no mail). Only news is posted: findings
 * that differ from the last post, or the same findings once a day while they last. When there is nothing to say
 * (`digest` undefined) after findings were posted, `allClear` is posted once. The post is claimed with one conditional
 * upsert, so two instances never post the same digest. Returns whether this call posted. Never throws: a digest must
 * not fail the job it reports on.
 */
export async function postDigest(db: Database, kind: DigestKind, digest: Digest | undefined, allClear: NotificationMessage, now: Date): Promise<boolean> {
  const channel = digestChannel();
  if (!channel) return false;
  try {
    if (!digest) {
      const cleared = await db.delete(notificationDigests).where(eq(notificationDigests.kind, kind)).returning({ kind: notificationDigests.kind });
      if (cleared.length === 0) return false;
      await sendMessage({ people: [], channels: [channel] }, allClear);
      return true;
    }
    const claimed = await db
      .insert(notificationDigests)
      .values({ kind, fingerprint: digest.fingerprint, postedAt: now })
      .onConflictDoUpdate({
        target: notificationDigests.kind,
        set: { fingerprint: digest.fingerprint, postedAt: now },
        setWhere: or(
          ne(notificationDigests.fingerprint, sql`excluded.fingerprint`),
          lte(notificationDigests.postedAt, new Date(now.getTime() - DIGEST_REPEAT_MS)),
        ),
      })
      .returning({ kind: notificationDigests.kind });
    if (claimed.length === 0) return false;
    await sendMessage({ people: [], channels: [channel] }, digest.message);
    return true;
  } catch (error) {
    log("error", "notifications", "could not post a digest", { kind, error: describeError(error) });
    return false;
  }
}
