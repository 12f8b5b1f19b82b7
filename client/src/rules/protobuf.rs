//! Protobuf messages as the rules see them: a message as a CEL map by field name (unset scalars
//! at their defaults, as field access on a message reads them; unset messages and oneof
//! members absent, so `has()` tells), enums as their numbers, unsigned integers as `uint`. A
//! `TRANSFORM`'s result comes back through Protobuf's JSON mapping.

use std::sync::Arc;

use cel::objects::Key;
use cel::Value as CelValue;
use prost_reflect::{
    DynamicMessage, FieldDescriptor, Kind, MapKey, MessageDescriptor, ReflectMessage, Value,
};

use super::fields::{each_field, leaf, FieldInfo, Visit};
use super::values::{cel_to_json, map};
use super::Format;

/// Messages of one type.
pub(crate) struct ProtobufFormat<'s> {
    pub(crate) descriptor: &'s MessageDescriptor,
}

impl Format for ProtobufFormat<'_> {
    type Message = DynamicMessage;

    fn to_cel(&self, message: &DynamicMessage) -> Result<CelValue, String> {
        Ok(message_to_cel(message))
    }

    /// Fields go by name: the original's order does not matter.
    fn message_of(&self, value: CelValue, _: &DynamicMessage) -> Result<DynamicMessage, String> {
        let json = cel_to_json(&value, None)?;
        DynamicMessage::deserialize(self.descriptor.clone(), json).map_err(|e| e.to_string())
    }

    fn walk_fields(&self, message: &mut CelValue, visit: &mut Visit<'_>) -> Result<(), String> {
        walk_message(self.descriptor, message, visit)
    }
}

fn message_to_cel(message: &DynamicMessage) -> CelValue {
    let descriptor = message.descriptor();
    let fields = descriptor.fields().filter_map(|field| {
        let absent = field.containing_oneof().is_some()
            || (matches!(field.kind(), Kind::Message(_)) && !field.is_list() && !field.is_map());
        if absent && !message.has_field(&field) {
            return None;
        }
        let value = message.get_field(&field);
        Some((
            Key::String(Arc::new(field.name().to_string())),
            to_cel(&value),
        ))
    });
    map(fields)
}

fn to_cel(value: &Value) -> CelValue {
    match value {
        Value::Bool(b) => CelValue::Bool(*b),
        Value::I32(n) | Value::EnumNumber(n) => CelValue::Int(i64::from(*n)),
        Value::I64(n) => CelValue::Int(*n),
        Value::U32(n) => CelValue::UInt(u64::from(*n)),
        Value::U64(n) => CelValue::UInt(*n),
        Value::F32(x) => CelValue::Float(f64::from(*x)),
        Value::F64(x) => CelValue::Float(*x),
        Value::String(s) => CelValue::String(Arc::new(s.clone())),
        Value::Bytes(b) => CelValue::Bytes(Arc::new(b.to_vec())),
        Value::Message(m) => message_to_cel(m),
        Value::List(items) => CelValue::List(Arc::new(items.iter().map(to_cel).collect())),
        Value::Map(entries) => map(entries.iter().map(|(k, v)| {
            let key = match k {
                MapKey::Bool(b) => Key::Bool(*b),
                MapKey::I32(n) => Key::Int(i64::from(*n)),
                MapKey::I64(n) => Key::Int(*n),
                MapKey::U32(n) => Key::Uint(u64::from(*n)),
                MapKey::U64(n) => Key::Uint(*n),
                MapKey::String(s) => Key::String(Arc::new(s.clone())),
            };
            (key, to_cel(v))
        })),
    }
}

/// Confluent's type name of a field's values; `None` for those a field rule does not see.
fn type_name(kind: &Kind) -> Option<&'static str> {
    Some(match kind {
        Kind::Bool => "BOOLEAN",
        Kind::String => "STRING",
        Kind::Bytes => "BYTES",
        Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 | Kind::Uint32 | Kind::Fixed32 => "INT",
        Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 | Kind::Uint64 | Kind::Fixed64 => "LONG",
        Kind::Float => "FLOAT",
        Kind::Double => "DOUBLE",
        Kind::Enum(_) | Kind::Message(_) => return None,
    })
}

fn walk_message(
    descriptor: &MessageDescriptor,
    message: &mut CelValue,
    visit: &mut Visit<'_>,
) -> Result<(), String> {
    let fields = descriptor.fields().map(|field| {
        let info = FieldInfo {
            full_name: field.full_name().to_string(),
            name: field.name().to_string(),
            type_name: "",
            tags: inline_tags(&field),
        };
        (info, field)
    });
    each_field(message, fields, |field, value, info, container| {
        walk_field(&field, value, (info, container), visit)
    })
}

/// The tags a field's `(confluent.field_meta).tags` option gives it (none when its file does
/// not import `confluent/meta.proto`, which declares the option).
fn inline_tags(field: &FieldDescriptor) -> Vec<String> {
    let Some(meta) = field
        .parent_pool()
        .get_extension_by_name("confluent.field_meta")
    else {
        return Vec::new();
    };
    let options = field.options();
    if !options.has_extension(&meta) {
        return Vec::new();
    }
    match &*options.get_extension(&meta) {
        Value::Message(meta) => match meta.get_field_by_name("tags").as_deref() {
            Some(Value::List(tags)) => tags
                .iter()
                .filter_map(|t| t.as_str().map(str::to_string))
                .collect(),
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}

/// A field's value: each item of a list, each value of a map, a nested message's own fields.
fn walk_field(
    field: &FieldDescriptor,
    value: &mut CelValue,
    at: (&FieldInfo, &CelValue),
    visit: &mut Visit<'_>,
) -> Result<(), String> {
    let kind = if field.is_map() {
        match field.kind() {
            Kind::Message(entry) => entry.map_entry_value_field().kind(),
            kind => kind,
        }
    } else {
        field.kind()
    };
    let mut one = |value: &mut CelValue| match &kind {
        Kind::Message(nested) => walk_message(nested, value, visit),
        kind => match type_name(kind) {
            Some(name) => leaf(value, name, Some(at), visit),
            None => Ok(()),
        },
    };
    match value {
        CelValue::List(items) if field.is_list() => {
            Arc::make_mut(items).iter_mut().try_for_each(&mut one)
        }
        CelValue::Map(entries) if field.is_map() => Arc::make_mut(&mut entries.map)
            .values_mut()
            .try_for_each(&mut one),
        value => one(value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROTO: &str = "syntax = \"proto3\";\npackage acme;\n\nmessage Order {\n  uint32 qty = 1;\n  Note note = 2;\n  oneof pay { string card = 3; string iban = 4; }\n  repeated int64 ids = 5;\n  map<string, Note> notes = 6;\n  Kind kind = 7;\n}\nmessage Note {\n  string text = 1;\n}\nenum Kind {\n  PLAIN = 0;\n  RUSH = 1;\n}\n";

    fn descriptor() -> MessageDescriptor {
        compat::protobuf::ProtobufSchema::parse(PROTO, &[], compat::ParseOptions::default())
            .unwrap()
            .file()
            .parent_pool()
            .get_message_by_name("acme.Order")
            .unwrap()
    }

    #[test]
    fn unset_messages_and_oneofs_are_absent_scalars_default() {
        let descriptor = descriptor();
        let mut order = DynamicMessage::new(descriptor.clone());
        order.set_field_by_name("card", Value::String("4111".into()));
        order.set_field_by_name("ids", Value::List(vec![Value::I64(1)]));
        let format = ProtobufFormat {
            descriptor: &descriptor,
        };
        let cel = format.to_cel(&order).unwrap();
        let CelValue::Map(m) = &cel else {
            panic!("{cel:?}")
        };
        let mut keys: Vec<String> = m.map.keys().map(|k| format!("{k:?}")).collect();
        keys.sort();
        assert_eq!(
            keys,
            [
                "String(\"card\")",
                "String(\"ids\")",
                "String(\"kind\")",
                "String(\"notes\")",
                "String(\"qty\")"
            ]
        );
        let get = |k: &str| m.map.get(&Key::String(Arc::new(k.into()))).cloned();
        assert_eq!(get("qty"), Some(CelValue::UInt(0)));
        assert_eq!(get("kind"), Some(CelValue::Int(0)));
        let back = format.message_of(cel, &order).unwrap();
        assert_eq!(
            prost::Message::encode_to_vec(&back),
            prost::Message::encode_to_vec(&order)
        );
    }

    #[test]
    fn inline_tags_come_from_confluents_field_meta_option() {
        let proto = "syntax = \"proto3\";\npackage acme;\nimport \"confluent/meta.proto\";\n\nmessage Person {\n  string ssn = 1 [(confluent.field_meta).tags = \"PII\", (confluent.field_meta).tags = \"GOV\"];\n  string name = 2;\n}\n";
        let parsed =
            compat::protobuf::ProtobufSchema::parse(proto, &[], compat::ParseOptions::default())
                .unwrap();
        let person = parsed
            .file()
            .parent_pool()
            .get_message_by_name("acme.Person")
            .unwrap();
        let tags: Vec<Vec<String>> = person.fields().map(|f| inline_tags(&f)).collect();
        assert_eq!(tags, [vec!["PII".to_string(), "GOV".to_string()], vec![]]);
    }

    #[test]
    fn field_walks_reach_nested_and_mapped_messages() {
        let descriptor = descriptor();
        let mut order = DynamicMessage::new(descriptor.clone());
        let mut note = DynamicMessage::new(
            descriptor
                .parent_pool()
                .get_message_by_name("acme.Note")
                .unwrap(),
        );
        note.set_field_by_name("text", Value::String("hi".into()));
        order.set_field_by_name("note", Value::Message(note.clone()));
        order.set_field_by_name(
            "notes",
            Value::Map([(MapKey::String("a".into()), Value::Message(note))].into()),
        );
        let format = ProtobufFormat {
            descriptor: &descriptor,
        };
        let mut cel = format.to_cel(&order).unwrap();
        let mut seen = Vec::new();
        format
            .walk_fields(&mut cel, &mut |field, _, _| {
                seen.push(format!("{} {}", field.full_name, field.type_name));
                let masked = CelValue::String(Arc::new("x".into()));
                Ok((field.type_name == "STRING").then_some(masked))
            })
            .unwrap();
        seen.sort();
        assert_eq!(
            seen,
            [
                "acme.Note.text STRING",
                "acme.Note.text STRING",
                "acme.Order.qty INT"
            ]
        );
        let back = format.message_of(cel, &order).unwrap();
        let note = back.get_field_by_name("note").unwrap();
        let text = note
            .as_message()
            .unwrap()
            .get_field_by_name("text")
            .unwrap();
        assert_eq!(text.as_str(), Some("x"));
    }
}
