import "server-only";

import { getConfig } from "@/lib/config";
import { getDatabase } from "@/lib/db";
import { deliverNotifications, pruneSentNotifications } from "./send-notification";

/**
 * Retries notifications whose first delivery failed (bounded: see MAX_NOTIFICATION_ATTEMPTS), then deletes sent rows
 * older than the retention, so the outbox holds what is in flight and recent, not every mail ever sent. The scheduler's
 * lease runs it on one instance at a time.
 */
export function notificationDeliveryJob() {
  return {
    name: "notification-delivery",
    intervalMs: getConfig().jobs.notificationIntervalMs,
    run: async () => {
      const db = await getDatabase();
      const now = new Date();
      const delivered = await deliverNotifications(db, now);
      return { ...delivered, sentPruned: await pruneSentNotifications(db, now) };
    },
  };
}
