-- Migration 4: the durable outbox of forwarding. One row per (event, downstream), written in the
-- transaction that stores the event, so an acknowledged event is never lost to a downstream; the
-- forwarder delivers each downstream's rows in id order and records every attempt.

CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    event_id INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    -- The downstream, as configured (`URL`, or `PATH@URL` for one endpoint's events).
    target TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    -- 'pending', 'delivered' (a 2xx answer) or 'gave_up' (with gave_up_reason).
    state TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    -- When the next attempt is due (unix ms).
    next_at INTEGER NOT NULL,
    done_at INTEGER,
    gave_up_reason TEXT
);
CREATE INDEX outbox_pending ON outbox (target, id) WHERE state = 'pending';
CREATE INDEX outbox_event ON outbox (event_id);

-- Each attempt: what the downstream answered (its first 4 KiB), or why there was no answer.
CREATE TABLE delivery_attempts (
    id INTEGER PRIMARY KEY,
    outbox_id INTEGER NOT NULL REFERENCES outbox (id) ON DELETE CASCADE,
    at INTEGER NOT NULL,
    status INTEGER,
    error TEXT,
    response_body BLOB,
    latency_ms REAL NOT NULL
);
CREATE INDEX delivery_attempts_outbox ON delivery_attempts (outbox_id, id);
