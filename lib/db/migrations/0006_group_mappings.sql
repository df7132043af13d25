CREATE TABLE "group_mappings" (
	"id" text PRIMARY KEY NOT NULL,
	"scope" text NOT NULL,
	"scope_key" text NOT NULL,
	"group_id" text NOT NULL,
	"group_display_name" text NOT NULL,
	"role_definition_id" text NOT NULL,
	"role_name" text NOT NULL,
	"assignment_name" text NOT NULL,
	"created_by" jsonb NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "group_mappings_scope_key_lower" CHECK ("group_mappings"."scope_key" = lower("group_mappings"."scope_key"))
);
--> statement-breakpoint
CREATE TABLE "mapping_drift_reports" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"checked_at" timestamp (3) with time zone NOT NULL,
	"holder" text NOT NULL,
	"report" jsonb NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "group_mappings_workspace_group_role_idx" ON "group_mappings" USING btree ("scope_key","group_id","role_definition_id");--> statement-breakpoint
CREATE INDEX "group_mappings_group_idx" ON "group_mappings" USING btree ("group_id");--> statement-breakpoint
CREATE INDEX "mapping_drift_reports_checked_at_idx" ON "mapping_drift_reports" USING btree ("checked_at");