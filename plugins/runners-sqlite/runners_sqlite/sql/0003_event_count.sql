-- runners-sqlite schema v3: each session counts its events.
-- A load fetches only the newest events and the older ones when they are first read;
-- the count gives len(session.events) without counting rows (deleted events leave
-- gaps in seq). Appends add one and delete_events subtracts what it removed, in the
-- transaction that makes the change.
ALTER TABLE sessions ADD COLUMN event_count INTEGER NOT NULL DEFAULT 0;
UPDATE sessions SET event_count = (SELECT count(*) FROM events WHERE events.session_pk = sessions.pk);
