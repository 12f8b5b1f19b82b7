-- Contexts (issue 17): a subject named `:.ctx:name` is the subject `name` of context `.ctx`, and
-- each context numbers its schemas on its own, as Confluent does: the same schema has an id in
-- each context it is registered in, and id 1 may mean different schemas in two contexts. The
-- records keep the qualified names and each context's ids as they are (Confluent's `_schemas`
-- shapes, plus a CONTEXT record per context); no column changes.
--
-- The default context's ids stay on `schema_id_seq`. Every other context's highest id handed
-- out is kept here, moved past by each commit as `schema_id_seq` is, so that an id is never
-- given twice in a context, even after the schema that held it was deleted for good. Ids are
-- handed out under the write lock from the caught-up state (src/storage/postgres/), which makes
-- them unique per (context, identity) across the nodes.
CREATE TABLE context_ids (
    context TEXT PRIMARY KEY,    -- e.g. '.staging'
    last_id INTEGER NOT NULL
);

-- Nodes of earlier versions read `:.ctx:name` as a plain subject of the default context,
-- numbered in its ids; this migration stops them from starting on this database (sqlx refuses
-- an applied migration it does not know).
COMMENT ON TABLE context_ids IS 'The highest schema id handed out in each context other than the default one (whose ids are schema_id_seq)';
