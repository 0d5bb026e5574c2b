-- Migration 3: `calls.end_reason` is re-normalised from `end_reason_raw` (kept as it was) with the
-- one name normaliser that ingest and the query language now share (watson/names.rs): before it,
-- ingest stored `SIPTimeout` as `s_i_p_timeout` while `end_reason:SIPTimeout` looked for
-- `sip_timeout`. SQL cannot call the normaliser, so the migration's hook
-- (`renormalise_end_reasons` in store/mod.rs) does the work: one pass over `calls`, and an UPDATE
-- by primary key for each row whose stored value differs.
SELECT 1;
