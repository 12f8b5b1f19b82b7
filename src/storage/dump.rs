//! Dumps: the records of a store as lines of text, in the shapes of Confluent's `_schemas`
//! topic, and those lines read back (from our dumps or from the tools that print the topic).
//!
//! A dump line is `KEY<TAB>VALUE`, a tombstone's value `null`: what
//! `kafka-console-consumer --property print.key=true` prints, so a dump can also be produced
//! into a topic (`kafka-console-producer --property parse.key=true --property null.marker=null`).
//! Read back are:
//! - those lines, and kcat's `-K<delimiter>` lines (any short delimiter; an empty value,
//!   `null` or kcat's `NULL` is a tombstone);
//! - JSON lines `{"key": K, "value": V}`, K and V objects or strings holding JSON, V `null` for
//!   a tombstone; kcat's `-J` lines (the value in `payload`) are such lines.
//!
//! The global CONFIG and MODE keys have two spellings: Confluent from 6.2 leaves `subject` out,
//! older versions (and Karapace, Redpanda) write `"subject":null`. Both read as the same record.
//! The log and PostgreSQL keep the legacy spelling (`Record::key`): their compaction compares
//! key bytes, so one spelling must last for the store's life. A dump is written in either.

use std::collections::HashSet;

use super::Record;

/// How a dump spells the keys of the global config and mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyFormat {
    /// `{"keytype":"CONFIG","magic":0}`: Confluent 6.2 and later.
    Confluent,
    /// `{"keytype":"CONFIG","subject":null,"magic":0}`: earlier Confluent, Karapace, Redpanda,
    /// and Schemata's own stores.
    Legacy,
}

/// The key of `record` in `format`.
pub fn key(record: &Record, format: KeyFormat) -> Vec<u8> {
    let keytype = match record {
        Record::Config { subject: None, .. } => "CONFIG",
        Record::Mode { subject: None, .. } => "MODE",
        _ => return record.key(),
    };
    match format {
        KeyFormat::Legacy => record.key(),
        KeyFormat::Confluent => format!(r#"{{"keytype":"{keytype}","magic":0}}"#).into_bytes(),
    }
}

/// One dump line for `record` (without its newline).
pub fn line(record: &Record, format: KeyFormat) -> String {
    let mut out = String::from_utf8(key(record, format)).expect("keys are JSON text");
    out.push('\t');
    match record.value() {
        Some(value) => out.push_str(std::str::from_utf8(&value).expect("values are JSON text")),
        None => out.push_str("null"),
    }
    out
}

/// A dump line read back: a record's key and value as the topic holds them (`None`: tombstone).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub key: String,
    pub value: Option<String>,
}

/// Reads one line of a dump; `Ok(None)` for a blank line. The error says what is wrong with it.
pub fn parse_line(line: &str) -> Result<Option<Entry>, String> {
    let line = line.trim_end_matches(['\r', '\n']);
    if line.trim().is_empty() {
        return Ok(None);
    }
    let mut values = serde_json::Deserializer::from_str(line).into_iter::<serde_json::Value>();
    let first = match values.next() {
        Some(Ok(v)) => v,
        Some(Err(e)) => return Err(format!("not a key or a JSON line: {e}")),
        None => return Ok(None),
    };
    let rest = &line[values.byte_offset()..];
    let Some(object) = first.as_object() else {
        return Err(
            "a line must start with a JSON object (a key, or {\"key\":..,\"value\":..})".into(),
        );
    };
    if object.contains_key("keytype") {
        let value = value_after_key(rest)?;
        return Ok(Some(Entry {
            key: compact_json(&first)?,
            value,
        }));
    }
    if rest.trim().is_empty() && object.contains_key("key") {
        let key = embedded(&object["key"], "key")?
            .ok_or_else(|| "the \"key\" of a JSON line is null".to_string())?;
        let value = match (object.get("value"), object.get("payload")) {
            (Some(v), _) | (None, Some(v)) => embedded(v, "value")?,
            (None, None) => return Err("a JSON line without \"value\" (or \"payload\")".into()),
        };
        return Ok(Some(Entry { key, value }));
    }
    Err("a line must start with a key ({\"keytype\":..}) or be {\"key\":..,\"value\":..}".into())
}

/// The value after a key: a delimiter (a tab, kcat's `-K` choice), then JSON, `null`, `NULL` or
/// nothing (a tombstone).
fn value_after_key(rest: &str) -> Result<Option<String>, String> {
    if rest.is_empty() {
        return Err(
            "a key without a value: print both (kafka-console-consumer --property print.key=true, or kcat -K)"
                .into(),
        );
    }
    let start = rest
        .char_indices()
        .find(|(_, c)| *c == '{' || *c == '"')
        .map(|(i, _)| i);
    let (delimiter, value) = match start {
        Some(i) => (&rest[..i], Some(&rest[i..])),
        None => (rest.trim_end_matches("null").trim_end_matches("NULL"), None),
    };
    if delimiter.is_empty() || delimiter.chars().count() > 4 {
        return Err(format!(
            "expected a short delimiter between the key and the value, found {delimiter:?}"
        ));
    }
    match value {
        None => Ok(None),
        Some(text) => {
            let value: serde_json::Value =
                serde_json::from_str(text).map_err(|e| format!("the value is not JSON: {e}"))?;
            embedded(&value, "value")
        }
    }
}

/// A key or value of a JSON line: an object, a string holding one, or null.
fn embedded(v: &serde_json::Value, what: &str) -> Result<Option<String>, String> {
    match v {
        serde_json::Value::Null => Ok(None),
        serde_json::Value::Object(_) => compact_json(v).map(Some),
        serde_json::Value::String(s) if s.is_empty() => Ok(None),
        serde_json::Value::String(s) => {
            let inner: serde_json::Value = serde_json::from_str(s)
                .map_err(|e| format!("the {what} string does not hold JSON: {e}"))?;
            match inner {
                serde_json::Value::Object(_) => compact_json(&inner).map(Some),
                serde_json::Value::Null => Ok(None),
                _ => Err(format!("the {what} is not a JSON object")),
            }
        }
        _ => Err(format!("the {what} is not a JSON object")),
    }
}

fn compact_json(v: &serde_json::Value) -> Result<String, String> {
    serde_json::to_string(v).map_err(|e| e.to_string())
}

/// The records as compaction leaves them: the last write of each key, at its place, tombstones
/// kept (so a dump says what was hard-deleted). PostgreSQL keeps exactly these rows, and folding
/// them gives the state folding all of them gives.
pub fn compact(records: Vec<Record>) -> Vec<Record> {
    let mut seen = HashSet::new();
    let mut kept: Vec<Record> = records
        .into_iter()
        .rev()
        .filter(|r| seen.insert(r.key()))
        .collect();
    kept.reverse();
    kept
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::{Mode, ModeValue};

    fn entry(key: &str, value: Option<&str>) -> Option<Entry> {
        Some(Entry {
            key: key.into(),
            value: value.map(str::to_string),
        })
    }

    const KEY: &str = r#"{"keytype":"SCHEMA","subject":"s","version":1,"magic":1}"#;
    const VALUE: &str = r#"{"subject":"s","version":1,"id":3,"schema":"\"int\"","deleted":false}"#;

    #[test]
    fn every_tool_s_line_shape_reads_the_same() {
        let lines = [
            format!("{KEY}\t{VALUE}"),
            format!("{KEY}\t{VALUE}\r\n"),
            format!("{KEY}:{VALUE}"),
            format!("{KEY}|{VALUE}"),
            format!(r#"{{"key":{KEY},"value":{VALUE}}}"#),
            format!(
                r#"{{"topic":"_schemas","partition":0,"offset":4,"key":{},"payload":{}}}"#,
                serde_json::to_string(KEY).unwrap(),
                serde_json::to_string(VALUE).unwrap()
            ),
        ];
        for line in lines {
            assert_eq!(parse_line(&line), Ok(entry(KEY, Some(VALUE))), "{line}");
        }
    }

    #[test]
    fn tombstones_in_every_spelling() {
        for line in [
            format!("{KEY}\tnull"),
            format!("{KEY}\t"),
            format!("{KEY}:NULL"),
            format!("{KEY}:"),
            format!(r#"{{"key":{KEY},"value":null}}"#),
            format!(
                r#"{{"key":{},"payload":null}}"#,
                serde_json::to_string(KEY).unwrap()
            ),
        ] {
            assert_eq!(parse_line(&line), Ok(entry(KEY, None)), "{line}");
        }
        assert_eq!(parse_line("   "), Ok(None));
    }

    #[test]
    fn lines_that_mean_nothing_say_why() {
        assert_eq!(
            parse_line(KEY),
            Err("a key without a value: print both (kafka-console-consumer --property print.key=true, or kcat -K)".into())
        );
        assert_eq!(
            parse_line("Processed a total of 3 messages"),
            Err("not a key or a JSON line: expected value at line 1 column 1".into())
        );
        assert_eq!(
            parse_line(&format!("{KEY}\t{{\"subject\":")),
            Err("the value is not JSON: EOF while parsing a value at line 1 column 11".into())
        );
        assert_eq!(
            parse_line(r#"{"offset":3}"#),
            Err(
                "a line must start with a key ({\"keytype\":..}) or be {\"key\":..,\"value\":..}"
                    .into()
            )
        );
        assert_eq!(
            parse_line(&format!("{KEY} ==> {VALUE}")),
            Err("expected a short delimiter between the key and the value, found \" ==> \"".into())
        );
    }

    #[test]
    fn global_keys_in_both_spellings() {
        let mode = Record::Mode {
            subject: None,
            value: Some(ModeValue {
                subject: None,
                mode: Mode::Import,
            }),
        };
        assert_eq!(
            line(&mode, KeyFormat::Confluent),
            "{\"keytype\":\"MODE\",\"magic\":0}\t{\"mode\":\"IMPORT\"}"
        );
        assert_eq!(
            line(&mode, KeyFormat::Legacy),
            "{\"keytype\":\"MODE\",\"subject\":null,\"magic\":0}\t{\"mode\":\"IMPORT\"}"
        );
        let confluent = key(&mode, KeyFormat::Confluent);
        assert_eq!(
            Record::decode(&confluent, mode.value().as_deref()).unwrap(),
            Some(mode)
        );
    }
}
