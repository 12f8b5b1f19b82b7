//! Avro's Parsing Canonical Form (spec "Transforming into Parsing Canonical Form") and its
//! 64-bit Rabin fingerprint (CRC-64-AVRO). Confluent identifies schemas by their canonical
//! *text*, not by this form; it is here for tools that want the spec's "same for parsing" test.

use super::model::{Named, NamedBody, Node};
use crate::json_text::write_str;

/// The Parsing Canonical Form: full names, only the attributes that matter for parsing, in the
/// spec's order, no whitespace; a named type is defined at its first use and named afterwards.
pub(crate) fn parsing_canonical_form(root: &Node, types: &[Named]) -> String {
    let mut out = String::new();
    let mut written = vec![false; types.len()];
    node(root, types, &mut written, &mut out);
    out
}

fn node(n: &Node, types: &[Named], written: &mut [bool], out: &mut String) {
    match n {
        Node::Primitive(p, _) => write_str(out, p.name()),
        Node::Array(items, _) => {
            out.push_str("{\"type\":\"array\",\"items\":");
            node(items, types, written, out);
            out.push('}');
        }
        Node::Map(values, _) => {
            out.push_str("{\"type\":\"map\",\"values\":");
            node(values, types, written, out);
            out.push('}');
        }
        Node::Union(branches) => {
            out.push('[');
            for (i, b) in branches.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                node(b, types, written, out);
            }
            out.push(']');
        }
        Node::Named(i) => {
            let t = &types[*i];
            let name = t.name.full();
            if written[*i] {
                write_str(out, &name);
                return;
            }
            written[*i] = true;
            out.push_str("{\"name\":");
            write_str(out, &name);
            match &t.body {
                NamedBody::Record { fields, error, .. } => {
                    out.push_str(if *error {
                        ",\"type\":\"error\",\"fields\":["
                    } else {
                        ",\"type\":\"record\",\"fields\":["
                    });
                    for (k, f) in fields.iter().enumerate() {
                        if k > 0 {
                            out.push(',');
                        }
                        out.push_str("{\"name\":");
                        write_str(out, &f.name);
                        out.push_str(",\"type\":");
                        node(&f.schema, types, written, out);
                        out.push('}');
                    }
                    out.push_str("]}");
                }
                NamedBody::Enum { symbols, .. } => {
                    out.push_str(",\"type\":\"enum\",\"symbols\":[");
                    for (k, s) in symbols.iter().enumerate() {
                        if k > 0 {
                            out.push(',');
                        }
                        write_str(out, s);
                    }
                    out.push_str("]}");
                }
                NamedBody::Fixed { size } => {
                    out.push_str(&format!(",\"type\":\"fixed\",\"size\":{size}}}"));
                }
            }
        }
    }
}

/// The CRC-64-AVRO (Rabin) fingerprint of `bytes`, the spec's recommended 64-bit fingerprint.
pub fn rabin_fingerprint(bytes: &[u8]) -> u64 {
    const EMPTY: u64 = 0xc15d_213a_a4d7_a795;
    let table: [u64; 256] = std::array::from_fn(|i| {
        let mut fp = i as u64;
        for _ in 0..8 {
            fp = (fp >> 1) ^ (EMPTY & (fp & 1).wrapping_neg());
        }
        fp
    });
    bytes.iter().fold(EMPTY, |fp, b| {
        (fp >> 8) ^ table[((fp ^ *b as u64) & 0xff) as usize]
    })
}
