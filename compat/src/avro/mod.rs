//! Avro: parsing (Avro Java's rules and messages), Confluent's canonical text, `normalize=true`,
//! the reader/writer compatibility walk, and what changed for the diff view.
//!
//! - `parse.rs`: JSON text → model, as Avro Java's `Schema.Parser`.
//! - `model.rs`: the model's nodes, named types in an arena.
//! - `normalize.rs`: `normalize=true`.
//! - `print.rs`: Confluent's canonical text; `pcf.rs`: Avro's Parsing Canonical Form.
//! - `walk.rs`: the reader/writer walk, pairing elements for the rules.
//! - `rules.rs`: the incompatibility types, one function each, and their messages.
//! - `diff.rs`: every difference, compatible or not, for the diff view. The checker reports
//!   only what breaks reading, so Avro alone needs its own diff.

mod diff;
mod model;
mod normalize;
mod parse;
mod pcf;
mod print;
mod rules;
mod walk;

pub(crate) use diff::diff;
pub use pcf::rabin_fingerprint;
pub use rules::AvroChange;

use crate::{Change, Dependency, ParseError, ParseOptions};
use model::{Named, Node};

/// A parsed Avro schema and its canonical text.
#[derive(Debug)]
pub struct AvroSchema {
    root: Node,
    /// Named types, the schema's own and those of its references.
    types: Vec<Named>,
    canonical: String,
}

impl AvroSchema {
    /// Parses `text`, with the texts of the schemas it references parsed first so their named
    /// types can be used.
    pub fn parse(
        text: &str,
        dependencies: &[Dependency<'_>],
        options: ParseOptions,
    ) -> Result<AvroSchema, ParseError> {
        let mut parser = parse::Parser::new(options.validate);
        for dep in dependencies {
            parser.parse_dependency(dep.name, dep.schema)?;
        }
        let mut root = parser.parse_text(text)?;
        let mut types = parser.types;
        if options.normalize {
            normalize::normalize(&mut root, &mut types);
        }
        let canonical = print::canonical(&root, &types);
        Ok(AvroSchema {
            root,
            types,
            canonical,
        })
    }

    /// Confluent's canonical text (Avro Java's `Schema.toString()`).
    pub fn canonical(&self) -> &str {
        &self.canonical
    }

    /// The text with the named types of its references defined where first used, not named:
    /// one self-contained schema (Confluent's `format=resolved`).
    pub fn resolved(&self) -> String {
        print::resolved(&self.root, &self.types)
    }

    /// The names of the fields of the schema's root, when it is a record (what Confluent checks
    /// reserved field names against).
    pub fn top_level_fields(&self) -> Vec<&str> {
        match &self.root {
            Node::Named(i) => match &self.types[*i].body {
                model::NamedBody::Record { fields, .. } => {
                    fields.iter().map(|f| f.name.as_str()).collect()
                }
                _ => Vec::new(),
            },
            _ => Vec::new(),
        }
    }

    /// Avro's Parsing Canonical Form (not what Confluent hashes; see `canonical`).
    pub fn parsing_canonical_form(&self) -> String {
        pcf::parsing_canonical_form(&self.root, &self.types)
    }

    /// The 64-bit Rabin fingerprint of the Parsing Canonical Form.
    pub fn fingerprint(&self) -> u64 {
        rabin_fingerprint(self.parsing_canonical_form().as_bytes())
    }

    /// Every incompatibility a reader using `self` meets in data written with `writer`.
    pub fn can_read(&self, writer: &AvroSchema) -> Vec<Change> {
        walk::can_read(self, writer)
    }
}
