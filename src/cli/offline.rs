//! `schemata compat`: parse the files with the registry's own parsers and run the same check
//! registration runs. No server, no network.

use std::process::ExitCode;

use compat::{check, parse, Dependency, ParseOptions, Previous, Schema, SchemaType};

use super::args::CompatArgs;
use super::output::print;
use super::{name_value, Invalid, Item, Outcome, COMPATIBLE, INCOMPATIBLE, INVALID};

pub fn compat(args: CompatArgs) -> ExitCode {
    match run(&args) {
        Ok(outcome) => {
            let new = args.files.last().expect("clap requires files");
            print(&outcome, args.format, &new.display().to_string());
            ExitCode::from(if outcome.compatible {
                COMPATIBLE
            } else {
                INCOMPATIBLE
            })
        }
        Err(Invalid(message)) => {
            eprintln!("error: {message}");
            ExitCode::from(INVALID)
        }
    }
}

fn run(args: &CompatArgs) -> Result<Outcome, Invalid> {
    let schemas = parse_files(
        args.schema_type.into(),
        &args.references,
        &args.files,
        args.normalize,
    )?;
    let (new, old) = schemas.split_last().expect("at least two files");
    let history: Vec<Previous<'_>> = old
        .iter()
        .enumerate()
        .map(|(i, schema)| Previous {
            schema,
            version: Some(i as i32 + 1),
        })
        .collect();
    let report = check(args.level, new, &history, args.policy.into());
    let against = report
        .against
        .map(|v| args.files[v as usize - 1].display().to_string());
    Ok(Outcome {
        compatible: report.is_compatible(),
        against,
        level: args.level.to_string(),
        changes: report
            .findings
            .into_iter()
            .map(|f| Item {
                rule: Some(f.change.kind.id().to_string()),
                path: Some(f.change.path),
                message: f.message,
            })
            .chain(
                // A type mismatch between versions has a message but no change.
                report
                    .messages
                    .iter()
                    .filter(|m| m.as_str() == "Incompatible because of different schema type")
                    .map(|m| Item {
                        rule: None,
                        path: None,
                        message: m.clone(),
                    }),
            )
            .collect(),
        notes: Vec::new(),
    })
}

/// Parses `files` with the registry's parsers (validating, as a registration does), each
/// resolving the `NAME=FILE` references; an error names the file.
pub(super) fn parse_files(
    ty: SchemaType,
    reference_args: &[String],
    files: &[std::path::PathBuf],
    normalize: bool,
) -> Result<Vec<Schema>, Invalid> {
    let mut references: Vec<(String, String)> = Vec::new();
    for r in reference_args {
        let (name, path) = name_value(r)?;
        let text = std::fs::read_to_string(path).map_err(|e| Invalid(format!("{path}: {e}")))?;
        references.push((name.to_string(), text));
    }
    let deps: Vec<Dependency<'_>> = references
        .iter()
        .map(|(name, schema)| Dependency { name, schema })
        .collect();
    let options = ParseOptions {
        normalize,
        validate: true,
    };
    files
        .iter()
        .map(|path| {
            let text = std::fs::read_to_string(path)
                .map_err(|e| Invalid(format!("{}: {e}", path.display())))?;
            parse(ty, &text, &deps, options)
                .map_err(|e| Invalid(format!("{}: {e}", path.display())))
        })
        .collect()
}
