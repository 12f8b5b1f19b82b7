//! Which subject a serializer registers under, and how it picks its schema.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::memo::Memo;
use crate::types::{Schema, SchemaIds};
use crate::wire::SchemaIdFormat;
use crate::{Client, Error, Result};

/// Confluent's subject name strategies.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SubjectNameStrategy {
    /// `<topic>-value` (or `-key`): the default.
    #[default]
    TopicName,
    /// The record's full name.
    RecordName,
    /// `<topic>-<record full name>`.
    TopicRecordName,
}

impl SubjectNameStrategy {
    /// The subject for `topic`, for keys or values, given the record's full name (when the
    /// format has one: Avro records, Protobuf messages; JSON Schema has none).
    pub fn subject(self, topic: &str, is_key: bool, record: Option<&str>) -> Result<String> {
        let record = || {
            record.ok_or_else(|| Error::Config("this strategy needs a named record type".into()))
        };
        Ok(match self {
            SubjectNameStrategy::TopicName => {
                format!("{topic}-{}", if is_key { "key" } else { "value" })
            }
            SubjectNameStrategy::RecordName => record()?.to_string(),
            SubjectNameStrategy::TopicRecordName => format!("{topic}-{}", record()?),
        })
    }
}

/// Which schema a serializer writes with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SchemaSelection {
    /// Its own schema, registered on first use (`auto.register.schemas=true`).
    AutoRegister,
    /// Its own schema, which must already be registered (looked up, never registered).
    LookUp,
    /// The subject's latest version (`use.latest.version=true`).
    Latest,
    /// The schema with this id (`use.schema.id`).
    Id(u32),
    /// The subject's newest version whose metadata holds every one of these properties
    /// (`use.latest.with.metadata`): how a producer pins a major version while newer ones are
    /// registered beside it.
    LatestWithMetadata(BTreeMap<String, String>),
}

/// How a serializer finds its subject and schema.
#[derive(Debug, Clone)]
pub struct SerializerConfig {
    pub strategy: SubjectNameStrategy,
    pub selection: SchemaSelection,
    /// Serialize keys (`-key` subjects) rather than values.
    pub is_key: bool,
    /// Register and look up with `normalize=true`.
    pub normalize: bool,
    /// Where each record names the schema: its id before the payload (the default), or its
    /// GUID before the payload or in a record header (Confluent 8.x).
    pub id_format: SchemaIdFormat,
}

impl Default for SerializerConfig {
    fn default() -> SerializerConfig {
        SerializerConfig {
            strategy: SubjectNameStrategy::TopicName,
            selection: SchemaSelection::AutoRegister,
            is_key: false,
            normalize: false,
            id_format: SchemaIdFormat::IdPrefix,
        }
    }
}

impl SerializerConfig {
    /// The ids and schema to write with for `subject`; `own` is the serializer's schema, if any.
    pub(crate) async fn writer_schema(
        &self,
        client: &Client,
        subject: &str,
        own: Option<&Schema>,
    ) -> Result<(SchemaIds, Schema)> {
        let own = || {
            own.ok_or_else(|| {
                Error::Config("this selection needs the serializer's own schema".into())
            })
        };
        let found = |v: &crate::RegisteredSchema| {
            let ids = SchemaIds {
                id: v.id,
                guid: v.guid,
            };
            (ids, v.to_schema())
        };
        Ok(match &self.selection {
            SchemaSelection::AutoRegister => {
                let registration = client
                    .register_full(subject, own()?, self.normalize)
                    .await?;
                let mut schema = own()?.clone();
                // The schema as registered carries the data contract in force (inherited, or
                // the subject's defaults and overrides), whose rules apply, as in Confluent's
                // serializers.
                if registration.schema.is_some() {
                    schema.metadata = registration.metadata.clone();
                    schema.rule_set = registration.rule_set.clone();
                }
                (registration.ids(), schema)
            }
            SchemaSelection::LookUp => {
                let registered = client.lookup(subject, own()?, self.normalize).await?;
                (found(&registered).0, own()?.clone())
            }
            SchemaSelection::Latest => found(&*client.latest(subject).await?),
            SchemaSelection::Id(id) => {
                let schema = client.schema_by_id(*id).await?.as_ref().clone();
                let guid = match self.id_format {
                    SchemaIdFormat::IdPrefix => None,
                    // The id's answer has no GUID: the subject's version of the schema has it,
                    // as Confluent's serializers find it.
                    _ => client.lookup(subject, &schema, self.normalize).await?.guid,
                };
                (SchemaIds { id: *id, guid }, schema)
            }
            SchemaSelection::LatestWithMetadata(properties) => {
                found(&*client.latest_with_metadata(subject, properties).await?)
            }
        })
    }

    /// A serializer's per-subject memo of what it writes with; "latest" ages out.
    pub(crate) fn memo<V: Send + Sync + 'static>(&self) -> Memo<String, V> {
        match self.selection {
            SchemaSelection::Latest | SchemaSelection::LatestWithMetadata(_) => {
                Memo::new(Some(Duration::from_secs(60)))
            }
            _ => Memo::new(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strategies_name_subjects_as_confluent_does() {
        let s = |strategy: SubjectNameStrategy, key| {
            strategy.subject("orders", key, Some("com.acme.Order"))
        };
        assert_eq!(
            s(SubjectNameStrategy::TopicName, false).unwrap(),
            "orders-value"
        );
        assert_eq!(
            s(SubjectNameStrategy::TopicName, true).unwrap(),
            "orders-key"
        );
        assert_eq!(
            s(SubjectNameStrategy::RecordName, false).unwrap(),
            "com.acme.Order"
        );
        assert_eq!(
            s(SubjectNameStrategy::TopicRecordName, false).unwrap(),
            "orders-com.acme.Order"
        );
        assert!(SubjectNameStrategy::RecordName
            .subject("t", false, None)
            .is_err());
    }
}
