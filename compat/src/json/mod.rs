//! JSON Schema: parsing and metaschema validation for draft-04 to 2020-12 (jsonschema crate, no
//! network or file `$ref` resolution), the canonical text and `normalize=true`, Confluent's
//! difference walk over everit's object model, and validation of documents for serializers.
//!
//! - `parse.rs`: JSON → model (everit's classification, `$ref` resolution); the dialects and
//!   their metaschema check are here in `mod.rs`.
//! - `model.rs`: the model's nodes.
//! - `walk/`: Confluent's `SchemaDiff.compare` over two models, subschema by subschema.
//! - `rules.rs`: the difference types, their verdicts and messages.
//!
//! No `normalize.rs` or `print.rs`: `normalize=true` only sorts keys and the canonical text is
//! compact JSON, both below. No `diff.rs`: the walk already reports every difference, which is
//! what the diff view shows.

mod model;
mod parse;
mod rules;
mod walk;

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use serde_json::Value;

pub use rules::JsonChange;

use crate::json_text::sort_keys;
use crate::{Change, Dependency, ParseError, ParseOptions};

/// The JSON Schema dialects, from `$schema`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Dialect {
    Draft4,
    Draft6,
    Draft7,
    Draft201909,
    Draft202012,
}

impl Dialect {
    /// The dialect a schema declares; draft-07 when it declares none, as Confluent assumes.
    fn of(schema: &Value) -> Result<Dialect, ParseError> {
        let Some(declared) = schema.as_object().and_then(|o| o.get("$schema")) else {
            return Ok(Dialect::Draft7);
        };
        let Some(uri) = declared.as_str() else {
            return Err(ParseError::invalid("keyword '$schema' must be a string"));
        };
        let bare = uri
            .trim_end_matches('#')
            .trim_start_matches("https://")
            .trim_start_matches("http://");
        match bare {
            "json-schema.org/draft-04/schema" => Ok(Dialect::Draft4),
            "json-schema.org/draft-06/schema" => Ok(Dialect::Draft6),
            "json-schema.org/draft-07/schema" => Ok(Dialect::Draft7),
            "json-schema.org/draft/2019-09/schema" => Ok(Dialect::Draft201909),
            "json-schema.org/draft/2020-12/schema" => Ok(Dialect::Draft202012),
            _ => Err(ParseError::invalid(format!(
                "unknown '$schema' {uri}: expected draft-04, draft-06, draft-07, 2019-09 or 2020-12"
            ))),
        }
    }

    fn draft(self) -> jsonschema::Draft {
        match self {
            Dialect::Draft4 => jsonschema::Draft::Draft4,
            Dialect::Draft6 => jsonschema::Draft::Draft6,
            Dialect::Draft7 => jsonschema::Draft::Draft7,
            Dialect::Draft201909 => jsonschema::Draft::Draft201909,
            Dialect::Draft202012 => jsonschema::Draft::Draft202012,
        }
    }

    /// Checks `schema` against the dialect's metaschema, naming the offending keyword.
    fn check(self, schema: &Value) -> Result<(), ParseError> {
        let result = match self {
            Dialect::Draft4 => jsonschema::draft4::meta::validate(schema),
            Dialect::Draft6 => jsonschema::draft6::meta::validate(schema),
            Dialect::Draft7 => jsonschema::draft7::meta::validate(schema),
            Dialect::Draft201909 => jsonschema::draft201909::meta::validate(schema),
            Dialect::Draft202012 => jsonschema::draft202012::meta::validate(schema),
        };
        result.map_err(|e| {
            let at = e.instance_path().as_str();
            let at = if at.is_empty() { "#" } else { at };
            ParseError::invalid(format!("Invalid JSON Schema at {at}: {e}"))
        })
    }
}

/// A parsed JSON Schema: its text as JSON, its canonical text, and the model the walk compares.
#[derive(Debug)]
pub struct JsonSchema {
    value: Value,
    dialect: Dialect,
    canonical: String,
    model: model::Model,
    /// Referenced documents by reference name, for document validation.
    dependencies: Arc<HashMap<String, Value>>,
    /// Compiled on first use: registering never pays for it.
    validator: OnceLock<Result<jsonschema::Validator, String>>,
}

/// Parses JSON text into a value, refusing what is not a JSON object or boolean.
fn parse_json(text: &str, what: &str) -> Result<Value, ParseError> {
    let value: Value = serde_json::from_str(text)
        .map_err(|e| ParseError::invalid(format!("Invalid JSON in {what}: {e}")))?;
    if !(value.is_object() || value.is_boolean()) {
        return Err(ParseError::invalid(format!(
            "Invalid JSON Schema in {what}: a schema must be an object or a boolean"
        )));
    }
    Ok(value)
}

impl JsonSchema {
    /// Parses `text` with the texts of its references (`$ref` name → registered schema).
    pub fn parse(
        text: &str,
        dependencies: &[Dependency<'_>],
        options: ParseOptions,
    ) -> Result<JsonSchema, ParseError> {
        let mut value = parse_json(text, "the schema")?;
        let dialect = Dialect::of(&value)?;
        if options.validate {
            dialect.check(&value)?;
        }
        let mut docs = HashMap::new();
        for dep in dependencies {
            let what = format!("reference '{}'", dep.name);
            let dep_value = parse_json(dep.schema, &what)?;
            let dep_dialect = Dialect::of(&dep_value)?;
            docs.insert(dep.name.to_string(), (dep_value, dep_dialect));
        }
        if options.normalize {
            value = sort_keys(&value);
        }
        docs.insert(String::new(), (value.clone(), dialect));
        let model = parse::Builder::new(&docs).build()?;
        docs.remove("");
        let canonical = serde_json::to_string(&value).expect("a JSON value always serializes");
        Ok(JsonSchema {
            value,
            dialect,
            canonical,
            model,
            dependencies: Arc::new(docs.into_iter().map(|(k, (v, _))| (k, v)).collect()),
            validator: OnceLock::new(),
        })
    }

    /// The canonical text: compact JSON, keys in the order written (sorted under `normalize`).
    pub fn canonical(&self) -> &str {
        &self.canonical
    }

    /// The schema as JSON.
    pub fn value(&self) -> &Value {
        &self.value
    }

    /// The names in the top-level `properties`.
    pub fn top_level_fields(&self) -> Vec<&str> {
        match self.value.get("properties") {
            Some(Value::Object(properties)) => properties.keys().map(String::as_str).collect(),
            _ => Vec::new(),
        }
    }

    /// What Confluent's strict validation (`validateFields`) refuses: an object schema whose
    /// top-level property names start with `$$`, in its validator's words.
    pub fn strict_violation(&self) -> Option<String> {
        let object = match self.value.get("type") {
            Some(t) => t == "object",
            None => self.value.get("properties").is_some(),
        };
        let reserved = self.top_level_fields().iter().any(|f| f.starts_with("$$"));
        (object && reserved).then(|| "#: Field names cannot start with $$ prefix".to_string())
    }

    /// Every difference from `writer` (the original) to `self` (the update), as Confluent's
    /// `SchemaDiff.compare(writer, self)` finds them.
    pub fn can_read(&self, writer: &JsonSchema) -> Vec<Change> {
        walk::compare(&writer.model, &self.model)
    }

    /// Checks a document against the schema (references resolved from the registered texts),
    /// naming the first violation and where it is.
    pub fn validate(&self, document: &Value) -> Result<(), String> {
        let validator = self.validator.get_or_init(|| {
            jsonschema::options()
                .with_draft(self.dialect.draft())
                .with_retriever(References(Arc::clone(&self.dependencies)))
                .build(&self.value)
                .map_err(|e| e.to_string())
        });
        let validator = validator.as_ref().map_err(Clone::clone)?;
        validator.validate(document).map_err(|e| {
            let at = e.instance_path().as_str();
            let at = if at.is_empty() { "#" } else { at };
            format!("{e} at {at}")
        })
    }
}

/// Serves `$ref`s to referenced schemas by their reference name, nothing from the network.
struct References(Arc<HashMap<String, Value>>);

impl jsonschema::Retrieve for References {
    fn retrieve(
        &self,
        uri: &jsonschema::Uri<String>,
    ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        let full = uri.as_str();
        let path = uri.path().as_str().trim_start_matches('/');
        self.0
            .get(full)
            .or_else(|| self.0.get(path))
            .cloned()
            .ok_or_else(|| format!("no reference supplies '{full}'").into())
    }
}
