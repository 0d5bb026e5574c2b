-- PostgreSQL schema, version 5: the Trends rollups (`../rollup.rs`), as SQLite keeps them
-- (`../derived.sql`): the figures of each UTC hour (`hour`: its start, ms) and endpoint, the sum
-- of the facts of its events. Derived tables like those of version 2: the projector adds each
-- batch's figures in the batch's transaction, counts the hours of a month retention dropped again
-- from the rows left, and empties them with the others when the deriver changes.
--
-- A store projected before this version has no figures for the events it projected: its
-- projection position is removed, so the projector empties every derived table and derives every
-- stored event again, rollups included (as `logbook reindex` does on SQLite).

-- How many, by what is counted (`rollup::Count`) and value; `given` false: no value (`value` '').
CREATE TABLE rollup_counts (
    hour      bigint   NOT NULL,
    endpoint  text     NOT NULL,
    count     bigint   NOT NULL,
    given     boolean  NOT NULL,
    value     text     NOT NULL,
    n         bigint   NOT NULL,
    PRIMARY KEY (hour, endpoint, count, given, value)
);
-- Whether a warning code was seen before a time (`rollup::warning_seen_before`).
CREATE INDEX rollup_counts_value ON rollup_counts (count, given, value, hour);

-- Exact histograms (value -> how many) of what is measured (`rollup::Measure`), by key (an intent
-- for its confidences, else ''): varint-encoded pairs (`rollup::encode`).
CREATE TABLE rollup_values (
    measure    bigint  NOT NULL,
    key        text    NOT NULL,
    hour       bigint  NOT NULL,
    endpoint   text    NOT NULL,
    histogram  bytea   NOT NULL,
    PRIMARY KEY (measure, key, hour, endpoint)
);

-- A number for each session id with a message in the store (`rollup::SessionNumbers`).
CREATE TABLE rollup_session_ids (
    id          bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    session_id  text    NOT NULL UNIQUE
);

-- Messages per session in each hour: session number -> messages, encoded as `rollup_values`'.
CREATE TABLE rollup_sessions (
    hour      bigint  NOT NULL,
    endpoint  text    NOT NULL,
    sessions  bytea   NOT NULL,
    PRIMARY KEY (hour, endpoint)
);

DELETE FROM projection_state;
