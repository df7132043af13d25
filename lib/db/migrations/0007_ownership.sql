CREATE TABLE "assignment_holders" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"assignment_id" bigint NOT NULL,
	"kind" text NOT NULL,
	"mapping_id" text,
	"request_id" text,
	"granted_by" jsonb NOT NULL,
	"expires_at" timestamp (3) with time zone,
	"pre_existing" boolean NOT NULL,
	"status" text NOT NULL,
	"added_at" timestamp (3) with time zone NOT NULL,
	"released_at" timestamp (3) with time zone,
	"released_by" jsonb,
	"release_reason" text,
	CONSTRAINT "assignment_holders_kind" CHECK ("assignment_holders"."kind" in ('direct', 'mapping', 'request', 'bundle')),
	CONSTRAINT "assignment_holders_status" CHECK ("assignment_holders"."status" in ('active', 'released')),
	CONSTRAINT "assignment_holders_reference" CHECK (("assignment_holders"."kind" = 'mapping') = ("assignment_holders"."mapping_id" is not null) and ("assignment_holders"."kind" = 'request') = ("assignment_holders"."request_id" is not null))
);
--> statement-breakpoint
CREATE TABLE "held_assignments" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"scope" text NOT NULL,
	"scope_key" text NOT NULL,
	"principal_id" text NOT NULL,
	"principal_type" text NOT NULL,
	"role_definition_id" text NOT NULL,
	"role_name" text,
	"assignment_name" text NOT NULL,
	"created_by_gatehouse" boolean NOT NULL,
	"first_seen_at" timestamp (3) with time zone NOT NULL,
	"updated_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "held_assignments_keys_lower" CHECK ("held_assignments"."scope_key" = lower("held_assignments"."scope_key") and "held_assignments"."principal_id" = lower("held_assignments"."principal_id") and "held_assignments"."role_definition_id" = lower("held_assignments"."role_definition_id"))
);
--> statement-breakpoint
ALTER TABLE "azure_change_intents" DROP CONSTRAINT "azure_change_intents_state";--> statement-breakpoint
DROP INDEX "azure_change_intents_one_pending_idx";--> statement-breakpoint
DROP INDEX "access_requests_expiry_idx";--> statement-breakpoint
ALTER TABLE "azure_change_intents" ADD COLUMN "ownership" jsonb;--> statement-breakpoint
ALTER TABLE "access_requests" ADD COLUMN "principal_secondary_id" text;--> statement-breakpoint
ALTER TABLE "access_requests" ADD COLUMN "principal_flags" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "access_requests" ADD COLUMN "principal_verified_at" timestamp (3) with time zone;--> statement-breakpoint
ALTER TABLE "access_requests" ADD COLUMN "origin" text DEFAULT 'form' NOT NULL;--> statement-breakpoint
ALTER TABLE "access_requests" ADD COLUMN "creates_mapping" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "access_requests" ADD COLUMN "outcome_note" text;--> statement-breakpoint
ALTER TABLE "access_requests" ADD COLUMN "expiry_attempts" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "access_requests" ADD COLUMN "next_expiry_attempt_at" timestamp (3) with time zone;--> statement-breakpoint
ALTER TABLE "assignment_holders" ADD CONSTRAINT "assignment_holders_assignment_id_held_assignments_id_fk" FOREIGN KEY ("assignment_id") REFERENCES "public"."held_assignments"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "assignment_holders_one_active_idx" ON "assignment_holders" USING btree ("assignment_id","kind",coalesce("mapping_id", "request_id", '')) WHERE "assignment_holders"."status" = 'active';--> statement-breakpoint
CREATE INDEX "assignment_holders_assignment_idx" ON "assignment_holders" USING btree ("assignment_id");--> statement-breakpoint
CREATE INDEX "assignment_holders_request_idx" ON "assignment_holders" USING btree ("request_id");--> statement-breakpoint
CREATE INDEX "assignment_holders_mapping_idx" ON "assignment_holders" USING btree ("mapping_id");--> statement-breakpoint
CREATE UNIQUE INDEX "held_assignments_access_idx" ON "held_assignments" USING btree ("scope_key","principal_id","role_definition_id");--> statement-breakpoint
CREATE INDEX "held_assignments_scope_idx" ON "held_assignments" USING btree ("scope_key");--> statement-breakpoint
CREATE UNIQUE INDEX "azure_change_intents_one_pending_access_idx" ON "azure_change_intents" USING btree (lower("scope"),lower("principal_id"),lower("role_definition_id")) WHERE "azure_change_intents"."state" = 'pending';--> statement-breakpoint
CREATE INDEX "access_requests_expiry_idx" ON "access_requests" USING btree ("expires_at") WHERE "access_requests"."status" in ('granted', 'expiring', 'expiry_failed');--> statement-breakpoint
ALTER TABLE "azure_change_intents" ADD CONSTRAINT "azure_change_intents_state" CHECK ("azure_change_intents"."state" in ('pending', 'succeeded', 'failed', 'unknown'));--> statement-breakpoint
-- Backfill: the access Gatehouse held before ownership was recorded gets its holders, so that an upgrade never lets a
-- later expiry or mapping deletion remove access it does not know the owners of. Where the history is ambiguous a
-- holder is added: the assignment then stays, which is the safe side.
CREATE TEMPORARY TABLE "ownership_backfill_keys" ON COMMIT DROP AS
WITH "mapping_intents" AS (
  SELECT ("details"->>'intentId')::bigint AS "intent_id" FROM "audit_events"
  WHERE "action" = 'role_assignment.grant_requested' AND "reason" = 'Managed by a Gatehouse group mapping'
),
"grants" AS (
  SELECT i."id", i."scope", lower(i."scope") AS "scope_key", lower(i."principal_id") AS "principal_id", i."principal_type",
         lower(i."role_definition_id") AS "role_definition_id", i."role_name", lower(i."assignment_name") AS "assignment_name",
         i."request_id", i."requested_by", i."updated_at", i."id" IN (SELECT "intent_id" FROM "mapping_intents") AS "for_mapping"
  FROM "azure_change_intents" i WHERE i."kind" = 'grant' AND i."state" = 'succeeded'
),
"revokes" AS (
  SELECT lower("scope") AS "scope_key", lower("principal_id") AS "principal_id", lower("role_definition_id") AS "role_definition_id", max("updated_at") AS "at"
  FROM "azure_change_intents" WHERE "kind" = 'revoke' AND "state" = 'succeeded' GROUP BY 1, 2, 3
),
"direct" AS (
  SELECT g."scope_key", g."principal_id", g."role_definition_id", max(g."updated_at") AS "at" FROM "grants" g
  WHERE g."request_id" IS NULL AND NOT g."for_mapping" GROUP BY 1, 2, 3
),
"live_direct" AS (
  SELECT d.* FROM "direct" d LEFT JOIN "revokes" r USING ("scope_key", "principal_id", "role_definition_id") WHERE r."at" IS NULL OR r."at" < d."at"
),
"keys" AS (
  SELECT "scope_key", "group_id" AS "principal_id", "role_definition_id" FROM "group_mappings"
  UNION SELECT "workspace_key", "principal_id", "role_definition_id" FROM "access_requests" WHERE "status" IN ('granted', 'expiring')
  UNION SELECT "scope_key", "principal_id", "role_definition_id" FROM "live_direct"
)
SELECT k."scope_key", k."principal_id", k."role_definition_id",
  (SELECT g."scope" FROM "grants" g WHERE (g."scope_key", g."principal_id", g."role_definition_id") = (k."scope_key", k."principal_id", k."role_definition_id") ORDER BY g."updated_at" DESC LIMIT 1) AS "grant_scope",
  (SELECT g."assignment_name" FROM "grants" g WHERE (g."scope_key", g."principal_id", g."role_definition_id") = (k."scope_key", k."principal_id", k."role_definition_id") ORDER BY g."updated_at" DESC LIMIT 1) AS "grant_assignment_name",
  (SELECT g."principal_type" FROM "grants" g WHERE (g."scope_key", g."principal_id", g."role_definition_id") = (k."scope_key", k."principal_id", k."role_definition_id") ORDER BY g."updated_at" DESC LIMIT 1) AS "grant_principal_type",
  (SELECT g."role_name" FROM "grants" g WHERE (g."scope_key", g."principal_id", g."role_definition_id") = (k."scope_key", k."principal_id", k."role_definition_id") ORDER BY g."updated_at" DESC LIMIT 1) AS "grant_role_name",
  (SELECT g."requested_by" FROM "grants" g WHERE (g."scope_key", g."principal_id", g."role_definition_id") = (k."scope_key", k."principal_id", k."role_definition_id") AND g."request_id" IS NULL AND NOT g."for_mapping" ORDER BY g."updated_at" DESC LIMIT 1) AS "direct_granted_by",
  EXISTS (SELECT 1 FROM "grants" g WHERE (g."scope_key", g."principal_id", g."role_definition_id") = (k."scope_key", k."principal_id", k."role_definition_id")) AS "created_by_gatehouse",
  EXISTS (SELECT 1 FROM "live_direct" d WHERE (d."scope_key", d."principal_id", d."role_definition_id") = (k."scope_key", k."principal_id", k."role_definition_id")) AS "has_direct"
FROM "keys" k;
--> statement-breakpoint
INSERT INTO "held_assignments" ("scope", "scope_key", "principal_id", "principal_type", "role_definition_id", "role_name", "assignment_name", "created_by_gatehouse", "first_seen_at", "updated_at")
SELECT coalesce(b."grant_scope", m."scope", r."workspace_id"), b."scope_key", b."principal_id",
  coalesce(b."grant_principal_type", CASE WHEN m."id" IS NOT NULL THEN 'Group' END,
    CASE r."principal_kind" WHEN 'user' THEN 'User' WHEN 'group' THEN 'Group' ELSE 'ServicePrincipal' END),
  b."role_definition_id", coalesce(b."grant_role_name", m."role_name", r."role_name"),
  coalesce(b."grant_assignment_name", m."assignment_name"), b."created_by_gatehouse", now(), now()
FROM "ownership_backfill_keys" b
LEFT JOIN "group_mappings" m ON (m."scope_key", m."group_id", m."role_definition_id") = (b."scope_key", b."principal_id", b."role_definition_id")
LEFT JOIN LATERAL (
  SELECT * FROM "access_requests" x WHERE (x."workspace_key", x."principal_id", x."role_definition_id") = (b."scope_key", b."principal_id", b."role_definition_id")
  ORDER BY x."created_at" DESC LIMIT 1
) r ON true
WHERE coalesce(b."grant_assignment_name", m."assignment_name") IS NOT NULL;
--> statement-breakpoint
INSERT INTO "assignment_holders" ("assignment_id", "kind", "mapping_id", "granted_by", "pre_existing", "status", "added_at")
SELECT h."id", 'mapping', m."id", m."created_by", NOT h."created_by_gatehouse", 'active', m."created_at"
FROM "group_mappings" m JOIN "held_assignments" h ON (h."scope_key", h."principal_id", h."role_definition_id") = (m."scope_key", m."group_id", m."role_definition_id");
--> statement-breakpoint
INSERT INTO "assignment_holders" ("assignment_id", "kind", "request_id", "granted_by", "expires_at", "pre_existing", "status", "added_at")
SELECT h."id", 'request', r."id",
  coalesce((SELECT i."requested_by" FROM "azure_change_intents" i WHERE i."request_id" = r."id" AND i."kind" = 'grant' ORDER BY i."id" DESC LIMIT 1), '{"kind":"anonymous"}'::jsonb),
  r."expires_at", NOT h."created_by_gatehouse", 'active', coalesce(r."granted_at", r."updated_at")
FROM "access_requests" r JOIN "held_assignments" h ON (h."scope_key", h."principal_id", h."role_definition_id") = (r."workspace_key", r."principal_id", r."role_definition_id")
WHERE r."status" IN ('granted', 'expiring');
--> statement-breakpoint
INSERT INTO "assignment_holders" ("assignment_id", "kind", "granted_by", "pre_existing", "status", "added_at")
SELECT h."id", 'direct', coalesce(b."direct_granted_by", '{"kind":"anonymous"}'::jsonb), NOT h."created_by_gatehouse", 'active', now()
FROM "ownership_backfill_keys" b JOIN "held_assignments" h ON (h."scope_key", h."principal_id", h."role_definition_id") = (b."scope_key", b."principal_id", b."role_definition_id")
WHERE b."has_direct";
