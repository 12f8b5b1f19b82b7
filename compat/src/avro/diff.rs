//! What changed between two Avro schemas, element by element, for the diff view: fields added,
//! removed or renamed, types changed, symbols and branches added or removed, sizes, names,
//! defaults and docs. The reader/writer walk says what breaks; this says what *changed*, so a
//! person sees the compatible edits too.
//!
//! Paths are JSON pointers in the new schema for what exists there (added and changed elements)
//! and in the old schema for what was removed, built like the walk's locations
//! (`/fields/2/type/1`). Each difference says whether it alone keeps each direction readable,
//! from the Avro resolution rules (a type change is judged by running the walk on the two types).

use std::collections::HashSet;

use serde_json::Value;

use super::model::{type_name, Field, Named, NamedBody, Node, Primitive};
use super::AvroSchema;
use crate::Difference;

/// Every difference that turns `old` into `new`.
pub(crate) fn diff(old: &AvroSchema, new: &AvroSchema) -> Vec<Difference> {
    let mut walk = Walk {
        old_schema: old,
        new_schema: new,
        old: &old.types,
        new: &new.types,
        seen: HashSet::new(),
        out: Vec::new(),
    };
    walk.node(&old.root, &new.root, "", "");
    walk.out
}

struct Walk<'a> {
    old_schema: &'a AvroSchema,
    new_schema: &'a AvroSchema,
    old: &'a [Named],
    new: &'a [Named],
    /// Named pairs already compared: recursion ends, and a type used twice is reported once.
    seen: HashSet<(usize, usize)>,
    out: Vec<Difference>,
}

fn compact(v: &Value) -> String {
    crate::json_text::to_string(v)
}

/// Which directions a difference keeps readable: (backward, forward).
type Verdict = (bool, bool);

const BOTH: Verdict = (true, true);

impl Walk<'_> {
    fn push(
        &mut self,
        rule: &'static str,
        path: &str,
        description: String,
        (backward, forward): Verdict,
    ) {
        self.out.push(Difference {
            rule,
            path: pointer(path),
            description,
            backward_compatible: backward,
            forward_compatible: forward,
        });
    }

    /// Runs the reader/writer walk on two types, both ways.
    fn judge(&self, old: &Node, new: &Node) -> Verdict {
        (
            super::walk::can_read_at(self.new_schema, new, self.old_schema, old).is_empty(),
            super::walk::can_read_at(self.old_schema, old, self.new_schema, new).is_empty(),
        )
    }

    fn describe(&self, node: &Node, types: &[Named]) -> String {
        match node {
            Node::Primitive(p, _) => p.name().to_string(),
            Node::Named(i) => types[*i].name.full(),
            Node::Array(items, _) => format!("array<{}>", self.describe(items, types)),
            Node::Map(values, _) => format!("map<{}>", self.describe(values, types)),
            Node::Union(branches) => {
                let names: Vec<String> = branches.iter().map(|b| self.describe(b, types)).collect();
                format!("[{}]", names.join(", "))
            }
        }
    }

    fn node(&mut self, old: &Node, new: &Node, op: &str, np: &str) {
        match (old, new) {
            (Node::Primitive(a, pa), Node::Primitive(b, pb)) if a == b => {
                let (la, lb) = (pa.get("logicalType"), pb.get("logicalType"));
                if la != lb {
                    let show = |l: Option<&Value>| l.map(compact).unwrap_or_else(|| "none".into());
                    let d = format!(
                        "logical type of {} changed from {} to {}",
                        a.name(),
                        show(la),
                        show(lb)
                    );
                    self.push("LOGICAL_TYPE_CHANGED", np, d, BOTH);
                } else if pa != pb {
                    self.push(
                        "PROPERTIES_CHANGED",
                        np,
                        format!("properties of {} changed", a.name()),
                        BOTH,
                    );
                }
            }
            (Node::Array(a, _), Node::Array(b, _)) => {
                self.node(a, b, &format!("{op}/items"), &format!("{np}/items"))
            }
            (Node::Map(a, _), Node::Map(b, _)) => {
                self.node(a, b, &format!("{op}/values"), &format!("{np}/values"))
            }
            (Node::Union(a), Node::Union(b)) => self.union(a, b, op, np),
            (Node::Named(i), Node::Named(j))
                if same_kind(&self.old[*i].body, &self.new[*j].body) =>
            {
                self.named(*i, *j, op, np)
            }
            _ => {
                let (from, to) = (self.describe(old, self.old), self.describe(new, self.new));
                let rule = if promotes(old, new) {
                    "TYPE_PROMOTED"
                } else {
                    "TYPE_CHANGED"
                };
                let verdict = self.judge(old, new);
                self.push(
                    rule,
                    np,
                    format!("type changed from {from} to {to}"),
                    verdict,
                );
            }
        }
    }

    fn union(&mut self, old: &[Node], new: &[Node], op: &str, np: &str) {
        let key_old: Vec<String> = old.iter().map(|b| branch_key(b, self.old)).collect();
        let key_new: Vec<String> = new.iter().map(|b| branch_key(b, self.new)).collect();
        for (j, b) in new.iter().enumerate() {
            match key_old.iter().position(|k| *k == key_new[j]) {
                Some(i) => self.node(&old[i], b, &format!("{op}/{i}"), &format!("{np}/{j}")),
                None => {
                    let d = format!("union branch {} added", self.describe(b, self.new));
                    // Old readers cannot read values of the new branch.
                    let forward = self.judge(&Node::Union(old.to_vec()), b).1;
                    self.push(
                        "UNION_BRANCH_ADDED",
                        &format!("{np}/{j}"),
                        d,
                        (true, forward),
                    );
                }
            }
        }
        for (i, a) in old.iter().enumerate() {
            if !key_new.contains(&key_old[i]) {
                let d = format!("union branch {} removed", self.describe(a, self.old));
                // New readers cannot read old values of the removed branch.
                let backward = self.judge(a, &Node::Union(new.to_vec())).0;
                self.push(
                    "UNION_BRANCH_REMOVED",
                    &format!("{op}/{i}"),
                    d,
                    (backward, true),
                );
            }
        }
    }

    fn named(&mut self, i: usize, j: usize, op: &str, np: &str) {
        if !self.seen.insert((i, j)) {
            return;
        }
        let (a, b) = (&self.old[i], &self.new[j]);
        if a.name.full() != b.name.full() {
            // Avro compares simple names, or the reader's aliases with the writer's full name.
            let backward =
                a.name.name == b.name.name || b.aliases.iter().any(|al| al.full() == a.name.full());
            let forward =
                a.name.name == b.name.name || a.aliases.iter().any(|al| al.full() == b.name.full());
            let d = format!("renamed from {} to {}", a.name.full(), b.name.full());
            self.push(
                "NAME_CHANGED",
                &format!("{np}/name"),
                d,
                (backward, forward),
            );
        }
        if a.doc != b.doc {
            self.push(
                "DOC_CHANGED",
                np,
                format!("doc of {} changed", b.name.full()),
                BOTH,
            );
        }
        match (&a.body, &b.body) {
            (NamedBody::Record { fields: fa, .. }, NamedBody::Record { fields: fb, .. }) => {
                self.fields(fa, fb, op, np)
            }
            (
                NamedBody::Enum {
                    symbols: sa,
                    default: da,
                },
                NamedBody::Enum {
                    symbols: sb,
                    default: db,
                },
            ) => {
                let (opath, npath) = (format!("{op}/symbols"), format!("{np}/symbols"));
                // A reader enum with a default reads symbols it does not know as the default.
                let (old_default, new_default) = (da.is_some(), db.is_some());
                for s in sb.iter().filter(|s| !sa.contains(s)) {
                    self.push(
                        "ENUM_SYMBOL_ADDED",
                        &npath,
                        format!("enum symbol {s} added"),
                        (true, old_default),
                    );
                }
                for s in sa.iter().filter(|s| !sb.contains(s)) {
                    self.push(
                        "ENUM_SYMBOL_REMOVED",
                        &opath,
                        format!("enum symbol {s} removed"),
                        (new_default, true),
                    );
                }
                if da != db {
                    let show = |d: &Option<String>| d.clone().unwrap_or_else(|| "none".into());
                    let d = format!("enum default changed from {} to {}", show(da), show(db));
                    self.push("ENUM_DEFAULT_CHANGED", np, d, BOTH);
                }
            }
            (NamedBody::Fixed { size: sa }, NamedBody::Fixed { size: sb }) if sa != sb => {
                let d = format!("fixed size changed from {sa} to {sb}");
                self.push(
                    "FIXED_SIZE_CHANGED",
                    &format!("{np}/size"),
                    d,
                    (false, false),
                );
            }
            _ => {}
        }
    }

    fn fields(&mut self, old: &[Field], new: &[Field], op: &str, np: &str) {
        let mut matched = vec![false; old.len()];
        for (pos, f) in new.iter().enumerate() {
            let fp = format!("{np}/fields/{pos}");
            let found = old
                .iter()
                .position(|o| o.name == f.name)
                .or_else(|| old.iter().position(|o| f.aliases.contains(&o.name)));
            let Some(opos) = found else {
                // New readers need a default for data that lacks the field; old readers skip it.
                let with = if f.default.is_some() {
                    "with"
                } else {
                    "without"
                };
                let d = format!("field {} added, {with} a default", f.name);
                self.push("FIELD_ADDED", &fp, d, (f.default.is_some(), true));
                continue;
            };
            matched[opos] = true;
            let o = &old[opos];
            let ofp = format!("{op}/fields/{opos}");
            if o.name != f.name {
                // Old readers look for the old name, which new data lacks.
                let d = format!("field {} renamed to {} (alias)", o.name, f.name);
                self.push("FIELD_RENAMED", &fp, d, (true, o.default.is_some()));
            }
            match (&o.default, &f.default) {
                (None, Some(d)) => self.push(
                    "FIELD_DEFAULT_ADDED",
                    &fp,
                    format!("field {} got the default {}", f.name, compact(d)),
                    BOTH,
                ),
                (Some(d), None) => self.push(
                    "FIELD_DEFAULT_REMOVED",
                    &fp,
                    format!("field {} lost its default {}", f.name, compact(d)),
                    BOTH,
                ),
                (Some(a), Some(b)) if a != b => {
                    let d = format!(
                        "default of field {} changed from {} to {}",
                        f.name,
                        compact(a),
                        compact(b)
                    );
                    self.push("FIELD_DEFAULT_CHANGED", &fp, d, BOTH)
                }
                _ => {}
            }
            if o.doc != f.doc {
                self.push(
                    "FIELD_DOC_CHANGED",
                    &fp,
                    format!("doc of field {} changed", f.name),
                    BOTH,
                );
            }
            self.node(
                &o.schema,
                &f.schema,
                &format!("{ofp}/type"),
                &format!("{fp}/type"),
            );
        }
        for (opos, o) in old.iter().enumerate().filter(|(i, _)| !matched[*i]) {
            // Old readers need a default for new data that lacks the field.
            let with = if o.default.is_some() { "had" } else { "had no" };
            let d = format!("field {} removed (it {with} a default)", o.name);
            self.push(
                "FIELD_REMOVED",
                &format!("{op}/fields/{opos}"),
                d,
                (true, o.default.is_some()),
            );
        }
    }
}

/// A path from tokens joined with `/`: the root is `/`.
fn pointer(p: &str) -> String {
    if p.is_empty() {
        "/".to_string()
    } else {
        p.to_string()
    }
}

fn same_kind(a: &NamedBody, b: &NamedBody) -> bool {
    matches!(
        (a, b),
        (NamedBody::Record { .. }, NamedBody::Record { .. })
            | (NamedBody::Enum { .. }, NamedBody::Enum { .. })
            | (NamedBody::Fixed { .. }, NamedBody::Fixed { .. })
    )
}

/// How union branches pair up: by type, named types by name.
fn branch_key(node: &Node, types: &[Named]) -> String {
    match node {
        Node::Named(i) => types[*i].name.full(),
        other => type_name(other, types).to_string(),
    }
}

fn promotes(old: &Node, new: &Node) -> bool {
    matches!(
        (old, new),
        (
            Node::Primitive(Primitive::Int, _),
            Node::Primitive(Primitive::Long | Primitive::Float | Primitive::Double, _)
        ) | (
            Node::Primitive(Primitive::Long, _),
            Node::Primitive(Primitive::Float | Primitive::Double, _)
        ) | (
            Node::Primitive(Primitive::Float, _),
            Node::Primitive(Primitive::Double, _)
        ) | (
            Node::Primitive(Primitive::String, _),
            Node::Primitive(Primitive::Bytes, _)
        ) | (
            Node::Primitive(Primitive::Bytes, _),
            Node::Primitive(Primitive::String, _)
        )
    )
}
