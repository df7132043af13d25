ALTER TABLE "notification_outbox" ADD COLUMN "message" jsonb;--> statement-breakpoint
ALTER TABLE "notification_outbox" ADD COLUMN "last_attempt_at" timestamp with time zone;--> statement-breakpoint
-- Posts queued for the one incoming webhook become chat posts to the channel that setting now is, `default`, with the
-- message they carried (title and summary); the delivery re-renders them as a card for the channel's kind.
UPDATE "notification_outbox" SET "channel" = 'chat', "recipient" = 'default', "message" = jsonb_build_object('title', "subject", 'summary', "body", 'facts', '[]'::jsonb) WHERE "channel" = 'webhook';
