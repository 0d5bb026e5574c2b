-- Migration 3: pulls of conversation logs from Watson's v2 logs API (`logbook pull`), one row each.
-- A pull's cursor is saved in the transaction that stores the page it follows, so an interrupted
-- pull resumes after the last page it stored, and nothing is stored twice.
CREATE TABLE pulls (
    id                 INTEGER PRIMARY KEY,
    url                TEXT    NOT NULL,     -- the instance's service URL
    environment        TEXT    NOT NULL,     -- the API's assistant_id (the environment id in the new experience)
    filter             TEXT,                 -- the user's own filter, as given
    after              TEXT,                 -- request_timestamp lower bound (ISO, inclusive), if any
    before             TEXT,                 -- request_timestamp upper bound (ISO, exclusive), if any
    started_at         INTEGER NOT NULL,     -- ms
    updated_at         INTEGER NOT NULL,     -- ms
    finished_at        INTEGER,              -- ms; NULL while under way or interrupted
    cursor             TEXT,                 -- the next page's cursor; NULL before the first page
    pages              INTEGER NOT NULL DEFAULT 0,
    logs               INTEGER NOT NULL DEFAULT 0,
    stored             INTEGER NOT NULL DEFAULT 0,
    duplicates         INTEGER NOT NULL DEFAULT 0,
    newest_request_ts  TEXT,                 -- the latest request_timestamp pulled
    error              TEXT                  -- why it stopped, when it failed
);
CREATE INDEX pulls_target ON pulls (url, environment, id);
