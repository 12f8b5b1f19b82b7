//! The canonical `.proto` text: the compiled file printed back in one fixed layout (Confluent's:
//! `syntax`, `package`, imports, options, then messages in declaration order, enums, extensions,
//! services; two-space indentation, no comments), and with `normalize` Confluent's normalized
//! form: proto2's `syntax` line dropped, imports sorted and deduplicated, options sorted,
//! reserved ranges and names one per statement and sorted, fields by number, oneofs by their
//! first number, enum constants by number. Message, enum and service order never changes: the
//! wire format's message indexes depend on it. Type names are always fully qualified (`.pkg.Msg`)
//! so the text means the same wherever it is read.

use std::collections::BTreeMap;
use std::fmt::Write;

use prost_reflect::{
    Cardinality, DynamicMessage, EnumDescriptor, FieldDescriptor, FileDescriptor, Kind, MapKey,
    MessageDescriptor, ServiceDescriptor, Syntax, Value,
};

/// The largest field number, printed as `max` in ranges.
const MAX_FIELD: i32 = 536_870_911;

pub(super) fn print(file: &FileDescriptor, normalize: bool) -> String {
    let mut out = String::new();
    let proto = file.file_descriptor_proto();
    match file.syntax() {
        Syntax::Proto3 => out.push_str("syntax = \"proto3\";\n"),
        Syntax::Proto2 if !normalize => out.push_str("syntax = \"proto2\";\n"),
        Syntax::Proto2 => {}
    }
    if !file.package_name().is_empty() {
        let _ = writeln!(out, "package {};", file.package_name());
    }
    let mut imports: Vec<String> = proto
        .dependency
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let public = proto.public_dependency.contains(&(i as i32));
            format!(
                "import {}{};",
                if public { "public " } else { "" },
                quote(name)
            )
        })
        .collect();
    if normalize {
        imports.sort();
        imports.dedup();
    }
    section(&mut out, imports);
    section(&mut out, options(&file.options(), 0, normalize));

    let mut body = String::new();
    for m in file.messages() {
        message(&mut body, &m, 0, normalize);
    }
    for e in file.enums() {
        enumeration(&mut body, &e, 0, normalize);
    }
    if !body.is_empty() {
        out.push('\n');
        out.push_str(&body);
    }
    let extends = extensions(
        file.extensions()
            .map(|e| e.field_descriptor_proto().clone())
            .collect(),
        file,
        0,
    );
    if !extends.is_empty() {
        out.push('\n');
        out.push_str(&extends);
    }
    for s in file.services() {
        out.push('\n');
        service(&mut out, &s, normalize);
    }
    out
}

/// A block of lines preceded by a blank line, when there are any.
fn section(out: &mut String, lines: Vec<String>) {
    if lines.is_empty() {
        return;
    }
    out.push('\n');
    for l in lines {
        out.push_str(&l);
        out.push('\n');
    }
}

fn indent(level: usize) -> String {
    "  ".repeat(level)
}

fn quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\{:03o}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn quote_bytes(bytes: &[u8]) -> String {
    let mut out = String::from("\"");
    for b in bytes {
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            0x20..=0x7e => out.push(*b as char),
            _ => {
                let _ = write!(out, "\\{b:03o}");
            }
        }
    }
    out.push('"');
    out
}

/// `option name = value;` lines for the set fields and extensions of an options message.
fn options(opts: &DynamicMessage, level: usize, normalize: bool) -> Vec<String> {
    let mut lines: Vec<(String, String)> = option_pairs(opts, level)
        .into_iter()
        .map(|(name, value)| {
            (
                name.clone(),
                format!("{}option {name} = {value};", indent(level)),
            )
        })
        .collect();
    if normalize {
        lines.sort();
    }
    lines.into_iter().map(|(_, l)| l).collect()
}

/// (name, value text) of each option set; repeated options give one pair per element.
fn option_pairs(opts: &DynamicMessage, level: usize) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    for (field, value) in opts.fields() {
        push_option(
            &mut pairs,
            field.name().to_string(),
            &field.kind(),
            value,
            level,
        );
    }
    for (ext, value) in opts.extensions() {
        push_option(
            &mut pairs,
            format!("({})", ext.full_name()),
            &ext.kind(),
            value,
            level,
        );
    }
    pairs
}

fn push_option(
    pairs: &mut Vec<(String, String)>,
    name: String,
    kind: &Kind,
    value: &Value,
    level: usize,
) {
    match value {
        Value::List(items) => {
            for item in items {
                pairs.push((name.clone(), value_text(item, kind, level)));
            }
        }
        other => pairs.push((name, value_text(other, kind, level))),
    }
}

/// A value as option syntax; `level` is the indentation of the line the value starts on.
/// Messages use text format in Wire's multi-line layout.
fn value_text(value: &Value, kind: &Kind, level: usize) -> String {
    match value {
        Value::Bool(b) => b.to_string(),
        Value::I32(v) => v.to_string(),
        Value::I64(v) => v.to_string(),
        Value::U32(v) => v.to_string(),
        Value::U64(v) => v.to_string(),
        Value::F32(v) => v.to_string(),
        Value::F64(v) => v.to_string(),
        Value::String(s) => quote(s),
        Value::Bytes(b) => quote_bytes(b),
        Value::EnumNumber(n) => match kind.as_enum().and_then(|e| e.get_value(*n)) {
            Some(v) => v.name().to_string(),
            None => n.to_string(),
        },
        Value::Message(m) => message_text(m, level),
        Value::List(items) if items.iter().any(|i| matches!(i, Value::Message(_))) => {
            let inner: Vec<String> = items
                .iter()
                .map(|i| format!("{}{}", indent(level + 1), value_text(i, kind, level + 1)))
                .collect();
            format!("[\n{}\n{}]", inner.join(",\n"), indent(level))
        }
        Value::List(items) => {
            let inner: Vec<String> = items.iter().map(|i| value_text(i, kind, level)).collect();
            format!("[{}]", inner.join(", "))
        }
        Value::Map(map) => {
            // Text format writes a map as a list of key/value entries.
            let value_kind = match kind.as_message() {
                Some(entry) => entry.map_entry_value_field().kind(),
                None => Kind::String,
            };
            let mut entries: Vec<(String, String)> = map
                .iter()
                .map(|(k, v)| (map_key_text(k), value_text(v, &value_kind, level + 2)))
                .collect();
            entries.sort();
            let (item, field) = (indent(level + 1), indent(level + 2));
            let items: Vec<String> = entries
                .into_iter()
                .map(|(k, v)| format!("{item}{{\n{field}key: {k},\n{field}value: {v}\n{item}}}"))
                .collect();
            format!("[\n{}\n{}]", items.join(",\n"), indent(level))
        }
    }
}

fn map_key_text(k: &MapKey) -> String {
    match k {
        MapKey::Bool(b) => b.to_string(),
        MapKey::I32(v) => v.to_string(),
        MapKey::I64(v) => v.to_string(),
        MapKey::U32(v) => v.to_string(),
        MapKey::U64(v) => v.to_string(),
        MapKey::String(s) => quote(s),
    }
}

/// `{ field: value, ... }` with the fields one level in from `level`.
fn message_text(m: &DynamicMessage, level: usize) -> String {
    let mut fields: Vec<String> = Vec::new();
    for (field, value) in m.fields() {
        let v = value_text(value, &field.kind(), level + 1);
        fields.push(format!("{}{}: {v}", indent(level + 1), field.name()));
    }
    for (ext, value) in m.extensions() {
        let v = value_text(value, &ext.kind(), level + 1);
        fields.push(format!("{}[{}]: {v}", indent(level + 1), ext.full_name()));
    }
    if fields.is_empty() {
        return "{}".to_string();
    }
    format!("{{\n{}\n{}}}", fields.join(",\n"), indent(level))
}

fn type_name(kind: &Kind) -> String {
    match kind {
        Kind::Double => "double".into(),
        Kind::Float => "float".into(),
        Kind::Int32 => "int32".into(),
        Kind::Int64 => "int64".into(),
        Kind::Uint32 => "uint32".into(),
        Kind::Uint64 => "uint64".into(),
        Kind::Sint32 => "sint32".into(),
        Kind::Sint64 => "sint64".into(),
        Kind::Fixed32 => "fixed32".into(),
        Kind::Fixed64 => "fixed64".into(),
        Kind::Sfixed32 => "sfixed32".into(),
        Kind::Sfixed64 => "sfixed64".into(),
        Kind::Bool => "bool".into(),
        Kind::String => "string".into(),
        Kind::Bytes => "bytes".into(),
        Kind::Message(m) => format!(".{}", m.full_name()),
        Kind::Enum(e) => format!(".{}", e.full_name()),
    }
}

/// The json_name protoc derives from a field name: `foo_bar` → `fooBar`.
fn default_json_name(name: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for c in name.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// One field's declaration, without indentation, options or the semicolon; and the options its
/// descriptor carries outside the options message (`default`, `json_name`).
fn field_line(
    field: &prost_types::FieldDescriptorProto,
    file: &FileDescriptor,
    kind: Kind,
    in_oneof: bool,
    is_map: bool,
) -> (String, Vec<String>) {
    let proto2 = file.syntax() == Syntax::Proto2;
    let label = field.label();
    let label_text = if in_oneof || is_map {
        ""
    } else if label == prost_types::field_descriptor_proto::Label::Repeated {
        "repeated "
    } else if proto2 && label == prost_types::field_descriptor_proto::Label::Required {
        "required "
    } else if proto2 || field.proto3_optional() {
        "optional "
    } else {
        ""
    };
    let ty = match (&kind, is_map) {
        (Kind::Message(entry), true) => format!(
            "map<{}, {}>",
            type_name(&entry.map_entry_key_field().kind()),
            type_name(&entry.map_entry_value_field().kind())
        ),
        _ => type_name(&kind),
    };
    let mut opts: Vec<String> = Vec::new();
    if let Some(default) = &field.default_value {
        let text = match &kind {
            Kind::String => quote(default),
            Kind::Bytes => format!("\"{default}\""),
            _ => default.clone(),
        };
        opts.push(format!("default = {text}"));
    }
    if let Some(json) = &field.json_name {
        if *json != default_json_name(field.name()) {
            opts.push(format!("json_name = {}", quote(json)));
        }
    }
    (
        format!("{label_text}{ty} {} = {}", field.name(), field.number()),
        opts,
    )
}

/// `head [opt, opt];`
fn declaration(head: &str, opts: &[String]) -> String {
    if opts.is_empty() {
        format!("{head};")
    } else {
        format!("{head} [{}];", opts.join(", "))
    }
}

/// The field's declaration with its options, indented, with its newline.
fn field_decl(field: &FieldDescriptor, level: usize, in_oneof: bool) -> String {
    let (head, mut opts) = field_line(
        field.field_descriptor_proto(),
        &field.parent_file(),
        field.kind(),
        in_oneof,
        field.is_map(),
    );
    let mut pairs = option_pairs(&field.options(), level);
    pairs.sort();
    opts.extend(pairs.into_iter().map(|(n, v)| format!("{n} = {v}")));
    format!("{}{}\n", indent(level), declaration(&head, &opts))
}

/// What a message body holds in order: plain fields and whole oneofs.
enum Item {
    Field(FieldDescriptor),
    Oneof(prost_reflect::OneofDescriptor),
}

fn first_number(item: &Item) -> u32 {
    match item {
        Item::Field(f) => f.number(),
        Item::Oneof(o) => o.fields().map(|f| f.number()).min().unwrap_or(0),
    }
}

fn message(out: &mut String, m: &MessageDescriptor, level: usize, normalize: bool) {
    if m.is_map_entry() {
        return;
    }
    let pad = indent(level);
    let _ = writeln!(out, "{pad}message {} {{", m.name());
    let opts = options(&m.options(), level + 1, normalize);
    let has_opts = !opts.is_empty();
    for l in opts {
        out.push_str(&l);
        out.push('\n');
    }
    if has_opts && (m.fields().len() > 0) {
        out.push('\n');
    }
    let mut items: Vec<Item> = Vec::new();
    // Declaration order, as written (the descriptor API sorts by number).
    let declared = m
        .descriptor_proto()
        .field
        .iter()
        .filter_map(|f| m.get_field(f.number() as u32));
    for f in declared {
        match f.containing_oneof().filter(|o| !o.is_synthetic()) {
            Some(o) => {
                if !items
                    .iter()
                    .any(|i| matches!(i, Item::Oneof(x) if x.name() == o.name()))
                {
                    items.push(Item::Oneof(o));
                }
            }
            None => items.push(Item::Field(f)),
        }
    }
    if normalize {
        items.sort_by_key(first_number);
    }
    for item in items {
        match item {
            Item::Field(f) => out.push_str(&field_decl(&f, level + 1, false)),
            Item::Oneof(o) => {
                let _ = writeln!(out, "{}oneof {} {{", indent(level + 1), o.name());
                for l in options(&o.options(), level + 2, normalize) {
                    out.push_str(&l);
                    out.push('\n');
                }
                let mut fields: Vec<FieldDescriptor> = m
                    .descriptor_proto()
                    .field
                    .iter()
                    .filter_map(|f| m.get_field(f.number() as u32))
                    .filter(|f| f.containing_oneof().is_some_and(|x| x.name() == o.name()))
                    .collect();
                if normalize {
                    fields.sort_by_key(|f| f.number());
                }
                for f in fields {
                    out.push_str(&field_decl(&f, level + 2, true));
                }
                let _ = writeln!(out, "{}}}", indent(level + 1));
            }
        }
    }
    let proto = m.descriptor_proto();
    let ranges: Vec<(i32, i32)> = proto
        .reserved_range
        .iter()
        .map(|r| (r.start(), r.end() - 1))
        .collect();
    reserved(
        out,
        "reserved",
        ranges,
        &proto.reserved_name,
        level + 1,
        normalize,
    );
    let ext_ranges: Vec<(i32, i32)> = proto
        .extension_range
        .iter()
        .map(|r| (r.start(), r.end() - 1))
        .collect();
    reserved(out, "extensions", ext_ranges, &[], level + 1, normalize);
    for child in m.child_messages() {
        message(out, &child, level + 1, normalize);
    }
    for e in m.child_enums() {
        enumeration(out, &e, level + 1, normalize);
    }
    out.push_str(&extensions(
        proto.extension.clone(),
        &m.parent_file(),
        level + 1,
    ));
    let _ = writeln!(out, "{pad}}}");
}

fn range_text((start, end): (i32, i32)) -> String {
    if start == end {
        start.to_string()
    } else if end >= MAX_FIELD {
        format!("{start} to max")
    } else {
        format!("{start} to {end}")
    }
}

/// `reserved`/`extensions` statements: together, or one per item sorted when normalizing.
fn reserved(
    out: &mut String,
    keyword: &str,
    mut ranges: Vec<(i32, i32)>,
    names: &[String],
    level: usize,
    normalize: bool,
) {
    let pad = indent(level);
    if normalize {
        ranges.sort();
        for r in ranges {
            let _ = writeln!(out, "{pad}{keyword} {};", range_text(r));
        }
        let mut names = names.to_vec();
        names.sort();
        for n in names {
            let _ = writeln!(out, "{pad}{keyword} {};", quote(&n));
        }
        return;
    }
    if !ranges.is_empty() {
        let items: Vec<String> = ranges.into_iter().map(range_text).collect();
        let _ = writeln!(out, "{pad}{keyword} {};", items.join(", "));
    }
    if !names.is_empty() {
        let items: Vec<String> = names.iter().map(|n| quote(n)).collect();
        let _ = writeln!(out, "{pad}{keyword} {};", items.join(", "));
    }
}

fn enumeration(out: &mut String, e: &EnumDescriptor, level: usize, normalize: bool) {
    let pad = indent(level);
    let _ = writeln!(out, "{pad}enum {} {{", e.name());
    for l in options(&e.options(), level + 1, normalize) {
        out.push_str(&l);
        out.push('\n');
    }
    let mut values: Vec<prost_reflect::EnumValueDescriptor> = e
        .enum_descriptor_proto()
        .value
        .iter()
        .filter_map(|v| e.values().find(|d| d.name() == v.name()))
        .collect();
    if normalize {
        values.sort_by(|a, b| (a.number(), a.name()).cmp(&(b.number(), b.name())));
    }
    for v in values {
        let mut pairs = option_pairs(&v.options(), level + 1);
        pairs.sort();
        let opts = if pairs.is_empty() {
            String::new()
        } else {
            let o: Vec<String> = pairs
                .into_iter()
                .map(|(n, v)| format!("{n} = {v}"))
                .collect();
            format!(" [{}]", o.join(", "))
        };
        let _ = writeln!(
            out,
            "{}{} = {}{opts};",
            indent(level + 1),
            v.name(),
            v.number()
        );
    }
    let proto = e.enum_descriptor_proto();
    let ranges: Vec<(i32, i32)> = proto
        .reserved_range
        .iter()
        .map(|r| (r.start(), r.end()))
        .collect();
    reserved(
        out,
        "reserved",
        ranges,
        &proto.reserved_name,
        level + 1,
        normalize,
    );
    let _ = writeln!(out, "{pad}}}");
}

/// `extend` blocks for extension fields, grouped by the message they extend, in order.
fn extensions(
    fields: Vec<prost_types::FieldDescriptorProto>,
    file: &FileDescriptor,
    level: usize,
) -> String {
    let pool = file.parent_pool();
    let mut groups: BTreeMap<usize, (String, Vec<String>)> = BTreeMap::new();
    let mut order: Vec<String> = Vec::new();
    for f in &fields {
        let extendee = f.extendee().trim_start_matches('.').to_string();
        let full = match f.type_name.as_deref() {
            Some(t) if !t.is_empty() => t.trim_start_matches('.').to_string(),
            _ => String::new(),
        };
        let kind = match f.r#type() {
            prost_types::field_descriptor_proto::Type::Message
            | prost_types::field_descriptor_proto::Type::Group => {
                pool.get_message_by_name(&full).map(Kind::Message)
            }
            prost_types::field_descriptor_proto::Type::Enum => {
                pool.get_enum_by_name(&full).map(Kind::Enum)
            }
            other => Some(scalar_kind(other)),
        };
        let Some(kind) = kind else { continue };
        let (head, opts) = field_line(f, file, kind, false, false);
        let line = format!("{}{}", indent(level + 1), declaration(&head, &opts));
        let index = match order.iter().position(|e| *e == extendee) {
            Some(i) => i,
            None => {
                order.push(extendee.clone());
                order.len() - 1
            }
        };
        groups
            .entry(index)
            .or_insert_with(|| (extendee, Vec::new()))
            .1
            .push(line);
    }
    let mut out = String::new();
    for (_, (extendee, lines)) in groups {
        let _ = writeln!(out, "{}extend .{extendee} {{", indent(level));
        for l in lines {
            out.push_str(&l);
            out.push('\n');
        }
        let _ = writeln!(out, "{}}}", indent(level));
    }
    out
}

fn scalar_kind(t: prost_types::field_descriptor_proto::Type) -> Kind {
    use prost_types::field_descriptor_proto::Type;
    match t {
        Type::Double => Kind::Double,
        Type::Float => Kind::Float,
        Type::Int64 => Kind::Int64,
        Type::Uint64 => Kind::Uint64,
        Type::Int32 => Kind::Int32,
        Type::Fixed64 => Kind::Fixed64,
        Type::Fixed32 => Kind::Fixed32,
        Type::Bool => Kind::Bool,
        Type::String => Kind::String,
        Type::Bytes => Kind::Bytes,
        Type::Uint32 => Kind::Uint32,
        Type::Sfixed32 => Kind::Sfixed32,
        Type::Sfixed64 => Kind::Sfixed64,
        Type::Sint32 => Kind::Sint32,
        Type::Sint64 => Kind::Sint64,
        Type::Group | Type::Message | Type::Enum => Kind::Bytes,
    }
}

fn service(out: &mut String, s: &ServiceDescriptor, normalize: bool) {
    let _ = writeln!(out, "service {} {{", s.name());
    for l in options(&s.options(), 1, normalize) {
        out.push_str(&l);
        out.push('\n');
    }
    for m in s.methods() {
        let stream = |yes: bool| if yes { "stream " } else { "" };
        let head = format!(
            "  rpc {} ({}.{}) returns ({}.{})",
            m.name(),
            stream(m.is_client_streaming()),
            m.input().full_name(),
            stream(m.is_server_streaming()),
            m.output().full_name()
        );
        let opts = options(&m.options(), 2, normalize);
        if opts.is_empty() {
            let _ = writeln!(out, "{head};");
        } else {
            let _ = writeln!(out, "{head} {{");
            for l in opts {
                out.push_str(&l);
                out.push('\n');
            }
            out.push_str("  }\n");
        }
    }
    out.push_str("}\n");
}

/// Whether a field's label is written in its source (Wire keeps it; proto3 fields without a
/// label have none).
pub(super) fn explicit_label(field: &FieldDescriptor) -> Option<Cardinality> {
    let in_oneof = field.containing_oneof().is_some_and(|o| !o.is_synthetic());
    if in_oneof || field.is_map() {
        return None;
    }
    let proto2 = field.parent_file().syntax() == Syntax::Proto2;
    let cardinality = field.cardinality();
    if proto2
        || cardinality == Cardinality::Repeated
        || field.field_descriptor_proto().proto3_optional()
    {
        Some(cardinality)
    } else {
        None
    }
}
