-- runners-postgres schema version 3: each session counts its events.
-- A load fetches only the newest events and the older ones when they are first read;
-- the count gives len(session.events) without counting rows (deleted events leave
-- gaps in seq). Appends add one and delete_events subtracts what it removed, in the
-- same statement as the change, under the session's row lock.

ALTER TABLE sessions ADD COLUMN event_count bigint NOT NULL DEFAULT 0;
UPDATE sessions s SET event_count = (SELECT count(*) FROM events e WHERE e.session_pk = s.pk);
