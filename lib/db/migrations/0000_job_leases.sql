CREATE TABLE "job_leases" (
	"job_name" text PRIMARY KEY NOT NULL,
	"holder" text NOT NULL,
	"last_started_at" timestamp with time zone NOT NULL,
	"last_finished_at" timestamp with time zone,
	"lease_expires_at" timestamp with time zone NOT NULL
);
