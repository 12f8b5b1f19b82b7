-- Data contracts: a SCHEMA record's value may now carry `metadata` and `ruleSet`, and a CONFIG
-- record's value `compatibilityGroup`, `validateFields`, `validateRules`, `defaultMetadata`,
-- `overrideMetadata`, `defaultRuleSet` and `overrideRuleSet` (Confluent's field names, see
-- src/storage/record.rs). They live in the value JSON like every other field, so no column
-- changes. This migration exists so that a node of an earlier version, which would read those
-- fields as unknown and drop them when it rewrites a record (a soft delete rewrites the value),
-- refuses to start on this database: sqlx stops at an applied migration it does not know.
COMMENT ON TABLE records IS 'Every live record (Confluent _schemas key/value JSON); values may carry data contracts (metadata, ruleSet) since migration 0003';
