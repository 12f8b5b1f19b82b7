-- Schema ids are handed out by the node holding the write lock, from its caught-up state and
-- past `schema_id_seq`, which every commit moves past the ids it used (src/storage/postgres/).
-- `schema_ids` is no longer written or read; it stays for nodes of earlier versions during a
-- rolling upgrade, and says so.
COMMENT ON TABLE schema_ids IS 'Unused since ids are handed out under the write lock; kept for earlier versions during a rolling upgrade';
