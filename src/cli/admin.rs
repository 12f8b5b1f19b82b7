//! `schemata download`, `schemata set-config` and `schemata set-mode`: what Confluent's Maven
//! plugin does against a running registry.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::ExitCode;

use reqwest::Method;
use serde_json::{json, Value};

use super::args::{DownloadArgs, SetConfigArgs, SetModeArgs};
use super::{Invalid, INVALID};
use crate::registry::wildcard;
use crate::replication::remote::{encode, Remote};

fn finish(result: Result<String, Invalid>) -> ExitCode {
    match result {
        Ok(report) => {
            print!("{report}");
            ExitCode::SUCCESS
        }
        Err(Invalid(message)) => {
            eprintln!("error: {message}");
            ExitCode::from(INVALID)
        }
    }
}

/// A write that must answer 200; the answer.
async fn write(
    remote: &Remote,
    method: Method,
    path: &str,
    body: &Value,
) -> Result<Value, Invalid> {
    match remote.send(method.clone(), path, Some(body)).await? {
        (200, answer) => Ok(answer),
        (status, answer) => Err(Invalid(format!(
            "{method} {}{path}: the registry answered {status}: {answer}",
            remote.url()
        ))),
    }
}

pub async fn set_config(args: SetConfigArgs) -> ExitCode {
    finish(
        async {
            let remote = args.auth.remote(&args.url)?;
            let path = match &args.subject {
                Some(s) => format!("/config/{}", encode(s)),
                None => "/config".into(),
            };
            let body = json!({"compatibility": args.level.as_str()});
            write(&remote, Method::PUT, &path, &body).await?;
            Ok(format!(
                "compatibility of {} set to {}\n",
                args.subject.as_deref().unwrap_or("the registry"),
                args.level.as_str()
            ))
        }
        .await,
    )
}

pub async fn set_mode(args: SetModeArgs) -> ExitCode {
    finish(
        async {
            let remote = args.auth.remote(&args.url)?;
            let mut path = match &args.subject {
                Some(s) => format!("/mode/{}", encode(s)),
                None => "/mode".into(),
            };
            if args.force {
                path.push_str("?force=true");
            }
            let mode = clap::ValueEnum::to_possible_value(&args.mode)
                .expect("every mode has a name")
                .get_name()
                .to_string();
            write(&remote, Method::PUT, &path, &json!({"mode": mode})).await?;
            Ok(format!(
                "mode of {} set to {mode}\n",
                args.subject.as_deref().unwrap_or("the registry")
            ))
        }
        .await,
    )
}

fn extension(schema_type: &str) -> &'static str {
    match schema_type {
        "PROTOBUF" => "proto",
        "JSON" => "json",
        _ => "avsc",
    }
}

/// A file name for a subject: path separators and other awkward characters replaced.
fn file_stem(subject: &str) -> String {
    subject
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

pub async fn download(args: DownloadArgs) -> ExitCode {
    finish(download_all(&args).await)
}

async fn download_all(args: &DownloadArgs) -> Result<String, Invalid> {
    let remote = args.auth.remote(&args.url)?;
    let (status, subjects) = remote.send(Method::GET, "/subjects", None).await?;
    let subjects: Vec<String> = match (status, serde_json::from_value(subjects.clone())) {
        (200, Ok(s)) => s,
        _ => {
            return Err(Invalid(format!(
                "GET {}/subjects: the registry answered {status}: {subjects}",
                remote.url()
            )))
        }
    };
    let chosen: Vec<&String> = subjects
        .iter()
        .filter(|s| args.subjects.iter().any(|p| wildcard(p, s)))
        .collect();
    if chosen.is_empty() {
        return Err(Invalid(format!(
            "no subject matches {}",
            args.subjects.join(", ")
        )));
    }
    std::fs::create_dir_all(&args.out)
        .map_err(|e| Invalid(format!("{}: {e}", args.out.display())))?;
    let mut report = String::new();
    // Referenced versions to fetch, and those written.
    let mut wanted: Vec<(String, i32)> = Vec::new();
    let mut written: BTreeSet<(String, i32)> = BTreeSet::new();
    for subject in chosen {
        let versions: Vec<String> = if args.all_versions {
            let (_, v) = remote
                .send(
                    Method::GET,
                    &format!("/subjects/{}/versions", encode(subject)),
                    None,
                )
                .await?;
            serde_json::from_value::<Vec<i32>>(v)
                .map_err(|e| Invalid(format!("versions of {subject}: {e}")))?
                .into_iter()
                .map(|v| v.to_string())
                .collect()
        } else {
            vec!["latest".into()]
        };
        for version in versions {
            let shown = fetch(&remote, subject, &version).await?;
            let number = shown["version"].as_i64().unwrap_or_default() as i32;
            let name = if args.all_versions {
                format!("{}-v{number}", file_stem(subject))
            } else {
                file_stem(subject)
            };
            report.push_str(&save(&args.out, &name, &shown)?);
            written.insert((subject.clone(), number));
            wanted.extend(references(&shown));
        }
    }
    while let Some((subject, version)) = wanted.pop() {
        if !written.insert((subject.clone(), version)) {
            continue;
        }
        let shown = fetch(&remote, &subject, &version.to_string()).await?;
        let name = format!("{}-v{version}", file_stem(&subject));
        report.push_str(&save(&args.out, &name, &shown)?);
        wanted.extend(references(&shown));
    }
    Ok(report)
}

async fn fetch(remote: &Remote, subject: &str, version: &str) -> Result<Value, Invalid> {
    let path = format!("/subjects/{}/versions/{version}", encode(subject));
    match remote.send(Method::GET, &path, None).await? {
        (200, v) => Ok(v),
        (status, v) => Err(Invalid(format!(
            "GET {}{path}: the registry answered {status}: {v}",
            remote.url()
        ))),
    }
}

fn references(shown: &Value) -> Vec<(String, i32)> {
    shown["references"]
        .as_array()
        .map(|refs| {
            refs.iter()
                .filter_map(|r| {
                    Some((
                        r["subject"].as_str()?.to_string(),
                        r["version"].as_i64()? as i32,
                    ))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Writes a version's schema text to `DIR/NAME.EXT`; the report line.
fn save(dir: &Path, name: &str, shown: &Value) -> Result<String, Invalid> {
    let schema = shown["schema"]
        .as_str()
        .ok_or_else(|| Invalid(format!("no schema in {shown}")))?;
    let ext = extension(shown["schemaType"].as_str().unwrap_or("AVRO"));
    let path = dir.join(format!("{name}.{ext}"));
    std::fs::write(&path, schema).map_err(|e| Invalid(format!("{}: {e}", path.display())))?;
    Ok(format!(
        "{} version {} (id {}) -> {}\n",
        shown["subject"].as_str().unwrap_or_default(),
        shown["version"],
        shown["id"],
        path.display()
    ))
}
