-- runners-postgres schema version 1: sessions, events, scoped state, memory, artifacts.
-- Every table lives in the schema chosen with ?schema= (search_path), default "runners".
-- Identifiers use the C collation: byte order is the order list_sessions pages in.

CREATE TABLE schema_version (
    version integer PRIMARY KEY,
    description text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
);

-- State shared by every user of an app ("app:" keys, stored without the prefix).
CREATE TABLE app_states (
    app_name text COLLATE "C" PRIMARY KEY,
    state jsonb NOT NULL DEFAULT '{}'
);

-- State shared by one user's sessions ("user:" keys, stored without the prefix).
CREATE TABLE user_states (
    app_name text COLLATE "C" NOT NULL,
    user_id text COLLATE "C" NOT NULL,
    state jsonb NOT NULL DEFAULT '{}',
    PRIMARY KEY (app_name, user_id)
);

-- last_seq numbers the session's events; appends take the row lock, so numbering
-- follows commit order and paging by seq never skips an event.
CREATE TABLE sessions (
    pk bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    app_name text COLLATE "C" NOT NULL,
    user_id text COLLATE "C" NOT NULL,
    id text COLLATE "C" NOT NULL,
    state jsonb NOT NULL DEFAULT '{}',
    last_seq bigint NOT NULL DEFAULT 0,
    create_time double precision NOT NULL,
    update_time double precision NOT NULL,
    UNIQUE (app_name, user_id, id)
);

-- payload is the event's JSON as text: jsonb would reject \u0000 in strings.
-- No foreign key to sessions: its check would cost a quarter of every append, and
-- every write takes the session row first (appends lock it, deletion removes the
-- session and its events in one statement), so no event can outlive its session.
CREATE TABLE events (
    session_pk bigint NOT NULL,
    seq bigint NOT NULL,
    event_id text COLLATE "C" NOT NULL,
    invocation_id text COLLATE "C" NOT NULL,
    ts double precision NOT NULL,
    payload text NOT NULL,
    PRIMARY KEY (session_pk, seq),
    UNIQUE (session_pk, event_id)
);

CREATE TABLE memories (
    app_name text COLLATE "C" NOT NULL,
    user_id text COLLATE "C" NOT NULL,
    id text COLLATE "C" NOT NULL,
    session_id text COLLATE "C",
    author text,
    ts double precision NOT NULL,
    text text NOT NULL,
    content text NOT NULL,
    custom_metadata jsonb NOT NULL DEFAULT '{}',
    PRIMARY KEY (app_name, user_id, id)
);
CREATE INDEX memories_simple_search ON memories USING gin (to_tsvector('simple', text));

-- scope is the session id, or '' for user-wide ("user:") artifacts.
CREATE TABLE artifacts (
    app_name text COLLATE "C" NOT NULL,
    user_id text COLLATE "C" NOT NULL,
    scope text COLLATE "C" NOT NULL,
    name text COLLATE "C" NOT NULL,
    version integer NOT NULL,
    kind text NOT NULL,
    mime_type text,
    custom_metadata jsonb NOT NULL DEFAULT '{}',
    create_time double precision NOT NULL,
    data bytea NOT NULL,
    PRIMARY KEY (app_name, user_id, scope, name, version)
);
