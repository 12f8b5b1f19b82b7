//! The parsed form of an Avro schema.
//!
//! Named types (records, enums, fixed) live in an arena and are referred to by index, so
//! recursive schemas are plain data and a named type has one identity however often it is used.

use serde_json::{Map, Value};

/// Custom properties in the order they were written (Avro keeps insertion order).
pub(crate) type Props = Map<String, Value>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Primitive {
    Null,
    Boolean,
    Int,
    Long,
    Float,
    Double,
    Bytes,
    String,
}

impl Primitive {
    pub(crate) fn from_name(name: &str) -> Option<Primitive> {
        Some(match name {
            "null" => Primitive::Null,
            "boolean" => Primitive::Boolean,
            "int" => Primitive::Int,
            "long" => Primitive::Long,
            "float" => Primitive::Float,
            "double" => Primitive::Double,
            "bytes" => Primitive::Bytes,
            "string" => Primitive::String,
            _ => return None,
        })
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Primitive::Null => "null",
            Primitive::Boolean => "boolean",
            Primitive::Int => "int",
            Primitive::Long => "long",
            Primitive::Float => "float",
            Primitive::Double => "double",
            Primitive::Bytes => "bytes",
            Primitive::String => "string",
        }
    }
}

/// A schema node. `Named` points into [`super::AvroSchema`]'s arena of named types.
#[derive(Debug, Clone)]
pub(crate) enum Node {
    Primitive(Primitive, Props),
    Array(Box<Node>, Props),
    Map(Box<Node>, Props),
    Union(Vec<Node>),
    Named(usize),
}

/// A full name: `namespace.name`, the namespace `None` for the null namespace.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Name {
    pub(crate) name: String,
    pub(crate) namespace: Option<String>,
}

impl Name {
    pub(crate) fn full(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{ns}.{}", self.name),
            None => self.name.clone(),
        }
    }

    /// The name as written inside `default_namespace`: short when the namespaces agree or this
    /// one is null (Avro's `Name.getQualified`).
    pub(crate) fn qualified_in(&self, default_namespace: Option<&str>) -> String {
        match &self.namespace {
            None => self.name.clone(),
            Some(ns) if Some(ns.as_str()) == default_namespace => self.name.clone(),
            Some(_) => self.full(),
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Named {
    pub(crate) name: Name,
    pub(crate) aliases: Vec<Name>,
    pub(crate) doc: Option<String>,
    pub(crate) props: Props,
    pub(crate) body: NamedBody,
    /// Defined by a referenced schema: the canonical text names it instead of defining it.
    pub(crate) external: bool,
}

#[derive(Debug, Clone)]
pub(crate) enum NamedBody {
    Record {
        fields: Vec<Field>,
        /// Field name → position, for lookups by name that stay fast on wide records.
        positions: std::collections::HashMap<String, usize>,
        error: bool,
    },
    Enum {
        symbols: Vec<String>,
        default: Option<String>,
    },
    Fixed {
        size: u64,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Order {
    Ascending,
    Descending,
    Ignore,
}

#[derive(Debug, Clone)]
pub(crate) struct Field {
    pub(crate) name: String,
    pub(crate) aliases: Vec<String>,
    pub(crate) doc: Option<String>,
    pub(crate) default: Option<Value>,
    pub(crate) order: Order,
    pub(crate) props: Props,
    pub(crate) schema: Node,
}

/// Avro's upper-case type names, as compatibility messages print them (`RECORD`, `INT`).
pub(crate) fn type_name(node: &Node, types: &[Named]) -> &'static str {
    match node {
        Node::Primitive(p, _) => match p {
            Primitive::Null => "NULL",
            Primitive::Boolean => "BOOLEAN",
            Primitive::Int => "INT",
            Primitive::Long => "LONG",
            Primitive::Float => "FLOAT",
            Primitive::Double => "DOUBLE",
            Primitive::Bytes => "BYTES",
            Primitive::String => "STRING",
        },
        Node::Array(..) => "ARRAY",
        Node::Map(..) => "MAP",
        Node::Union(_) => "UNION",
        Node::Named(i) => match types[*i].body {
            NamedBody::Record { .. } => "RECORD",
            NamedBody::Enum { .. } => "ENUM",
            NamedBody::Fixed { .. } => "FIXED",
        },
    }
}
