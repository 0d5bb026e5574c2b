-- PostgreSQL schema, version 4: refused requests record their transaction, as events do
-- (`events.tx`), so the live stream follows them in the order they settled rather than by id
-- (`query::db::Dialect::live_rows`): ids commit out of order across receivers, and a stream past
-- rejection 8 would never send a 7 committed after it. Rows kept from before get the transaction
-- that adds the column, which has ended once they can be read.
ALTER TABLE rejections ADD COLUMN tx xid8 NOT NULL DEFAULT pg_current_xact_id();
CREATE INDEX rejections_tx_id ON rejections (tx, id);
