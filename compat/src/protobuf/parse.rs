//! `.proto` text, or a base64 `FileDescriptorProto` as Confluent's Python serializer sends,
//! compiled at run time with protox (no `protoc`) into a file within a pool holding its imports.
//! Imports are resolved through the references' texts, then the built-in files (`known.rs`).

use std::collections::HashMap;

use base64::Engine;
use prost::Message as _;
use prost_reflect::{DescriptorPool, FileDescriptor};
use protox::file::{File, FileResolver};

use super::known;
use crate::{Dependency, ParseError};

/// Compiles `text` with its dependencies (import path → registered text), as `.proto` source
/// or, failing that, as a base64 `FileDescriptorProto`.
pub(super) fn file(
    text: &str,
    dependencies: &[Dependency<'_>],
) -> Result<FileDescriptor, ParseError> {
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
    Ok(file)
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
