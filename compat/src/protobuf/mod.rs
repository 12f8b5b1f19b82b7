//! Protobuf: `.proto` text (or a base64 `FileDescriptorProto`, as Confluent's Python serializer
//! sends) compiled at run time with protox, no `protoc`; imports resolved through the
//! references' texts and the built-in files; Confluent's canonical printing and normalization;
//! the difference walk of Confluent's Protobuf checker; message indexes for the wire format.
//!
//! - `parse.rs`: text or descriptor → compiled file (protox), imports resolved.
//! - `known.rs`: the files any schema may import without a reference.
//! - `print.rs`: the canonical text, and `normalize=true`, which Confluent applies while printing.
//! - `walk.rs`: Confluent's `SchemaDiff.compare`, pairing types by name and fields by number.
//! - `rules.rs`: the difference types, their verdicts and messages.
//!
//! No `model.rs`: the compiled descriptors (prost-reflect) are the model. No `diff.rs`: the walk
//! already reports every difference, which is what the diff view shows.

mod known;
mod parse;
mod print;
mod rules;
mod walk;

use base64::Engine;
use prost::Message as _;
use prost_reflect::{FileDescriptor, MessageDescriptor};

pub use rules::ProtobufChange;

use crate::{Change, Dependency, ParseError, ParseOptions};

/// A parsed Protobuf schema: its file within a pool holding its imports, and its canonical text.
#[derive(Debug)]
pub struct ProtobufSchema {
    file: FileDescriptor,
    canonical: String,
}

impl ProtobufSchema {
    /// Compiles `text` with its dependencies (import path → registered text).
    pub fn parse(
        text: &str,
        dependencies: &[Dependency<'_>],
        options: ParseOptions,
    ) -> Result<ProtobufSchema, ParseError> {
        let file = parse::file(text, dependencies)?;
        let canonical = print::print(&file, options.normalize);
        Ok(ProtobufSchema { file, canonical })
    }

    /// The canonical `.proto` text.
    pub fn canonical(&self) -> &str {
        &self.canonical
    }

    /// The compiled file, to build dynamic messages from (its pool holds the imports).
    pub fn file(&self) -> &FileDescriptor {
        &self.file
    }

    /// Whether a top-level message has a field `name` outside a oneof (a proto3 `optional`
    /// field's synthetic oneof does not count: the text declares it as a plain field).
    pub fn has_top_level_field(&self, name: &str) -> bool {
        self.file.messages().any(|m| {
            m.fields()
                .any(|f| f.name() == name && f.containing_oneof().is_none_or(|o| o.is_synthetic()))
        })
    }

    /// The schema as a base64-encoded `FileDescriptorProto` (`format=serialized`).
    pub fn to_serialized_base64(&self) -> String {
        base64::engine::general_purpose::STANDARD
            .encode(self.file.file_descriptor_proto().encode_to_vec())
    }

    /// The path of indexes of a message in its file, as the wire format carries it: the index
    /// among the top-level messages, then among each level's nested messages (map entries do not
    /// count). `None` when no message of this schema has that full name.
    pub fn message_indexes(&self, full_name: &str) -> Option<Vec<i32>> {
        let target = self.file.parent_pool().get_message_by_name(full_name)?;
        if target.parent_file().name() != self.file.name() {
            return None;
        }
        let mut path = Vec::new();
        let mut current = Some(target);
        while let Some(message) = current {
            let siblings: Vec<MessageDescriptor> = match message.parent_message() {
                Some(parent) => parent.child_messages().collect(),
                None => self.file.messages().collect(),
            };
            let index = siblings
                .iter()
                .filter(|m| !m.is_map_entry())
                .position(|m| m.full_name() == message.full_name())?;
            path.push(index as i32);
            current = message.parent_message();
        }
        path.reverse();
        Some(path)
    }

    /// The message a path of indexes names (the reverse of [`ProtobufSchema::message_indexes`]).
    pub fn message_at(&self, indexes: &[i32]) -> Option<MessageDescriptor> {
        let mut level: Vec<MessageDescriptor> = self.file.messages().collect();
        let mut found = None;
        for index in indexes {
            let message = level
                .iter()
                .filter(|m| !m.is_map_entry())
                .nth(usize::try_from(*index).ok()?)?
                .clone();
            level = message.child_messages().collect();
            found = Some(message);
        }
        found
    }

    /// Every difference a reader using `self` sees in data written with `writer`: Confluent's
    /// diff with the writer as the original and the reader as the update.
    pub fn can_read(&self, writer: &ProtobufSchema) -> Vec<Change> {
        walk::compare(&writer.file, &self.file)
    }
}
