-- Migration 5: a downstream may get the `Authorization` header Watson sent, unchanged. The header is
-- kept here, with the outbox row only (the events table keeps headers redacted), and cleared when
-- the row is delivered or given up.

ALTER TABLE outbox ADD COLUMN authorization TEXT;
