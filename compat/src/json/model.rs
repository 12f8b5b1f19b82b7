//! The model Confluent's JSON Schema diff works on (everit's): a schema is true, false, empty, a
//! typed schema (object, array, string, number, boolean, null), an enum, a const, a `not`, or a
//! combination (allOf, anyOf, oneOf). One JSON object with keywords of several kinds becomes a
//! synthetic allOf of one schema per kind; a `type` array becomes an anyOf. `$ref`s are replaced
//! by what they point to, so recursive schemas are cycles in the arena of nodes.

use indexmap::IndexMap;
use serde_json::Value;

pub(super) type Id = usize;

#[derive(Debug, Default, Clone, PartialEq)]
pub(super) struct Common {
    pub(super) id: Option<Value>,
    pub(super) title: Option<Value>,
    pub(super) description: Option<Value>,
    pub(super) default: Option<Value>,
    /// Kafka Connect's marker for bytes (`"connect.type": "bytes"`).
    pub(super) connect_bytes: bool,
}

/// Named after the keywords, hence the shared suffix.
#[allow(clippy::enum_variant_names)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Criterion {
    AllOf,
    AnyOf,
    OneOf,
}

impl Criterion {
    pub(super) fn keyword(self) -> &'static str {
        match self {
            Criterion::AllOf => "allOf",
            Criterion::AnyOf => "anyOf",
            Criterion::OneOf => "oneOf",
        }
    }
}

/// `additionalProperties`, `additionalItems`, `unevaluated*`: allowed at all, and how.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Extra {
    pub(super) permitted: bool,
    pub(super) schema: Option<Id>,
}

impl Default for Extra {
    fn default() -> Extra {
        Extra {
            permitted: true,
            schema: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Dependency {
    Properties(Vec<String>),
    Schema(Id),
}

#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct ObjectSchema {
    pub(super) properties: IndexMap<String, Id>,
    pub(super) required: Vec<String>,
    pub(super) additional: Extra,
    pub(super) pattern_properties: Vec<(String, Id)>,
    pub(super) dependencies: IndexMap<String, Dependency>,
    pub(super) unevaluated: Option<Extra>,
    pub(super) min_properties: Option<f64>,
    pub(super) max_properties: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct ArraySchema {
    /// One schema for every item.
    pub(super) items: Option<Id>,
    /// Positional item schemas (tuple validation).
    pub(super) tuple: Option<Vec<Id>>,
    pub(super) additional: Extra,
    pub(super) unevaluated: Option<Extra>,
    pub(super) min_items: Option<f64>,
    pub(super) max_items: Option<f64>,
    pub(super) unique_items: bool,
    pub(super) min_contains: Option<f64>,
    pub(super) max_contains: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct StringSchema {
    pub(super) min_length: Option<f64>,
    pub(super) max_length: Option<f64>,
    pub(super) pattern: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct NumberSchema {
    pub(super) integer: bool,
    pub(super) minimum: Option<f64>,
    pub(super) maximum: Option<f64>,
    pub(super) exclusive_minimum: Option<f64>,
    pub(super) exclusive_maximum: Option<f64>,
    pub(super) multiple_of: Option<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Kind {
    True,
    False,
    Empty,
    Boolean,
    Null,
    String(StringSchema),
    Number(NumberSchema),
    Object(ObjectSchema),
    Array(ArraySchema),
    Enum(Vec<Value>),
    Const(Value),
    Not(Id),
    Combined {
        criterion: Criterion,
        members: Vec<Id>,
    },
}

impl Kind {
    /// The everit class, for "same class?" (every combination is one class).
    pub(super) fn class(&self) -> u8 {
        match self {
            Kind::True => 0,
            Kind::False => 1,
            Kind::Empty => 2,
            Kind::Boolean => 3,
            Kind::Null => 4,
            Kind::String(_) => 5,
            Kind::Number(_) => 6,
            Kind::Object(_) => 7,
            Kind::Array(_) => 8,
            Kind::Enum(_) => 9,
            Kind::Const(_) => 10,
            Kind::Not(_) => 11,
            Kind::Combined { .. } => 12,
        }
    }

    /// Whether the schema accepts anything (`{}` or `true`).
    pub(super) fn accepts_anything(&self) -> bool {
        matches!(self, Kind::True | Kind::Empty)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(super) struct Node {
    pub(super) kind: Kind,
    pub(super) common: Common,
    /// A hash of the JSON the node was read from: equal shapes are equal subschemas (duplicate
    /// members of a combination; comparisons already made).
    pub(super) shape: u64,
}

/// A schema's nodes; the first is the root.
#[derive(Debug, Clone, Default)]
pub(super) struct Model {
    pub(super) nodes: Vec<Node>,
    pub(super) root: Id,
}

/// The shape of a JSON value: a hash of its compact text, computed without building the text.
pub(super) fn shape_of(value: &Value) -> u64 {
    struct HashWriter(std::collections::hash_map::DefaultHasher);
    impl std::io::Write for HashWriter {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            std::hash::Hasher::write(&mut self.0, bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut w = HashWriter(Default::default());
    serde_json::to_writer(&mut w, value).expect("hashing cannot fail");
    std::hash::Hasher::finish(&w.0)
}

/// The shape of a synthetic node: its parent's, qualified by what part of the parent it is.
pub(super) fn part_shape(parent: u64, part: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (parent, part).hash(&mut h);
    h.finish()
}

impl Model {
    pub(super) fn node(&self, id: Id) -> &Node {
        &self.nodes[id]
    }
}
