-- Schemata's state in PostgreSQL: the records the embedded log keeps (Confluent's `_schemas`
-- key/value shapes, see src/storage/record.rs), plus what makes schema ids unique across the
-- registry nodes sharing this database.

-- Every live record, one row per key: the registry's whole state is these rows folded in `seq`
-- order. A write replaces the row of its key and gives it a new `seq`, so the table is always
-- compacted and replaying it rebuilds the state exactly. A NULL `value` is a tombstone (a hard
-- delete); it is kept so that nodes catching up learn of the deletion.
CREATE SEQUENCE record_seq;

CREATE TABLE records (
    key   TEXT PRIMARY KEY,                              -- e.g. {"keytype":"SCHEMA","subject":"s","version":1,"magic":1}
    seq   BIGINT NOT NULL DEFAULT nextval('record_seq'), -- commit order (writes are serialised)
    value TEXT                                            -- the value JSON, NULL for a tombstone
);

-- Catch-up reads `WHERE seq > <last seen> ORDER BY seq`.
CREATE UNIQUE INDEX records_by_seq ON records (seq);

-- Global schema ids, one per schema identity (the MD5 of the canonical text and references),
-- drawn from a sequence. Two nodes registering the same new schema at the same moment meet on
-- the primary key and get the same id.
CREATE SEQUENCE schema_id_seq;

CREATE TABLE schema_ids (
    identity BYTEA PRIMARY KEY,
    id       INTEGER NOT NULL UNIQUE
);
