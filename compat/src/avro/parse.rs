//! JSON text to [`Node`]s, following Avro Java's `Schema.Parser` (the parser Confluent runs),
//! including its error messages, with the JSON pointer of the offending element appended.

use std::collections::{BTreeSet, HashMap};

use serde_json::Value;

use super::model::{Field, Name, Named, NamedBody, Node, Order, Primitive, Props};
use crate::{json_text, ParseError};

const SCHEMA_RESERVED: [&str; 10] = [
    "doc",
    "fields",
    "items",
    "name",
    "namespace",
    "size",
    "symbols",
    "values",
    "type",
    "aliases",
];
const FIELD_RESERVED: [&str; 6] = ["default", "doc", "name", "order", "type", "aliases"];

/// Parses schemas into one shared table of named types, as Avro's parser does when the
/// referenced schemas are parsed before the schema that uses them.
pub(crate) struct Parser {
    pub(crate) types: Vec<Named>,
    names: HashMap<String, usize>,
    /// Strict name and default validation (new registrations).
    validate: bool,
    /// Types defined from now on come from a referenced schema.
    external: bool,
}

type Result<T> = std::result::Result<T, ParseError>;

fn fail<T>(message: String, path: &str) -> Result<T> {
    if path.is_empty() {
        Err(ParseError::invalid(message))
    } else {
        Err(ParseError::invalid(format!("{message} (at {path})")))
    }
}

fn compact(value: &Value) -> String {
    json_text::to_string(value)
}

impl Parser {
    pub(crate) fn new(validate: bool) -> Parser {
        Parser {
            types: Vec::new(),
            names: HashMap::new(),
            validate,
            external: false,
        }
    }

    /// Parses a referenced schema: its types become known, and are named, not defined, in the
    /// canonical text of the schema that uses them. Stored schemas are not re-validated.
    pub(crate) fn parse_dependency(&mut self, name: &str, text: &str) -> Result<()> {
        let validate = std::mem::replace(&mut self.validate, false);
        self.external = true;
        let result = self
            .parse_text(text)
            .map_err(|e| ParseError::invalid(format!("Invalid referenced schema '{name}': {e}")));
        self.external = false;
        self.validate = validate;
        result.map(|_| ())
    }

    pub(crate) fn parse_text(&mut self, text: &str) -> Result<Node> {
        let json: Value = serde_json::from_str(text)
            .map_err(|e| ParseError::invalid(format!("Invalid JSON: {e}")))?;
        self.parse(&json, None, "")
    }

    fn parse(&mut self, json: &Value, namespace: Option<&str>, path: &str) -> Result<Node> {
        match json {
            Value::String(name) => self.lookup(name, namespace, path),
            Value::Array(branches) => self.parse_union(branches, namespace, path),
            Value::Object(obj) => {
                let Some(ty) = obj.get("type").and_then(Value::as_str) else {
                    return fail(format!("No type: {}", compact(json)), path);
                };
                match ty {
                    "record" | "error" => self.parse_record(json, namespace, path),
                    "enum" => self.parse_enum(json, namespace, path),
                    "fixed" => self.parse_fixed(json, namespace, path),
                    "array" => {
                        let Some(items) = obj.get("items") else {
                            return fail(
                                format!("Array has no items type: {}", compact(json)),
                                path,
                            );
                        };
                        let items = self.parse(items, namespace, &format!("{path}/items"))?;
                        Ok(Node::Array(Box::new(items), props(json, &SCHEMA_RESERVED)))
                    }
                    "map" => {
                        let Some(values) = obj.get("values") else {
                            return fail(
                                format!("Map has no values type: {}", compact(json)),
                                path,
                            );
                        };
                        let values = self.parse(values, namespace, &format!("{path}/values"))?;
                        Ok(Node::Map(Box::new(values), props(json, &SCHEMA_RESERVED)))
                    }
                    other => match Primitive::from_name(other) {
                        Some(p) => Ok(Node::Primitive(p, props(json, &SCHEMA_RESERVED))),
                        // `{"type": "com.acme.Named"}`: a reference to a defined type.
                        None => match self.find(other, namespace) {
                            Some(i) => Ok(Node::Named(i)),
                            None => fail(format!("Type not supported: {other}"), path),
                        },
                    },
                }
            }
            other => fail(
                format!("Schema not yet supported: {}", compact(other)),
                path,
            ),
        }
    }

    fn lookup(&self, name: &str, namespace: Option<&str>, path: &str) -> Result<Node> {
        if let Some(p) = Primitive::from_name(name) {
            return Ok(Node::Primitive(p, Props::new()));
        }
        match self.find(name, namespace) {
            Some(i) => Ok(Node::Named(i)),
            None => fail(format!("Undefined name: \"{name}\""), path),
        }
    }

    /// Avro's `Names.get`: the name in the current namespace, then in the null namespace.
    fn find(&self, name: &str, namespace: Option<&str>) -> Option<usize> {
        let in_space = make_name(name, namespace).full();
        self.names
            .get(&in_space)
            .or_else(|| self.names.get(name))
            .copied()
    }

    fn parse_union(
        &mut self,
        branches: &[Value],
        namespace: Option<&str>,
        path: &str,
    ) -> Result<Node> {
        let mut nodes = Vec::with_capacity(branches.len());
        let mut seen = BTreeSet::new();
        for (i, branch) in branches.iter().enumerate() {
            let node = self.parse(branch, namespace, &format!("{path}/{i}"))?;
            let key = match &node {
                Node::Union(_) => {
                    return fail(
                        format!(
                            "Nested union: {}",
                            compact(&Value::Array(branches.to_vec()))
                        ),
                        path,
                    )
                }
                Node::Primitive(p, _) => p.name().to_string(),
                Node::Array(..) => "array".to_string(),
                Node::Map(..) => "map".to_string(),
                Node::Named(i) => self.types[*i].name.full(),
            };
            if !seen.insert(key.clone()) {
                return fail(format!("Duplicate in union:{key}"), path);
            }
            nodes.push(node);
        }
        Ok(Node::Union(nodes))
    }

    /// Reads `name`/`namespace`, validates and registers the name, returning its arena index.
    fn define(
        &mut self,
        json: &Value,
        namespace: Option<&str>,
        path: &str,
        body: NamedBody,
    ) -> Result<usize> {
        let Some(raw) = json.get("name").and_then(Value::as_str) else {
            return fail(format!("No name in schema: {}", compact(json)), path);
        };
        let explicit_ns = json.get("namespace").and_then(Value::as_str);
        let name = make_name(raw, explicit_ns.or(namespace));
        if self.validate {
            validate_name(&name.name, path)?;
        }
        if Primitive::from_name(&name.full()).is_some() {
            return fail(
                format!("Schemas may not be named after primitives: {}", name.full()),
                path,
            );
        }
        let full = name.full();
        if self.names.contains_key(&full) {
            return fail(format!("Can't redefine: {full}"), path);
        }
        let aliases = aliases(json, path)?
            .iter()
            .map(|a| make_name(a, name.namespace.as_deref()))
            .collect();
        let named = Named {
            aliases: dedup(aliases),
            doc: json.get("doc").and_then(Value::as_str).map(str::to_string),
            props: props(json, reserved_for(&body)),
            name,
            body,
            external: self.external,
        };
        self.types.push(named);
        let index = self.types.len() - 1;
        self.names.insert(full, index);
        Ok(index)
    }

    fn parse_record(&mut self, json: &Value, namespace: Option<&str>, path: &str) -> Result<Node> {
        let error = json.get("type").and_then(Value::as_str) == Some("error");
        let Some(fields_json) = json.get("fields").and_then(Value::as_array) else {
            return fail(format!("Record has no fields: {}", compact(json)), path);
        };
        // Registered before its fields are parsed, so fields may refer to it (recursion).
        let index = self.define(
            json,
            namespace,
            path,
            NamedBody::Record {
                fields: Vec::new(),
                positions: HashMap::new(),
                error,
            },
        )?;
        let record_ns = self.types[index].name.namespace.clone();
        let record_name = self.types[index].name.full();
        let mut fields: Vec<Field> = Vec::with_capacity(fields_json.len());
        let mut positions = HashMap::with_capacity(fields_json.len());
        for (pos, f) in fields_json.iter().enumerate() {
            let fpath = format!("{path}/fields/{pos}");
            let field = self.parse_field(f, record_ns.as_deref(), &fpath)?;
            if positions.insert(field.name.clone(), pos).is_some() {
                return fail(
                    format!("Duplicate field {} in record {record_name}", field.name),
                    &fpath,
                );
            }
            fields.push(field);
        }
        if let NamedBody::Record {
            fields: slot,
            positions: by_name,
            ..
        } = &mut self.types[index].body
        {
            *slot = fields;
            *by_name = positions;
        }
        Ok(Node::Named(index))
    }

    fn parse_field(&mut self, json: &Value, namespace: Option<&str>, path: &str) -> Result<Field> {
        let Some(name) = json.get("name").and_then(Value::as_str) else {
            return fail(format!("No field name: {}", compact(json)), path);
        };
        if self.validate {
            validate_name(name, path)?;
        }
        let Some(ty) = json.get("type") else {
            return fail(format!("No field type: {}", compact(json)), path);
        };
        let schema = self.parse(ty, namespace, &format!("{path}/type"))?;
        let mut default = json.get("default").cloned();
        // Avro reads "NaN"/"Infinity" string defaults of float fields as numbers.
        if let (Some(Value::String(s)), Node::Primitive(Primitive::Float | Primitive::Double, _)) =
            (&default, &schema)
        {
            if let Ok(f) = s.parse::<f64>() {
                default = serde_json::Number::from_f64(f)
                    .map(Value::Number)
                    .or(default);
            }
        }
        if self.validate {
            if let Some(d) = &default {
                if !self.is_valid_default(&schema, d) {
                    return fail(
                        format!(
                            "Invalid default for field {name}: {} not a {}",
                            compact(d),
                            self.describe(&schema)
                        ),
                        path,
                    );
                }
            }
        }
        let order = match json.get("order") {
            None => Order::Ascending,
            Some(Value::String(s)) => match s.to_ascii_lowercase().as_str() {
                "ascending" => Order::Ascending,
                "descending" => Order::Descending,
                "ignore" => Order::Ignore,
                _ => return fail(format!("Invalid field order: {s}"), path),
            },
            Some(other) => return fail(format!("Invalid field order: {}", compact(other)), path),
        };
        Ok(Field {
            name: name.to_string(),
            aliases: dedup(aliases(json, path)?),
            doc: json.get("doc").and_then(Value::as_str).map(str::to_string),
            default,
            order,
            props: props(json, &FIELD_RESERVED),
            schema,
        })
    }

    fn parse_enum(&mut self, json: &Value, namespace: Option<&str>, path: &str) -> Result<Node> {
        let Some(symbols_json) = json.get("symbols").and_then(Value::as_array) else {
            return fail(format!("Enum has no symbols: {}", compact(json)), path);
        };
        let mut symbols: Vec<String> = Vec::with_capacity(symbols_json.len());
        for s in symbols_json {
            let Some(s) = s.as_str() else {
                return fail(format!("Enum symbol not a string: {}", compact(s)), path);
            };
            if self.validate {
                validate_name(s, path)?;
            }
            if symbols.iter().any(|t| t == s) {
                return fail(format!("Duplicate enum symbol: {s}"), path);
            }
            symbols.push(s.to_string());
        }
        let default = json
            .get("default")
            .and_then(Value::as_str)
            .map(str::to_string);
        if let Some(d) = &default {
            if !symbols.contains(d) {
                return fail(
                    format!(
                        "The Enum Default: {d} is not in the enum symbol set: [{}]",
                        symbols.join(", ")
                    ),
                    path,
                );
            }
        }
        let index = self.define(json, namespace, path, NamedBody::Enum { symbols, default })?;
        Ok(Node::Named(index))
    }

    fn parse_fixed(&mut self, json: &Value, namespace: Option<&str>, path: &str) -> Result<Node> {
        let size = json
            .get("size")
            .and_then(Value::as_i64)
            .filter(|s| i32::try_from(*s).is_ok());
        let size = match size {
            Some(s) if s >= 0 => s as u64,
            Some(s) => return fail(format!("Invalid fixed size: {s}"), path),
            None => return fail(format!("Invalid or no size: {}", compact(json)), path),
        };
        let index = self.define(json, namespace, path, NamedBody::Fixed { size })?;
        Ok(Node::Named(index))
    }

    /// Avro Java's `isValidDefault`: a union default may match any branch.
    fn is_valid_default(&self, schema: &Node, value: &Value) -> bool {
        match schema {
            Node::Primitive(p, _) => match p {
                Primitive::Null => value.is_null(),
                Primitive::Boolean => value.is_boolean(),
                Primitive::Int => value.as_i64().is_some_and(|v| i32::try_from(v).is_ok()),
                Primitive::Long => {
                    value.is_i64()
                        || value.is_u64()
                            && value.as_u64().is_some_and(|v| i64::try_from(v).is_ok())
                }
                Primitive::Float | Primitive::Double => value.is_number(),
                Primitive::Bytes | Primitive::String => value.is_string(),
            },
            Node::Array(items, _) => value
                .as_array()
                .is_some_and(|a| a.iter().all(|v| self.is_valid_default(items, v))),
            Node::Map(values, _) => value
                .as_object()
                .is_some_and(|m| m.values().all(|v| self.is_valid_default(values, v))),
            Node::Union(branches) => branches.iter().any(|b| self.is_valid_default(b, value)),
            Node::Named(i) => match &self.types[*i].body {
                NamedBody::Enum { .. } | NamedBody::Fixed { .. } => value.is_string(),
                NamedBody::Record { fields, .. } => value.as_object().is_some_and(|obj| {
                    fields
                        .iter()
                        .all(|f| match obj.get(&f.name).or(f.default.as_ref()) {
                            Some(v) => self.is_valid_default(&f.schema, v),
                            None => false,
                        })
                }),
            },
        }
    }

    /// A short description of a schema for messages: a primitive's name or a named type's name.
    fn describe(&self, schema: &Node) -> String {
        match schema {
            Node::Primitive(p, _) => format!("\"{}\"", p.name()),
            Node::Array(..) => "array".to_string(),
            Node::Map(..) => "map".to_string(),
            Node::Union(_) => "union".to_string(),
            Node::Named(i) => self.types[*i].name.full(),
        }
    }
}

fn reserved_for(body: &NamedBody) -> &'static [&'static str] {
    const ENUM_RESERVED: [&str; 11] = [
        "doc",
        "fields",
        "items",
        "name",
        "namespace",
        "size",
        "symbols",
        "values",
        "type",
        "aliases",
        "default",
    ];
    match body {
        NamedBody::Enum { .. } => &ENUM_RESERVED,
        _ => &SCHEMA_RESERVED,
    }
}

/// Avro's `Name(name, space)`: a dotted name carries its own namespace; `""` is the null one.
fn make_name(name: &str, namespace: Option<&str>) -> Name {
    let (namespace, simple) = match name.rfind('.') {
        Some(dot) => (Some(&name[..dot]), &name[dot + 1..]),
        None => (namespace, name),
    };
    Name {
        name: simple.to_string(),
        namespace: namespace.filter(|ns| !ns.is_empty()).map(str::to_string),
    }
}

/// Avro's name rule: a letter or `_`, then letters, digits or `_`.
fn validate_name(name: &str, path: &str) -> Result<()> {
    let mut chars = name.chars();
    match chars.next() {
        None => fail("Empty name".to_string(), path),
        Some(c) if !(c.is_alphabetic() || c == '_') => {
            fail(format!("Illegal initial character: {name}"), path)
        }
        _ if chars.any(|c| !(c.is_alphanumeric() || c == '_')) => {
            fail(format!("Illegal character in: {name}"), path)
        }
        _ => Ok(()),
    }
}

fn aliases(json: &Value, path: &str) -> Result<Vec<String>> {
    match json.get("aliases") {
        None => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|a| match a.as_str() {
                Some(s) => Ok(s.to_string()),
                None => fail(format!("alias not a string: {}", compact(a)), path),
            })
            .collect(),
        Some(other) => fail(format!("aliases not an array: {}", compact(other)), path),
    }
}

fn dedup<T: PartialEq>(items: Vec<T>) -> Vec<T> {
    let mut out: Vec<T> = Vec::with_capacity(items.len());
    for item in items {
        if !out.contains(&item) {
            out.push(item);
        }
    }
    out
}

fn props(json: &Value, reserved: &[&str]) -> Props {
    json.as_object()
        .map(|obj| {
            obj.iter()
                .filter(|(k, _)| !reserved.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        })
        .unwrap_or_default()
}
