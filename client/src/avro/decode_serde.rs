//! Avro binary straight into serde types, for the writer's schema alone (no resolution).
//!
//! The mapping is apache-avro's, as its `GenericDatumReader::read_deser` implements it (see
//! `apache_avro::documentation::avro_data_model_to_serde`): the same schema answers the same
//! requests with the same values, and a type the schema does not fit is an error. This reader
//! differs in how it reads, not in what it yields: it reads from the payload slice rather than
//! through `io::Read`, hands strings and bytes to the visitor borrowed (a `String` field
//! allocates once, without zeroing a buffer first) and bounds nesting and expansion as the
//! `Value` decoder does. It also accepts two requests apache-avro's refuses: record field names
//! read as strings, and enum symbols through `deserialize_any`, so that self-describing types
//! (`serde_json::Value`, `HashMap<String, _>`) can read records and enums.
//! `tests` compares the two readers on every kind of schema and on random bytes.

use std::fmt;

use apache_avro::schema::{
    DecimalSchema, InnerDecimalSchema, NamesRef, RecordField, RecordSchema, SchemaKind,
    UnionSchema, UuidSchema,
};
use apache_avro::Schema;
use serde::de::{
    self, DeserializeOwned, DeserializeSeed, EnumAccess, MapAccess, SeqAccess, Unexpected,
    VariantAccess, Visitor,
};
use serde::forward_to_deserialize_any;

use super::input::{all_read, deeper, invalid, Input};
use super::serde_context::{
    has_attribute, is_int_based, is_long_based, Context, Undefined, TUPLE, UNION_OF_RECORDS,
};
use crate::{Error, Result};

/// Reads `payload`, which must hold exactly one value of `schema`, as a `T`. `names` are the
/// named types the schema uses; `human_readable` is apache-avro's serde setting, which the
/// writer used too.
pub(super) fn decode_serde<T: DeserializeOwned>(
    schema: &Schema,
    names: &NamesRef<'_>,
    human_readable: bool,
    payload: &[u8],
) -> Result<T> {
    let mut input = Input::new(payload);
    let context = Context {
        names,
        human_readable,
    };
    let value = SchemaDe::new(schema, context, &mut input, 0)
        .and_then(T::deserialize)
        .map_err(|e| Error::Serialization(e.to_string()))?;
    all_read(input.bytes)?;
    Ok(value)
}

/// Why a payload could not be read as the type asked for: what serde's traits need an error to
/// be (`de::Error`), private to this module and returned as the crate's `Error`. Its message is
/// boxed so that results passed up through every level of a message stay small.
#[derive(Debug)]
struct DeError(Box<str>);

impl DeError {
    /// The type does not fit the schema (or the value, for a narrow integer).
    fn misfit(message: impl fmt::Display) -> DeError {
        DeError(format!("the message does not fit the type: {message}").into())
    }
}

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DeError {}

impl de::Error for DeError {
    fn custom<M: fmt::Display>(message: M) -> DeError {
        DeError::misfit(message)
    }
}

/// The bytes are not a value of the schema.
impl From<Box<str>> for DeError {
    fn from(message: Box<str>) -> DeError {
        DeError(format!("invalid Avro data: {message}").into())
    }
}

type De<T> = std::result::Result<T, DeError>;

impl From<Undefined<'_>> for DeError {
    fn from(Undefined(name): Undefined<'_>) -> DeError {
        DeError::misfit(format!("the schema uses {name}, which it does not define"))
    }
}

/// Reads one value of `schema` (never a reference) from `input`.
struct SchemaDe<'s, 'i, 'b> {
    schema: &'s Schema,
    context: Context<'s>,
    input: &'i mut Input<'b>,
    /// How many records, arrays and maps enclose this value.
    depth: usize,
}

impl<'s, 'i, 'b> SchemaDe<'s, 'i, 'b> {
    #[inline]
    fn new(
        schema: &'s Schema,
        context: Context<'s>,
        input: &'i mut Input<'b>,
        depth: usize,
    ) -> De<Self> {
        Ok(SchemaDe {
            schema: context.resolve(schema)?,
            context,
            input,
            depth,
        })
    }

    /// The same reader, for a value of `schema`.
    #[inline]
    fn with_schema(self, schema: &'s Schema) -> De<Self> {
        SchemaDe::new(schema, self.context, self.input, self.depth)
    }

    /// Reads the branch index of `union`: the reader for the branch's value.
    #[inline]
    fn with_union(self, union: &'s UnionSchema) -> De<Self> {
        let (_, variant) = union_variant(self.input, union)?;
        self.with_schema(variant)
    }

    fn mismatch(&self, rust: &str) -> DeError {
        let found = SchemaKind::from(self.schema);
        DeError::misfit(format!("{rust} cannot be read from an Avro {found:?}"))
    }

    #[inline]
    fn read_int(&mut self, rust: &str) -> De<i32> {
        match is_int_based(self.schema) {
            true => Ok(self.input.int()?),
            false => Err(self.mismatch(rust)),
        }
    }

    #[inline]
    fn read_long(&mut self, rust: &str) -> De<i64> {
        match is_long_based(self.schema) {
            true => Ok(self.input.long()?),
            false => Err(self.mismatch(rust)),
        }
    }

    /// The bytes of a fixed named `name` of `N` bytes: how apache-avro writes the integers
    /// Avro has no type for (i128, u64, u128).
    fn read_named_fixed<const N: usize>(&mut self, name: &str, rust: &str) -> De<[u8; N]> {
        match self.schema {
            Schema::Fixed(fixed) if fixed.size == N && fixed.name.as_ref() == name => {
                Ok(self.input.array()?)
            }
            _ => Err(self.mismatch(rust)),
        }
    }

    /// A record as a map from field names to values.
    fn record<'de, V: Visitor<'de>>(self, record: &'s RecordSchema, visitor: V) -> De<V::Value> {
        visitor.visit_map(RecordAccess {
            fields: record.fields.iter(),
            value: None,
            context: self.context,
            input: self.input,
            depth: deeper(self.depth)?,
        })
    }

    /// A record as a sequence of its fields' values.
    fn record_tuple<'de, V: Visitor<'de>>(
        self,
        record: &'s RecordSchema,
        visitor: V,
    ) -> De<V::Value> {
        visitor.visit_seq(TupleAccess {
            one: None,
            fields: record.fields.iter(),
            context: self.context,
            input: self.input,
            depth: deeper(self.depth)?,
        })
    }

    /// The items of an array, or the entries of a map, of `items`.
    fn block(self, items: &'s Schema) -> De<BlockAccess<'s, 'i, 'b>> {
        let depth = deeper(self.depth)?;
        let left = self.input.block()?;
        Ok(BlockAccess {
            items: self.context.resolve(items)?,
            left,
            context: self.context,
            input: self.input,
            depth,
        })
    }
}

/// Reads a union's branch index: the index and the branch's schema.
#[inline]
fn union_variant<'s>(input: &mut Input<'_>, union: &'s UnionSchema) -> De<(u32, &'s Schema)> {
    let index = input.int()?;
    match usize::try_from(index)
        .ok()
        .and_then(|i| union.variants().get(i))
    {
        Some(variant) => Ok((index as u32, variant)),
        None => Err(invalid(format!("union index {index} out of range")).into()),
    }
}

/// The schema a record field's or union branch's value is read with.
#[inline]
fn unwrapped(schema: &Schema) -> &Schema {
    match schema {
        Schema::Record(record)
            if record.fields.len() == 1 && has_attribute(record, UNION_OF_RECORDS) =>
        {
            &record.fields[0].schema
        }
        schema => schema,
    }
}

/// Narrow integers: read as Avro's int or long, refused when the value does not fit.
macro_rules! deserialize_narrow {
    ($method:ident, $visit:ident, $rust:ty, $read:ident) => {
        fn $method<V: Visitor<'de>>(mut self, visitor: V) -> De<V::Value> {
            if let Schema::Union(union) = self.schema {
                return self.with_union(union)?.$method(visitor);
            }
            let n = self.$read(stringify!($rust))?;
            let n = <$rust>::try_from(n).map_err(|_| {
                DeError::misfit(format!("{n} does not fit a {}", stringify!($rust)))
            })?;
            visitor.$visit(n)
        }
    };
}

/// Integers apache-avro writes as a named fixed.
macro_rules! deserialize_fixed_int {
    ($method:ident, $visit:ident, $rust:ty, $name:literal) => {
        fn $method<V: Visitor<'de>>(mut self, visitor: V) -> De<V::Value> {
            if let Schema::Union(union) = self.schema {
                return self.with_union(union)?.$method(visitor);
            }
            let bytes = self.read_named_fixed($name, stringify!($rust))?;
            visitor.$visit(<$rust>::from_le_bytes(bytes))
        }
    };
}

impl<'de> de::Deserializer<'de> for SchemaDe<'_, '_, '_> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> De<V::Value> {
        match self.schema {
            Schema::Null => self.deserialize_unit(visitor),
            Schema::Boolean => self.deserialize_bool(visitor),
            Schema::Int | Schema::Date | Schema::TimeMillis => self.deserialize_i32(visitor),
            Schema::Long
            | Schema::TimeMicros
            | Schema::TimestampMillis
            | Schema::TimestampMicros
            | Schema::TimestampNanos
            | Schema::LocalTimestampMillis
            | Schema::LocalTimestampMicros
            | Schema::LocalTimestampNanos => self.deserialize_i64(visitor),
            Schema::Float => self.deserialize_f32(visitor),
            Schema::Double => self.deserialize_f64(visitor),
            Schema::Bytes
            | Schema::Fixed(_)
            | Schema::Decimal(_)
            | Schema::BigDecimal
            | Schema::Uuid(UuidSchema::Fixed(_) | UuidSchema::Bytes)
            | Schema::Duration(_) => self.deserialize_bytes(visitor),
            Schema::String | Schema::Uuid(UuidSchema::String) => self.deserialize_str(visitor),
            Schema::Array(_) => self.deserialize_seq(visitor),
            Schema::Map(_) => self.deserialize_map(visitor),
            Schema::Union(union) => self.with_union(union)?.deserialize_any(visitor),
            Schema::Record(record) if has_attribute(record, TUPLE) => {
                self.record_tuple(record, visitor)
            }
            Schema::Record(record) => self.record(record, visitor),
            // apache-avro offers an enum here, which self-describing types cannot take.
            Schema::Enum(schema) => {
                let index = self.input.int()?;
                visitor.visit_str(symbol(&schema.symbols, index)?)
            }
            Schema::Ref { .. } => unreachable!("SchemaDe::new resolves references"),
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> De<V::Value> {
        match self.schema {
            Schema::Boolean => match self.input.byte()? {
                0 => visitor.visit_bool(false),
                1 => visitor.visit_bool(true),
                b => Err(invalid(format!("{b} is not a boolean")).into()),
            },
            Schema::Union(union) => self.with_union(union)?.deserialize_bool(visitor),
            _ => Err(self.mismatch("bool")),
        }
    }

    deserialize_narrow!(deserialize_i8, visit_i8, i8, read_int);
    deserialize_narrow!(deserialize_i16, visit_i16, i16, read_int);
    deserialize_narrow!(deserialize_u8, visit_u8, u8, read_int);
    deserialize_narrow!(deserialize_u16, visit_u16, u16, read_int);
    deserialize_narrow!(deserialize_u32, visit_u32, u32, read_long);
    deserialize_fixed_int!(
        deserialize_i128,
        visit_i128,
        i128,
        "org.apache.avro.rust.i128"
    );
    deserialize_fixed_int!(deserialize_u64, visit_u64, u64, "org.apache.avro.rust.u64");
    deserialize_fixed_int!(
        deserialize_u128,
        visit_u128,
        u128,
        "org.apache.avro.rust.u128"
    );

    fn deserialize_i32<V: Visitor<'de>>(mut self, visitor: V) -> De<V::Value> {
        match self.schema {
            Schema::Union(union) => self.with_union(union)?.deserialize_i32(visitor),
            _ => visitor.visit_i32(self.read_int("i32")?),
        }
    }

    fn deserialize_i64<V: Visitor<'de>>(mut self, visitor: V) -> De<V::Value> {
        match self.schema {
            Schema::Union(union) => self.with_union(union)?.deserialize_i64(visitor),
            _ => visitor.visit_i64(self.read_long("i64")?),
        }
    }

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> De<V::Value> {
        match self.schema {
            Schema::Float => visitor.visit_f32(f32::from_le_bytes(self.input.array()?)),
            Schema::Union(union) => self.with_union(union)?.deserialize_f32(visitor),
            _ => Err(self.mismatch("f32")),
        }
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> De<V::Value> {
        match self.schema {
            Schema::Double => visitor.visit_f64(f64::from_le_bytes(self.input.array()?)),
            Schema::Union(union) => self.with_union(union)?.deserialize_f64(visitor),
            _ => Err(self.mismatch("f64")),
        }
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> De<V::Value> {
        match self.schema {
            Schema::String => {
                let s = self.input.str()?;
                let mut chars = s.chars();
                match (chars.next(), chars.next()) {
                    (Some(c), None) => visitor.visit_char(c),
                    _ => Err(DeError::misfit(format!("{s:?} is not one character"))),
                }
            }
            Schema::Union(union) => self.with_union(union)?.deserialize_char(visitor),
            _ => Err(self.mismatch("char")),
        }
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> De<V::Value> {
        match self.schema {
            Schema::String | Schema::Uuid(UuidSchema::String) => {
                visitor.visit_str(self.input.str()?)
            }
            Schema::Union(union) => self.with_union(union)?.deserialize_str(visitor),
            _ => Err(self.mismatch("string")),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> De<V::Value> {
        self.deserialize_str(visitor)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> De<V::Value> {
        match self.schema {
            Schema::Bytes
            | Schema::BigDecimal
            | Schema::Decimal(DecimalSchema {
                inner: InnerDecimalSchema::Bytes,
                ..
            })
            | Schema::Uuid(UuidSchema::Bytes) => visitor.visit_bytes(self.input.bytes()?),
            Schema::Fixed(fixed)
            | Schema::Decimal(DecimalSchema {
                inner: InnerDecimalSchema::Fixed(fixed),
                ..
            })
            | Schema::Uuid(UuidSchema::Fixed(fixed))
            | Schema::Duration(fixed) => visitor.visit_bytes(self.input.take(fixed.size)?),
            Schema::Union(union) => self.with_union(union)?.deserialize_bytes(visitor),
            _ => Err(self.mismatch("bytes")),
        }
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> De<V::Value> {
        self.deserialize_bytes(visitor)
    }

    /// Only a union of null and one other type is an option; its null is `None`.
    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> De<V::Value> {
        match self.schema {
            Schema::Union(union) if union.variants().len() == 2 && union.is_nullable() => {
                match union_variant(self.input, union)?.1 {
                    Schema::Null => visitor.visit_none(),
                    variant => visitor.visit_some(self.with_schema(variant)?),
                }
            }
            _ => Err(self.mismatch("option")),
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> De<V::Value> {
        match self.schema {
            Schema::Null => visitor.visit_unit(),
            Schema::Union(union) => self.with_union(union)?.deserialize_unit(visitor),
            _ => Err(self.mismatch("unit")),
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> De<V::Value> {
        match self.schema {
            Schema::Record(record) if record.fields.is_empty() && record.name.name() == name => {
                visitor.visit_unit()
            }
            Schema::Union(union) => self
                .with_union(union)?
                .deserialize_unit_struct(name, visitor),
            _ => Err(self.mismatch(&format!("unit struct {name}"))),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> De<V::Value> {
        match self.schema {
            Schema::Record(record) if record.fields.len() == 1 && record.name.name() == name => {
                visitor.visit_newtype_struct(self.with_schema(&record.fields[0].schema)?)
            }
            Schema::Union(union) => self
                .with_union(union)?
                .deserialize_newtype_struct(name, visitor),
            _ => Err(self.mismatch(&format!("newtype struct {name}"))),
        }
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> De<V::Value> {
        match self.schema {
            Schema::Array(array) => visitor.visit_seq(self.block(&array.items)?),
            Schema::Union(union) => self.with_union(union)?.deserialize_seq(visitor),
            _ => Err(self.mismatch("sequence")),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, len: usize, visitor: V) -> De<V::Value> {
        match self.schema {
            Schema::Null if len == 0 => visitor.visit_unit(),
            // A 1-tuple is its one value, of any schema (a union too).
            schema if len == 1 => visitor.visit_seq(TupleAccess {
                one: Some(schema),
                fields: [].iter(),
                context: self.context,
                input: self.input,
                depth: self.depth,
            }),
            Schema::Record(record) if record.fields.len() == len => {
                self.record_tuple(record, visitor)
            }
            Schema::Union(union) => self.with_union(union)?.deserialize_tuple(len, visitor),
            _ => Err(self.mismatch(&format!("{len}-tuple"))),
        }
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        len: usize,
        visitor: V,
    ) -> De<V::Value> {
        match self.schema {
            Schema::Record(record) if record.name.name() == name && record.fields.len() == len => {
                self.record_tuple(record, visitor)
            }
            Schema::Union(union) => self
                .with_union(union)?
                .deserialize_tuple_struct(name, len, visitor),
            _ => Err(self.mismatch(&format!("tuple struct {name}"))),
        }
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> De<V::Value> {
        match self.schema {
            Schema::Map(map) => visitor.visit_map(self.block(&map.types)?),
            // Flattened structs are read as maps.
            Schema::Record(record) => self.record(record, visitor),
            Schema::Union(union) => self.with_union(union)?.deserialize_map(visitor),
            _ => Err(self.mismatch("map")),
        }
    }

    /// The record's name must be the struct's (without namespace); its fields are matched by
    /// name, so the struct may list them in any order.
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> De<V::Value> {
        match self.schema {
            Schema::Record(record) if record.name.name() == name => self.record(record, visitor),
            Schema::Union(union) => self
                .with_union(union)?
                .deserialize_struct(name, fields, visitor),
            _ => Err(self.mismatch(&format!("struct {name}"))),
        }
    }

    /// An Avro enum is a Rust enum of unit variants, by symbol; a union is a Rust enum with a
    /// variant per branch, by position.
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> De<V::Value> {
        match self.schema {
            Schema::Enum(schema) => {
                let index = self.input.int()?;
                visitor.visit_enum(SymbolAccess(symbol(&schema.symbols, index)?))
            }
            Schema::Union(union) => {
                let (index, variant) = union_variant(self.input, union)?;
                visitor.visit_enum(BranchAccess {
                    index,
                    reader: self.with_schema(variant)?,
                })
            }
            _ => Err(self.mismatch("enum")),
        }
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> De<V::Value> {
        match self.schema {
            Schema::String => self.deserialize_str(visitor),
            _ => Err(self.mismatch("identifier")),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> De<V::Value> {
        self.deserialize_any(visitor)
    }

    fn is_human_readable(&self) -> bool {
        self.context.human_readable
    }
}

#[inline]
fn symbol(symbols: &[String], index: i32) -> De<&str> {
    usize::try_from(index)
        .ok()
        .and_then(|i| symbols.get(i))
        .map(String::as_str)
        .ok_or_else(|| invalid(format!("enum index {index} out of range")).into())
}

/// A record's fields, by name.
struct RecordAccess<'s, 'i, 'b> {
    fields: std::slice::Iter<'s, RecordField>,
    /// The schema of the field whose name was read last.
    value: Option<&'s Schema>,
    context: Context<'s>,
    input: &'i mut Input<'b>,
    depth: usize,
}

impl<'de> MapAccess<'de> for RecordAccess<'_, '_, '_> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> De<Option<K::Value>> {
        let Some(field) = self.fields.next() else {
            return Ok(None);
        };
        self.value = Some(&field.schema);
        seed.deserialize(Identifier::Name(&field.name)).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> De<V::Value> {
        let Some(schema) = self.value.take() else {
            return Err(DeError::misfit(
                "a record field's value was asked for before its name",
            ));
        };
        let schema = unwrapped(self.context.resolve(schema)?);
        seed.deserialize(SchemaDe::new(schema, self.context, self.input, self.depth)?)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.fields.len())
    }
}

/// A 1-tuple's value, or a record's fields in order.
struct TupleAccess<'s, 'i, 'b> {
    one: Option<&'s Schema>,
    fields: std::slice::Iter<'s, RecordField>,
    context: Context<'s>,
    input: &'i mut Input<'b>,
    depth: usize,
}

impl<'de> SeqAccess<'de> for TupleAccess<'_, '_, '_> {
    type Error = DeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> De<Option<T::Value>> {
        let next = self
            .one
            .take()
            .or_else(|| self.fields.next().map(|f| &f.schema));
        let Some(schema) = next else {
            return Ok(None);
        };
        seed.deserialize(SchemaDe::new(schema, self.context, self.input, self.depth)?)
            .map(Some)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(usize::from(self.one.is_some()) + self.fields.len())
    }
}

/// The items of an array, or the entries of a map, block by block.
struct BlockAccess<'s, 'i, 'b> {
    items: &'s Schema,
    /// Items left in the current block; `None` after the last block.
    left: Option<usize>,
    context: Context<'s>,
    input: &'i mut Input<'b>,
    depth: usize,
}

impl<'s, 'b> BlockAccess<'s, '_, 'b> {
    /// Counts one more item; `false` after the last.
    fn next(&mut self) -> De<bool> {
        if self.left.is_none() {
            return Ok(false);
        }
        self.input.count(1)?;
        Ok(true)
    }

    /// After an item: reads the next block's header when this block is done, at once, so that
    /// a visitor that stops at the last item leaves nothing of the array behind.
    fn finish_item(&mut self) -> De<()> {
        self.left = match self.left {
            Some(left) if left > 1 => Some(left - 1),
            Some(_) => self.input.block()?,
            None => None,
        };
        Ok(())
    }

    fn item(&mut self) -> De<SchemaDe<'s, '_, 'b>> {
        SchemaDe::new(self.items, self.context, self.input, self.depth)
    }
}

static STRING: Schema = Schema::String;

impl<'de> SeqAccess<'de> for BlockAccess<'_, '_, '_> {
    type Error = DeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> De<Option<T::Value>> {
        if !self.next()? {
            return Ok(None);
        }
        let value = seed.deserialize(self.item()?)?;
        self.finish_item()?;
        Ok(Some(value))
    }

    fn size_hint(&self) -> Option<usize> {
        self.left
    }
}

impl<'de> MapAccess<'de> for BlockAccess<'_, '_, '_> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> De<Option<K::Value>> {
        if !self.next()? {
            return Ok(None);
        }
        let key = SchemaDe::new(&STRING, self.context, self.input, self.depth)?;
        seed.deserialize(key).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> De<V::Value> {
        let value = seed.deserialize(self.item()?)?;
        self.finish_item()?;
        Ok(value)
    }

    fn size_hint(&self) -> Option<usize> {
        self.left
    }
}

/// An Avro enum's symbol, as a unit variant.
struct SymbolAccess<'s>(&'s str);

impl<'de> EnumAccess<'de> for SymbolAccess<'_> {
    type Error = DeError;
    type Variant = Self;

    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> De<(V::Value, Self)> {
        Ok((seed.deserialize(Identifier::Name(self.0))?, self))
    }
}

impl<'de> VariantAccess<'de> for SymbolAccess<'_> {
    type Error = DeError;

    fn unit_variant(self) -> De<()> {
        Ok(())
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, _: T) -> De<T::Value> {
        Err(de::Error::invalid_type(
            Unexpected::UnitVariant,
            &"newtype variant",
        ))
    }

    fn tuple_variant<V: Visitor<'de>>(self, _: usize, _: V) -> De<V::Value> {
        Err(de::Error::invalid_type(
            Unexpected::UnitVariant,
            &"tuple variant",
        ))
    }

    fn struct_variant<V: Visitor<'de>>(self, _: &'static [&'static str], _: V) -> De<V::Value> {
        Err(de::Error::invalid_type(
            Unexpected::UnitVariant,
            &"struct variant",
        ))
    }
}

/// A union's branch, as the variant at its position.
struct BranchAccess<'s, 'i, 'b> {
    index: u32,
    reader: SchemaDe<'s, 'i, 'b>,
}

impl<'de, 's, 'i, 'b> EnumAccess<'de> for BranchAccess<'s, 'i, 'b> {
    type Error = DeError;
    type Variant = SchemaDe<'s, 'i, 'b>;

    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> De<(V::Value, Self::Variant)> {
        Ok((
            seed.deserialize(Identifier::Index(self.index))?,
            self.reader,
        ))
    }
}

impl<'de> VariantAccess<'de> for SchemaDe<'_, '_, '_> {
    type Error = DeError;

    /// Null, or a record without fields.
    fn unit_variant(self) -> De<()> {
        match self.schema {
            Schema::Null => Ok(()),
            Schema::Record(record) if record.fields.is_empty() => Ok(()),
            _ => Err(self.mismatch("unit variant")),
        }
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> De<T::Value> {
        let schema = unwrapped(self.schema);
        seed.deserialize(self.with_schema(schema)?)
    }

    fn tuple_variant<V: Visitor<'de>>(self, len: usize, visitor: V) -> De<V::Value> {
        de::Deserializer::deserialize_tuple(self, len, visitor)
    }

    /// Any record, whatever its name.
    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> De<V::Value> {
        match self.schema {
            Schema::Record(record) => self.record(record, visitor),
            _ => Err(self.mismatch(&format!("struct variant with fields {fields:?}"))),
        }
    }
}

/// A record field's or enum symbol's name, or a union branch's position.
enum Identifier<'s> {
    Name(&'s str),
    Index(u32),
}

impl<'de> de::Deserializer<'de> for Identifier<'_> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> De<V::Value> {
        match self {
            Identifier::Name(name) => visitor.visit_str(name),
            Identifier::Index(index) => visitor.visit_u32(index),
        }
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

#[cfg(test)]
mod tests;
