import type { Metadata } from "next";

import { Forbidden } from "@/components/auth/forbidden";
import { DeliveryHealthTable, GivenUpTable } from "@/components/notifications/delivery-health";
import { authorizePage } from "@/lib/auth/authorize";
import { getDatabase } from "@/lib/db";
import { notificationHealth } from "@/lib/notifications/status";

export const metadata: Metadata = { title: "Notifications" };
export const dynamic = "force-dynamic";

const iso = (date: Date | null) => (date ? date.toISOString() : null);

export default async function NotificationsPage() {
  const authorization = await authorizePage("viewNotifications");
  if (!authorization.ok) return authorization.reason === "forbidden" ? <Forbidden permission="viewNotifications" /> : null;

  const health = await notificationHealth(await getDatabase(), authorization.session);
  const rows = [...health.channels, health.mail].map((row) => ({ ...row, lastFailureAt: iso(row.lastFailureAt) }));
  const givenUp = health.recentGivenUp.map((row) => ({ ...row, lastAttemptAt: iso(row.lastAttemptAt) }));

  return (
    <div className="space-y-6">
      <div className="space-y-1">
        <h1 className="text-xl font-semibold">Notifications</h1>
        <p className="text-ink-muted">
          How Gatehouse&apos;s chat channels and mail deliver. Each notification is retried with back-off (1, 2, 4, 8 minutes, or longer when a webhook asks)
          and given up after five attempts, or at once when the channel refuses it for good (the webhook deleted, the channel archived, a redirect). Channels
          are configured in GATEHOUSE_NOTIFICATION_CHANNELS; their webhook URLs are secrets and never shown.
        </p>
      </div>
      <section aria-labelledby="channels-heading" className="space-y-2">
        <h2 id="channels-heading" className="font-semibold">
          Channels
        </h2>
        {health.channels.length === 0 && <p className="text-ink-muted">No chat channel is configured; notifications go by mail only.</p>}
        <DeliveryHealthTable rows={rows} />
      </section>
      <section aria-labelledby="given-up-heading" className="space-y-2">
        <h2 id="given-up-heading" className="font-semibold">
          Recently given up
        </h2>
        <GivenUpTable rows={givenUp} />
      </section>
    </div>
  );
}
