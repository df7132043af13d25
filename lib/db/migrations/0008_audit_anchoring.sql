CREATE TABLE "audit_shipping" (
	"id" integer PRIMARY KEY NOT NULL,
	"shipped_through" bigint DEFAULT 0 NOT NULL,
	"checkpoint_through" bigint DEFAULT 0 NOT NULL,
	"checkpoint_at" timestamp with time zone,
	"failures" integer DEFAULT 0 NOT NULL,
	"last_error" text,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "audit_shipping_single_row" CHECK ("audit_shipping"."id" = 1)
);
--> statement-breakpoint
INSERT INTO audit_shipping (id) VALUES (1);
--> statement-breakpoint
-- Appends go through these two functions, which run with their owner's rights (the role that ran the migrations):
-- the console's own role gets EXECUTE on them and SELECT on the tables, and no INSERT/UPDATE/DELETE/TRUNCATE or
-- ownership (docs/deploy.md), so it cannot switch the append-only trigger off, edit an event or move the head.
-- audit_lock_head() locks the head row until the caller's transaction ends (a row lock taken inside a function is
-- the transaction's), so the console computes the next hashes from a head nobody else can move meanwhile.
CREATE FUNCTION audit_lock_head() RETURNS TABLE (last_event_id bigint, last_hash text)
LANGUAGE sql SECURITY DEFINER AS $$
  SELECT h.last_event_id, h.last_hash FROM audit_chain_head h WHERE h.id = 1 FOR UPDATE
$$;
--> statement-breakpoint
-- Inserts events that continue the chain from the head, and moves the head. Each event must carry the next id and
-- the head's hash as prev_hash, so even the console's role can only extend the chain, never fork or rewrite it; the
-- hash itself (sha256 of the canonical JSON) is checked by `npm run audit:verify`.
CREATE FUNCTION audit_append(events jsonb) RETURNS bigint
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
    id, occurred_at, actor_kind, actor_tenant_id, actor_object_id, actor_display_name, actor_upn, actor_app_id, action,
    target_scope, target_principal_id, target_principal_type, target_role_definition_id, target_role_name,
    target_request_id, outcome, error_code, reason, console_request_id, arm_request_id, graph_request_id, details,
    prev_hash, hash)
  SELECT
    r.id, r.occurred_at, r.actor_kind, r.actor_tenant_id, r.actor_object_id, r.actor_display_name, r.actor_upn,
    r.actor_app_id, r.action, r.target_scope, r.target_principal_id, r.target_principal_type,
    r.target_role_definition_id, r.target_role_name, r.target_request_id, r.outcome, r.error_code, r.reason,
    r.console_request_id, r.arm_request_id, r.graph_request_id, r.details, r.prev_hash, r.hash
  FROM jsonb_to_recordset(events) AS r (
    id bigint, occurred_at timestamptz, actor_kind text, actor_tenant_id text, actor_object_id text,
    actor_display_name text, actor_upn text, actor_app_id text, action text, target_scope text,
    target_principal_id text, target_principal_type text, target_role_definition_id text, target_role_name text,
    target_request_id text, outcome text, error_code text, reason text, console_request_id text, arm_request_id text,
    graph_request_id text, details jsonb, prev_hash text, hash text)
  ORDER BY r.id;
  UPDATE audit_chain_head SET last_event_id = head_id, last_hash = head_hash WHERE id = 1;
  RETURN head_id;
END;
$$;
--> statement-breakpoint
-- A SECURITY DEFINER function must not resolve names through a search_path its caller controls (a temporary table
-- named audit_events would shadow the real one): pin it to the schema the migrations ran in, pg_temp last.
DO $$
BEGIN
  EXECUTE format('ALTER FUNCTION audit_lock_head() SET search_path = %I, pg_temp', current_schema());
  EXECUTE format('ALTER FUNCTION audit_append(jsonb) SET search_path = %I, pg_temp', current_schema());
END;
$$;
--> statement-breakpoint
-- Functions are executable by PUBLIC by default; only the roles docs/deploy.md names may append.
REVOKE ALL ON FUNCTION audit_lock_head() FROM PUBLIC;
--> statement-breakpoint
REVOKE ALL ON FUNCTION audit_append(jsonb) FROM PUBLIC;
