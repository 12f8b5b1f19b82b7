//! Confluent's canonical Avro text: Avro Java's `Schema.toString()` (compact JSON, Avro's attribute
//! order, `namespace` only where it changes, a named type defined once and named afterwards,
//! doc, aliases, defaults and custom properties kept).

use super::model::{Field, Named, NamedBody, Node, Order, Props};
use crate::json_text::{write_str, write_value};

pub(crate) fn canonical(root: &Node, types: &[Named]) -> String {
    print(root, types, false)
}

/// The text with the named types of references defined at their first use, as Avro Java's
/// `Schema.toString()` prints a schema parsed after its references (Confluent's
/// `format=resolved`).
pub(crate) fn resolved(root: &Node, types: &[Named]) -> String {
    print(root, types, true)
}

fn print(root: &Node, types: &[Named], inline_references: bool) -> String {
    let mut printer = Printer {
        types,
        inline_references,
        written: vec![false; types.len()],
        out: String::new(),
    };
    printer.node(root, None);
    printer.out
}

struct Printer<'a> {
    types: &'a [Named],
    /// Whether the types of references are defined here rather than named.
    inline_references: bool,
    /// Named types already defined in the output; later uses print the name only.
    written: Vec<bool>,
    out: String,
}

impl Printer<'_> {
    fn node(&mut self, node: &Node, ns: Option<&str>) {
        match node {
            Node::Primitive(p, props) => {
                if props.is_empty() {
                    write_str(&mut self.out, p.name());
                } else {
                    self.out.push_str("{\"type\":");
                    write_str(&mut self.out, p.name());
                    self.props(props);
                    self.out.push('}');
                }
            }
            Node::Array(items, props) => {
                self.out.push_str("{\"type\":\"array\",\"items\":");
                self.node(items, ns);
                self.props(props);
                self.out.push('}');
            }
            Node::Map(values, props) => {
                self.out.push_str("{\"type\":\"map\",\"values\":");
                self.node(values, ns);
                self.props(props);
                self.out.push('}');
            }
            Node::Union(branches) => {
                self.out.push('[');
                for (i, b) in branches.iter().enumerate() {
                    if i > 0 {
                        self.out.push(',');
                    }
                    self.node(b, ns);
                }
                self.out.push(']');
            }
            Node::Named(i) => self.named(*i, ns),
        }
    }

    fn named(&mut self, index: usize, ns: Option<&str>) {
        let t = &self.types[index];
        if (t.external && !self.inline_references) || self.written[index] {
            write_str(&mut self.out, &t.name.qualified_in(ns));
            return;
        }
        self.written[index] = true;
        let kind = match &t.body {
            NamedBody::Record { error: true, .. } => "error",
            NamedBody::Record { .. } => "record",
            NamedBody::Enum { .. } => "enum",
            NamedBody::Fixed { .. } => "fixed",
        };
        self.out.push_str("{\"type\":\"");
        self.out.push_str(kind);
        self.out.push_str("\",\"name\":");
        write_str(&mut self.out, &t.name.name);
        match (&t.name.namespace, ns) {
            (Some(own), Some(outer)) if own == outer => {}
            (Some(own), _) => {
                self.out.push_str(",\"namespace\":");
                write_str(&mut self.out, own);
            }
            (None, Some(_)) => self.out.push_str(",\"namespace\":\"\""),
            (None, None) => {}
        }
        if let Some(doc) = &t.doc {
            self.out.push_str(",\"doc\":");
            write_str(&mut self.out, doc);
        }
        match &t.body {
            NamedBody::Record { fields, .. } => {
                self.out.push_str(",\"fields\":[");
                let inner = t.name.namespace.as_deref();
                for (i, f) in fields.iter().enumerate() {
                    if i > 0 {
                        self.out.push(',');
                    }
                    self.field(f, inner);
                }
                self.out.push(']');
            }
            NamedBody::Enum { symbols, default } => {
                self.out.push_str(",\"symbols\":[");
                for (i, s) in symbols.iter().enumerate() {
                    if i > 0 {
                        self.out.push(',');
                    }
                    write_str(&mut self.out, s);
                }
                self.out.push(']');
                if let Some(d) = default {
                    self.out.push_str(",\"default\":");
                    write_str(&mut self.out, d);
                }
            }
            NamedBody::Fixed { size } => {
                self.out.push_str(",\"size\":");
                self.out.push_str(&size.to_string());
            }
        }
        self.props(&t.props);
        if !t.aliases.is_empty() {
            self.out.push_str(",\"aliases\":[");
            let own = t.name.namespace.as_deref();
            for (i, a) in t.aliases.iter().enumerate() {
                if i > 0 {
                    self.out.push(',');
                }
                write_str(&mut self.out, &a.qualified_in(own));
            }
            self.out.push(']');
        }
        self.out.push('}');
    }

    fn field(&mut self, f: &Field, ns: Option<&str>) {
        self.out.push_str("{\"name\":");
        write_str(&mut self.out, &f.name);
        self.out.push_str(",\"type\":");
        self.node(&f.schema, ns);
        if let Some(doc) = &f.doc {
            self.out.push_str(",\"doc\":");
            write_str(&mut self.out, doc);
        }
        if let Some(d) = &f.default {
            self.out.push_str(",\"default\":");
            write_value(&mut self.out, d);
        }
        match f.order {
            Order::Ascending => {}
            Order::Descending => self.out.push_str(",\"order\":\"descending\""),
            Order::Ignore => self.out.push_str(",\"order\":\"ignore\""),
        }
        if !f.aliases.is_empty() {
            self.out.push_str(",\"aliases\":[");
            for (i, a) in f.aliases.iter().enumerate() {
                if i > 0 {
                    self.out.push(',');
                }
                write_str(&mut self.out, a);
            }
            self.out.push(']');
        }
        self.props(&f.props);
        self.out.push('}');
    }

    fn props(&mut self, props: &Props) {
        for (k, v) in props {
            self.out.push(',');
            write_str(&mut self.out, k);
            self.out.push(':');
            write_value(&mut self.out, v);
        }
    }
}
