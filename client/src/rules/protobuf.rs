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

    fn message_of(&self, value: CelValue) -> Result<DynamicMessage, String> {
        let json = cel_to_json(&value)?;
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
            tags: Vec::new(),
        };
        (info, field)
    });
    each_field(message, fields, |field, value, info, container| {
        walk_field(&field, value, (info, container), visit)
    })
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
