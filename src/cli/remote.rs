//! `schemata check` and `schemata register`: the same verdicts, from a running registry's
//! `/compatibility` endpoint (verbose), so a pipeline can check, then register.

use std::process::ExitCode;

use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use serde_json::{json, Value};

use super::args::RemoteArgs;
use super::output::print;
use super::{name_value, Invalid, Item, Outcome, COMPATIBLE, INCOMPATIBLE, INVALID};

/// `schemata check`.
pub async fn check(args: RemoteArgs) -> ExitCode {
    finish(&args, verdict(&args).await)
}

/// `schemata register`: checks first, registers only a compatible schema.
pub async fn register(args: RemoteArgs) -> ExitCode {
    let outcome = match verdict(&args).await {
        Ok(outcome) if outcome.compatible => registration(&args).await.map(|note| Outcome {
            notes: vec![note],
            ..outcome
        }),
        other => other,
    };
    finish(&args, outcome)
}

fn finish(args: &RemoteArgs, outcome: Result<Outcome, Invalid>) -> ExitCode {
    match outcome {
        Ok(outcome) => {
            print(&outcome, args.format, &args.file.display().to_string());
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

fn body(args: &RemoteArgs) -> Result<Value, Invalid> {
    let schema = std::fs::read_to_string(&args.file)
        .map_err(|e| Invalid(format!("{}: {e}", args.file.display())))?;
    let mut references = Vec::new();
    for r in &args.references {
        let (name, target) = name_value(r)?;
        let (subject, version) = target
            .rsplit_once(':')
            .and_then(|(s, v)| Some((s, v.parse::<i32>().ok()?)))
            .ok_or_else(|| Invalid(format!("expected NAME=SUBJECT:VERSION, got '{r}'")))?;
        references.push(json!({"name": name, "subject": subject, "version": version}));
    }
    let ty: compat::SchemaType = args.schema_type.into();
    Ok(json!({"schema": schema, "schemaType": ty.as_str(), "references": references}))
}

fn subject_url(args: &RemoteArgs, path: &str) -> String {
    let subject = utf8_percent_encode(&args.subject, NON_ALPHANUMERIC);
    format!(
        "{}/{path}/{subject}/versions?normalize={}",
        args.url.trim_end_matches('/'),
        args.normalize
    )
}

/// A request with the credentials `args` give.
fn request(
    args: &RemoteArgs,
    method: reqwest::Method,
    url: &str,
) -> Result<reqwest::RequestBuilder, Invalid> {
    let request = args.auth.http_client()?.request(method, url);
    Ok(match args.auth.credentials()? {
        Some(credentials) => credentials.apply(request),
        None => request,
    })
}

async fn post(args: &RemoteArgs, url: &str, body: &Value) -> Result<(u16, Value), Invalid> {
    let response = request(args, reqwest::Method::POST, url)?
        .header("Content-Type", "application/vnd.schemaregistry.v1+json")
        .json(body)
        .send()
        .await
        .map_err(|e| Invalid(format!("{url}: {e}")))?;
    let status = response.status().as_u16();
    let value = response
        .json::<Value>()
        .await
        .map_err(|e| Invalid(format!("{url}: the registry's answer is not JSON: {e}")))?;
    Ok((status, value))
}

/// Asks the registry whether the file would be accepted under the subject's level.
async fn verdict(args: &RemoteArgs) -> Result<Outcome, Invalid> {
    let url = format!(
        "{}&verbose=true",
        subject_url(args, "compatibility/subjects")
    );
    let (status, answer) = post(args, &url, &body(args)?).await?;
    if status != 200 {
        return Err(Invalid(format!("the registry answered {status}: {answer}")));
    }
    let messages: Vec<String> = answer["messages"]
        .as_array()
        .map(|m| {
            m.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let compatible = answer["is_compatible"].as_bool().unwrap_or(false);
    let changes: Vec<Item> = messages.iter().filter_map(|m| item(m)).collect();
    if !compatible && changes.is_empty() {
        // Verbose checks report an unparseable schema as the only message.
        return Err(Invalid(messages.join("; ")));
    }
    let level = match messages
        .iter()
        .find_map(|m| quoted_after(m, "compatibility: '"))
    {
        Some(level) => level,
        None => level_of(args).await?,
    };
    let against = messages
        .iter()
        .find_map(|m| {
            m.strip_prefix("{oldSchemaVersion: ")?
                .strip_suffix('}')
                .map(str::to_string)
        })
        .map(|v| format!("{} version {v}", args.subject));
    Ok(Outcome {
        compatible,
        against,
        level,
        changes,
        notes: Vec::new(),
    })
}

/// The subject's effective compatibility level.
async fn level_of(args: &RemoteArgs) -> Result<String, Invalid> {
    let subject = utf8_percent_encode(&args.subject, NON_ALPHANUMERIC);
    let url = format!(
        "{}/config/{subject}?defaultToGlobal=true",
        args.url.trim_end_matches('/')
    );
    let answer: Value = request(args, reqwest::Method::GET, &url)?
        .send()
        .await
        .map_err(|e| Invalid(format!("{url}: {e}")))?
        .json()
        .await
        .map_err(|e| Invalid(format!("{url}: the registry's answer is not JSON: {e}")))?;
    answer["compatibilityLevel"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| Invalid(format!("{url}: no compatibilityLevel in {answer}")))
}

async fn registration(args: &RemoteArgs) -> Result<String, Invalid> {
    let (status, answer) = post(args, &subject_url(args, "subjects"), &body(args)?).await?;
    match (status, answer["id"].as_u64()) {
        (200, Some(id)) => Ok(format!("registered under {} with id {id}", args.subject)),
        _ => Err(Invalid(format!("the registry answered {status}: {answer}"))),
    }
}

/// A change from one of Confluent's messages; context lines (`{oldSchema: …}`) are not changes.
fn item(message: &str) -> Option<Item> {
    let rule =
        quoted_after(message, "errorType:'").or_else(|| quoted_after(message, "errorType:\""));
    if rule.is_none() && message != "Incompatible because of different schema type" {
        return None;
    }
    let path = quoted_after(message, "path '").or_else(|| quoted_after(message, "path: '"));
    Some(Item {
        rule,
        path,
        message: message.to_string(),
    })
}

/// The text between `prefix` and the next quote of the same kind.
fn quoted_after(message: &str, prefix: &str) -> Option<String> {
    let quote = prefix.chars().last()?;
    let start = message.find(prefix)? + prefix.len();
    let end = message[start..].find(quote)? + start;
    Some(message[start..end].to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_are_read_from_confluent_messages() {
        let avro = "{errorType:'READER_FIELD_MISSING_DEFAULT_VALUE', description:'The field 'b' at path '/fields/1' in the new schema has no default value and is missing in the old schema', additionalInfo:'b'}";
        let item = item(avro).unwrap();
        assert_eq!(
            item.rule.as_deref(),
            Some("READER_FIELD_MISSING_DEFAULT_VALUE")
        );
        assert_eq!(item.path.as_deref(), Some("/fields/1"));
        let proto = "{errorType:\"REQUIRED_FIELD_REMOVED\", description:\"The new schema is missing a required field at path: '#/M/2' in the old schema\"}";
        let item = super::item(proto).unwrap();
        assert_eq!(
            (item.rule.as_deref(), item.path.as_deref()),
            (Some("REQUIRED_FIELD_REMOVED"), Some("#/M/2"))
        );
        assert!(super::item("{oldSchemaVersion: 3}").is_none());
    }
}
