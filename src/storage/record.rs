//! The records every store persists: the key and value shapes of Confluent's `_schemas` topic.
//!
//! | record         | key                                                         | value                          |
//! |----------------|-------------------------------------------------------------|--------------------------------|
//! | SCHEMA         | `{"keytype":"SCHEMA","subject":s,"version":v,"magic":1}`    | [`SchemaValue`], or none (hard delete) |
//! | CONFIG         | `{"keytype":"CONFIG","subject":s or null,"magic":0}`        | [`ConfigValue`], or none       |
//! | MODE           | `{"keytype":"MODE","subject":s or null,"magic":0}`          | [`ModeValue`], or none         |
//! | DELETE_SUBJECT | `{"keytype":"DELETE_SUBJECT","subject":s,"magic":0}`        | `{"subject","version"}`        |
//! | CLEAR_SUBJECT  | `{"keytype":"CLEAR_SUBJECT","subject":s,"magic":0}`         | `{"subject"}`                  |
//! | EXPORTER       | `{"keytype":"EXPORTER","name":n,"magic":0}`                 | the exporter (JSON), or none   |
//! | CONTEXT        | `{"keytype":"CONTEXT","tenant":"default","context":c,"magic":0}` | `{"tenant","context"}`, or none |
//!
//! A subject of a context other than the default one is stored under its qualified name
//! (`:.ctx:name`), with the id it has in its context, and its context has a CONTEXT record
//! (written with the context's first registration), as Confluent writes them.
//!
//! EXPORTER is Schemata's own keytype (Confluent keeps exporters in another topic): keeping
//! them with the records makes them durable, shared by PostgreSQL nodes and carried by dumps.
//!
//! Keys are compact JSON with Confluent's field order, byte for byte: compaction keeps the last
//! value per key *bytes*, so a key must have exactly one encoding. A dump of a Confluent registry's
//! topic reads as it is; unknown keytypes (NOOP, ASSOC, ...) are skipped.

use std::fmt;
use std::str::FromStr;

use compat::{CompatibilityLevel, Metadata, Policy, Reference, RuleSet};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// One state change.
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    /// A subject version: registered, soft-deleted (`deleted: true`) or hard-deleted (`None`).
    Schema {
        subject: String,
        version: i32,
        value: Option<SchemaValue>,
    },
    /// A compatibility config, global when `subject` is `None`; `None` value deletes it.
    Config {
        subject: Option<String>,
        value: Option<ConfigValue>,
    },
    /// A mode, global when `subject` is `None`; `None` value deletes it.
    Mode {
        subject: Option<String>,
        value: Option<ModeValue>,
    },
    /// Soft-deletes every version of `subject` up to and including `version`.
    DeleteSubject { subject: String, version: i32 },
    /// Drops every soft-deleted version of `subject` (written when entering IMPORT mode).
    ClearSubject { subject: String },
    /// A schema exporter's definition and durable state, read by the registry; `None` deletes it.
    Exporter {
        name: String,
        value: Option<serde_json::Value>,
    },
    /// A context (`.staging`) exists; `false` deletes it. Always of Confluent's default tenant.
    Context { context: String, exists: bool },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SchemaValue {
    pub subject: String,
    pub version: i32,
    pub id: u32,
    #[serde(rename = "schemaType", default = "avro")]
    pub schema_type: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<Reference>,
    pub schema: String,
    /// The version's data contract, as Confluent's record keeps it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Metadata>,
    #[serde(rename = "ruleSet", default, skip_serializing_if = "Option::is_none")]
    pub rule_set: Option<RuleSet>,
    #[serde(default)]
    pub deleted: bool,
    /// Milliseconds since the epoch of the write (not in Confluent's record; ignored by it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ts: Option<i64>,
}

fn avro() -> String {
    "AVRO".to_string()
}

/// A stored compatibility config, with Confluent's field names. Values are typed as they are
/// read, so a stored value that means nothing fails the replay, with the record's place named,
/// instead of silently becoming the default.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfigValue {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alias: Option<String>,
    #[serde(
        rename = "compatibilityLevel",
        default,
        skip_serializing_if = "Option::is_none",
        with = "optional_name"
    )]
    pub compatibility_level: Option<CompatibilityLevel>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub normalize: Option<bool>,
    #[serde(
        rename = "compatibilityPolicy",
        default,
        skip_serializing_if = "Option::is_none",
        with = "optional_name"
    )]
    pub compatibility_policy: Option<Policy>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validate_fields: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validate_rules: Option<bool>,
    /// The metadata property whose value splits a subject's history for compatibility checks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compatibility_group: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_metadata: Option<Metadata>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub override_metadata: Option<Metadata>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_rule_set: Option<RuleSet>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub override_rule_set: Option<RuleSet>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModeValue {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    #[serde(with = "name")]
    pub mode: Mode,
}

/// A registry mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    ReadWrite,
    ReadOnly,
    /// Global read-only that also overrides every subject's own mode.
    ReadOnlyOverride,
    /// Registrations carry explicit ids and versions, unchecked: for migrations.
    Import,
    /// Confluent 8.1's mode for a registry that others forward to: writes as in IMPORT, but
    /// entering it keeps the subjects there are.
    Forward,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::ReadWrite => "READWRITE",
            Mode::ReadOnly => "READONLY",
            Mode::ReadOnlyOverride => "READONLY_OVERRIDE",
            Mode::Import => "IMPORT",
            Mode::Forward => "FORWARD",
        }
    }
}

impl FromStr for Mode {
    type Err = ();

    /// Case-insensitive, as Confluent.
    fn from_str(s: &str) -> Result<Mode, ()> {
        [
            Mode::ReadWrite,
            Mode::ReadOnly,
            Mode::ReadOnlyOverride,
            Mode::Import,
            Mode::Forward,
        ]
        .into_iter()
        .find(|m| m.as_str().eq_ignore_ascii_case(s))
        .ok_or(())
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Serde for values stored as their names (modes): written with `Display`, read with `FromStr`;
/// a name that means nothing is an error that quotes it.
mod name {
    use super::*;

    pub fn serialize<T: fmt::Display, S: Serializer>(value: &T, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(value)
    }

    pub fn deserialize<'de, T: FromStr<Err = ()>, D: Deserializer<'de>>(
        d: D,
    ) -> Result<T, D::Error> {
        let name = String::deserialize(d)?;
        name.parse()
            .map_err(|()| serde::de::Error::custom(format!("unknown value '{name}'")))
    }
}

/// [`name`] for optional fields (levels, policies).
mod optional_name {
    use super::*;

    pub fn serialize<T: fmt::Display, S: Serializer>(
        value: &Option<T>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(v) => s.collect_str(v),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, T: FromStr<Err = ()>, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<T>, D::Error> {
        match Option::<String>::deserialize(d)? {
            None => Ok(None),
            Some(name) => name
                .parse()
                .map(Some)
                .map_err(|()| serde::de::Error::custom(format!("unknown value '{name}'"))),
        }
    }
}

#[derive(Serialize, Deserialize)]
struct DeleteSubjectValue {
    subject: String,
    version: i32,
}

#[derive(Serialize, Deserialize)]
struct ClearSubjectValue {
    subject: String,
}

/// Key with Confluent's field order: keytype, subject, version, magic.
#[derive(Serialize)]
struct KeyOut<'a> {
    keytype: &'static str,
    subject: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<i32>,
    magic: u8,
}

#[derive(Deserialize)]
struct KeyIn {
    keytype: String,
    #[serde(default)]
    subject: Option<String>,
    #[serde(default)]
    version: Option<i32>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    tenant: Option<String>,
    #[serde(default)]
    context: Option<String>,
}

/// An EXPORTER key: keytype, name, magic.
#[derive(Serialize)]
struct ExporterKey<'a> {
    keytype: &'static str,
    name: &'a str,
    magic: u8,
}

/// A CONTEXT key: keytype, tenant, context, magic (Confluent's `ContextKey`).
#[derive(Serialize)]
struct ContextKey<'a> {
    keytype: &'static str,
    tenant: &'static str,
    context: &'a str,
    magic: u8,
}

#[derive(Serialize, Deserialize)]
struct ContextValue {
    tenant: String,
    context: String,
}

/// Confluent's tenant when none is configured, the only one Schemata has.
const TENANT: &str = "default";

/// A subject name as Confluent's `QualifiedSubject` reads it (default tenant): `(context,
/// name)`, `(".staging", "orders")` for `:.staging:orders` (and `(".staging", "")` for
/// `:.staging`), `(".", name)` for a name without a context. Stores need the context of the
/// subjects they write (PostgreSQL keeps each context's highest id).
pub fn split_subject(subject: &str) -> (&str, &str) {
    let Some(rest) = subject.strip_prefix(":.") else {
        return (".", subject);
    };
    match rest.find(':') {
        // `:.:name` names the default context.
        Some(0) => (".", &rest[1..]),
        Some(at) => (&subject[1..at + 2], &rest[at + 1..]),
        None => (&subject[1..], ""),
    }
}

/// A record that cannot be read back.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct DecodeError(String);

impl Record {
    /// The key bytes: equal keys are the same entry for compaction.
    pub fn key(&self) -> Vec<u8> {
        let key = match self {
            Record::Schema {
                subject, version, ..
            } => KeyOut {
                keytype: "SCHEMA",
                subject: Some(subject),
                version: Some(*version),
                magic: 1,
            },
            Record::Config { subject, .. } => KeyOut {
                keytype: "CONFIG",
                subject: subject.as_deref(),
                version: None,
                magic: 0,
            },
            Record::Mode { subject, .. } => KeyOut {
                keytype: "MODE",
                subject: subject.as_deref(),
                version: None,
                magic: 0,
            },
            Record::DeleteSubject { subject, .. } => KeyOut {
                keytype: "DELETE_SUBJECT",
                subject: Some(subject),
                version: None,
                magic: 0,
            },
            Record::ClearSubject { subject } => KeyOut {
                keytype: "CLEAR_SUBJECT",
                subject: Some(subject),
                version: None,
                magic: 0,
            },
            Record::Exporter { name, .. } => {
                let key = ExporterKey {
                    keytype: "EXPORTER",
                    name,
                    magic: 0,
                };
                return serde_json::to_vec(&key).expect("keys serialize");
            }
            Record::Context { context, .. } => {
                let key = ContextKey {
                    keytype: "CONTEXT",
                    tenant: TENANT,
                    context,
                    magic: 0,
                };
                return serde_json::to_vec(&key).expect("keys serialize");
            }
        };
        serde_json::to_vec(&key).expect("keys serialize")
    }

    /// The value bytes, `None` for a tombstone.
    pub fn value(&self) -> Option<Vec<u8>> {
        let bytes = match self {
            Record::Schema { value, .. } => value.as_ref().map(serde_json::to_vec),
            Record::Config { value, .. } => value.as_ref().map(serde_json::to_vec),
            Record::Mode { value, .. } => value.as_ref().map(serde_json::to_vec),
            Record::DeleteSubject { subject, version } => {
                Some(serde_json::to_vec(&DeleteSubjectValue {
                    subject: subject.clone(),
                    version: *version,
                }))
            }
            Record::ClearSubject { subject } => Some(serde_json::to_vec(&ClearSubjectValue {
                subject: subject.clone(),
            })),
            Record::Exporter { value, .. } => value.as_ref().map(serde_json::to_vec),
            Record::Context { context, exists } => exists.then(|| {
                serde_json::to_vec(&ContextValue {
                    tenant: TENANT.to_string(),
                    context: context.clone(),
                })
            }),
        };
        bytes.map(|b| b.expect("values serialize"))
    }

    /// Reads a record back; `Ok(None)` for keytypes Schemata does not use.
    pub fn decode(key: &[u8], value: Option<&[u8]>) -> Result<Option<Record>, DecodeError> {
        let k: KeyIn =
            serde_json::from_slice(key).map_err(|e| DecodeError(format!("bad key: {e}")))?;
        fn parse<T: for<'de> Deserialize<'de>>(
            value: Option<&[u8]>,
        ) -> Result<Option<T>, DecodeError> {
            value
                .map(|v| {
                    serde_json::from_slice(v).map_err(|e| DecodeError(format!("bad value: {e}")))
                })
                .transpose()
        }
        let need_subject =
            |s: Option<String>| s.ok_or_else(|| DecodeError("key without subject".into()));
        let record = match k.keytype.as_str() {
            "SCHEMA" => Record::Schema {
                subject: need_subject(k.subject)?,
                version: k
                    .version
                    .ok_or_else(|| DecodeError("SCHEMA key without version".into()))?,
                value: parse(value)?,
            },
            "CONFIG" => Record::Config {
                subject: k.subject,
                value: parse(value)?,
            },
            "MODE" => Record::Mode {
                subject: k.subject,
                value: parse(value)?,
            },
            "DELETE_SUBJECT" => match parse::<DeleteSubjectValue>(value)? {
                Some(v) => Record::DeleteSubject {
                    subject: need_subject(k.subject)?,
                    version: v.version,
                },
                None => return Ok(None),
            },
            "CLEAR_SUBJECT" => Record::ClearSubject {
                subject: need_subject(k.subject)?,
            },
            "EXPORTER" => Record::Exporter {
                name: k
                    .name
                    .ok_or_else(|| DecodeError("EXPORTER key without name".into()))?,
                value: parse(value)?,
            },
            // Another tenant's contexts are not this registry's, and the default context
            // always exists.
            "CONTEXT" if k.tenant.as_deref().is_none_or(|t| t == TENANT) => {
                let context = k
                    .context
                    .ok_or_else(|| DecodeError("CONTEXT key without context".into()))?;
                if context == "." {
                    return Ok(None);
                }
                Record::Context {
                    context,
                    exists: value.is_some(),
                }
            }
            _ => return Ok(None),
        };
        Ok(Some(record))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_have_confluents_exact_bytes() {
        let schema = Record::Schema {
            subject: "s".into(),
            version: 3,
            value: None,
        };
        assert_eq!(
            schema.key(),
            br#"{"keytype":"SCHEMA","subject":"s","version":3,"magic":1}"#
        );
        let global = Record::Config {
            subject: None,
            value: None,
        };
        assert_eq!(
            global.key(),
            br#"{"keytype":"CONFIG","subject":null,"magic":0}"#
        );
        let context = Record::Context {
            context: ".staging".into(),
            exists: true,
        };
        assert_eq!(
            context.key(),
            br#"{"keytype":"CONTEXT","tenant":"default","context":".staging","magic":0}"#
        );
        assert_eq!(
            context.value().unwrap(),
            br#"{"tenant":"default","context":".staging"}"#
        );
        // As Confluent writes them (without `magic`), read back; the default context is no record.
        let confluent = br#"{"keytype":"CONTEXT","tenant":"default","context":".staging"}"#;
        let read = Record::decode(
            confluent,
            Some(br#"{"tenant":"default","context":".staging"}"#),
        );
        assert_eq!(read.unwrap(), Some(context));
        let default = br#"{"keytype":"CONTEXT","tenant":"default","context":"."}"#;
        assert_eq!(Record::decode(default, None).unwrap(), None);
    }

    #[test]
    fn records_round_trip() {
        let records = [
            Record::Schema {
                subject: "s".into(),
                version: 1,
                value: Some(SchemaValue {
                    subject: "s".into(),
                    version: 1,
                    id: 7,
                    schema_type: "AVRO".into(),
                    references: vec![],
                    schema: "\"string\"".into(),
                    metadata: Some(Metadata {
                        properties: [("owner".to_string(), "team-a".to_string())].into(),
                        ..Metadata::default()
                    }),
                    rule_set: Some(RuleSet {
                        domain_rules: vec![compat::Rule {
                            name: Some("checkSsn".into()),
                            rule_type: Some("CEL".into()),
                            expr: Some("size(message.ssn) == 9".into()),
                            ..compat::Rule::default()
                        }],
                        ..RuleSet::default()
                    }),
                    deleted: false,
                    ts: Some(5),
                }),
            },
            Record::DeleteSubject {
                subject: "s".into(),
                version: 4,
            },
            Record::Mode {
                subject: Some("s".into()),
                value: Some(ModeValue {
                    subject: Some("s".into()),
                    mode: Mode::Import,
                }),
            },
        ];
        for r in records {
            let back = Record::decode(&r.key(), r.value().as_deref())
                .unwrap()
                .unwrap();
            assert_eq!(back, r);
        }
    }

    #[test]
    fn confluents_data_contract_fields_are_read_and_written_back() {
        let key = br#"{"keytype":"SCHEMA","subject":"t","version":2,"magic":1}"#;
        let value = br#"{"subject":"t","version":2,"id":3,"schema":"\"int\"","metadata":{"properties":{"owner":"x"},"tags":{"f":["PII"]}},"ruleSet":{"domainRules":[{"name":"r","kind":"CONDITION","mode":"WRITE","type":"CEL","expr":"true","disabled":false}]},"deleted":false}"#;
        let record = Record::decode(key, Some(value)).unwrap().unwrap();
        let written: serde_json::Value = serde_json::from_slice(&record.value().unwrap()).unwrap();
        assert_eq!(
            written,
            serde_json::json!({"subject":"t","version":2,"id":3,"schemaType":"AVRO","schema":"\"int\"",
                "metadata":{"properties":{"owner":"x"},"tags":{"f":["PII"]}},
                "ruleSet":{"domainRules":[{"name":"r","kind":"CONDITION","mode":"WRITE","type":"CEL","expr":"true","disabled":false}]},
                "deleted":false})
        );
        let config_key = br#"{"keytype":"CONFIG","subject":"t","magic":0}"#;
        let config = br#"{"compatibilityLevel":"BACKWARD","compatibilityGroup":"major","validateRules":true,"defaultMetadata":{"properties":{"a":"1"}},"overrideRuleSet":{"migrationRules":[{"name":"m","mode":"UPGRADE","type":"JSONATA","disabled":false}]}}"#;
        let record = Record::decode(config_key, Some(config)).unwrap().unwrap();
        let written: serde_json::Value = serde_json::from_slice(&record.value().unwrap()).unwrap();
        let read: serde_json::Value = serde_json::from_slice(config).unwrap();
        assert_eq!(written, read);
    }

    #[test]
    fn confluent_records_without_schema_type_are_avro() {
        let key = br#"{"keytype":"SCHEMA","subject":"t","version":1,"magic":1}"#;
        let value =
            br#"{"subject":"t","version":1,"id":1,"md5":"x","schema":"\"int\"","deleted":false}"#;
        match Record::decode(key, Some(value)).unwrap() {
            Some(Record::Schema { value: Some(v), .. }) => assert_eq!(v.schema_type, "AVRO"),
            other => panic!("unexpected {other:?}"),
        }
        let noop = br#"{"keytype":"NOOP","magic":0}"#;
        assert!(Record::decode(noop, None).unwrap().is_none());
    }

    #[test]
    fn stored_names_are_read_in_any_case_and_unknown_ones_are_errors() {
        let key = br#"{"keytype":"CONFIG","subject":"s","magic":0}"#;
        let value = br#"{"compatibilityLevel":"full_transitive","compatibilityPolicy":"lenient"}"#;
        match Record::decode(key, Some(value)).unwrap() {
            Some(Record::Config { value: Some(v), .. }) => {
                assert_eq!(
                    v.compatibility_level,
                    Some(CompatibilityLevel::FullTransitive)
                );
                assert_eq!(v.compatibility_policy, Some(Policy::Lenient));
            }
            other => panic!("unexpected {other:?}"),
        }
        let bad = br#"{"compatibilityLevel":"SIDEWAYS"}"#;
        assert_eq!(
            Record::decode(key, Some(bad)).unwrap_err().to_string(),
            "bad value: unknown value 'SIDEWAYS' at line 1 column 33"
        );
        let key = br#"{"keytype":"MODE","subject":null,"magic":0}"#;
        let bad = br#"{"mode":"READWRITE_ISH"}"#;
        assert_eq!(
            Record::decode(key, Some(bad)).unwrap_err().to_string(),
            "bad value: unknown value 'READWRITE_ISH' at line 1 column 24"
        );
    }
}
