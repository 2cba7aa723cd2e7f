-- runners-sqlite schema v4: an append writes as few pages as it can.
-- Events are clustered by (session_pk, seq) in one WITHOUT ROWID B-tree (before: a rowid
-- table plus a (session_pk, seq) index, two B-trees per insert); the (session_pk,
-- event_id) index stays, it is what makes a re-append a no-op.
-- An append no longer rewrites its session's row: the row keeps what was true at the
-- last write other than an append (create, delete_events), and the events appended
-- since (seq above base_seq) supply the rest: the newest one's timestamp is the
-- session's update time, their number is added to base_count.
CREATE TABLE events_v4 (
    session_pk    INTEGER NOT NULL REFERENCES sessions (pk) ON DELETE CASCADE,
    seq           INTEGER NOT NULL,
    event_id      TEXT NOT NULL,
    invocation_id TEXT NOT NULL,
    timestamp     REAL NOT NULL,
    payload       TEXT NOT NULL,
    PRIMARY KEY (session_pk, seq),
    UNIQUE (session_pk, event_id)
) WITHOUT ROWID;
INSERT INTO events_v4 (session_pk, seq, event_id, invocation_id, timestamp, payload)
    SELECT session_pk, seq, event_id, invocation_id, timestamp, payload FROM events;
DROP TABLE events;
ALTER TABLE events_v4 RENAME TO events;
ALTER TABLE sessions RENAME COLUMN event_count TO base_count;
ALTER TABLE sessions ADD COLUMN base_seq INTEGER NOT NULL DEFAULT 0;
UPDATE sessions SET base_seq = coalesce((SELECT max(seq) FROM events WHERE session_pk = sessions.pk), 0);
