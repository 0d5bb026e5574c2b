-- PostgreSQL schema, version 6: what the index review at 200,000 and 1,000,000 generated events
-- found (`EXPLAIN (ANALYZE, BUFFERS)` of every list, search, facet, detail and Trends query; README,
-- Team mode).
--
-- `channel:` compares the folded channel name (`query::parse::CHANNEL_KEY_SQL`), an expression
-- PostgreSQL kept no statistics of: it guessed that 0.5 % of messages match `channel:phone` where a
-- third do, and `logbook search --in conversations 'channel:phone turns>=4'` hashed every message
-- (277 ms) instead of walking `conversations_last` newest first and looking each conversation's
-- messages up by `messages_session` (10 ms). Statistics on the expression, not an index: nothing more
-- to write per message, and ANALYZE (autovacuum's) keeps them. Expression statistics came with
-- PostgreSQL 14; an older server keeps the old plan.
DO $do$
BEGIN
    IF current_setting('server_version_num')::integer >= 140000 THEN
        EXECUTE $sql$
            CREATE STATISTICS messages_channel_key
            ON (replace(replace(replace(replace(lower(channel), ' ', ''), '_', ''), '-', ''), E'\t', ''))
            FROM messages
        $sql$;
    END IF;
END
$do$;

-- A free-text word no event has (or almost none) was looked for by walking `event_fts` newest first
-- and testing every row's vector, since PostgreSQL's default statistics (100) keep too few words to
-- tell a rare word from a common one: `logbook search invoice` read all 1,000,000 rows (976 ms, half
-- the query deadline). With ten times as many words kept, a rare word is looked up in the GIN index
-- `event_fts_document` (16 ms) and a common one still walks newest first until a page is full.
-- ANALYZE of the table takes longer (3 s at 1,000,000 events).
ALTER TABLE event_fts ALTER COLUMN document SET STATISTICS 1000;
