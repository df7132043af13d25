CREATE TABLE "audit_chain_head" (
	"id" integer PRIMARY KEY NOT NULL,
	"last_event_id" bigint NOT NULL,
	"last_hash" text NOT NULL,
	CONSTRAINT "audit_chain_head_single_row" CHECK ("audit_chain_head"."id" = 1)
);
--> statement-breakpoint
CREATE TABLE "audit_events" (
	"id" bigint PRIMARY KEY NOT NULL,
	"occurred_at" timestamp (3) with time zone NOT NULL,
	"actor_kind" text NOT NULL,
	"actor_tenant_id" text,
	"actor_object_id" text,
	"actor_display_name" text,
	"actor_upn" text,
	"actor_app_id" text,
	"action" text NOT NULL,
	"target_scope" text,
	"target_principal_id" text,
	"target_principal_type" text,
	"target_role_definition_id" text,
	"target_role_name" text,
	"target_request_id" text,
	"outcome" text NOT NULL,
	"error_code" text,
	"reason" text,
	"console_request_id" text,
	"arm_request_id" text,
	"graph_request_id" text,
	"details" jsonb NOT NULL,
	"prev_hash" text NOT NULL,
	"hash" text NOT NULL,
	"search_vector" "tsvector" GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, coalesce(action, '') || ' ' || coalesce(actor_display_name, '') || ' ' || coalesce(actor_upn, '') || ' ' || coalesce(actor_object_id, '') || ' ' || coalesce(replace(target_scope, '/', ' '), '') || ' ' || coalesce(target_principal_id, '') || ' ' || coalesce(target_role_name, '') || ' ' || coalesce(replace(target_role_definition_id, '/', ' '), '') || ' ' || coalesce(target_request_id, '') || ' ' || coalesce(error_code, '') || ' ' || coalesce(reason, '') || ' ' || coalesce(console_request_id, '') || ' ' || coalesce(arm_request_id, '') || ' ' || coalesce(graph_request_id, '')) || jsonb_to_tsvector('simple'::regconfig, details, '["string"]'::jsonb)) STORED NOT NULL
);
--> statement-breakpoint
CREATE TABLE "azure_change_intents" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "azure_change_intents_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"kind" text NOT NULL,
	"scope" text NOT NULL,
	"principal_id" text NOT NULL,
	"principal_type" text NOT NULL,
	"role_definition_id" text NOT NULL,
	"role_name" text,
	"assignment_name" text NOT NULL,
	"requested_by" jsonb NOT NULL,
	"request_id" text,
	"console_request_id" text,
	"state" text NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL,
	"updated_at" timestamp (3) with time zone NOT NULL,
	"arm_request_id" text,
	"error_code" text,
	CONSTRAINT "azure_change_intents_kind" CHECK ("azure_change_intents"."kind" in ('grant', 'revoke')),
	CONSTRAINT "azure_change_intents_state" CHECK ("azure_change_intents"."state" in ('pending', 'succeeded', 'failed'))
);
--> statement-breakpoint
CREATE INDEX "audit_events_occurred_at_idx" ON "audit_events" USING btree ("occurred_at","id");--> statement-breakpoint
CREATE INDEX "audit_events_actor_idx" ON "audit_events" USING btree ("actor_object_id","occurred_at","id");--> statement-breakpoint
CREATE INDEX "audit_events_scope_idx" ON "audit_events" USING btree (lower("target_scope"),"occurred_at","id");--> statement-breakpoint
CREATE INDEX "audit_events_principal_idx" ON "audit_events" USING btree ("target_principal_id","occurred_at","id");--> statement-breakpoint
CREATE INDEX "audit_events_action_idx" ON "audit_events" USING btree ("action","occurred_at","id");--> statement-breakpoint
CREATE INDEX "audit_events_outcome_idx" ON "audit_events" USING btree ("outcome","occurred_at","id");--> statement-breakpoint
CREATE INDEX "audit_events_request_idx" ON "audit_events" USING btree ("target_request_id");--> statement-breakpoint
CREATE INDEX "audit_events_actor_upn_idx" ON "audit_events" USING btree (lower("actor_upn") text_pattern_ops);--> statement-breakpoint
CREATE INDEX "audit_events_actor_name_idx" ON "audit_events" USING btree (lower("actor_display_name") text_pattern_ops);--> statement-breakpoint
CREATE INDEX "audit_events_search_idx" ON "audit_events" USING gin ("search_vector");--> statement-breakpoint
CREATE UNIQUE INDEX "azure_change_intents_one_pending_idx" ON "azure_change_intents" USING btree ("assignment_name") WHERE "azure_change_intents"."state" = 'pending';--> statement-breakpoint
CREATE INDEX "azure_change_intents_pending_idx" ON "azure_change_intents" USING btree ("created_at") WHERE "azure_change_intents"."state" = 'pending';