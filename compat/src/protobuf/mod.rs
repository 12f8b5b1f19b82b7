//! Protobuf: `.proto` text (or a base64 `FileDescriptorProto`, as Confluent's Python serializer
//! sends) compiled at run time with protox, no `protoc`; imports resolved through the
//! references' texts and the built-in files; Confluent's canonical printing and normalization;
//! the difference walk of Confluent's Protobuf checker; message indexes for the wire format.

mod known;
mod print;
mod rules;
mod walk;

use std::collections::HashMap;

use base64::Engine;
use prost::Message as _;
use prost_reflect::{DescriptorPool, FileDescriptor, MessageDescriptor};
use protox::file::{File, FileResolver};

pub use rules::ProtobufChange;

use crate::{Change, Dependency, ParseError, ParseOptions};

/// A parsed Protobuf schema: its file within a pool holding its imports, and its canonical text.
#[derive(Debug)]
pub struct ProtobufSchema {
    file: FileDescriptor,
    canonical: String,
}

/// Resolves imports from the references' texts, then the built-in files. Owns its texts: the
/// compiler wants a resolver that lives as long as it does.
struct Resolver {
    main: (String, MainSource),
    deps: HashMap<String, String>,
}

enum MainSource {
    Text(String),
    Descriptor(Box<prost_types::FileDescriptorProto>),
}

impl FileResolver for Resolver {
    fn open_file(&self, name: &str) -> Result<File, protox::Error> {
        if name == self.main.0 {
            return match &self.main.1 {
                MainSource::Text(text) => File::from_source(name, text),
                MainSource::Descriptor(proto) => {
                    Ok(File::from_file_descriptor_proto((**proto).clone()))
                }
            };
        }
        if let Some(text) = self.deps.get(name) {
            return File::from_source(name, text);
        }
        known::open(name).unwrap_or_else(|| Err(protox::Error::file_not_found(name)))
    }
}

/// The name the schema's own file gets: one no reference uses.
fn main_name(dependencies: &[Dependency<'_>]) -> String {
    let mut name = "schema.proto".to_string();
    while dependencies.iter().any(|d| d.name == name) || known::open(&name).is_some() {
        name.insert(0, '_');
    }
    name
}

fn compile(resolver: Resolver) -> Result<FileDescriptor, protox::Error> {
    let name = resolver.main.0.clone();
    let mut compiler = protox::Compiler::with_file_resolver(resolver);
    compiler.include_imports(true);
    compiler.open_file(&name)?;
    let pool: DescriptorPool = compiler.descriptor_pool();
    Ok(pool
        .get_file_by_name(&name)
        .expect("the compiled file is in its pool"))
}

/// A base64-encoded `FileDescriptorProto`, if `text` is one.
fn descriptor_from_base64(text: &str) -> Option<prost_types::FileDescriptorProto> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .ok()?;
    prost_types::FileDescriptorProto::decode(bytes.as_slice()).ok()
}

impl ProtobufSchema {
    /// Compiles `text` with its dependencies (import path → registered text).
    pub fn parse(
        text: &str,
        dependencies: &[Dependency<'_>],
        options: ParseOptions,
    ) -> Result<ProtobufSchema, ParseError> {
        let deps: HashMap<String, String> = dependencies
            .iter()
            .map(|d| (d.name.to_string(), d.schema.to_string()))
            .collect();
        let name = main_name(dependencies);
        let from_text = compile(Resolver {
            main: (name.clone(), MainSource::Text(text.to_string())),
            deps: deps.clone(),
        });
        let file = match from_text {
            Ok(file) => file,
            Err(text_error) => match descriptor_from_base64(text) {
                Some(mut proto) => {
                    // The descriptor's own name may clash with an import; the text form is what is stored.
                    proto.name = Some(name.clone());
                    compile(Resolver {
                        main: (name.clone(), MainSource::Descriptor(Box::new(proto))),
                        deps,
                    })
                    .map_err(|e| ParseError::invalid(format!("{e:?}")))?
                }
                None => return Err(ParseError::invalid(format!("{text_error:?}"))),
            },
        };
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
        walk::diff(&writer.file, &self.file)
    }
}
