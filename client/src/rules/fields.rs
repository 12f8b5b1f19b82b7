//! What `CEL_FIELD` rules see of a field, and the pieces each format's walk shares: entering a
//! record's field in its CEL map, and matching metadata tag paths.

use std::sync::Arc;

use cel::objects::Key;
use cel::Value as CelValue;

/// A primitive field as a `CEL_FIELD` rule sees it.
#[derive(Debug, Clone)]
pub(crate) struct FieldInfo {
    /// The record's full name and the field's (Avro, Protobuf), or the path from `$` (JSON).
    pub(crate) full_name: String,
    pub(crate) name: String,
    /// Confluent's name for the value's type: `STRING`, `INT`, `LONG`, `DOUBLE`, ...
    pub(crate) type_name: &'static str,
    /// The tags the schema gives the field itself (`confluent:tags`).
    pub(crate) tags: Vec<String>,
}

/// What a walk calls for each primitive field: the field, the record holding it (as CEL's
/// `message`) and its value; `Some` replaces the value. An error fails the rule.
pub(crate) type Visit<'a> =
    dyn FnMut(&FieldInfo, &CelValue, &CelValue) -> Result<Option<CelValue>, String> + 'a;

/// Walks each of a record's `fields` present in `record` (a CEL map), as `walk` says, with
/// the record before any change as the containing message.
pub(crate) fn each_field<T>(
    record: &mut CelValue,
    fields: impl IntoIterator<Item = (FieldInfo, T)>,
    mut walk: impl FnMut(T, &mut CelValue, &FieldInfo, &CelValue) -> Result<(), String>,
) -> Result<(), String> {
    let container = record.clone();
    let CelValue::Map(map) = record else {
        return Ok(());
    };
    for (info, schema) in fields {
        let key = Key::String(Arc::new(info.name.clone()));
        if let Some(value) = Arc::make_mut(&mut map.map).get_mut(&key) {
            walk(schema, value, &info, &container)?;
        }
    }
    Ok(())
}

/// Visits `value`, a primitive of type `type_name`, when it is a field's (not the message
/// itself), and puts what the visit returns in its place.
pub(crate) fn leaf(
    value: &mut CelValue,
    type_name: &'static str,
    field: Option<(&FieldInfo, &CelValue)>,
    visit: &mut Visit<'_>,
) -> Result<(), String> {
    let Some((field, container)) = field else {
        return Ok(());
    };
    let info = FieldInfo {
        type_name,
        ..field.clone()
    };
    if let Some(replacement) = visit(&info, container, value)? {
        *value = replacement;
    }
    Ok(())
}

/// Whether a field path matches a metadata tag pattern, as Confluent's clients match them:
/// `?` is one character and `*` any within a name (between dots), `**` any across names.
pub(crate) fn matches(path: &str, pattern: &str) -> bool {
    let pattern = pattern.replace("**.*", "**");
    glob(path.as_bytes(), pattern.as_bytes())
}

fn glob(path: &[u8], pattern: &[u8]) -> bool {
    match pattern {
        [] => path.is_empty(),
        [b'*', b'*', rest @ ..] => (0..=path.len()).any(|i| glob(&path[i..], rest)),
        [b'*', rest @ ..] => {
            let within = path.iter().position(|c| *c == b'.').unwrap_or(path.len());
            (0..=within).any(|i| glob(&path[i..], rest))
        }
        [b'?', rest @ ..] => matches!(path, [c, tail @ ..] if *c != b'.' && glob(tail, rest)),
        [c, rest @ ..] => matches!(path, [p, tail @ ..] if p == c && glob(tail, rest)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_paths_match_as_confluents_wildcards_do() {
        // Confluent's own examples.
        assert!(matches("eve", "eve*"));
        assert!(matches("alice.bob.eve", "a*.bob.eve"));
        assert!(matches("alice.bob.eve", "a*.bob.e*"));
        assert!(!matches("alice.bob.eve", "a*"));
        assert!(matches("alice.bob.eve", "a**"));
        assert!(!matches("alice.bob.eve", "alice.bob*"));
        assert!(matches("alice.bob.eve", "alice.bob**"));
        assert!(matches("acme.Order.ssn", "**.ssn"));
        assert!(matches("acme.Order.ssn", "acme.Order.ss?"));
        assert!(!matches("acme.Order.ssn", "acme.Order.s?"));
    }
}
