//! Serde types straight into Avro binary, on the common path only.
//!
//! apache-avro's serde writer looks up every field of every record by name in a map hashed
//! with SipHash, and does a second map lookup after each field; on a typical record that is
//! about 40% of its time. This writer covers what producers serialize nearly always (records
//! whose fields arrive in the schema's order, primitives, strings, bytes, `Option` for
//! `[null, T]`, arrays and maps of known length, enums, unions as Rust enums) and writes
//! exactly the bytes apache-avro's writer would. Anything else, including every value
//! apache-avro would refuse, makes it give up: the caller then discards what it wrote and
//! apache-avro's writer writes the value, or says why it cannot. `tests` compares the bytes of
//! the two writers on every kind of schema.

use std::fmt;

use apache_avro::schema::{
    DecimalSchema, InnerDecimalSchema, NamesRef, RecordField, RecordSchema, UnionSchema, UuidSchema,
};
use apache_avro::Schema;
use serde::ser::{self, Serialize};

use super::output::{bytes_with_len, long};
use super::serde_context::{
    has_attribute, is_int_based, is_long_based, Context, Undefined, UNION_OF_RECORDS,
};

/// Appends `value`, as Avro of `schema`, to `out`. `false` when the value leaves the common
/// path: `out` may then hold part of it, which the caller discards.
pub(super) fn encode_serde<T: Serialize + ?Sized>(
    value: &T,
    schema: &Schema,
    names: &NamesRef<'_>,
    human_readable: bool,
    out: &mut Vec<u8>,
) -> bool {
    let context = Context {
        names,
        human_readable,
    };
    SchemaSer::new(schema, context, out)
        .and_then(|ser| value.serialize(ser))
        .is_ok()
}

/// The value leaves the common path (or does not fit the schema): apache-avro's writer takes
/// over. What serde's traits need an error to be, private to this module.
#[derive(Debug)]
struct GiveUp;

impl fmt::Display for GiveUp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("left to apache-avro's writer")
    }
}

impl std::error::Error for GiveUp {}

impl ser::Error for GiveUp {
    fn custom<M: fmt::Display>(_: M) -> GiveUp {
        GiveUp
    }
}

type Ser<T = ()> = Result<T, GiveUp>;

impl From<Undefined<'_>> for GiveUp {
    fn from(_: Undefined<'_>) -> GiveUp {
        GiveUp
    }
}

/// Writes one value of `schema` (never a reference).
struct SchemaSer<'s, 'o> {
    schema: &'s Schema,
    context: Context<'s>,
    out: &'o mut Vec<u8>,
}

impl<'s, 'o> SchemaSer<'s, 'o> {
    #[inline]
    fn new(schema: &'s Schema, context: Context<'s>, out: &'o mut Vec<u8>) -> Ser<Self> {
        Ok(SchemaSer {
            schema: context.resolve(schema)?,
            context,
            out,
        })
    }

    #[inline]
    fn with_schema(self, schema: &'s Schema) -> Ser<Self> {
        SchemaSer::new(schema, self.context, self.out)
    }

    #[inline]
    fn write_int(self, v: i32) -> Ser {
        if !is_int_based(self.schema) {
            return Err(GiveUp);
        }
        long(self.out, i64::from(v));
        Ok(())
    }

    #[inline]
    fn write_long(self, v: i64) -> Ser {
        if !is_long_based(self.schema) {
            return Err(GiveUp);
        }
        long(self.out, v);
        Ok(())
    }

    /// The integers Avro has no type for, as apache-avro writes them: a fixed of that name.
    fn named_fixed(self, name: &str, bytes: &[u8]) -> Ser {
        match self.schema {
            Schema::Fixed(fixed) if fixed.size == bytes.len() && fixed.name.as_ref() == name => {
                self.out.extend_from_slice(bytes);
                Ok(())
            }
            _ => Err(GiveUp),
        }
    }

    /// The union's branch at `index`, after its index: what a Rust enum's variant writes.
    fn branch(self, union: &'s UnionSchema, index: u32) -> Ser<(Self, &'s Schema)> {
        let variant = union.variants().get(index as usize).ok_or(GiveUp)?;
        let variant = self.context.resolve(variant)?;
        long(self.out, i64::from(index));
        Ok((self, variant))
    }
}

/// Where a union has its null (a union holds at most one).
#[inline]
fn null_index(union: &UnionSchema) -> Ser<usize> {
    let null = union
        .variants()
        .iter()
        .position(|v| matches!(v, Schema::Null));
    null.ok_or(GiveUp)
}

/// A record apache-avro wrapped a union branch in: its one field is the value.
fn union_of_records<'s>(schema: &'s Schema, variant: &str) -> Option<&'s Schema> {
    match schema {
        Schema::Record(record)
            if record.fields.len() == 1
                && record.name.name() == variant
                && has_attribute(record, UNION_OF_RECORDS) =>
        {
            Some(&record.fields[0].schema)
        }
        _ => None,
    }
}

impl<'s, 'o> ser::Serializer for SchemaSer<'s, 'o> {
    type Ok = ();
    type Error = GiveUp;
    type SerializeSeq = Block<'s, 'o>;
    type SerializeTuple = ser::Impossible<(), GiveUp>;
    type SerializeTupleStruct = ser::Impossible<(), GiveUp>;
    type SerializeTupleVariant = ser::Impossible<(), GiveUp>;
    type SerializeMap = Block<'s, 'o>;
    type SerializeStruct = Fields<'s, 'o>;
    type SerializeStructVariant = ser::Impossible<(), GiveUp>;

    fn serialize_bool(self, v: bool) -> Ser {
        match self.schema {
            Schema::Boolean => {
                self.out.push(u8::from(v));
                Ok(())
            }
            _ => Err(GiveUp),
        }
    }

    fn serialize_i8(self, v: i8) -> Ser {
        self.write_int(i32::from(v))
    }

    fn serialize_i16(self, v: i16) -> Ser {
        self.write_int(i32::from(v))
    }

    fn serialize_i32(self, v: i32) -> Ser {
        self.write_int(v)
    }

    fn serialize_i64(self, v: i64) -> Ser {
        self.write_long(v)
    }

    fn serialize_i128(self, v: i128) -> Ser {
        self.named_fixed("org.apache.avro.rust.i128", &v.to_le_bytes())
    }

    fn serialize_u8(self, v: u8) -> Ser {
        self.write_int(i32::from(v))
    }

    fn serialize_u16(self, v: u16) -> Ser {
        self.write_int(i32::from(v))
    }

    fn serialize_u32(self, v: u32) -> Ser {
        self.write_long(i64::from(v))
    }

    fn serialize_u64(self, v: u64) -> Ser {
        self.named_fixed("org.apache.avro.rust.u64", &v.to_le_bytes())
    }

    fn serialize_u128(self, v: u128) -> Ser {
        self.named_fixed("org.apache.avro.rust.u128", &v.to_le_bytes())
    }

    fn serialize_f32(self, v: f32) -> Ser {
        match self.schema {
            Schema::Float => {
                self.out.extend_from_slice(&v.to_le_bytes());
                Ok(())
            }
            _ => Err(GiveUp),
        }
    }

    fn serialize_f64(self, v: f64) -> Ser {
        match self.schema {
            Schema::Double => {
                self.out.extend_from_slice(&v.to_le_bytes());
                Ok(())
            }
            _ => Err(GiveUp),
        }
    }

    fn serialize_char(self, v: char) -> Ser {
        match self.schema {
            Schema::String => {
                bytes_with_len(self.out, v.encode_utf8(&mut [0; 4]).as_bytes());
                Ok(())
            }
            _ => Err(GiveUp),
        }
    }

    fn serialize_str(self, v: &str) -> Ser {
        match self.schema {
            Schema::String | Schema::Uuid(UuidSchema::String) => {
                bytes_with_len(self.out, v.as_bytes());
                Ok(())
            }
            _ => Err(GiveUp),
        }
    }

    fn serialize_bytes(self, v: &[u8]) -> Ser {
        match self.schema {
            Schema::Bytes
            | Schema::BigDecimal
            | Schema::Decimal(DecimalSchema {
                inner: InnerDecimalSchema::Bytes,
                ..
            })
            | Schema::Uuid(UuidSchema::Bytes) => bytes_with_len(self.out, v),
            Schema::Fixed(fixed)
            | Schema::Decimal(DecimalSchema {
                inner: InnerDecimalSchema::Fixed(fixed),
                ..
            })
            | Schema::Uuid(UuidSchema::Fixed(fixed))
            | Schema::Duration(fixed)
                if fixed.size == v.len() =>
            {
                self.out.extend_from_slice(v)
            }
            _ => return Err(GiveUp),
        }
        Ok(())
    }

    /// `None` and `Some` need a union of null and one other type, as in apache-avro.
    fn serialize_none(self) -> Ser {
        match self.schema {
            Schema::Union(union) if union.variants().len() == 2 => {
                let null = null_index(union)?;
                long(self.out, null as i64);
                Ok(())
            }
            _ => Err(GiveUp),
        }
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Ser {
        match self.schema {
            Schema::Union(union) if union.variants().len() == 2 => {
                let null = null_index(union)?;
                let some = (null + 1) & 1;
                long(self.out, some as i64);
                value.serialize(self.with_schema(&union.variants()[some])?)
            }
            _ => Err(GiveUp),
        }
    }

    fn serialize_unit(self) -> Ser {
        match self.schema {
            Schema::Null => Ok(()),
            _ => Err(GiveUp),
        }
    }

    fn serialize_unit_struct(self, name: &'static str) -> Ser {
        match self.schema {
            Schema::Record(record) if record.fields.is_empty() && record.name.name() == name => {
                Ok(())
            }
            _ => Err(GiveUp),
        }
    }

    /// An Avro enum's symbol (by position, and it must be the variant's name), or a union's
    /// null or field-less record branch.
    fn serialize_unit_variant(self, _: &'static str, index: u32, variant: &'static str) -> Ser {
        match self.schema {
            Schema::Enum(e)
                if e.symbols.get(index as usize).map(String::as_str) == Some(variant) =>
            {
                long(self.out, i64::from(index));
                Ok(())
            }
            Schema::Union(union) => match self.branch(union, index)?.1 {
                Schema::Null => Ok(()),
                Schema::Record(r) if r.fields.is_empty() && r.name.name() == variant => Ok(()),
                _ => Err(GiveUp),
            },
            _ => Err(GiveUp),
        }
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, name: &'static str, value: &T) -> Ser {
        match self.schema {
            Schema::Record(record) if record.fields.len() == 1 && record.name.name() == name => {
                value.serialize(self.with_schema(&record.fields[0].schema)?)
            }
            _ => Err(GiveUp),
        }
    }

    /// A union's branch, by the variant's position.
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        index: u32,
        variant: &'static str,
        value: &T,
    ) -> Ser {
        match self.schema {
            Schema::Union(union) => {
                let (ser, branch) = self.branch(union, index)?;
                let schema = union_of_records(branch, variant).unwrap_or(branch);
                value.serialize(ser.with_schema(schema)?)
            }
            _ => Err(GiveUp),
        }
    }

    /// Arrays of a length known up front, written as one block, as apache-avro does.
    fn serialize_seq(self, len: Option<usize>) -> Ser<Block<'s, 'o>> {
        match (self.schema, len) {
            (Schema::Array(array), Some(len)) => Block::start(self, &array.items, len),
            _ => Err(GiveUp),
        }
    }

    fn serialize_tuple(self, _: usize) -> Ser<Self::SerializeTuple> {
        Err(GiveUp)
    }

    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Ser<Self::SerializeTupleStruct> {
        Err(GiveUp)
    }

    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Ser<Self::SerializeTupleVariant> {
        Err(GiveUp)
    }

    fn serialize_map(self, len: Option<usize>) -> Ser<Block<'s, 'o>> {
        match (self.schema, len) {
            (Schema::Map(map), Some(len)) => Block::start(self, &map.types, len),
            _ => Err(GiveUp),
        }
    }

    /// Any record (apache-avro does not check the name here), its fields in the schema's order.
    fn serialize_struct(self, _: &'static str, _: usize) -> Ser<Fields<'s, 'o>> {
        match self.schema {
            Schema::Record(record) => Ok(Fields {
                record,
                next: 0,
                context: self.context,
                out: self.out,
            }),
            _ => Err(GiveUp),
        }
    }

    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Ser<Self::SerializeStructVariant> {
        Err(GiveUp)
    }

    fn is_human_readable(&self) -> bool {
        self.context.human_readable
    }
}

/// A record's fields, which must come in the schema's order, all of them.
struct Fields<'s, 'o> {
    record: &'s RecordSchema,
    /// The position of the field to write next.
    next: usize,
    context: Context<'s>,
    out: &'o mut Vec<u8>,
}

impl ser::SerializeStruct for Fields<'_, '_> {
    type Ok = ();
    type Error = GiveUp;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Ser {
        let field: &RecordField = self.record.fields.get(self.next).ok_or(GiveUp)?;
        if field.name != key {
            return Err(GiveUp);
        }
        self.next += 1;
        value.serialize(SchemaSer::new(&field.schema, self.context, self.out)?)
    }

    /// A skipped field would be written from its default, out of order: apache-avro's job.
    fn skip_field(&mut self, _: &'static str) -> Ser {
        Err(GiveUp)
    }

    fn end(self) -> Ser {
        match self.next == self.record.fields.len() {
            true => Ok(()),
            false => Err(GiveUp),
        }
    }
}

/// The items of an array, or the entries of a map, in one block of a length given up front.
struct Block<'s, 'o> {
    items: &'s Schema,
    /// Items still to come, as announced.
    left: usize,
    context: Context<'s>,
    out: &'o mut Vec<u8>,
}

static STRING: Schema = Schema::String;

impl<'s, 'o> Block<'s, 'o> {
    fn start(ser: SchemaSer<'s, 'o>, items: &'s Schema, len: usize) -> Ser<Block<'s, 'o>> {
        if len != 0 {
            long(ser.out, len as i64);
        }
        Ok(Block {
            items: ser.context.resolve(items)?,
            left: len,
            context: ser.context,
            out: ser.out,
        })
    }

    fn item(&mut self) -> Ser<SchemaSer<'s, '_>> {
        SchemaSer::new(self.items, self.context, self.out)
    }

    /// The block's end: as many items as announced.
    fn end(self) -> Ser {
        if self.left != 0 {
            return Err(GiveUp);
        }
        self.out.push(0);
        Ok(())
    }
}

impl ser::SerializeSeq for Block<'_, '_> {
    type Ok = ();
    type Error = GiveUp;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Ser {
        self.left = self.left.checked_sub(1).ok_or(GiveUp)?;
        value.serialize(self.item()?)
    }

    fn end(self) -> Ser {
        Block::end(self)
    }
}

impl ser::SerializeMap for Block<'_, '_> {
    type Ok = ();
    type Error = GiveUp;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Ser {
        self.left = self.left.checked_sub(1).ok_or(GiveUp)?;
        key.serialize(SchemaSer::new(&STRING, self.context, self.out)?)
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Ser {
        value.serialize(self.item()?)
    }

    fn end(self) -> Ser {
        Block::end(self)
    }
}

#[cfg(test)]
mod tests;
