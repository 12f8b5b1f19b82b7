//! Avro binary to `apache_avro::types::Value`, for the writer's schema alone (no resolution).
//!
//! apache-avro's own decoder walks the schema for every message and allocates each record's
//! full name as it goes; this one walks a plan compiled once per schema, builds each value in
//! place, reads strings without zeroing a buffer first, and bounds what hostile bytes can make
//! it do: nesting depth (a recursive schema could otherwise overflow the stack) and the number
//! of values a message may expand into (zero-width items such as nulls cost no bytes). It
//! yields the same `Value`s as apache-avro (`tests` compares the two on every kind of schema
//! and on random bytes).

use std::collections::HashMap;

use apache_avro::reader::datum::GenericDatumReader;
use apache_avro::schema::{InnerDecimalSchema, Name, NamesRef, NamespaceRef, UuidSchema};
use apache_avro::types::Value;
use apache_avro::{Decimal, Duration, Schema, Uuid};

use super::input::{all_read, deeper, invalid, Input, Read};
use crate::{Error, Result};

/// How to read one schema, compiled from it once.
enum Plan {
    Null,
    Boolean,
    /// An int, and the `Value` it becomes (`Int`, `Date`, `TimeMillis`).
    Int(fn(i32) -> Value),
    /// A long, and the `Value` it becomes (`Long`, `TimeMicros`, the timestamps).
    Long(fn(i64) -> Value),
    Float,
    Double,
    Bytes,
    String,
    Fixed(usize),
    Enum(Vec<String>),
    Array(Box<Plan>),
    Map(Box<Plan>),
    Union(Vec<Plan>),
    Record(Vec<(String, Plan)>),
    /// A named type used by name (recursion, reuse): an index into [`Decoder::named`].
    Named(usize),
    /// A decimal in bytes (`None`) or in a fixed of that size.
    Decimal(Option<usize>),
    /// A uuid in a string, in bytes (`None`), or in a fixed of that size.
    Uuid(UuidIn),
    /// A duration: a fixed of that size (12 is the only valid one).
    Duration(usize),
    /// A big-decimal, read by apache-avro (it keeps the decoding of this one private).
    BigDecimal,
}

/// A compiled reader for one writer schema.
pub(crate) struct Decoder {
    root: Plan,
    named: Vec<Plan>,
}

impl Decoder {
    /// Compiles `schema`, whose named types (its own and its references') are in `names`.
    pub(crate) fn new(schema: &Schema, names: &NamesRef<'_>) -> Result<Decoder> {
        let mut compiler = Compiler {
            names,
            seen: HashMap::new(),
            named: Vec::new(),
        };
        let root = compiler.compile(schema, None)?;
        Ok(Decoder {
            root,
            named: compiler.named,
        })
    }

    /// The value `payload` holds; it must hold exactly one.
    pub(crate) fn decode(&self, payload: &[u8]) -> Result<Value> {
        let mut input = Input::new(payload);
        let mut value = Value::Null;
        self.read(&self.root, &mut input, 0, &mut value)
            .map_err(|e| Error::Serialization(format!("invalid Avro data: {e}")))?;
        all_read(input.bytes)?;
        Ok(value)
    }

    /// Reads the value `plan` describes into `out`, in place: a value built in a temporary and
    /// moved would be copied once more at every level, and these copies were the decoder's
    /// largest cost.
    fn read(&self, plan: &Plan, input: &mut Input<'_>, depth: usize, out: &mut Value) -> Read<()> {
        input.count(1)?;
        *out = match plan {
            Plan::Null => Value::Null,
            Plan::Boolean => match input.byte()? {
                0 => Value::Boolean(false),
                1 => Value::Boolean(true),
                b => return Err(invalid(format!("{b} is not a boolean"))),
            },
            Plan::Int(make) => make(input.int()?),
            Plan::Long(make) => make(input.long()?),
            Plan::Float => Value::Float(f32::from_le_bytes(input.array()?)),
            Plan::Double => Value::Double(f64::from_le_bytes(input.array()?)),
            Plan::Bytes => Value::Bytes(input.bytes()?.to_vec()),
            Plan::String => Value::String(input.string()?),
            Plan::Fixed(size) => Value::Fixed(*size, input.take(*size)?.to_vec()),
            Plan::Enum(symbols) => {
                let index = input.int()?;
                let symbol = usize::try_from(index).ok().and_then(|i| symbols.get(i));
                match symbol {
                    Some(symbol) => Value::Enum(index as u32, symbol.clone()),
                    None => return Err(invalid(format!("enum index {index} out of range"))),
                }
            }
            Plan::Union(variants) => {
                let index = input.long()?;
                let variant = usize::try_from(index).ok().and_then(|i| variants.get(i));
                match variant {
                    Some(variant) => {
                        let mut value = Box::new(Value::Null);
                        self.read(variant, input, depth, &mut value)?;
                        Value::Union(index as u32, value)
                    }
                    None => return Err(invalid(format!("union index {index} out of range"))),
                }
            }
            Plan::Record(fields) => {
                let depth = deeper(depth)?;
                let mut values: Vec<(String, Value)> = fields
                    .iter()
                    .map(|(name, _)| (name.clone(), Value::Null))
                    .collect();
                for ((_, plan), (_, value)) in fields.iter().zip(&mut values) {
                    self.read(plan, input, depth, value)?;
                }
                Value::Record(values)
            }
            Plan::Array(items) => self.read_array(items, input, deeper(depth)?)?,
            Plan::Map(values) => self.read_map(values, input, deeper(depth)?)?,
            // Recursion runs through records, which count the depth.
            Plan::Named(index) => return self.read(&self.named[*index], input, depth, out),
            Plan::Decimal(size) => Value::Decimal(Decimal::from(read_bytes(*size, input)?)),
            Plan::Uuid(uuid_in) => read_uuid(uuid_in, input)?,
            Plan::Duration(size) => read_duration(*size, input)?,
            Plan::BigDecimal => read_big_decimal(input)?,
        };
        Ok(())
    }

    // Arrays, maps and the rarer logical types are read out of line: `read` recurses for every level of a
    // message, and its stack frame stays small without their locals.

    #[inline(never)]
    fn read_array(&self, items: &Plan, input: &mut Input<'_>, depth: usize) -> Read<Value> {
        let mut values = Vec::new();
        while let Some(count) = input.block()? {
            values.reserve(count.min(input.bytes.len()));
            for _ in 0..count {
                let at = values.len();
                values.push(Value::Null);
                self.read(items, input, depth, &mut values[at])?;
            }
        }
        Ok(Value::Array(values))
    }

    #[inline(never)]
    fn read_map(&self, values: &Plan, input: &mut Input<'_>, depth: usize) -> Read<Value> {
        let mut map = HashMap::new();
        while let Some(count) = input.block()? {
            map.reserve(count.min(input.bytes.len()));
            for _ in 0..count {
                let key = input.string()?;
                let mut value = Value::Null;
                self.read(values, input, depth, &mut value)?;
                map.insert(key, value);
            }
        }
        Ok(Value::Map(map))
    }
}

/// Where a uuid is.
enum UuidIn {
    String,
    Bytes,
    Fixed(usize),
}

/// Bytes after their length (`size` is `None`), or a fixed of `size` bytes.
fn read_bytes(size: Option<usize>, input: &mut Input<'_>) -> Read<Vec<u8>> {
    let bytes = match size {
        None => input.bytes()?,
        Some(size) => input.take(size)?,
    };
    Ok(bytes.to_vec())
}

#[inline(never)]
fn read_uuid(uuid_in: &UuidIn, input: &mut Input<'_>) -> Read<Value> {
    let uuid = match uuid_in {
        UuidIn::String => Uuid::parse_str(input.str()?),
        UuidIn::Bytes => Uuid::from_slice(input.bytes()?),
        UuidIn::Fixed(16) => Uuid::from_slice(input.take(16)?),
        UuidIn::Fixed(size) => return Err(invalid(format!("a uuid in a fixed of {size} bytes"))),
    };
    uuid.map(Value::Uuid)
        .map_err(|e| invalid(format!("not a uuid: {e}")))
}

#[inline(never)]
fn read_duration(size: usize, input: &mut Input<'_>) -> Read<Value> {
    if size != 12 {
        return Err(invalid(format!("a duration in a fixed of {size} bytes")));
    }
    Ok(Value::Duration(Duration::from(input.array::<12>()?)))
}

#[inline(never)]
fn read_big_decimal(input: &mut Input<'_>) -> Read<Value> {
    GenericDatumReader::builder(&Schema::BigDecimal)
        .build()
        .and_then(|reader| reader.read_value(&mut input.bytes))
        .map_err(|e| invalid(e.to_string()))
}

/// Compiles schemas into plans, each named type used by name once.
struct Compiler<'n, 's> {
    names: &'n NamesRef<'s>,
    seen: HashMap<Name, usize>,
    named: Vec<Plan>,
}

impl Compiler<'_, '_> {
    fn compile(&mut self, schema: &Schema, namespace: NamespaceRef<'_>) -> Result<Plan> {
        Ok(match schema {
            Schema::Null => Plan::Null,
            Schema::Boolean => Plan::Boolean,
            Schema::Int => Plan::Int(Value::Int),
            Schema::Date => Plan::Int(Value::Date),
            Schema::TimeMillis => Plan::Int(Value::TimeMillis),
            Schema::Long => Plan::Long(Value::Long),
            Schema::TimeMicros => Plan::Long(Value::TimeMicros),
            Schema::TimestampMillis => Plan::Long(Value::TimestampMillis),
            Schema::TimestampMicros => Plan::Long(Value::TimestampMicros),
            Schema::TimestampNanos => Plan::Long(Value::TimestampNanos),
            Schema::LocalTimestampMillis => Plan::Long(Value::LocalTimestampMillis),
            Schema::LocalTimestampMicros => Plan::Long(Value::LocalTimestampMicros),
            Schema::LocalTimestampNanos => Plan::Long(Value::LocalTimestampNanos),
            Schema::Float => Plan::Float,
            Schema::Double => Plan::Double,
            Schema::Bytes => Plan::Bytes,
            Schema::String => Plan::String,
            Schema::Fixed(fixed) => Plan::Fixed(fixed.size),
            Schema::Enum(e) => Plan::Enum(e.symbols.clone()),
            Schema::Array(a) => Plan::Array(Box::new(self.compile(&a.items, namespace)?)),
            Schema::Map(m) => Plan::Map(Box::new(self.compile(&m.types, namespace)?)),
            Schema::Union(u) => Plan::Union(
                u.variants()
                    .iter()
                    .map(|v| self.compile(v, namespace))
                    .collect::<Result<_>>()?,
            ),
            Schema::Record(r) => {
                let name = r.name.fully_qualified_name(namespace);
                let fields = r
                    .fields
                    .iter()
                    .map(|f| Ok((f.name.clone(), self.compile(&f.schema, name.namespace())?)));
                Plan::Record(fields.collect::<Result<_>>()?)
            }
            Schema::Ref { name } => {
                let name = name.fully_qualified_name(namespace).into_owned();
                if let Some(&index) = self.seen.get(&name) {
                    return Ok(Plan::Named(index));
                }
                let schema = *self.names.get(&name).ok_or_else(|| {
                    Error::Schema(format!("the schema uses {name}, which it does not define"))
                })?;
                // Indexed before it is compiled: its own fields may use it.
                let index = self.named.len();
                self.named.push(Plan::Null);
                self.seen.insert(name.clone(), index);
                self.named[index] = self.compile(schema, name.namespace())?;
                Plan::Named(index)
            }
            Schema::Decimal(decimal) => Plan::Decimal(match &decimal.inner {
                InnerDecimalSchema::Bytes => None,
                InnerDecimalSchema::Fixed(fixed) => Some(fixed.size),
            }),
            Schema::Uuid(UuidSchema::String) => Plan::Uuid(UuidIn::String),
            Schema::Uuid(UuidSchema::Bytes) => Plan::Uuid(UuidIn::Bytes),
            Schema::Uuid(UuidSchema::Fixed(fixed)) => Plan::Uuid(UuidIn::Fixed(fixed.size)),
            Schema::Duration(fixed) => Plan::Duration(fixed.size),
            Schema::BigDecimal => Plan::BigDecimal,
        })
    }
}

#[cfg(test)]
mod tests;
