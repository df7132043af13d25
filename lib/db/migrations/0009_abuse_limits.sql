CREATE TABLE "rate_limit_buckets" (
	"kind" text NOT NULL,
	"subject" text NOT NULL,
	"window_start" timestamp (3) with time zone NOT NULL,
	"count" integer NOT NULL,
	CONSTRAINT "rate_limit_buckets_kind_subject_window_start_pk" PRIMARY KEY("kind","subject","window_start"),
	CONSTRAINT "rate_limit_buckets_count" CHECK ("rate_limit_buckets"."count" > 0)
);
--> statement-breakpoint
CREATE TABLE "refusal_tallies" (
	"minute" timestamp (3) with time zone NOT NULL,
	"source" text NOT NULL,
	"reason" text NOT NULL,
	"count" integer NOT NULL,
	CONSTRAINT "refusal_tallies_minute_source_reason_pk" PRIMARY KEY("minute","source","reason"),
	CONSTRAINT "refusal_tallies_count" CHECK ("refusal_tallies"."count" > 0)
);
