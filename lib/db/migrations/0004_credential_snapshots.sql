CREATE TABLE "credential_notifications" (
	"row_id" text NOT NULL,
	"bucket" text NOT NULL,
	"end_date_time" timestamp with time zone,
	"notified_at" timestamp with time zone NOT NULL,
	"recipients" integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE "credential_snapshot_identities" (
	"snapshot_id" bigint NOT NULL,
	"identity_key" text NOT NULL,
	"details" jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "credential_snapshot_items" (
	"snapshot_id" bigint NOT NULL,
	"row_id" text NOT NULL,
	"identity_key" text NOT NULL,
	"bucket" text NOT NULL,
	"risk" integer NOT NULL,
	"end_date_time" timestamp with time zone,
	"row" jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "credential_snapshots" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "credential_snapshots_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"status" text NOT NULL,
	"trigger" text NOT NULL,
	"requested_by" text,
	"started_at" timestamp with time zone NOT NULL,
	"finished_at" timestamp with time zone,
	"as_of" timestamp with time zone NOT NULL,
	"windows_days" jsonb NOT NULL,
	"counts" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"progress" jsonb NOT NULL,
	"graph_calls" integer DEFAULT 0 NOT NULL,
	"arm_calls" integer DEFAULT 0 NOT NULL,
	"warnings" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"error_message" text,
	CONSTRAINT "credential_snapshots_status" CHECK ("credential_snapshots"."status" in ('running', 'complete', 'failed')),
	CONSTRAINT "credential_snapshots_trigger" CHECK ("credential_snapshots"."trigger" in ('manual', 'scheduled'))
);
--> statement-breakpoint
ALTER TABLE "credential_snapshot_identities" ADD CONSTRAINT "credential_snapshot_identities_snapshot_id_credential_snapshots_id_fk" FOREIGN KEY ("snapshot_id") REFERENCES "public"."credential_snapshots"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "credential_snapshot_items" ADD CONSTRAINT "credential_snapshot_items_snapshot_id_credential_snapshots_id_fk" FOREIGN KEY ("snapshot_id") REFERENCES "public"."credential_snapshots"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "credential_notifications_once" ON "credential_notifications" USING btree ("row_id","bucket");--> statement-breakpoint
CREATE UNIQUE INDEX "credential_snapshot_identities_key" ON "credential_snapshot_identities" USING btree ("snapshot_id","identity_key");--> statement-breakpoint
CREATE UNIQUE INDEX "credential_snapshot_items_row" ON "credential_snapshot_items" USING btree ("snapshot_id","row_id");--> statement-breakpoint
CREATE INDEX "credential_snapshot_items_identity" ON "credential_snapshot_items" USING btree ("snapshot_id","identity_key");--> statement-breakpoint
CREATE INDEX "credential_snapshots_status_started" ON "credential_snapshots" USING btree ("status","started_at");