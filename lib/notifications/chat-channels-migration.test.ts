/**
 * Upgrading an outbox written before migration 0016: posts queued for the one incoming webhook become chat posts to the
 * channel `default` (what GATEHOUSE_NOTIFICATION_WEBHOOK_URL now is), with the title and summary they carried as
 * their message; mails are left as they were.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { PGlite } from "@electric-sql/pglite";
import { sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/pglite";
import { migrate } from "drizzle-orm/pglite/migrator";
import { afterAll, describe, expect, it } from "vitest";

import { MIGRATIONS_FOLDER } from "@/lib/db/client";
import { notificationOutbox } from "./schema";

const CHAT_MIGRATION = "0016_chat_channels";

function migrationsBefore(tag: string): string {
  const folder = mkdtempSync(path.join(tmpdir(), "gatehouse-migrations-"));
  cpSync(MIGRATIONS_FOLDER, folder, { recursive: true });
  const journalPath = path.join(folder, "meta", "_journal.json");
  const journal = JSON.parse(readFileSync(journalPath, "utf8")) as { entries: { tag: string }[] };
  const cut = journal.entries.findIndex((entry) => entry.tag === tag);
  expect(cut).toBeGreaterThan(0);
  writeFileSync(journalPath, JSON.stringify({ ...journal, entries: journal.entries.slice(0, cut) }));
  return folder;
}

describe("migration 0016 on an outbox written before it", () => {
  const folder = migrationsBefore(CHAT_MIGRATION);
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  it("moves queued webhook posts onto the default channel with their message, and leaves mails alone", async () => {
    const client = await PGlite.create();
    try {
      const db = drizzle(client);
      await migrate(db, { migrationsFolder: folder });
      await db.execute(sql`
        insert into notification_outbox (channel, recipient, subject, body, status, attempts)
        values ('webhook', '', 'Access request: Owner on mlw-prod', 'Lee requests Owner', 'pending', 2),
               ('webhook', '', 'Sent long ago', 'Done', 'sent', 1),
               ('mail', 'lee@contoso.test', 'Mail', 'Plain text', 'pending', 0)`);

      await migrate(db, { migrationsFolder: MIGRATIONS_FOLDER });
      const rows = await db.select().from(notificationOutbox).orderBy(notificationOutbox.id);
      expect(
        rows.map(({ channel, recipient, subject, body, status, attempts, message, lastAttemptAt }) => ({
          channel,
          recipient,
          subject,
          body,
          status,
          attempts,
          message,
          lastAttemptAt,
        })),
      ).toEqual([
        {
          channel: "chat",
          recipient: "default",
          subject: "Access request: Owner on mlw-prod",
          body: "Lee requests Owner",
          status: "pending",
          attempts: 2,
          message: { title: "Access request: Owner on mlw-prod", summary: "Lee requests Owner", facts: [] },
          lastAttemptAt: null,
        },
        {
          channel: "chat",
          recipient: "default",
          subject: "Sent long ago",
          body: "Done",
          status: "sent",
          attempts: 1,
          message: { title: "Sent long ago", summary: "Done", facts: [] },
          lastAttemptAt: null,
        },
        {
          channel: "mail",
          recipient: "lee@contoso.test",
          subject: "Mail",
          body: "Plain text",
          status: "pending",
          attempts: 0,
          message: null,
          lastAttemptAt: null,
        },
      ]);
    } finally {
      await client.close();
    }
  });
});
