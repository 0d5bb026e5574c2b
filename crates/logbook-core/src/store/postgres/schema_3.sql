-- PostgreSQL schema, version 3: the month partitions of `events` are made and dropped by functions
-- that run with the rights of the schema's owner (SECURITY DEFINER), so a receiver's role needs no
-- right to create or drop tables, nor to read the events it drops (see `logbook team roles`). The
-- functions are the one place that knows a partition's name and bounds from a time.

-- What retention dropped, a row per month: what a projector reads to take the derived rows of those
-- events out (their ids are in [first_id, last_id], their arrival in [from_ms, to_ms)).
CREATE TABLE retention_log (
    seq          bigint       GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    partition    text         NOT NULL,
    from_ms      bigint       NOT NULL,
    to_ms        bigint       NOT NULL,
    events       bigint       NOT NULL,
    first_id     bigint,
    last_id      bigint,
    dropped_at   timestamptz  NOT NULL DEFAULT now()
);

-- How far the projector has taken the derived rows of dropped months out: the last `retention_log.seq`
-- applied, moved in the projector's transaction that deletes them (`postgres/projection.rs`).
ALTER TABLE projection_state ADD COLUMN retention_through bigint NOT NULL DEFAULT 0;

-- Makes sure the partition of the UTC month holding `at_ms` and the next month's exist (one caller at
-- a time), and returns the first month's bounds, [from_ms, to_ms) in Unix milliseconds. Outside the
-- years 1970 to 9999 it makes nothing and returns nulls: the insert then fails, "no partition".
CREATE FUNCTION logbook_month_partition(at_ms bigint, OUT from_ms bigint, OUT to_ms bigint)
LANGUAGE plpgsql SECURITY DEFINER AS $fn$
DECLARE
    first_month timestamp;
    each_month timestamp;
BEGIN
    IF at_ms IS NULL OR at_ms < 0 OR at_ms >= 253402300800000 THEN
        RETURN;
    END IF;
    -- Concurrent CREATE TABLE IF NOT EXISTS of one name can fail: one process at a time.
    PERFORM pg_advisory_xact_lock(7813577550985128708); -- "logbook" 4: `PARTITION_LOCK`
    -- Whole seconds (month boundaries are whole seconds), in UTC.
    first_month := date_trunc('month', to_timestamp(at_ms / 1000) AT TIME ZONE 'UTC');
    FOR i IN 0..1 LOOP
        each_month := first_month + make_interval(months => i);
        -- The name and bounds are made here from a time, never from text.
        EXECUTE format(
            'CREATE TABLE IF NOT EXISTS %I PARTITION OF events FOR VALUES FROM (%s) TO (%s)',
            'events_' || to_char(each_month, 'YYYY_MM'),
            extract(epoch FROM each_month)::bigint * 1000,
            extract(epoch FROM each_month + interval '1 month')::bigint * 1000);
    END LOOP;
    from_ms := extract(epoch FROM first_month)::bigint * 1000;
    to_ms := extract(epoch FROM first_month + interval '1 month')::bigint * 1000;
END
$fn$;

-- Retention: drops the oldest month partition of `events` when its whole month ended at or before
-- `cutoff_ms`, with the dedup keys of its events (in the caller's transaction, so both or neither),
-- and logs it in `retention_log`; returns the partition's name and how many events went
-- (`dropped`, `dropped_events`), or nulls when no month is past the cut-off. A cut-off in the
-- future is refused: this drops only what is older than some age. Called until it returns nulls.
CREATE FUNCTION logbook_drop_expired_month(cutoff_ms bigint, OUT dropped text, OUT dropped_events bigint)
LANGUAGE plpgsql SECURITY DEFINER AS $fn$
DECLARE
    month_start timestamp;
    month_from bigint;
    month_to bigint;
    ids record;
BEGIN
    IF cutoff_ms IS NULL OR cutoff_ms > extract(epoch FROM clock_timestamp())::bigint * 1000 THEN
        RAISE EXCEPTION 'a retention cut-off must be in the past';
    END IF;
    SELECT c.relname INTO dropped
    FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = 'events'::regclass AND c.relname ~ '^events_[0-9]{4}_[0-9]{2}$'
    ORDER BY c.relname
    LIMIT 1;
    IF dropped IS NULL THEN
        RETURN;
    END IF;
    month_start := to_date(substr(dropped, 8), 'YYYY_MM')::timestamp;
    month_from := extract(epoch FROM month_start)::bigint * 1000;
    month_to := extract(epoch FROM month_start + interval '1 month')::bigint * 1000;
    IF month_to > cutoff_ms THEN
        -- The oldest month is not wholly past the cut-off: none is.
        dropped := NULL;
        RETURN;
    END IF;
    EXECUTE format('SELECT count(*) AS n, min(id) AS lo, max(id) AS hi FROM %I', dropped)
        INTO ids;
    -- Through the partition's rows, each key found by its primary key: no scan of every key.
    EXECUTE format(
        'DELETE FROM event_keys k USING %I e WHERE k.dedup_key = e.dedup_key AND k.event_id = e.id',
        dropped);
    INSERT INTO retention_log (partition, from_ms, to_ms, events, first_id, last_id)
        VALUES (dropped, month_from, month_to, ids.n, ids.lo, ids.hi);
    EXECUTE format('DROP TABLE %I', dropped);
    dropped_events := ids.n;
END
$fn$;

-- Each function finds (and makes) the tables in this schema only, never in one a caller put first in its
-- search_path (pg_temp last: a caller's temporary table cannot stand in for `events`). Nobody may
-- call them but the owner until `logbook team roles` grants it to a receiver's role.
DO $do$
BEGIN
    EXECUTE format('ALTER FUNCTION logbook_month_partition(bigint) SET search_path = %I, pg_catalog, pg_temp',
        current_schema());
    EXECUTE format('ALTER FUNCTION logbook_drop_expired_month(bigint) SET search_path = %I, pg_catalog, pg_temp',
        current_schema());
END
$do$;
REVOKE ALL ON FUNCTION logbook_month_partition(bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION logbook_drop_expired_month(bigint) FROM PUBLIC;
