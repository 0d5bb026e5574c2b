-- PostgreSQL schema, version 1: the event log and the refused requests (the acknowledgement path).
-- Applied once, at open, in one transaction under an advisory lock (see `postgres/mod.rs`). A shipped
-- version is never edited; a change is a new file and a new entry in `SCHEMA`. Times are Unix
-- milliseconds, UTC, as in the SQLite store (`../schema.sql`), whose columns these mirror.

-- Event numbers. Given by `nextval` in the receiving transaction, so numbers can commit out of order
-- across receivers (see `events.tx`).
CREATE SEQUENCE events_id_seq AS bigint;

-- Every accepted request, exactly as it arrived (headers redacted), partitioned by month of arrival:
-- retention drops whole partitions. Partitions are created ahead by the receivers
-- (`partition_for`). A unique index on a partitioned table must contain the partition key, so the
-- dedup key's uniqueness lives in `event_keys` instead, written in the same transaction.
CREATE TABLE events (
    id           bigint   NOT NULL,
    received_at  bigint   NOT NULL,
    endpoint     text     NOT NULL,
    path         text     NOT NULL,
    remote_addr  text,
    kind         text     NOT NULL,           -- event.name: message_logged, cdr_logged, or whatever came
    auth         text     NOT NULL,           -- how it was checked: jwt, header, none, import
    verified     boolean  NOT NULL,           -- a signature or header value was checked and matched
    jwt_header   text,                        -- decoded JWT header (JSON), when there was a token
    jwt_claims   text,                        -- decoded JWT claims (JSON)
    headers      text     NOT NULL,           -- JSON [[name, value], ...], Authorization redacted
    body         bytea    NOT NULL,           -- the exact bytes received
    dedup_key    text     NOT NULL,           -- message: log_id; call: global_session_id + start time
    replay_of    bigint,                      -- the event number a replay's X-Logbook-Replay-Of named
    -- The transaction that stored the row. Ids are taken before commit, so id 7 can become visible
    -- after id 8: a projector keeping "everything up to id N" would skip 7 for good. The projector
    -- (not built yet) will read only rows whose `tx` is below `pg_snapshot_xmin(pg_current_snapshot())`
    -- (every transaction below it has ended: no row can still appear there) and keep that xmin as
    -- its watermark, instead of an id.
    tx           xid8     NOT NULL DEFAULT pg_current_xact_id(),
    PRIMARY KEY (received_at, id)
) PARTITION BY RANGE (received_at);
CREATE INDEX events_id ON events (id);
CREATE INDEX events_kind ON events (kind, received_at, id);
CREATE INDEX events_endpoint ON events (endpoint, received_at, id);
CREATE INDEX events_tx ON events (tx);

-- One row per stored event: the unique dedup key across every receiver and every partition. A second
-- delivery meets this row (`INSERT … ON CONFLICT DO NOTHING`), is counted here and answered with the
-- first delivery's id. Retention deletes the keys of the partitions it drops.
CREATE TABLE event_keys (
    dedup_key    text    PRIMARY KEY,
    event_id     bigint  NOT NULL,
    received_at  bigint  NOT NULL,            -- locates the event's partition
    duplicates   bigint  NOT NULL DEFAULT 0   -- later deliveries, answered 200, not stored
);

-- Requests that were refused (400, 401, 403, 404, 408, 413), capped as in the SQLite store, the newest
-- N of each class kept.
CREATE SEQUENCE rejections_id_seq AS bigint;
CREATE TABLE rejections (
    id           bigint   PRIMARY KEY DEFAULT nextval('rejections_id_seq'),
    received_at  bigint   NOT NULL,
    endpoint     text,
    path         text     NOT NULL,
    method       text     NOT NULL,
    remote_addr  text,
    status       integer  NOT NULL,
    reason       text     NOT NULL,
    headers      text     NOT NULL,
    jwt_header   text,
    jwt_claims   text,
    body         bytea    NOT NULL,           -- as much of the body as was read, capped
    body_bytes   bigint,                      -- the length declared or read, which may exceed what is kept
    class        text     NOT NULL            -- jwt (it carried a token) or other: each class kept apart
);
CREATE INDEX rejections_class ON rejections (class, id);
CREATE INDEX rejections_received ON rejections (received_at, id);
