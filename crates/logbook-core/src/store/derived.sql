-- The derived tables: everything Logbook reads out of the stored bodies, made by the projector
-- (`projection.rs`) in a database file of their own beside the event log (`<db>-derived`), and
-- rebuilt from the bodies whenever the deriver's version changes. Never migrated: a change here
-- bumps `DERIVER_VERSION`, which drops these tables and derives them again from the bodies. An `event_id` is an
-- `events.id` of the event log; retention takes derived rows out with their events
-- (`retention::apply_doomed`), since a foreign key cannot reach into another file.

-- Where projection stands: `projected_through`, `deriver_version`, `rebuild_through`,
-- `retention_through` (the last `retention_log.seq` applied) and `store_id` (the event log this
-- file was derived from). Written in the same transaction as the rows they describe.
CREATE TABLE IF NOT EXISTS projection_state (
    name   TEXT PRIMARY KEY,
    value  INTEGER NOT NULL
);

-- The tables below are dropped first, by `projection::DERIVED_TABLES` (a test keeps that list and
-- this file the same).
DELETE FROM main.projection_state;

-- One row per message_logged event.
CREATE TABLE messages (
    event_id            INTEGER PRIMARY KEY,
    log_id              TEXT,
    session_id          TEXT,
    context_session_id  TEXT,                -- response.context.global.session_id
    assistant_id        TEXT,
    skill_id            TEXT,
    snapshot            TEXT,
    language            TEXT,
    user_id             TEXT,
    customer_id         TEXT,
    request_ts          TEXT,
    request_at          INTEGER NOT NULL,    -- ms; the arrival time when the payload has none (or 1970)
    response_ts         TEXT,
    response_at         INTEGER,
    response_ms         INTEGER,             -- response_at - request_at, when the payload has both
    turn_count          INTEGER,
    input_kind          TEXT,                -- text, dtmf, speech, search, start, ...
    user_text           TEXT,
    stt_confidence      REAL,
    assistant_text      TEXT,
    response_types      TEXT,                -- space separated, in output order
    top_intent          TEXT,
    top_confidence      REAL,
    channel             TEXT,
    sip_call_id         TEXT,
    cdr_custom_data     TEXT                 -- JSON object as set on this turn
);
CREATE INDEX messages_log ON messages (log_id);
CREATE INDEX messages_session ON messages (session_id, request_at, turn_count);
CREATE INDEX messages_user ON messages (user_id, request_at);
CREATE INDEX messages_request ON messages (request_at, event_id);

-- One row per session_id, recomputed from its messages whenever one of them is projected or deleted.
CREATE TABLE conversations (
    session_id       TEXT PRIMARY KEY,
    first_at         INTEGER,                -- earliest request time (ms)
    last_at          INTEGER,                -- latest request time (ms)
    turns            INTEGER NOT NULL,
    user_id          TEXT,
    assistant_id     TEXT,
    channel          TEXT,
    customer_id      TEXT,
    first_text       TEXT,                   -- the earliest non-empty user text
    first_text_at    INTEGER,
    first_event_id   INTEGER NOT NULL,
    last_event_id    INTEGER NOT NULL
);
CREATE INDEX conversations_last ON conversations (last_at, session_id);

CREATE TABLE message_intents (
    event_id    INTEGER NOT NULL,
    intent      TEXT    NOT NULL,
    confidence  REAL,
    title       TEXT                        -- its action's title (actions skills), from the turn's debug
);
CREATE INDEX message_intents_event ON message_intents (event_id);
CREATE INDEX message_intents_intent ON message_intents (intent);
-- An intent's action title, for Trends' top intents (most intents' rows have none).
CREATE INDEX message_intents_titled ON message_intents (intent) WHERE title IS NOT NULL;

-- The actions a turn's debug output names (`turn_events[].source.action` and `action_title`).
CREATE TABLE message_actions (
    event_id    INTEGER NOT NULL,
    action      TEXT    NOT NULL,
    title       TEXT
);
CREATE INDEX message_actions_event ON message_actions (event_id);
CREATE INDEX message_actions_title ON message_actions (title COLLATE NOCASE);

CREATE TABLE message_entities (
    event_id    INTEGER NOT NULL,
    entity      TEXT    NOT NULL,
    value       TEXT,
    confidence  REAL
);
CREATE INDEX message_entities_event ON message_entities (event_id);
CREATE INDEX message_entities_entity ON message_entities (entity, value);

CREATE TABLE message_responses (
    event_id       INTEGER NOT NULL,
    seq            INTEGER NOT NULL,
    response_type  TEXT    NOT NULL,
    PRIMARY KEY (event_id, seq)
) WITHOUT ROWID;
CREATE INDEX message_responses_type ON message_responses (response_type);

-- One row per cdr_logged event.
CREATE TABLE calls (
    event_id             INTEGER PRIMARY KEY,
    global_session_id    TEXT,
    start_ts             TEXT,
    start_at             INTEGER NOT NULL,   -- ms; the arrival time when the payload has none (or 1970)
    stop_ts              TEXT,
    duration_ms          INTEGER,
    outbound             INTEGER,
    end_reason_raw       TEXT,
    end_reason           TEXT,               -- normalised: callerHangup -> caller_hangup
    failure_occurred     INTEGER,
    failure_details      TEXT,
    transfer_occurred    INTEGER,
    primary_phone_number TEXT,
    from_uri             TEXT,
    to_uri               TEXT,
    caller               TEXT,               -- the number (or user) part of from_uri
    callee               TEXT,
    sip_call_id          TEXT,
    trunk_call_id        TEXT,
    invite_arrival_ts    TEXT,
    setup_ms             INTEGER,
    max_assistant_ms     INTEGER,
    max_tts_ms           INTEGER,
    max_stt_ms           INTEGER,
    media_encrypted      INTEGER,
    signaling_encrypted  INTEGER,
    sip_authenticated    INTEGER,
    active_calls         INTEGER,
    turn_count           INTEGER NOT NULL,
    warning_count        INTEGER NOT NULL,
    rtp                  TEXT                -- realtime_transport_network_summary as JSON
);
CREATE INDEX calls_session ON calls (global_session_id);
CREATE INDEX calls_start ON calls (start_at, event_id);
CREATE INDEX calls_sip ON calls (sip_call_id) WHERE sip_call_id IS NOT NULL;
CREATE INDEX calls_end_reason ON calls (end_reason);

CREATE TABLE call_turns (
    event_id        INTEGER NOT NULL,
    seq             INTEGER NOT NULL,        -- across all interaction summaries, from 0
    summary_index   INTEGER NOT NULL,
    session_id      TEXT,
    assistant_id    TEXT,
    log_id          TEXT,
    request_type    TEXT,
    response_types  TEXT,                    -- space separated
    start_ts        TEXT,
    start_at        INTEGER,                 -- ms; NULL when missing or 1970-01-01T00:00:00Z
    assistant_ms    INTEGER,
    stt_ms          INTEGER,
    stt_confidence  REAL,
    echo_detected   INTEGER,
    tts_ms          INTEGER,                 -- the slowest TTS response of the turn
    barge_in        INTEGER,                 -- 1 when any response was barged in on
    PRIMARY KEY (event_id, seq)
) WITHOUT ROWID;
CREATE INDEX call_turns_log ON call_turns (log_id);
-- The slowest turns of a range: read from the top down to the range's 50th slowest (`trends.rs`).
CREATE INDEX call_turns_assistant ON call_turns (assistant_ms) WHERE assistant_ms > 0;

CREATE TABLE call_warnings (
    event_id  INTEGER NOT NULL,
    seq       INTEGER NOT NULL,
    code      TEXT,
    message   TEXT,
    PRIMARY KEY (event_id, seq)
) WITHOUT ROWID;
CREATE INDEX call_warnings_code ON call_warnings (code);

CREATE TABLE call_custom_data (
    event_id  INTEGER NOT NULL,
    key       TEXT    NOT NULL,
    value     TEXT    NOT NULL,              -- JSON text of the value
    PRIMARY KEY (event_id, key)
) WITHOUT ROWID;
CREATE INDEX call_custom_data_key ON call_custom_data (key, value);

-- Full-text index; rowid = events.id. Contentless: the text lives in the tables above.
CREATE VIRTUAL TABLE event_fts USING fts5 (
    user_text, assistant_text, meta,
    content = '', contentless_delete = 1, tokenize = 'unicode61 remove_diacritics 2'
);

-- Rollups (`rollup.rs`): the Trends figures of each UTC hour (`hour`: its start, ms) and endpoint,
-- the sum of the facts of its events, kept exact by the projector (adds) and retention (subtracts).
-- A call counts in the hour of calls.start_at, a message in that of messages.request_at.

-- How many, by what is counted (`rollup::Count`) and value; `given` 0: no value (`value` '').
CREATE TABLE rollup_counts (
    hour      INTEGER NOT NULL,
    endpoint  TEXT    NOT NULL,
    count     INTEGER NOT NULL,
    given     INTEGER NOT NULL,
    value     TEXT    NOT NULL,
    n         INTEGER NOT NULL,
    PRIMARY KEY (hour, endpoint, count, given, value)
) WITHOUT ROWID;
CREATE INDEX rollup_counts_value ON rollup_counts (count, given, value, hour);

-- Exact histograms (value -> how many) of what is measured (`rollup::Measure`), by key (an intent
-- for its confidences, else ''): varint-encoded pairs (`rollup::encode`). Keyed as they are read:
-- one measure and key over a range of hours.
CREATE TABLE rollup_values (
    measure    INTEGER NOT NULL,
    key        TEXT    NOT NULL,
    hour       INTEGER NOT NULL,
    endpoint   TEXT    NOT NULL,
    histogram  BLOB    NOT NULL,
    PRIMARY KEY (measure, key, hour, endpoint)
) WITHOUT ROWID;

-- A number for each session id with a message in the store (`rollup::SessionNumbers`), so that the
-- hours' sessions are kept and read as small numbers.
CREATE TABLE rollup_session_ids (
    id          INTEGER PRIMARY KEY,
    session_id  TEXT    NOT NULL UNIQUE
);

-- Messages per session in each hour (conversations per bucket and turns per conversation): one
-- histogram of session number -> messages per hour and endpoint, encoded as `rollup_values`'.
CREATE TABLE rollup_sessions (
    hour      INTEGER NOT NULL,
    endpoint  TEXT    NOT NULL,
    sessions  BLOB    NOT NULL,
    PRIMARY KEY (hour, endpoint)
) WITHOUT ROWID;
