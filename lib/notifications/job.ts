import "server-only";

import { getConfig } from "@/lib/config";
import { getDatabase } from "@/lib/db";
import { deliverNotifications } from "./send-notification";

/** Retries notifications whose first delivery failed (bounded: see MAX_NOTIFICATION_ATTEMPTS). */
export function notificationDeliveryJob() {
  return {
    name: "notification-delivery",
    intervalMs: getConfig().jobs.notificationIntervalMs,
    run: async () => ({ ...(await deliverNotifications(await getDatabase(), new Date())) }),
  };
}
