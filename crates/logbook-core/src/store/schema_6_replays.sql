-- Migration 6: replays. Every replay a user sends (`logbook replay`, the UI's Replay) is kept with
-- what it sent and what the target answered; and an event that arrived as a replay (from this
-- Logbook or another) names the event it replays.

-- The event number the sender's `X-Logbook-Replay-Of` header named, when the request carried a
-- replay mark (`X-Logbook-Replay`); NULL for everything Watson delivered.
ALTER TABLE events ADD COLUMN replay_of INTEGER;

CREATE TABLE replays (
    id INTEGER PRIMARY KEY,
    event_id INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    -- The mark sent in `X-Logbook-Replay` (random, one per replay).
    token TEXT NOT NULL,
    -- The URL, exactly as the user gave it.
    target TEXT NOT NULL,
    -- How the request was signed: 'endpoint' (the event's endpoint's secret), 'file' (a secret
    -- file, whose path is kept, never its text) or 'none'.
    signing TEXT NOT NULL,
    secret_file TEXT,
    -- How the body was edited before sending (`--set` edits, the editor), NULL when it was not.
    edits TEXT,
    -- The body sent, when edited (otherwise it is the event's own body).
    body BLOB,
    at INTEGER NOT NULL,
    status INTEGER,
    error TEXT,
    -- JSON [[name, value], ...] of the answer, credentials redacted.
    response_headers TEXT NOT NULL,
    -- The answer's first 4 KiB.
    response_body BLOB,
    latency_ms REAL NOT NULL
);
CREATE INDEX replays_event ON replays (event_id, id);
