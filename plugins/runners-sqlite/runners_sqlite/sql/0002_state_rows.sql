-- runners-sqlite schema v2: state as one row per key instead of one JSON document per
-- scope, so an append writes only the keys its delta changes (its cost no longer grows
-- with the size of the state). migrations.py copies the v1 documents into these tables
-- and then runs 0002_drop_state_documents.sql.

CREATE TABLE app_state (
    app_name TEXT NOT NULL,
    key      TEXT NOT NULL,
    value    TEXT NOT NULL,
    PRIMARY KEY (app_name, key)
);

CREATE TABLE user_state (
    app_name TEXT NOT NULL,
    user_id  TEXT NOT NULL,
    key      TEXT NOT NULL,
    value    TEXT NOT NULL,
    PRIMARY KEY (app_name, user_id, key)
);

CREATE TABLE session_state (
    session_pk INTEGER NOT NULL REFERENCES sessions (pk) ON DELETE CASCADE,
    key        TEXT NOT NULL,
    value      TEXT NOT NULL,
    PRIMARY KEY (session_pk, key)
);
