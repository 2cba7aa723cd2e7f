-- runners-postgres schema version 2: memory search matches English word forms.
-- Version 1 indexed to_tsvector('simple', text), so "running" did not find "runs".
-- The stored vector holds English stems and the exact words (so stop words and
-- other languages still match); adding it computes it for every existing row.

ALTER TABLE memories
    ADD COLUMN search tsvector
    GENERATED ALWAYS AS (to_tsvector('english', text) || to_tsvector('simple', text)) STORED;
CREATE INDEX memories_search ON memories USING gin (search);
DROP INDEX memories_simple_search;
