//! Confluent's `normalize=true` for Avro (`AvroSchemaUtils.toNormalizedString`): the same schema
//! written with properties or aliases in another order, or with short instead of full names,
//! gets the same canonical text and so the same id. Docs, defaults and property values still
//! count.
//!
//! Confluent prints a normalized intermediate text and re-parses it; what survives into the
//! stored text is the *ordering* it chose, which is what this module applies to the parsed form:
//! logical-type properties first, then custom properties sorted by key; aliases sorted; object
//! keys of default values sorted. Names need nothing: the printer always derives them.

use serde_json::Value;

use crate::json_text::{java_order, sort_keys};

use super::model::{Named, NamedBody, Node, Props};

const LOGICAL_PROPS: [&str; 3] = ["logicalType", "precision", "scale"];

pub(crate) fn normalize(root: &mut Node, types: &mut [Named]) {
    node(root);
    for t in types.iter_mut() {
        t.props = sort_props(&t.props);
        t.aliases.sort_by_key(|a| a.full());
        if let NamedBody::Record { fields, .. } = &mut t.body {
            for f in fields {
                f.props = sort_props(&f.props);
                f.aliases.sort();
                f.default = f.default.as_ref().map(sort_keys);
                node(&mut f.schema);
            }
        }
    }
}

fn node(n: &mut Node) {
    match n {
        Node::Primitive(_, props) => *props = sort_props(props),
        Node::Array(inner, props) | Node::Map(inner, props) => {
            *props = sort_props(props);
            node(inner);
        }
        Node::Union(branches) => branches.iter_mut().for_each(node),
        Node::Named(_) => {}
    }
}

fn sort_props(props: &Props) -> Props {
    let mut out = Props::new();
    for key in LOGICAL_PROPS {
        if let Some(v) = props.get(key) {
            // A decimal's scale of 0 is the default and is left out.
            if !(key == "scale" && v.as_i64() == Some(0)) {
                out.insert(key.to_string(), sort_keys(v));
            }
        }
    }
    let mut rest: Vec<(&String, &Value)> = props
        .iter()
        .filter(|(k, _)| !LOGICAL_PROPS.contains(&k.as_str()))
        .collect();
    rest.sort_by(|a, b| java_order(a.0, b.0));
    for (k, v) in rest {
        out.insert(k.clone(), sort_keys(v));
    }
    out
}
