//! JSON values in CEL and back: how JSON Schema messages are bound, and the way a CEL result
//! becomes JSON again (for JSON Schema, and for Protobuf through its JSON mapping).

use std::collections::HashMap;
use std::sync::Arc;

use base64::Engine;
use cel::objects::{Key, Map};
use cel::Value as CelValue;
use serde_json::{Number, Value as JsonValue};

/// A JSON value in CEL: objects as maps, integers as `int` (`uint` past `i64`), other
/// numbers as `double`.
pub(crate) fn json_to_cel(value: &JsonValue) -> CelValue {
    match value {
        JsonValue::Null => CelValue::Null,
        JsonValue::Bool(b) => CelValue::Bool(*b),
        JsonValue::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => CelValue::Int(i),
            (None, Some(u)) => CelValue::UInt(u),
            _ => CelValue::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        JsonValue::String(s) => CelValue::String(Arc::new(s.clone())),
        JsonValue::Array(items) => {
            CelValue::List(Arc::new(items.iter().map(json_to_cel).collect()))
        }
        JsonValue::Object(fields) => map(fields
            .iter()
            .map(|(k, v)| (Key::String(Arc::new(k.clone())), json_to_cel(v)))),
    }
}

/// A CEL map from its entries.
pub(crate) fn map(entries: impl Iterator<Item = (Key, CelValue)>) -> CelValue {
    CelValue::Map(Map {
        map: Arc::new(entries.collect::<HashMap<_, _>>()),
    })
}

/// A CEL value as JSON: bytes as base64 (as Jackson and Protobuf's JSON mapping write them),
/// map keys as strings, in the order `like` (the value before a rule changed it) has them and
/// new ones after, sorted: the same message always comes out as the same bytes. Values JSON
/// cannot hold (non-finite doubles, functions, ...) are errors.
pub(crate) fn cel_to_json(value: &CelValue, like: Option<&JsonValue>) -> Result<JsonValue, String> {
    Ok(match value {
        CelValue::Null => JsonValue::Null,
        CelValue::Bool(b) => JsonValue::Bool(*b),
        CelValue::Int(i) => JsonValue::from(*i),
        CelValue::UInt(u) => JsonValue::from(*u),
        CelValue::Float(x) => {
            JsonValue::Number(Number::from_f64(*x).ok_or_else(|| format!("{x} has no JSON form"))?)
        }
        CelValue::String(s) => JsonValue::String(s.to_string()),
        CelValue::Bytes(b) => {
            JsonValue::String(base64::engine::general_purpose::STANDARD.encode(b.as_slice()))
        }
        CelValue::List(items) => JsonValue::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, item)| cel_to_json(item, like.and_then(|l| l.get(i))))
                .collect::<Result<_, _>>()?,
        ),
        CelValue::Map(m) => {
            let mut entries: Vec<(String, &CelValue)> = m
                .map
                .iter()
                .map(|(key, value)| {
                    let key = match key {
                        Key::String(s) => s.to_string(),
                        Key::Int(i) => i.to_string(),
                        Key::Uint(u) => u.to_string(),
                        Key::Bool(b) => b.to_string(),
                    };
                    (key, value)
                })
                .collect();
            let before = like.and_then(JsonValue::as_object);
            let position = |k: &str| {
                before
                    .and_then(|o| o.keys().position(|x| x == k))
                    .unwrap_or(usize::MAX)
            };
            entries.sort_by(|(a, _), (b, _)| position(a).cmp(&position(b)).then(a.cmp(b)));
            let mut object = serde_json::Map::new();
            for (key, value) in entries {
                let value = cel_to_json(value, like.and_then(|l| l.get(&key)))?;
                object.insert(key, value);
            }
            JsonValue::Object(object)
        }
        other => return Err(format!("a CEL result of type {other:?} has no JSON form")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_goes_to_cel_and_back() {
        let value = json!({"id": 7, "big": u64::MAX, "price": 2.5, "tags": ["a"], "ok": true, "none": null});
        let cel = json_to_cel(&value);
        assert_eq!(cel_to_json(&cel, None).unwrap(), value);
        let CelValue::Map(m) = &cel else {
            panic!("{cel:?}")
        };
        assert_eq!(m.get(&Key::from("id".to_string())), Some(&CelValue::Int(7)));
        assert_eq!(
            m.get(&Key::from("big".to_string())),
            Some(&CelValue::UInt(u64::MAX))
        );
        assert_eq!(
            cel_to_json(&CelValue::Bytes(Arc::new(vec![0, 1, 2])), None).unwrap(),
            json!("AAEC")
        );
        // A changed object keeps the original's key order, new keys after it, sorted.
        let before = json!({"z": 1, "a": {"y": 1, "b": 2}});
        let after = json_to_cel(&json!({"a": {"b": 3, "y": 1, "c": 0}, "z": 1, "m": 2}));
        let out = serde_json::to_string(&cel_to_json(&after, Some(&before)).unwrap()).unwrap();
        let expected =
            serde_json::to_string(&json!({"z": 1, "a": {"y": 1, "b": 3, "c": 0}, "m": 2})).unwrap();
        assert_eq!(out, expected);
        assert_eq!(
            cel_to_json(&CelValue::Float(f64::INFINITY), None).unwrap_err(),
            "inf has no JSON form"
        );
    }
}
