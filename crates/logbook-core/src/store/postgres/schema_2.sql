-- PostgreSQL schema, version 2: the derived tables, written by the projector
-- (`postgres/projection.rs`) from the stored bodies, and where projection stands. They mirror
-- SQLite's derived tables (`../derived.sql`) column for column: INTEGER is bigint, REAL is double
-- precision, SQLite's 0/1 flags are boolean. Never migrated: when the deriver changes
-- (`DERIVER_VERSION`), the projector empties them and derives every stored body again.
-- Not mirrored (yet): the Trends rollups (`rollup_*`), which the reading commands read on SQLite
-- only.

-- Where projection stands: one row. Every event whose (tx, id) is at or below (tx, event_id) is
-- projected, and no event can still appear there: the projector reads only rows whose transaction
-- ended before its snapshot began (`tx < pg_snapshot_xmin(pg_current_snapshot())`), in (tx, id)
-- order, and moves this position in the same transaction as the rows it wrote.
CREATE TABLE projection_state (
    only_row         boolean  PRIMARY KEY DEFAULT true CHECK (only_row),
    deriver_version  bigint   NOT NULL,     -- the DERIVER_VERSION that derived the rows
    tx               xid8     NOT NULL,
    event_id         bigint   NOT NULL,
    projected        bigint   NOT NULL,     -- events projected since the last rebuild
    projected_at     bigint                 -- when the last batch committed (ms)
);

-- The projector's reading order (supersedes version 1's index on tx alone).
CREATE INDEX events_tx_id ON events (tx, id);
DROP INDEX events_tx;

-- One row per message_logged event.
CREATE TABLE messages (
    event_id            bigint  PRIMARY KEY,
    log_id              text,
    session_id          text,
    context_session_id  text,                -- response.context.global.session_id
    assistant_id        text,
    skill_id            text,
    snapshot            text,
    language            text,
    user_id             text,
    customer_id         text,
    request_ts          text,
    request_at          bigint  NOT NULL,    -- ms; the arrival time when the payload has none (or 1970)
    response_ts         text,
    response_at         bigint,
    response_ms         bigint,              -- response_at - request_at, when the payload has both
    turn_count          bigint,
    input_kind          text,                -- text, dtmf, speech, search, start, ...
    user_text           text,
    stt_confidence      double precision,
    assistant_text      text,
    response_types      text,                -- space separated, in output order
    top_intent          text,
    top_confidence      double precision,
    channel             text,
    sip_call_id         text,
    cdr_custom_data     text                 -- JSON object as set on this turn
);
CREATE INDEX messages_log ON messages (log_id);
CREATE INDEX messages_session ON messages (session_id, request_at, turn_count);
CREATE INDEX messages_user ON messages (user_id, request_at);
CREATE INDEX messages_request ON messages (request_at, event_id);
CREATE INDEX messages_sip ON messages (sip_call_id) WHERE sip_call_id IS NOT NULL;

-- One row per session_id, recomputed from its messages whenever one of them is projected.
CREATE TABLE conversations (
    session_id       text    PRIMARY KEY,
    first_at         bigint,                 -- earliest request time (ms)
    last_at          bigint,                 -- latest request time (ms)
    turns            bigint  NOT NULL,
    user_id          text,
    assistant_id     text,
    channel          text,
    customer_id      text,
    first_text       text,                   -- the earliest non-empty user text
    first_text_at    bigint,
    first_event_id   bigint  NOT NULL,
    last_event_id    bigint  NOT NULL
);
CREATE INDEX conversations_last ON conversations (last_at, session_id);
CREATE INDEX conversations_user ON conversations (user_id, last_at);

CREATE TABLE message_intents (
    event_id    bigint  NOT NULL,
    intent      text    NOT NULL,
    confidence  double precision,
    title       text                        -- its action's title (actions skills), from the turn's debug
);
CREATE INDEX message_intents_event ON message_intents (event_id);
CREATE INDEX message_intents_intent ON message_intents (intent);
CREATE INDEX message_intents_titled ON message_intents (intent) WHERE title IS NOT NULL;

-- The actions a turn's debug output names (`turn_events[].source.action` and `action_title`).
CREATE TABLE message_actions (
    event_id    bigint  NOT NULL,
    action      text    NOT NULL,
    title       text
);
CREATE INDEX message_actions_event ON message_actions (event_id);
-- Titles are matched without regard to case, as SQLite's COLLATE NOCASE does.
CREATE INDEX message_actions_title ON message_actions (lower(title));

CREATE TABLE message_entities (
    event_id    bigint  NOT NULL,
    entity      text    NOT NULL,
    value       text,
    confidence  double precision
);
CREATE INDEX message_entities_event ON message_entities (event_id);
CREATE INDEX message_entities_entity ON message_entities (entity, value);

CREATE TABLE message_responses (
    event_id       bigint  NOT NULL,
    seq            bigint  NOT NULL,
    response_type  text    NOT NULL,
    PRIMARY KEY (event_id, seq)
);
CREATE INDEX message_responses_type ON message_responses (response_type);

-- One row per cdr_logged event.
CREATE TABLE calls (
    event_id             bigint   PRIMARY KEY,
    global_session_id    text,
    start_ts             text,
    start_at             bigint   NOT NULL,  -- ms; the arrival time when the payload has none (or 1970)
    stop_ts              text,
    duration_ms          bigint,
    outbound             boolean,
    end_reason_raw       text,
    end_reason           text,               -- normalised: callerHangup -> caller_hangup
    failure_occurred     boolean,
    failure_details      text,
    transfer_occurred    boolean,
    primary_phone_number text,
    from_uri             text,
    to_uri               text,
    caller               text,               -- the number (or user) part of from_uri
    callee               text,
    sip_call_id          text,
    trunk_call_id        text,
    invite_arrival_ts    text,
    setup_ms             bigint,
    max_assistant_ms     bigint,
    max_tts_ms           bigint,
    max_stt_ms           bigint,
    media_encrypted      boolean,
    signaling_encrypted  boolean,
    sip_authenticated    boolean,
    active_calls         bigint,
    turn_count           bigint   NOT NULL,
    warning_count        bigint   NOT NULL,
    rtp                  text                -- realtime_transport_network_summary as JSON
);
CREATE INDEX calls_session ON calls (global_session_id);
CREATE INDEX calls_start ON calls (start_at, event_id);
CREATE INDEX calls_sip ON calls (sip_call_id) WHERE sip_call_id IS NOT NULL;
CREATE INDEX calls_end_reason ON calls (end_reason);

CREATE TABLE call_turns (
    event_id        bigint  NOT NULL,
    seq             bigint  NOT NULL,        -- across all interaction summaries, from 0
    summary_index   bigint  NOT NULL,
    session_id      text,
    assistant_id    text,
    log_id          text,
    request_type    text,
    response_types  text,                    -- space separated
    start_ts        text,
    start_at        bigint,                  -- ms; NULL when missing or 1970-01-01T00:00:00Z
    assistant_ms    bigint,
    stt_ms          bigint,
    stt_confidence  double precision,
    echo_detected   boolean,
    tts_ms          bigint,                  -- the slowest TTS response of the turn
    barge_in        boolean,                 -- true when any response was barged in on
    PRIMARY KEY (event_id, seq)
);
CREATE INDEX call_turns_log ON call_turns (log_id);
CREATE INDEX call_turns_assistant ON call_turns (assistant_ms) WHERE assistant_ms > 0;

CREATE TABLE call_warnings (
    event_id  bigint  NOT NULL,
    seq       bigint  NOT NULL,
    code      text,
    message   text,
    PRIMARY KEY (event_id, seq)
);
CREATE INDEX call_warnings_code ON call_warnings (code);

CREATE TABLE call_custom_data (
    event_id  bigint  NOT NULL,
    key       text    NOT NULL,
    value     text    NOT NULL,              -- JSON text of the value
    PRIMARY KEY (event_id, key)
);
CREATE INDEX call_custom_data_key ON call_custom_data (key, value);

-- The full-text index: one row per event with text (`event_id` = events.id), contentless as on
-- SQLite (the text lives in the tables above). The three columns of SQLite's index are weights of
-- one vector: A the user's text, B the assistant's, C the rest (intents, entities, numbers,
-- warnings, custom data), so a query can still ask for one of them. Words are taken as they are
-- ('simple': lower-cased, no stemming, no stop words), as SQLite's unicode61 tokenizer does.
CREATE TABLE event_fts (
    event_id  bigint    PRIMARY KEY,
    document  tsvector  NOT NULL
);
CREATE INDEX event_fts_document ON event_fts USING gin (document);
