CREATE TABLE "notification_digests" (
	"kind" text PRIMARY KEY NOT NULL,
	"fingerprint" text NOT NULL,
	"posted_at" timestamp (3) with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "request_audience" (
	"request_id" text NOT NULL,
	"kind" text NOT NULL,
	"target" text NOT NULL,
	"reason" text NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "request_audience_request_id_kind_target_pk" PRIMARY KEY("request_id","kind","target")
);
--> statement-breakpoint
CREATE TABLE "request_follow_ups" (
	"request_id" text NOT NULL,
	"outcome" text NOT NULL,
	"sent_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "request_follow_ups_request_id_outcome_pk" PRIMARY KEY("request_id","outcome")
);
--> statement-breakpoint
ALTER TABLE "access_requests" ADD COLUMN "delta_summary" text;--> statement-breakpoint
ALTER TABLE "request_audience" ADD CONSTRAINT "request_audience_request_id_access_requests_id_fk" FOREIGN KEY ("request_id") REFERENCES "public"."access_requests"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "request_follow_ups" ADD CONSTRAINT "request_follow_ups_request_id_access_requests_id_fk" FOREIGN KEY ("request_id") REFERENCES "public"."access_requests"("id") ON DELETE cascade ON UPDATE no action;