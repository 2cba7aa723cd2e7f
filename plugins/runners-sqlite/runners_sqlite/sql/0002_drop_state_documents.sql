-- runners-sqlite schema v2, after the copy: the v1 state documents are gone.

DROP TABLE app_states;
DROP TABLE user_states;
ALTER TABLE sessions DROP COLUMN state;
