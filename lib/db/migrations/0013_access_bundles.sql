CREATE TABLE "bundle_grant_parts" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"bundle_grant_id" text NOT NULL,
	"part_key" text NOT NULL,
	"on" text NOT NULL,
	"resource_name" text,
	"scope" text,
	"subscription_id" text,
	"role_definition_id" text NOT NULL,
	"role_name" text NOT NULL,
	"why" text NOT NULL,
	"state" text NOT NULL,
	"note" text,
	"reference" text,
	"updated_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "bundle_grant_parts_state" CHECK ("bundle_grant_parts"."state" in ('planned', 'granted', 'already_granted', 'failed', 'not_applicable', 'released'))
);
--> statement-breakpoint
CREATE TABLE "bundle_grants" (
	"id" text PRIMARY KEY NOT NULL,
	"bundle_id" text NOT NULL,
	"bundle_name" text NOT NULL,
	"workspace_id" text NOT NULL,
	"workspace_key" text NOT NULL,
	"workspace_name" text NOT NULL,
	"principal_id" text NOT NULL,
	"principal_kind" text NOT NULL,
	"principal_display_name" text NOT NULL,
	"request_id" text,
	"status" text NOT NULL,
	"expires_at" timestamp (3) with time zone,
	"granted_by" jsonb NOT NULL,
	"end_attempts" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL,
	"updated_at" timestamp (3) with time zone NOT NULL,
	"ended_at" timestamp (3) with time zone,
	CONSTRAINT "bundle_grants_status" CHECK ("bundle_grants"."status" in ('granting', 'granted', 'partial', 'ending', 'end_failed', 'ended'))
);
--> statement-breakpoint
ALTER TABLE "assignment_holders" DROP CONSTRAINT "assignment_holders_reference";--> statement-breakpoint
DROP INDEX "assignment_holders_one_active_idx";--> statement-breakpoint
ALTER TABLE "assignment_holders" ADD COLUMN "bundle_grant_id" text;--> statement-breakpoint
ALTER TABLE "access_requests" ADD COLUMN "bundle_id" text;--> statement-breakpoint
ALTER TABLE "access_requests" ADD COLUMN "bundle_name" text;--> statement-breakpoint
ALTER TABLE "bundle_grant_parts" ADD CONSTRAINT "bundle_grant_parts_bundle_grant_id_bundle_grants_id_fk" FOREIGN KEY ("bundle_grant_id") REFERENCES "public"."bundle_grants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "bundle_grant_parts_key_idx" ON "bundle_grant_parts" USING btree ("bundle_grant_id","part_key");--> statement-breakpoint
CREATE UNIQUE INDEX "bundle_grants_request_idx" ON "bundle_grants" USING btree ("request_id") WHERE "bundle_grants"."request_id" is not null;--> statement-breakpoint
CREATE INDEX "bundle_grants_workspace_idx" ON "bundle_grants" USING btree ("workspace_key","status");--> statement-breakpoint
CREATE INDEX "bundle_grants_expiry_idx" ON "bundle_grants" USING btree ("expires_at") WHERE "bundle_grants"."status" in ('granted', 'partial', 'end_failed');--> statement-breakpoint
CREATE INDEX "assignment_holders_bundle_idx" ON "assignment_holders" USING btree ("bundle_grant_id");--> statement-breakpoint
CREATE UNIQUE INDEX "assignment_holders_one_active_idx" ON "assignment_holders" USING btree ("assignment_id","kind",coalesce("mapping_id", "request_id", "bundle_grant_id", '')) WHERE "assignment_holders"."status" = 'active';--> statement-breakpoint
ALTER TABLE "assignment_holders" ADD CONSTRAINT "assignment_holders_reference" CHECK (("assignment_holders"."kind" = 'mapping') = ("assignment_holders"."mapping_id" is not null) and ("assignment_holders"."kind" = 'request') = ("assignment_holders"."request_id" is not null) and ("assignment_holders"."kind" = 'bundle') = ("assignment_holders"."bundle_grant_id" is not null));