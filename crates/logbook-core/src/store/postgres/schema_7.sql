-- PostgreSQL schema, version 7: two indexes no query reads, found by the SQLite index review of
-- issue "Durable first, derive after" (`EXPLAIN QUERY PLAN` of every statement the test suites run
-- through the query seam). Both stores read the same queries, so neither index is read here
-- either; each cost the projector a write per message. Conversations are never looked up by user
-- (a `user:` search reads `messages_user`), and a message's call is found from the call's side
-- (`calls_sip`).
DROP INDEX IF EXISTS conversations_user;
DROP INDEX IF EXISTS messages_sip;
