CREATE TABLE "audit_archives" (
	"id" serial PRIMARY KEY NOT NULL,
	"first_event_id" bigint NOT NULL,
	"last_event_id" bigint NOT NULL,
	"last_hash" text NOT NULL,
	"event_count" bigint NOT NULL,
	"file_sha256" text NOT NULL,
	"archived_at" timestamp with time zone DEFAULT now() NOT NULL,
	"archived_by" text NOT NULL
);
--> statement-breakpoint
-- audit_archives is append-only too: an archive, once made, is a fact of the trail's history.
CREATE TRIGGER audit_archives_append_only
  BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_archives
  FOR EACH STATEMENT EXECUTE FUNCTION audit_events_refuse_change();
--> statement-breakpoint
-- The append-only trigger lets one DELETE through: the one audit_archive_through() makes, which sets
-- gatehouse.audit_archive for its own statement. Only a role that may DELETE from audit_events (the owner; the
-- console's role has no such grant, docs/deploy.md) ever reaches the trigger with it.
CREATE OR REPLACE FUNCTION audit_events_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' AND TG_TABLE_NAME = 'audit_events' AND current_setting('gatehouse.audit_archive', true) = 'on' THEN
    RETURN NULL;
  END IF;
  RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;
--> statement-breakpoint
-- Moves the oldest events, up to through_id, out of the table (npm run audit:archive writes them to a file first):
-- never the newest event (the head stays a row), only from the first event still here, with no gap, under the head's
-- lock so no append runs meanwhile. Runs with its caller's rights (not SECURITY DEFINER), so only the owner can.
CREATE FUNCTION audit_archive_through(through_id bigint, archive_sha256 text) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
  head_id bigint;
  first_id bigint;
  boundary_hash text;
  removed bigint;
BEGIN
  IF archive_sha256 IS NULL OR archive_sha256 !~ '^[0-9a-f]{64}$' THEN
    RAISE EXCEPTION 'audit_archive_through: the archive file''s sha256 (64 hex digits) is required' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  SELECT h.last_event_id INTO head_id FROM audit_chain_head h WHERE h.id = 1 FOR UPDATE;
  IF through_id >= head_id THEN
    RAISE EXCEPTION 'audit_archive_through: event % is the chain head or after it; the newest event stays', through_id USING ERRCODE = 'check_violation';
  END IF;
  SELECT min(e.id) INTO first_id FROM audit_events e;
  IF first_id IS NULL OR through_id < first_id THEN
    RAISE EXCEPTION 'audit_archive_through: no event up to % is in the table', through_id USING ERRCODE = 'no_data_found';
  END IF;
  SELECT e.hash INTO boundary_hash FROM audit_events e WHERE e.id = through_id;
  PERFORM set_config('gatehouse.audit_archive', 'on', true);
  DELETE FROM audit_events WHERE id <= through_id;
  GET DIAGNOSTICS removed = ROW_COUNT;
  PERFORM set_config('gatehouse.audit_archive', 'off', true);
  IF boundary_hash IS NULL OR removed <> through_id - first_id + 1 THEN
    RAISE EXCEPTION 'audit_archive_through: events % to % are not all present; nothing archived', first_id, through_id USING ERRCODE = 'check_violation';
  END IF;
  INSERT INTO audit_archives (first_event_id, last_event_id, last_hash, event_count, file_sha256, archived_by)
  VALUES (first_id, through_id, boundary_hash, removed, archive_sha256, session_user);
  RETURN removed;
END;
$$;
--> statement-breakpoint
DO $$
BEGIN
  EXECUTE format('ALTER FUNCTION audit_archive_through(bigint, text) SET search_path = %I, pg_temp', current_schema());
END;
$$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION audit_archive_through(bigint, text) FROM PUBLIC;
