-- Derived data moves to a database file of its own (`derived.sql`, `<db>-derived`), so that
-- projecting never holds the event log's write lock or adds to the sync an acknowledgement waits
-- for. What was derived here is dropped after the migrations (`projection::drop_from_log`): the
-- projector derives it again from the bodies.
DELETE FROM counters WHERE name IN ('projected_through', 'deriver_version', 'rebuild_through');

-- Which event log this is: a derived file made from another (a database deleted and made again
-- beside an old derived file) is derived again.
INSERT OR IGNORE INTO counters (name, value) VALUES ('store_id', abs(random()));

-- Events retention deleted, with what the projector needs to take their derived rows and rollup
-- figures out after them (`retention::apply_log`). The projector records the last `seq` it applied
-- in the derived file; the writer deletes what it applied. AUTOINCREMENT: a `seq` is never given
-- twice, even after every row was deleted.
CREATE TABLE retention_log (
    seq       INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id  INTEGER NOT NULL,
    endpoint  TEXT    NOT NULL
);
