//! Confluent's Protobuf diff (compat-rules §2.1): walks an original and an updated schema in
//! step — package, then types by simple name level by level, fields by number, oneofs by name,
//! enum constants by number — and reports every difference with its path (`#/Msg/3`,
//! `#/Msg/oneof/3`, `#/Enum/1`). Whether a difference breaks readers is `ProtobufChange`'s call.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use prost_reflect::{
    Cardinality, EnumDescriptor, FieldDescriptor, FileDescriptor, Kind, MessageDescriptor,
};

use super::print::explicit_label;
use super::rules::{change, ProtobufChange as P};
use crate::Change;

/// Every difference from `original` to `update`.
pub(super) fn compare(original: &FileDescriptor, update: &FileDescriptor) -> Vec<Change> {
    let mut walk = Walk {
        memo: HashMap::new(),
    };
    let mut out = Vec::new();
    if original.package_name() != update.package_name() {
        out.push(change(P::PackageChanged, "#/".to_string()));
    }
    out.extend(walk.level(
        original.messages().collect(),
        original.enums().collect(),
        update.messages().collect(),
        update.enums().collect(),
    ));
    out
}

struct Walk {
    /// Message pairs compared (by full names): whether they differed incompatibly. A pair met
    /// again while being compared (recursion) counts as compatible.
    memo: HashMap<(String, String), bool>,
}

/// A message's or enum's path: `#/` and its name without the package, dots as slashes.
fn path_of(full_name: &str, package: &str) -> String {
    let local = full_name
        .strip_prefix(package)
        .and_then(|rest| rest.strip_prefix('.'))
        .filter(|_| !package.is_empty())
        .unwrap_or(full_name);
    format!("#/{}", local.replace('.', "/"))
}

fn message_path(m: &MessageDescriptor) -> String {
    path_of(m.full_name(), m.package_name())
}

fn enum_path(e: &EnumDescriptor) -> String {
    path_of(e.full_name(), e.package_name())
}

/// The type name without its package: what Confluent compares message types by.
fn local_name(m: &MessageDescriptor) -> String {
    message_path(m)[2..].replace('/', ".")
}

fn incompatible(changes: &[Change]) -> bool {
    changes
        .iter()
        .any(|c| !c.kind.is_compatible(crate::Policy::Strict))
}

/// Confluent's scalar groups: a change within a group is silent.
fn scalar_group(kind: &Kind) -> u8 {
    match kind {
        Kind::Int32 | Kind::Int64 | Kind::Uint32 | Kind::Uint64 | Kind::Bool | Kind::Enum(_) => 0,
        Kind::Sint32 | Kind::Sint64 => 1,
        Kind::String | Kind::Bytes => 2,
        Kind::Fixed32 | Kind::Sfixed32 => 3,
        Kind::Fixed64 | Kind::Sfixed64 => 4,
        Kind::Float => 5,
        Kind::Double => 6,
        Kind::Message(_) => 7,
    }
}

#[derive(PartialEq, Eq)]
enum FieldKind {
    Scalar,
    Map,
    Message,
}

fn field_kind(f: &FieldDescriptor) -> FieldKind {
    if f.is_map() {
        FieldKind::Map
    } else if matches!(f.kind(), Kind::Message(_)) {
        FieldKind::Message
    } else {
        FieldKind::Scalar
    }
}

/// The (non-synthetic) oneof a field belongs to.
fn oneof_of(f: &FieldDescriptor) -> Option<String> {
    f.containing_oneof()
        .filter(|o| !o.is_synthetic())
        .map(|o| o.name().to_string())
}

impl Walk {
    /// Messages and enums of one level, paired by simple name.
    fn level(
        &mut self,
        o_msgs: Vec<MessageDescriptor>,
        o_enums: Vec<EnumDescriptor>,
        u_msgs: Vec<MessageDescriptor>,
        u_enums: Vec<EnumDescriptor>,
    ) -> Vec<Change> {
        let mut out = Vec::new();
        let o_msgs: Vec<MessageDescriptor> =
            o_msgs.into_iter().filter(|m| !m.is_map_entry()).collect();
        let u_msgs: Vec<MessageDescriptor> =
            u_msgs.into_iter().filter(|m| !m.is_map_entry()).collect();
        for (i, o) in o_msgs.iter().enumerate() {
            match u_msgs.iter().position(|u| u.name() == o.name()) {
                None => out.push(change(P::MessageRemoved, message_path(o))),
                Some(j) => {
                    out.extend(self.message(o, &u_msgs[j]));
                    if i != j {
                        out.push(change(P::MessageMoved, message_path(&u_msgs[j])));
                    }
                }
            }
        }
        for u in u_msgs
            .iter()
            .filter(|u| !o_msgs.iter().any(|o| o.name() == u.name()))
        {
            out.push(change(P::MessageAdded, message_path(u)));
        }
        for o in &o_enums {
            match u_enums.iter().find(|u| u.name() == o.name()) {
                None => out.push(change(P::EnumRemoved, enum_path(o))),
                Some(u) => out.extend(enum_constants(o, u)),
            }
        }
        for u in u_enums
            .iter()
            .filter(|u| !o_enums.iter().any(|o| o.name() == u.name()))
        {
            out.push(change(P::EnumAdded, enum_path(u)));
        }
        out
    }

    /// The differences of a message pair not compared before (nothing when it was).
    fn message(&mut self, o: &MessageDescriptor, u: &MessageDescriptor) -> Vec<Change> {
        let key = (o.full_name().to_string(), u.full_name().to_string());
        if self.memo.contains_key(&key) {
            return Vec::new();
        }
        self.memo.insert(key.clone(), false);
        let changes = self.compare_message(o, u);
        self.memo.insert(key, incompatible(&changes));
        changes
    }

    fn compare_message(&mut self, o: &MessageDescriptor, u: &MessageDescriptor) -> Vec<Change> {
        let mut out = Vec::new();
        let base = message_path(u);
        let o_fields: BTreeMap<u32, FieldDescriptor> =
            o.fields().map(|f| (f.number(), f)).collect();
        let u_fields: BTreeMap<u32, FieldDescriptor> =
            u.fields().map(|f| (f.number(), f)).collect();
        let o_oneofs: BTreeSet<String> = o_fields.values().filter_map(oneof_of).collect();
        let u_oneofs: BTreeSet<String> = u_fields.values().filter_map(oneof_of).collect();
        // A oneof whose name and every member are gone: its members are not reported one by one.
        let completely_deleted = |name: &String| {
            !u_oneofs.contains(name)
                && o_fields
                    .iter()
                    .filter(|(_, f)| oneof_of(f).as_ref() == Some(name))
                    .all(|(tag, _)| !u_fields.contains_key(tag))
        };
        // Fields brought together into one oneof from several places can no longer all be set.
        for name in &u_oneofs {
            let mut origins = BTreeSet::new();
            let mut top_level = 0;
            for (tag, _) in u_fields
                .iter()
                .filter(|(_, f)| oneof_of(f).as_ref() == Some(name))
            {
                if let Some(before) = o_fields.get(tag) {
                    match oneof_of(before) {
                        Some(oneof) => origins.insert(oneof),
                        None => {
                            top_level += 1;
                            origins.insert(format!("top-level field {tag}"))
                        }
                    };
                }
            }
            if origins.len() > 1 {
                let kind = if top_level > 1 {
                    P::MultipleFieldsMovedToOneof
                } else {
                    P::FieldMovedToExistingOneof
                };
                out.push(change(kind, format!("{base}/{name}")));
            }
        }
        for name in o_oneofs.difference(&u_oneofs) {
            out.push(change(P::OneofRemoved, format!("{base}/{name}")));
        }
        for name in u_oneofs.difference(&o_oneofs) {
            out.push(change(P::OneofAdded, format!("{base}/{name}")));
        }
        let tags: BTreeSet<u32> = o_fields.keys().chain(u_fields.keys()).copied().collect();
        for tag in tags {
            match (o_fields.get(&tag), u_fields.get(&tag)) {
                (Some(f), None) => match oneof_of(f) {
                    Some(oneof) if completely_deleted(&oneof) => {}
                    Some(oneof) => out.push(change(
                        P::OneofFieldRemoved,
                        format!("{base}/{oneof}/{tag}"),
                    )),
                    None if f.cardinality() == Cardinality::Required => {
                        out.push(change(P::RequiredFieldRemoved, format!("{base}/{tag}")))
                    }
                    None => out.push(change(P::FieldRemoved, format!("{base}/{tag}"))),
                },
                (None, Some(f)) => match oneof_of(f) {
                    Some(oneof) => {
                        out.push(change(P::OneofFieldAdded, format!("{base}/{oneof}/{tag}")))
                    }
                    None if f.cardinality() == Cardinality::Required => {
                        out.push(change(P::RequiredFieldAdded, format!("{base}/{tag}")))
                    }
                    None => out.push(change(P::FieldAdded, format!("{base}/{tag}"))),
                },
                (Some(a), Some(b)) => {
                    if oneof_of(a).is_some() && oneof_of(b).is_none() {
                        out.push(change(
                            P::OneofFieldMovedToTopLevel,
                            format!("{base}/{tag}"),
                        ));
                    }
                    let path = match oneof_of(b) {
                        Some(oneof) => format!("{base}/{oneof}/{tag}"),
                        None => format!("{base}/{tag}"),
                    };
                    out.extend(self.field(a, b, &path));
                }
                (None, None) => unreachable!("the tag came from one of the two"),
            }
        }
        out.extend(self.level(
            o.child_messages().collect(),
            o.child_enums().collect(),
            u.child_messages().collect(),
            u.child_enums().collect(),
        ));
        out
    }

    fn field(&mut self, a: &FieldDescriptor, b: &FieldDescriptor, path: &str) -> Vec<Change> {
        let mut out = Vec::new();
        if a.name() != b.name() {
            out.push(change(P::FieldNameChanged, path.to_string()));
        }
        let kind = field_kind(a);
        if kind != field_kind(b) {
            out.push(change(P::FieldKindChanged, path.to_string()));
            return out;
        }
        match kind {
            FieldKind::Scalar => {
                let group = scalar_group(&a.kind());
                if group != scalar_group(&b.kind()) {
                    out.push(change(P::FieldScalarKindChanged, path.to_string()));
                } else if let (Some(la), Some(lb)) = (explicit_label(a), explicit_label(b)) {
                    if la != lb {
                        let kind = if group == 2 {
                            P::FieldStringOrBytesLabelChanged
                        } else {
                            P::FieldNumericLabelChanged
                        };
                        out.push(change(kind, path.to_string()));
                    }
                }
            }
            FieldKind::Message => out.extend(self.message_type(&a.kind(), &b.kind(), path)),
            FieldKind::Map => {
                let (ea, eb) = (a.kind(), b.kind());
                let (Some(ea), Some(eb)) = (ea.as_message(), eb.as_message()) else {
                    return out;
                };
                let (ka, kb) = (
                    ea.map_entry_key_field().kind(),
                    eb.map_entry_key_field().kind(),
                );
                if scalar_group(&ka) != scalar_group(&kb) {
                    out.push(change(P::FieldScalarKindChanged, path.to_string()));
                }
                let (va, vb) = (
                    ea.map_entry_value_field().kind(),
                    eb.map_entry_value_field().kind(),
                );
                match (&va, &vb) {
                    (Kind::Message(_), Kind::Message(_)) => {
                        out.extend(self.message_type(&va, &vb, path))
                    }
                    (Kind::Message(_), _) | (_, Kind::Message(_)) => {
                        out.push(change(P::FieldKindChanged, path.to_string()))
                    }
                    _ if scalar_group(&va) != scalar_group(&vb) => {
                        out.push(change(P::FieldScalarKindChanged, path.to_string()))
                    }
                    _ => {}
                }
            }
        }
        out
    }

    /// Two message-typed fields: compared by name without package, then by content (whose
    /// differences keep their own paths); breaking content makes the field's type change too.
    fn message_type(&mut self, a: &Kind, b: &Kind, path: &str) -> Vec<Change> {
        let (Some(ma), Some(mb)) = (a.as_message(), b.as_message()) else {
            return Vec::new();
        };
        if local_name(ma) != local_name(mb) {
            return vec![change(P::FieldNamedTypeChanged, path.to_string())];
        }
        let mut out = self.message(ma, mb);
        let key = (ma.full_name().to_string(), mb.full_name().to_string());
        if self.memo.get(&key) == Some(&true) {
            out.push(change(P::FieldNamedTypeChanged, path.to_string()));
        }
        out
    }
}

/// Enum constants paired by number.
fn enum_constants(o: &EnumDescriptor, u: &EnumDescriptor) -> Vec<Change> {
    let names = |e: &EnumDescriptor| -> BTreeMap<i32, String> {
        let mut m = BTreeMap::new();
        for v in e.values() {
            m.entry(v.number()).or_insert_with(|| v.name().to_string());
        }
        m
    };
    let (a, b) = (names(o), names(u));
    let base = enum_path(u);
    let mut out = Vec::new();
    for (n, name) in &a {
        match b.get(n) {
            None => out.push(change(P::EnumConstRemoved, format!("{base}/{n}"))),
            Some(other) if other != name => {
                out.push(change(P::EnumConstChanged, format!("{base}/{n}")))
            }
            Some(_) => {}
        }
    }
    for n in b.keys().filter(|n| !a.contains_key(n)) {
        out.push(change(P::EnumConstAdded, format!("{base}/{n}")));
    }
    out
}
