-- runners-sqlite schema v1 (first release): sessions and events, app/user/session
-- state as JSON documents, full-text memory, versioned artifacts.
-- Never edit a released migration: add a new one.

PRAGMA application_id = 1381322323;  -- "RUNS": marks the file as runners-sqlite's

CREATE TABLE schema_version (
    version     INTEGER PRIMARY KEY,
    description TEXT NOT NULL,
    applied_at  REAL NOT NULL
);

CREATE TABLE app_states (
    app_name    TEXT PRIMARY KEY,
    state       TEXT NOT NULL DEFAULT '{}',
    update_time REAL NOT NULL
);

CREATE TABLE user_states (
    app_name    TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    state       TEXT NOT NULL DEFAULT '{}',
    update_time REAL NOT NULL,
    PRIMARY KEY (app_name, user_id)
);

-- AUTOINCREMENT: a deleted session's pk is never reused, so anything keyed by pk
-- (events, the in-process event cache) can never be mistaken for a newer session's.
CREATE TABLE sessions (
    pk          INTEGER PRIMARY KEY AUTOINCREMENT,
    app_name    TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    id          TEXT NOT NULL,
    state       TEXT NOT NULL DEFAULT '{}',
    create_time REAL NOT NULL,
    update_time REAL NOT NULL,
    UNIQUE (app_name, user_id, id)
);

-- seq numbers a session's events 1, 2, 3, ... in append order: ordering, paging and
-- "the last N" all walk the (session_pk, seq) index. event_id is unique per session,
-- which makes re-appending an event a no-op.
CREATE TABLE events (
    pk            INTEGER PRIMARY KEY,
    session_pk    INTEGER NOT NULL REFERENCES sessions (pk) ON DELETE CASCADE,
    seq           INTEGER NOT NULL,
    event_id      TEXT NOT NULL,
    invocation_id TEXT NOT NULL,
    timestamp     REAL NOT NULL,
    payload       TEXT NOT NULL,
    UNIQUE (session_pk, seq),
    UNIQUE (session_pk, event_id)
);

CREATE TABLE memories (
    pk              INTEGER PRIMARY KEY,
    app_name        TEXT NOT NULL,
    user_id         TEXT NOT NULL,
    id              TEXT NOT NULL,
    session_id      TEXT,
    author          TEXT,
    timestamp       REAL NOT NULL,
    text            TEXT NOT NULL,
    content         TEXT NOT NULL,
    custom_metadata TEXT NOT NULL,
    UNIQUE (app_name, user_id, id)
);

CREATE INDEX memories_by_session ON memories (app_name, user_id, session_id);

-- An external-content FTS5 index over memories.text, kept in step by triggers.
CREATE VIRTUAL TABLE memories_fts USING fts5 (
    text,
    content = 'memories',
    content_rowid = 'pk',
    tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TRIGGER memories_fts_insert AFTER INSERT ON memories BEGIN
    INSERT INTO memories_fts (rowid, text) VALUES (new.pk, new.text);
END;

CREATE TRIGGER memories_fts_delete AFTER DELETE ON memories BEGIN
    INSERT INTO memories_fts (memories_fts, rowid, text) VALUES ('delete', old.pk, old.text);
END;

-- scope is the session id, or '' for user-wide artifacts (session ids are never empty).
CREATE TABLE artifacts (
    pk              INTEGER PRIMARY KEY,
    app_name        TEXT NOT NULL,
    user_id         TEXT NOT NULL,
    scope           TEXT NOT NULL,
    name            TEXT NOT NULL,
    version         INTEGER NOT NULL,
    kind            TEXT NOT NULL,
    mime_type       TEXT,
    custom_metadata TEXT NOT NULL,
    create_time     REAL NOT NULL,
    data            BLOB NOT NULL,
    UNIQUE (app_name, user_id, scope, name, version)
);
