//! Schema identity: the MD5 Confluent uses to decide that two registrations are the same schema.
//!
//! The hash covers the canonical text, then each reference's name, subject and big-endian
//! version, in order; then, for data contracts, the metadata and the rule set, each after a
//! `0x01` byte, their entries in sorted order. The schema type is deliberately not part of it
//! (Confluent's rule). All 24 of `compat-vectors/identity` are reproduced. The same 16 bytes,
//! printed as a UUID, are the schema's `guid`.

use std::collections::BTreeMap;

use md5::{Digest, Md5};
use serde::{Deserialize, Serialize};

use crate::json_text::java_order;
use crate::Reference;

/// A data contract's metadata: tags by path, free properties, sensitive field names. Written as
/// Confluent writes it: empty parts left out (`NON_EMPTY`); JSON `null` reads as empty.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Metadata {
    #[serde(
        default,
        deserialize_with = "null_is_empty",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub tags: BTreeMap<String, Vec<String>>,
    #[serde(
        default,
        deserialize_with = "null_is_empty",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub properties: BTreeMap<String, String>,
    #[serde(
        default,
        deserialize_with = "null_is_empty",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub sensitive: Vec<String>,
}

/// A data contract's rules, by the phase they run in.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct RuleSet {
    #[serde(
        default,
        deserialize_with = "rule_objects",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub migration_rules: Vec<Rule>,
    #[serde(
        default,
        deserialize_with = "rule_objects",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub domain_rules: Vec<Rule>,
    #[serde(
        default,
        deserialize_with = "rule_objects",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub encoding_rules: Vec<Rule>,
    /// Where the rules run (Confluent 8.3+: an execution environment name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_at: Option<String>,
}

/// One data-contract rule.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Rule {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub doc: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub rule_type: Option<String>,
    #[serde(
        default,
        deserialize_with = "null_is_empty",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub tags: Vec<String>,
    #[serde(
        default,
        deserialize_with = "null_is_empty",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub params: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expr: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_success: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_failure: Option<String>,
    #[serde(default, deserialize_with = "null_is_empty")]
    pub disabled: bool,
}

/// A value that must be a JSON object, as Jackson reads a bean: serde would also read a struct
/// from an array.
#[derive(Debug)]
pub struct Object<T>(pub T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Object<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Object<T>, D::Error> {
        struct Only<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> serde::de::Visitor<'de> for Only<T> {
            type Value = Object<T>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<Object<T>, A::Error> {
                T::deserialize(serde::de::value::MapAccessDeserializer::new(map)).map(Object)
            }
        }
        d.deserialize_map(Only(std::marker::PhantomData))
    }
}

/// A list of rules, each an object; `null` is none.
fn rule_objects<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<Rule>, D::Error> {
    let rules: Option<Vec<Object<Rule>>> = Option::deserialize(d)?;
    Ok(rules.unwrap_or_default().into_iter().map(|r| r.0).collect())
}

/// Jackson gives a collection (or a `boolean`) sent as `null` its empty value.
fn null_is_empty<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

impl Metadata {
    /// The form Confluent keeps: tag values and sensitive names are sorted sets (Java order,
    /// duplicates dropped), as its constructor makes them.
    pub fn canonical(mut self) -> Metadata {
        for values in self.tags.values_mut() {
            sort_set(values);
        }
        sort_set(&mut self.sensitive);
        self
    }
}

impl RuleSet {
    /// The form Confluent keeps: each rule's tags a sorted set, its kind and mode defaulted
    /// (`TRANSFORM`, `WRITEREAD`), as its constructor does.
    pub fn canonical(mut self) -> RuleSet {
        let rules = self
            .migration_rules
            .iter_mut()
            .chain(&mut self.domain_rules)
            .chain(&mut self.encoding_rules);
        for rule in rules {
            sort_set(&mut rule.tags);
            rule.kind.get_or_insert_with(|| "TRANSFORM".to_string());
            rule.mode.get_or_insert_with(|| "WRITEREAD".to_string());
        }
        self
    }

    /// Every rule, in hashing order: migration, domain, encoding.
    pub fn rules(&self) -> impl Iterator<Item = &Rule> {
        self.migration_rules
            .iter()
            .chain(&self.domain_rules)
            .chain(&self.encoding_rules)
    }
}

fn sort_set(values: &mut Vec<String>) {
    values.sort_by(|a, b| java_order(a, b));
    values.dedup();
}

/// MD5 of a canonical schema text and its references.
pub fn identity(canonical: &str, references: &[Reference]) -> [u8; 16] {
    identity_with_contract(canonical, references, None, None)
}

/// MD5 of a canonical schema text, its references and its data contract.
pub fn identity_with_contract(
    canonical: &str,
    references: &[Reference],
    metadata: Option<&Metadata>,
    rule_set: Option<&RuleSet>,
) -> [u8; 16] {
    let mut md5 = Md5::new();
    md5.update(canonical.as_bytes());
    for r in references {
        md5.update(r.name.as_bytes());
        md5.update(r.subject.as_bytes());
        md5.update(r.version.to_be_bytes());
    }
    if let Some(m) = metadata {
        md5.update([1]);
        for (key, values) in sorted(&m.tags) {
            md5.update(key.as_bytes());
            for value in sorted_strings(values) {
                md5.update(value.as_bytes());
            }
        }
        for (key, value) in sorted(&m.properties) {
            md5.update(key.as_bytes());
            md5.update(value.as_bytes());
        }
        for value in sorted_strings(&m.sensitive) {
            md5.update(value.as_bytes());
        }
    }
    if let Some(rules) = rule_set {
        md5.update([1]);
        for rule in rules.rules() {
            hash_rule(&mut md5, rule);
        }
        if let Some(at) = &rules.enable_at {
            md5.update(at.as_bytes());
        }
    }
    md5.finalize().into()
}

fn hash_rule(md5: &mut Md5, rule: &Rule) {
    let text = |md5: &mut Md5, s: &Option<String>| {
        if let Some(s) = s {
            md5.update(s.as_bytes());
        }
    };
    for field in [
        &rule.name,
        &rule.doc,
        &rule.kind,
        &rule.mode,
        &rule.rule_type,
    ] {
        text(md5, field);
    }
    for tag in sorted_strings(&rule.tags) {
        md5.update(tag.as_bytes());
    }
    for (key, value) in sorted(&rule.params) {
        md5.update(key.as_bytes());
        md5.update(value.as_bytes());
    }
    for field in [&rule.expr, &rule.on_success, &rule.on_failure] {
        text(md5, field);
    }
    if rule.disabled {
        md5.update([1]);
    }
}

/// Map entries in Java's `String` order (Confluent sorts with `TreeMap`/`TreeSet`).
fn sorted<V>(map: &BTreeMap<String, V>) -> Vec<(&String, &V)> {
    let mut entries: Vec<_> = map.iter().collect();
    entries.sort_by(|a, b| java_order(a.0, b.0));
    entries
}

fn sorted_strings(values: &[String]) -> Vec<&String> {
    let mut sorted: Vec<&String> = values.iter().collect();
    sorted.sort_by(|a, b| java_order(a, b));
    sorted
}

/// Formats an identity as a UUID string (`8-4-4-4-12` lower-case hex), Confluent's `guid`.
pub fn guid(identity: &[u8; 16]) -> String {
    let hex: String = identity.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}
