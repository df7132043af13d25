CREATE TABLE "console_sessions" (
	"id" text PRIMARY KEY NOT NULL,
	"cookie_hash" text NOT NULL,
	"tenant_id" text NOT NULL,
	"object_id" text NOT NULL,
	"display_name" text NOT NULL,
	"user_principal_name" text NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL,
	"last_seen_at" timestamp (3) with time zone NOT NULL,
	"idle_expires_at" timestamp (3) with time zone NOT NULL,
	"absolute_expires_at" timestamp (3) with time zone NOT NULL,
	"client_address" text NOT NULL,
	"user_agent" text NOT NULL,
	"token_ciphertext" text NOT NULL,
	"token_expires_at" timestamp (3) with time zone NOT NULL,
	"ended_at" timestamp (3) with time zone,
	"ended_by" text,
	"end_reason" text
);
--> statement-breakpoint
CREATE UNIQUE INDEX "console_sessions_cookie_hash" ON "console_sessions" USING btree ("cookie_hash");--> statement-breakpoint
CREATE INDEX "console_sessions_person" ON "console_sessions" USING btree ("tenant_id","object_id");--> statement-breakpoint
CREATE INDEX "console_sessions_absolute_expires" ON "console_sessions" USING btree ("absolute_expires_at");