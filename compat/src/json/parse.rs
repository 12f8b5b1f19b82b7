//! JSON → [`Model`], classifying keywords as everit does, resolving `$ref`s within the document
//! and into referenced documents, and reading each dialect's spelling of the same ideas
//! (2019-09's `dependentSchemas`, 2020-12's `prefixItems`).

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::model::{
    part_shape, shape_of, ArraySchema, Common, Criterion, Dependency, Extra, Id, Kind, Model, Node,
    NumberSchema, ObjectSchema, StringSchema,
};
use super::Dialect;
use crate::ParseError;

/// Deepest nesting of subschemas followed; deeper input is refused rather than overflowing.
const MAX_DEPTH: usize = 64;

const OBJECT_KEYWORDS: [&str; 11] = [
    "properties",
    "required",
    "additionalProperties",
    "patternProperties",
    "dependencies",
    "dependentRequired",
    "dependentSchemas",
    "minProperties",
    "maxProperties",
    "unevaluatedProperties",
    "propertyNames",
];
const ARRAY_KEYWORDS: [&str; 10] = [
    "items",
    "additionalItems",
    "prefixItems",
    "minItems",
    "maxItems",
    "uniqueItems",
    "contains",
    "minContains",
    "maxContains",
    "unevaluatedItems",
];
const STRING_KEYWORDS: [&str; 4] = ["minLength", "maxLength", "pattern", "format"];
const NUMBER_KEYWORDS: [&str; 5] = [
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
];

pub(super) struct Builder<'a> {
    /// Documents by name: "" is the schema itself, others its references.
    docs: &'a HashMap<String, (Value, Dialect)>,
    model: Model,
    /// Nodes already built for a (document, JSON pointer): `$ref`s to them share the node.
    at: HashMap<(String, String), Id>,
}

type Result<T> = std::result::Result<T, ParseError>;

fn fail<T>(message: String) -> Result<T> {
    Err(ParseError::invalid(message))
}

fn number(obj: &Map<String, Value>, key: &str, at: &str) -> Result<Option<f64>> {
    match obj.get(key) {
        None => Ok(None),
        Some(v) => match v.as_f64() {
            Some(n) => Ok(Some(n)),
            None => fail(format!("keyword '{key}' at #{at} must be a number")),
        },
    }
}

/// Joins a JSON pointer and a token.
fn child(pointer: &str, token: &str) -> String {
    format!("{pointer}/{}", token.replace('~', "~0").replace('/', "~1"))
}

impl<'a> Builder<'a> {
    pub(super) fn new(docs: &'a HashMap<String, (Value, Dialect)>) -> Builder<'a> {
        Builder {
            docs,
            model: Model::default(),
            at: HashMap::new(),
        }
    }

    pub(super) fn build(mut self) -> Result<Model> {
        let (root, _) = &self.docs[""];
        let root = self.schema("", String::new(), root, 0)?;
        self.model.root = root;
        Ok(self.model)
    }

    fn push(&mut self, node: Node) -> Id {
        self.model.nodes.push(node);
        self.model.nodes.len() - 1
    }

    fn dialect(&self, doc: &str) -> Dialect {
        self.docs[doc].1
    }

    /// The node for the schema at `pointer` in `doc`.
    fn schema(&mut self, doc: &str, pointer: String, value: &Value, depth: usize) -> Result<Id> {
        if depth > MAX_DEPTH {
            return fail(format!(
                "schema nested deeper than {MAX_DEPTH} levels at #{pointer}"
            ));
        }
        let key = (doc.to_string(), pointer.clone());
        if let Some(id) = self.at.get(&key) {
            return Ok(*id);
        }
        if let Some(reference) = value.as_object().and_then(|o| o.get("$ref")) {
            let Some(reference) = reference.as_str() else {
                return fail(format!("'$ref' at #{pointer} must be a string"));
            };
            let (target_doc, target_pointer, target) = self.resolve(doc, reference, &pointer)?;
            // Placeholder first: a reference cycle must end at this node.
            let id = self.push(Node {
                kind: Kind::Empty,
                common: Common::default(),
                shape: shape_of(value),
            });
            self.at.insert(key, id);
            let target_id = self.schema(&target_doc, target_pointer, &target, depth + 1)?;
            self.model.nodes[id] = self.model.nodes[target_id].clone();
            // Later references to this location share the target's node.
            self.at.insert((doc.to_string(), pointer), target_id);
            return Ok(target_id);
        }
        let shape = shape_of(value);
        let id = self.push(Node {
            kind: Kind::Empty,
            common: Common::default(),
            shape,
        });
        self.at.insert(key, id);
        let node = match value {
            Value::Bool(true) => Node {
                kind: Kind::True,
                common: Common::default(),
                shape,
            },
            Value::Bool(false) => Node {
                kind: Kind::False,
                common: Common::default(),
                shape,
            },
            Value::Object(obj) => self.object(doc, &pointer, obj, shape, depth)?,
            other => {
                return fail(format!(
                    "a schema must be an object or a boolean, found {other} at #{pointer}"
                ))
            }
        };
        self.model.nodes[id] = node;
        Ok(id)
    }

    /// `(document, pointer, schema)` a `$ref` names.
    fn resolve(&self, doc: &str, reference: &str, at: &str) -> Result<(String, String, Value)> {
        let (document, fragment) = reference.split_once('#').unwrap_or((reference, ""));
        let target_doc = if document.is_empty() {
            doc.to_string()
        } else if self.docs.contains_key(document) {
            document.to_string()
        } else {
            return fail(format!(
                "'$ref' to '{reference}' at #{at}: no reference supplies '{document}'"
            ));
        };
        let pointer = percent_decode(fragment);
        let root = &self.docs[&target_doc].0;
        match root.pointer(&pointer) {
            Some(v) => Ok((target_doc, pointer, v.clone())),
            None => fail(format!(
                "'$ref' to '{reference}' at #{at} points to nothing"
            )),
        }
    }

    fn common(&self, doc: &str, obj: &Map<String, Value>) -> Common {
        // Confluent's translation of 2019-09 and 2020-12 schemas drops `$id`.
        let id = match self.dialect(doc) {
            Dialect::Draft4 => obj.get("id"),
            Dialect::Draft6 | Dialect::Draft7 => obj.get("$id"),
            Dialect::Draft201909 | Dialect::Draft202012 => None,
        };
        Common {
            id: id.cloned(),
            title: obj.get("title").cloned(),
            description: obj.get("description").cloned(),
            default: obj.get("default").cloned(),
            connect_bytes: obj.get("connect.type").and_then(Value::as_str) == Some("bytes"),
        }
    }

    fn object(
        &mut self,
        doc: &str,
        pointer: &str,
        obj: &Map<String, Value>,
        shape: u64,
        depth: usize,
    ) -> Result<Node> {
        let mut kinds: Vec<Kind> = Vec::new();
        if let Some(values) = obj.get("enum") {
            match values.as_array() {
                Some(v) => kinds.push(Kind::Enum(v.clone())),
                None => return fail(format!("keyword 'enum' at #{pointer} must be an array")),
            }
        }
        for criterion in [Criterion::AllOf, Criterion::AnyOf, Criterion::OneOf] {
            let Some(members) = obj.get(criterion.keyword()) else {
                continue;
            };
            let Some(members) = members.as_array().filter(|m| !m.is_empty()) else {
                return fail(format!(
                    "keyword '{}' at #{pointer} must be a non-empty array",
                    criterion.keyword()
                ));
            };
            let mut ids = Vec::with_capacity(members.len());
            for (i, m) in members.iter().enumerate() {
                let p = child(&child(pointer, criterion.keyword()), &i.to_string());
                ids.push(self.schema(doc, p, m, depth + 1)?);
            }
            kinds.push(Kind::Combined {
                criterion,
                members: ids,
            });
        }
        if let Some(inner) = obj.get("not") {
            kinds.push(Kind::Not(self.schema(
                doc,
                child(pointer, "not"),
                inner,
                depth + 1,
            )?));
        }
        if let Some(value) = obj.get("const") {
            kinds.push(Kind::Const(value.clone()));
        }
        match obj.get("type") {
            Some(Value::String(t)) => kinds.push(self.typed(doc, pointer, obj, t, depth)?),
            Some(Value::Array(types)) => {
                let mut ids = Vec::new();
                for t in types {
                    let Some(t) = t.as_str() else {
                        return fail(format!("keyword 'type' at #{pointer} must name types"));
                    };
                    let kind = self.typed(doc, pointer, obj, t, depth)?;
                    ids.push(self.push(Node {
                        kind,
                        common: Common::default(),
                        shape: part_shape(shape, t),
                    }));
                }
                if ids.is_empty() {
                    return fail(format!(
                        "keyword 'type' at #{pointer} must name at least one type"
                    ));
                }
                kinds.push(Kind::Combined {
                    criterion: Criterion::AnyOf,
                    members: ids,
                });
            }
            Some(other) => {
                return fail(format!(
                    "keyword 'type' at #{pointer} must be a string or an array, found {other}"
                ))
            }
            None => {
                // Without `type`, each family of keywords implies a schema of its kind.
                let has = |words: &[&str]| words.iter().any(|w| obj.contains_key(*w));
                // Confluent's translation of 2019-09 and 2020-12 schemas reads an empty
                // `properties` as no keyword at all.
                let modern = self.dialect(doc) >= Dialect::Draft201909;
                let empty_properties = obj
                    .get("properties")
                    .and_then(Value::as_object)
                    .is_some_and(|p| p.is_empty());
                let object_keyword = OBJECT_KEYWORDS.iter().any(|w| {
                    obj.contains_key(*w) && !(modern && *w == "properties" && empty_properties)
                });
                if object_keyword {
                    kinds.push(self.typed(doc, pointer, obj, "object", depth)?);
                }
                if has(&ARRAY_KEYWORDS) {
                    kinds.push(self.typed(doc, pointer, obj, "array", depth)?);
                }
                if has(&NUMBER_KEYWORDS) {
                    kinds.push(self.typed(doc, pointer, obj, "number", depth)?);
                }
                if has(&STRING_KEYWORDS) {
                    kinds.push(self.typed(doc, pointer, obj, "string", depth)?);
                }
            }
        }
        let common = self.common(doc, obj);
        let kind = match kinds.len() {
            0 => Kind::Empty,
            1 => kinds.pop().expect("one kind"),
            _ => {
                let members = kinds
                    .into_iter()
                    .enumerate()
                    .map(|(i, kind)| {
                        self.push(Node {
                            kind,
                            common: Common::default(),
                            shape: part_shape(shape, &i.to_string()),
                        })
                    })
                    .collect();
                Kind::Combined {
                    criterion: Criterion::AllOf,
                    members,
                }
            }
        };
        Ok(Node {
            kind,
            common,
            shape,
        })
    }

    fn typed(
        &mut self,
        doc: &str,
        pointer: &str,
        obj: &Map<String, Value>,
        ty: &str,
        depth: usize,
    ) -> Result<Kind> {
        Ok(match ty {
            "object" => Kind::Object(self.object_schema(doc, pointer, obj, depth)?),
            "array" => Kind::Array(self.array_schema(doc, pointer, obj, depth)?),
            "string" => Kind::String(StringSchema {
                min_length: number(obj, "minLength", pointer)?,
                max_length: number(obj, "maxLength", pointer)?,
                pattern: obj
                    .get("pattern")
                    .and_then(Value::as_str)
                    .map(str::to_string),
            }),
            "number" | "integer" => {
                // Draft-04's boolean `exclusiveMaximum` only qualifies `maximum`; Confluent's
                // diff does not look at it, so neither does the model.
                let limit = |key: &str| match obj.get(key) {
                    Some(Value::Bool(_)) => Ok(None),
                    _ => number(obj, key, pointer),
                };
                let n = NumberSchema {
                    integer: ty == "integer",
                    minimum: number(obj, "minimum", pointer)?,
                    maximum: number(obj, "maximum", pointer)?,
                    multiple_of: number(obj, "multipleOf", pointer)?,
                    exclusive_minimum: limit("exclusiveMinimum")?,
                    exclusive_maximum: limit("exclusiveMaximum")?,
                };
                Kind::Number(n)
            }
            "boolean" => Kind::Boolean,
            "null" => Kind::Null,
            other => {
                return fail(format!(
                    "keyword 'type' at #{pointer} names an unknown type '{other}'"
                ))
            }
        })
    }

    /// `additionalProperties`-style keywords: absent or `true` permit anything.
    fn extra(
        &mut self,
        doc: &str,
        pointer: &str,
        obj: &Map<String, Value>,
        key: &str,
        depth: usize,
    ) -> Result<Option<Extra>> {
        Ok(match obj.get(key) {
            None => None,
            Some(Value::Bool(permitted)) => Some(Extra {
                permitted: *permitted,
                schema: None,
            }),
            Some(v) => Some(Extra {
                permitted: true,
                schema: Some(self.schema(doc, child(pointer, key), v, depth + 1)?),
            }),
        })
    }

    fn object_schema(
        &mut self,
        doc: &str,
        pointer: &str,
        obj: &Map<String, Value>,
        depth: usize,
    ) -> Result<ObjectSchema> {
        let mut s = ObjectSchema::default();
        if let Some(props) = obj.get("properties") {
            let Some(props) = props.as_object() else {
                return fail(format!(
                    "keyword 'properties' at #{pointer} must be an object"
                ));
            };
            for (name, v) in props {
                let p = child(&child(pointer, "properties"), name);
                s.properties
                    .insert(name.clone(), self.schema(doc, p, v, depth + 1)?);
            }
        }
        if let Some(required) = obj.get("required") {
            match required.as_array() {
                Some(names) => {
                    s.required = names
                        .iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                }
                None if self.dialect(doc) == Dialect::Draft4 || required.is_boolean() => {}
                None => return fail(format!("keyword 'required' at #{pointer} must be an array")),
            }
        }
        s.additional = self
            .extra(doc, pointer, obj, "additionalProperties", depth)?
            .unwrap_or_default();
        s.unevaluated = self.extra(doc, pointer, obj, "unevaluatedProperties", depth)?;
        if let Some(patterns) = obj.get("patternProperties").and_then(Value::as_object) {
            for (pattern, v) in patterns {
                if regex::Regex::new(pattern).is_err() {
                    return fail(format!("keyword 'patternProperties' at #{pointer} has an invalid pattern '{pattern}'"));
                }
                let p = child(&child(pointer, "patternProperties"), pattern);
                s.pattern_properties
                    .push((pattern.clone(), self.schema(doc, p, v, depth + 1)?));
            }
        }
        for key in ["dependencies", "dependentRequired", "dependentSchemas"] {
            let Some(deps) = obj.get(key).and_then(Value::as_object) else {
                continue;
            };
            for (name, v) in deps {
                let dep = match v {
                    Value::Array(names) => Dependency::Properties(
                        names
                            .iter()
                            .filter_map(Value::as_str)
                            .map(str::to_string)
                            .collect(),
                    ),
                    other => Dependency::Schema(self.schema(
                        doc,
                        child(&child(pointer, key), name),
                        other,
                        depth + 1,
                    )?),
                };
                s.dependencies.insert(name.clone(), dep);
            }
        }
        s.min_properties = number(obj, "minProperties", pointer)?;
        s.max_properties = number(obj, "maxProperties", pointer)?;
        Ok(s)
    }

    fn array_schema(
        &mut self,
        doc: &str,
        pointer: &str,
        obj: &Map<String, Value>,
        depth: usize,
    ) -> Result<ArraySchema> {
        let mut s = ArraySchema::default();
        // Tuples are `items: [...]` + `additionalItems` up to 2019-09, `prefixItems` + `items`
        // in 2020-12; Confluent translates the latter into the former, paths included.
        let (tuple_key, rest_key) = if obj.contains_key("prefixItems") {
            ("prefixItems", "items")
        } else {
            ("items", "additionalItems")
        };
        let modern = self.dialect(doc) == Dialect::Draft202012;
        match obj.get(tuple_key) {
            Some(Value::Array(items)) => {
                let mut ids = Vec::with_capacity(items.len());
                for (i, v) in items.iter().enumerate() {
                    ids.push(self.schema(
                        doc,
                        child(&child(pointer, tuple_key), &i.to_string()),
                        v,
                        depth + 1,
                    )?);
                }
                s.tuple = Some(ids);
                s.additional = self
                    .extra(doc, pointer, obj, rest_key, depth)?
                    .unwrap_or_default();
            }
            // 2020-12's boolean `items` permits or forbids every item: `additionalItems` to everit.
            Some(Value::Bool(_)) if modern => {
                s.additional = self
                    .extra(doc, pointer, obj, "items", depth)?
                    .unwrap_or_default()
            }
            Some(v) if tuple_key == "items" => {
                s.items = Some(self.schema(doc, child(pointer, "items"), v, depth + 1)?);
                s.additional = self
                    .extra(doc, pointer, obj, "additionalItems", depth)?
                    .unwrap_or_default();
            }
            _ => {
                s.additional = self
                    .extra(doc, pointer, obj, "additionalItems", depth)?
                    .unwrap_or_default()
            }
        }
        s.unevaluated = self.extra(doc, pointer, obj, "unevaluatedItems", depth)?;
        s.min_items = number(obj, "minItems", pointer)?;
        s.max_items = number(obj, "maxItems", pointer)?;
        s.unique_items = obj
            .get("uniqueItems")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        s.min_contains = number(obj, "minContains", pointer)?;
        // From 2019-09 `contains` means at least one: an absent `minContains` is 1 (json-sKema's
        // reading, so removing `minContains: 1` is no change).
        if s.min_contains.is_none()
            && obj.contains_key("contains")
            && self.dialect(doc) >= Dialect::Draft201909
        {
            s.min_contains = Some(1.0);
        }
        s.max_contains = number(obj, "maxContains", pointer)?;
        Ok(s)
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 3 <= bytes.len() {
            let hex = |b: u8| (b as char).to_digit(16);
            if let (Some(hi), Some(lo)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((hi * 16 + lo) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
