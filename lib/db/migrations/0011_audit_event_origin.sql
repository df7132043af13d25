ALTER TABLE "audit_events" ADD COLUMN "actor_session_id" text;--> statement-breakpoint
ALTER TABLE "audit_events" ADD COLUMN "actor_client_address" text;--> statement-breakpoint
ALTER TABLE "audit_events" ADD COLUMN "actor_user_agent" text;--> statement-breakpoint
ALTER TABLE "audit_events" ADD COLUMN "actor_job" text;--> statement-breakpoint
-- audit_append() as in migration 0008, now also inserting where each event came from (the columns above). Replacing
-- a function keeps its owner and grants; its search_path setting is pinned again below.
CREATE OR REPLACE FUNCTION audit_append(events jsonb) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER AS $$
DECLARE
  head_id bigint;
  head_hash text;
  event_count bigint;
  broken record;
BEGIN
  IF jsonb_typeof(events) IS DISTINCT FROM 'array' OR jsonb_array_length(events) = 0 THEN
    RAISE EXCEPTION 'audit_append: expects a non-empty JSON array of events' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  SELECT h.last_event_id, h.last_hash INTO head_id, head_hash FROM audit_chain_head h WHERE h.id = 1 FOR UPDATE;
  IF head_id IS NULL THEN
    RAISE EXCEPTION 'audit_append: the audit chain head row is missing' USING ERRCODE = 'no_data_found';
  END IF;
  -- One set-based check of every link (a row-by-row loop is several times slower on large appends).
  SELECT c.position, c.id, c.bad_id, c.bad_link INTO broken
    FROM (
      SELECT e.position, e.item->>'id' AS id,
             (e.item->>'id')::bigint IS DISTINCT FROM head_id + e.position AS bad_id,
             (e.item->>'prev_hash') IS DISTINCT FROM coalesce(lag(e.item->>'hash') OVER (ORDER BY e.position), head_hash) AS bad_link,
             coalesce(e.item->>'hash', '') !~ '^[0-9a-f]{64}$' AS bad_hash
        FROM jsonb_array_elements(events) WITH ORDINALITY AS e (item, position)
    ) c
   WHERE c.bad_id OR c.bad_link OR c.bad_hash
   ORDER BY c.position
   LIMIT 1;
  IF FOUND THEN
    IF broken.bad_id THEN
      RAISE EXCEPTION 'audit_append: event % does not follow the chain head (event %)', broken.id, head_id + broken.position - 1 USING ERRCODE = 'check_violation';
    ELSIF broken.bad_link THEN
      RAISE EXCEPTION 'audit_append: event % does not link to the chain head''s hash', broken.id USING ERRCODE = 'check_violation';
    END IF;
    RAISE EXCEPTION 'audit_append: event % has no sha256 hash', broken.id USING ERRCODE = 'check_violation';
  END IF;
  event_count := jsonb_array_length(events);
  head_id := head_id + event_count;
  head_hash := (events->(event_count::int - 1))->>'hash';
  INSERT INTO audit_events (
    id, occurred_at, actor_kind, actor_tenant_id, actor_object_id, actor_display_name, actor_upn, actor_app_id,
    actor_session_id, actor_client_address, actor_user_agent, actor_job, action,
    target_scope, target_principal_id, target_principal_type, target_role_definition_id, target_role_name,
    target_request_id, outcome, error_code, reason, console_request_id, arm_request_id, graph_request_id, details,
    prev_hash, hash)
  SELECT
    r.id, r.occurred_at, r.actor_kind, r.actor_tenant_id, r.actor_object_id, r.actor_display_name, r.actor_upn,
    r.actor_app_id, r.actor_session_id, r.actor_client_address, r.actor_user_agent, r.actor_job, r.action, r.target_scope, r.target_principal_id, r.target_principal_type,
    r.target_role_definition_id, r.target_role_name, r.target_request_id, r.outcome, r.error_code, r.reason,
    r.console_request_id, r.arm_request_id, r.graph_request_id, r.details, r.prev_hash, r.hash
  FROM jsonb_to_recordset(events) AS r (
    id bigint, occurred_at timestamptz, actor_kind text, actor_tenant_id text, actor_object_id text,
    actor_display_name text, actor_upn text, actor_app_id text, actor_session_id text, actor_client_address text,
    actor_user_agent text, actor_job text, action text, target_scope text,
    target_principal_id text, target_principal_type text, target_role_definition_id text, target_role_name text,
    target_request_id text, outcome text, error_code text, reason text, console_request_id text, arm_request_id text,
    graph_request_id text, details jsonb, prev_hash text, hash text)
  ORDER BY r.id;
  UPDATE audit_chain_head SET last_event_id = head_id, last_hash = head_hash WHERE id = 1;
  RETURN head_id;
END;
$$;
--> statement-breakpoint
DO $$
BEGIN
  EXECUTE format('ALTER FUNCTION audit_append(jsonb) SET search_path = %I, pg_temp', current_schema());
END;
$$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION audit_append(jsonb) FROM PUBLIC;
