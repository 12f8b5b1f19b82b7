//! `schemata validate` and `schemata diff`: schema files, offline, with the registry's parsers.

use std::process::ExitCode;

use compat::{check, CompatibilityLevel, Policy, Previous};
use serde_json::json;

use super::args::{DiffArgs, ValidateArgs};
use super::offline::parse_files;
use super::{Invalid, INVALID};

/// `schemata validate`: one line per valid file; the first invalid one ends it with exit 2.
pub fn validate(args: ValidateArgs) -> ExitCode {
    for file in &args.files {
        let parsed = parse_files(
            args.schema_type.into(),
            &args.references,
            std::slice::from_ref(file),
            false,
        );
        match parsed {
            Ok(_) => println!("{}: valid", file.display()),
            Err(Invalid(message)) => {
                eprintln!("error: {message}");
                return ExitCode::from(INVALID);
            }
        }
    }
    ExitCode::SUCCESS
}

/// `schemata diff OLD NEW`: the diff endpoint's JSON, `from` and `to` naming the files.
pub fn diff(args: DiffArgs) -> ExitCode {
    let files = [args.old.clone(), args.new.clone()];
    let schemas = match parse_files(args.schema_type.into(), &args.references, &files, false) {
        Ok(s) => s,
        Err(Invalid(message)) => {
            eprintln!("error: {message}");
            return ExitCode::from(INVALID);
        }
    };
    let (old, new) = (&schemas[0], &schemas[1]);
    let against = [Previous {
        schema: old,
        version: Some(1),
    }];
    let verdict = |level| check(level, new, &against, Policy::Strict).is_compatible();
    let ty: compat::SchemaType = args.schema_type.into();
    let body = json!({
        "from": args.old.display().to_string(),
        "to": args.new.display().to_string(),
        "schemaType": ty.as_str(),
        "backward_compatible": verdict(CompatibilityLevel::Backward),
        "forward_compatible": verdict(CompatibilityLevel::Forward),
        "changes": compat::diff(old, new),
    });
    println!(
        "{}",
        serde_json::to_string_pretty(&body).expect("serializes")
    );
    ExitCode::SUCCESS
}
