CREATE TABLE "access_requests" (
	"id" text PRIMARY KEY NOT NULL,
	"workspace_id" text NOT NULL,
	"workspace_key" text NOT NULL,
	"workspace_name" text NOT NULL,
	"role_definition_id" text NOT NULL,
	"role_name" text NOT NULL,
	"principal_id" text NOT NULL,
	"principal_kind" text NOT NULL,
	"principal_display_name" text NOT NULL,
	"requester_object_id" text NOT NULL,
	"requester_tenant_id" text NOT NULL,
	"requester_name" text NOT NULL,
	"requester_upn" text NOT NULL,
	"justification" text NOT NULL,
	"ticket" text,
	"duration_minutes" integer,
	"status" text NOT NULL,
	"approvals_required" integer NOT NULL,
	"approvals" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"decided_by_name" text,
	"decision_comment" text,
	"failure_code" text,
	"failure_reason" text,
	"arm_reference" text,
	"extends_request_id" text,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL,
	"pending_until" timestamp (3) with time zone NOT NULL,
	"decided_at" timestamp (3) with time zone,
	"granted_at" timestamp (3) with time zone,
	"expires_at" timestamp (3) with time zone,
	"ended_at" timestamp (3) with time zone,
	"updated_at" timestamp (3) with time zone NOT NULL,
	"reminded" jsonb DEFAULT '[]'::jsonb NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "access_requests_one_pending_idx" ON "access_requests" USING btree ("workspace_key","principal_id","role_definition_id") WHERE "access_requests"."status" = 'pending';--> statement-breakpoint
CREATE INDEX "access_requests_status_idx" ON "access_requests" USING btree ("status","created_at");--> statement-breakpoint
CREATE INDEX "access_requests_requester_idx" ON "access_requests" USING btree ("requester_object_id","created_at");--> statement-breakpoint
CREATE INDEX "access_requests_expiry_idx" ON "access_requests" USING btree ("expires_at") WHERE "access_requests"."status" in ('granted', 'expiring');