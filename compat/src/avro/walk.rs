//! The reader/writer walk of Avro Java's `SchemaCompatibility` (1.11.4, the version Confluent
//! pins): pairs up reader and writer elements, calls the rules in `rules.rs` and collects *every*
//! incompatibility with its JSON-pointer location.
//!
//! Faithful to Java where it shows in messages: results are memoized per (reader, writer) pair
//! by identity (a pair met again while in progress is compatible, which ends recursion; a pair
//! met again later repeats its first result), union branches are tried with a fresh location,
//! and a writer union against a non-union reader loses its location (AVRO-3612 came in 1.12).

use std::collections::HashMap;

use super::model::{type_name, Field, Named, NamedBody, Node, Primitive};
use super::rules;
use super::AvroSchema;
use crate::Change;

/// Identity of a node: named types by arena index, everything else by address.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Key {
    Named(usize),
    Node(usize),
}

fn key(node: &Node) -> Key {
    match node {
        Node::Named(i) => Key::Named(*i),
        other => Key::Node(other as *const Node as usize),
    }
}

enum Memo {
    InProgress,
    Done(Vec<Change>),
}

/// Raised when a reader field matches several writer fields; ends the walk, as Java's exception.
struct Ambiguous(Change);

type Outcome = Result<Vec<Change>, Ambiguous>;

pub(super) fn can_read(reader: &AvroSchema, writer: &AvroSchema) -> Vec<Change> {
    can_read_at(reader, &reader.root, writer, &writer.root)
}

/// The walk from a node of each schema (the diff view judges one difference at a time).
pub(super) fn can_read_at(
    reader: &AvroSchema,
    r: &Node,
    writer: &AvroSchema,
    w: &Node,
) -> Vec<Change> {
    let mut walk = Walk {
        rt: &reader.types,
        wt: &writer.types,
        memo: HashMap::new(),
    };
    match walk.fresh(r, w) {
        Ok(changes) => changes,
        Err(Ambiguous(change)) => vec![change],
    }
}

struct Walk<'a> {
    rt: &'a [Named],
    wt: &'a [Named],
    memo: HashMap<(Key, Key), Memo>,
}

/// One step of a location; kept allocation-free because the walk pushes one per element.
#[derive(Clone, Copy)]
enum Token {
    Key(&'static str),
    Index(usize),
}

/// A JSON pointer from a location stack whose first token is the root.
fn pointer(location: &[Token]) -> String {
    let tokens: Vec<String> = location
        .iter()
        .skip(1)
        .map(|t| match t {
            Token::Key(k) => k.replace('~', "~0").replace('/', "~1"),
            Token::Index(i) => i.to_string(),
        })
        .collect();
    format!("/{}", tokens.join("/"))
}

impl<'a> Walk<'a> {
    /// A check with a fresh location stack (Java's two-argument `getCompatibility`).
    fn fresh(&mut self, r: &'a Node, w: &'a Node) -> Outcome {
        self.get("", r, w, &mut Vec::new())
    }

    fn get(
        &mut self,
        token: &'static str,
        r: &'a Node,
        w: &'a Node,
        loc: &mut Vec<Token>,
    ) -> Outcome {
        loc.push(Token::Key(token));
        let pair = (key(r), key(w));
        let result = match self.memo.get(&pair) {
            Some(Memo::InProgress) => Ok(Vec::new()),
            Some(Memo::Done(changes)) => Ok(changes.clone()),
            None => {
                self.memo.insert(pair, Memo::InProgress);
                let result = self.calculate(r, w, loc);
                if let Ok(changes) = &result {
                    self.memo.insert(pair, Memo::Done(changes.clone()));
                }
                result
            }
        };
        loc.pop();
        result
    }

    fn reader_type(&self, n: &Node) -> &'static str {
        type_name(n, self.rt)
    }

    fn writer_type(&self, n: &Node) -> &'static str {
        type_name(n, self.wt)
    }

    fn calculate(&mut self, r: &'a Node, w: &'a Node, loc: &mut Vec<Token>) -> Outcome {
        let mut out = Vec::new();
        if self.reader_type(r) == self.writer_type(w) {
            match (r, w) {
                (Node::Array(ri, _), Node::Array(wi, _)) => {
                    out.extend(self.get("items", ri, wi, loc)?)
                }
                (Node::Map(rv, _), Node::Map(wv, _)) => {
                    out.extend(self.get("values", rv, wv, loc)?)
                }
                (Node::Named(ri), Node::Named(wi)) => self.named(*ri, *wi, w, loc, &mut out)?,
                (Node::Union(_), Node::Union(writer_branches)) => {
                    for (i, wb) in writer_branches.iter().enumerate() {
                        loc.push(Token::Index(i));
                        if !self.fresh(r, wb)?.is_empty() {
                            out.push(rules::missing_union_branch(
                                self.writer_type(wb),
                                pointer(loc),
                            ));
                        }
                        loc.pop();
                    }
                }
                _ => {} // the same primitive
            }
            return Ok(out);
        }
        if let Node::Union(writer_branches) = w {
            // Every writer branch must be readable; Avro 1.11 checks each with a fresh location.
            for wb in writer_branches {
                out.extend(self.fresh(r, wb)?);
            }
            return Ok(out);
        }
        match r {
            Node::Union(reader_branches) => {
                for rb in reader_branches {
                    if self.fresh(rb, w)?.is_empty() {
                        return Ok(out);
                    }
                }
                out.push(rules::missing_union_branch(
                    self.writer_type(w),
                    pointer(loc),
                ));
            }
            Node::Primitive(reader, _) if promotes(*reader, w) => {}
            _ => out.push(rules::type_mismatch(
                self.reader_type(r),
                self.writer_type(w),
                pointer(loc),
            )),
        }
        Ok(out)
    }

    /// Records, enums and fixed types: `w` is the writer's node, needed by the enum-default quirk.
    fn named(
        &mut self,
        ri: usize,
        wi: usize,
        w: &'a Node,
        loc: &mut Vec<Token>,
        out: &mut Vec<Change>,
    ) -> Result<(), Ambiguous> {
        let (rn, wn) = (&self.rt[ri], &self.wt[wi]);
        loc.push(Token::Key("name"));
        out.extend(rules::name_mismatch(rn, wn, pointer(loc)));
        loc.pop();
        match (&rn.body, &wn.body) {
            (NamedBody::Fixed { size: rs }, NamedBody::Fixed { size: ws }) => {
                loc.push(Token::Key("size"));
                out.extend(rules::fixed_size_mismatch(*rs, *ws, pointer(loc)));
                loc.pop();
            }
            (
                NamedBody::Enum {
                    symbols: rs,
                    default,
                },
                NamedBody::Enum { symbols: ws, .. },
            ) => {
                loc.push(Token::Key("symbols"));
                out.extend(rules::missing_enum_symbols(
                    rs,
                    default.as_deref(),
                    ws,
                    pointer(loc),
                ));
                loc.pop();
            }
            (
                NamedBody::Record { fields: rf, .. },
                NamedBody::Record {
                    fields: wf,
                    positions,
                    ..
                },
            ) => {
                self.fields(rf, wf, positions, w, loc, out)?;
            }
            _ => unreachable!("same type name implies the same kind of named type"),
        }
        Ok(())
    }

    fn fields(
        &mut self,
        reader_fields: &'a [Field],
        writer_fields: &'a [Field],
        writer_positions: &HashMap<String, usize>,
        writer: &'a Node,
        loc: &mut Vec<Token>,
        out: &mut Vec<Change>,
    ) -> Result<(), Ambiguous> {
        loc.push(Token::Key("fields"));
        for (pos, rf) in reader_fields.iter().enumerate() {
            loc.push(Token::Index(pos));
            let matches: Vec<&'a Field> = std::iter::once(&rf.name)
                .chain(rf.aliases.iter())
                .filter_map(|n| writer_positions.get(n).map(|i| &writer_fields[*i]))
                .collect();
            match matches.as_slice() {
                [] if rf.default.is_some() => {}
                [] => match &rf.schema {
                    // Avro's quirk: an enum with an enum-level default is checked against the
                    // whole writer record, which always mismatches.
                    Node::Named(i) if matches!(&self.rt[*i].body, NamedBody::Enum { default: Some(_), .. }) => {
                        out.extend(self.get("type", &rf.schema, writer, loc)?);
                    }
                    _ => out.push(rules::reader_field_missing_default_value(&rf.name, pointer(loc))),
                },
                [wf] => out.extend(self.get("type", &rf.schema, &wf.schema, loc)?),
                _ => {
                    return Err(Ambiguous(rules::ambiguous_field_alias(format!(
                        "Reader record field {} type:{} pos:{pos} matches multiple fields in writer record schema {}",
                        rf.name,
                        self.reader_type(&rf.schema),
                        super::print::canonical(writer, self.wt)
                    ))))
                }
            }
            loc.pop();
        }
        loc.pop();
        Ok(())
    }
}

/// Avro's promotions: int→long, int/long→float, int/long/float→double, string↔bytes.
fn promotes(reader: Primitive, writer: &Node) -> bool {
    let Node::Primitive(w, _) = writer else {
        return false;
    };
    matches!(
        (reader, w),
        (Primitive::Long, Primitive::Int)
            | (Primitive::Float, Primitive::Int | Primitive::Long)
            | (
                Primitive::Double,
                Primitive::Int | Primitive::Long | Primitive::Float
            )
            | (Primitive::Bytes, Primitive::String)
            | (Primitive::String, Primitive::Bytes)
    )
}
