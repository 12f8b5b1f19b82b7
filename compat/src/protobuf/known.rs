//! Files any schema may import without a reference: Google's well-known types (from protox),
//! `google/type/*` and Confluent's own, embedded from `known/` (see its README for sources and
//! licences).

use protox::file::{File, FileResolver, GoogleFileResolver};

const EMBEDDED: [(&str, &str); 19] = [
    (
        "confluent/meta.proto",
        include_str!("known/confluent/meta.proto"),
    ),
    (
        "confluent/type/decimal.proto",
        include_str!("known/confluent/type/decimal.proto"),
    ),
    (
        "confluent/type/variant.proto",
        include_str!("known/confluent/type/variant.proto"),
    ),
    (
        "google/type/calendar_period.proto",
        include_str!("known/google/type/calendar_period.proto"),
    ),
    (
        "google/type/color.proto",
        include_str!("known/google/type/color.proto"),
    ),
    (
        "google/type/date.proto",
        include_str!("known/google/type/date.proto"),
    ),
    (
        "google/type/datetime.proto",
        include_str!("known/google/type/datetime.proto"),
    ),
    (
        "google/type/dayofweek.proto",
        include_str!("known/google/type/dayofweek.proto"),
    ),
    (
        "google/type/decimal.proto",
        include_str!("known/google/type/decimal.proto"),
    ),
    (
        "google/type/expr.proto",
        include_str!("known/google/type/expr.proto"),
    ),
    (
        "google/type/fraction.proto",
        include_str!("known/google/type/fraction.proto"),
    ),
    (
        "google/type/interval.proto",
        include_str!("known/google/type/interval.proto"),
    ),
    (
        "google/type/latlng.proto",
        include_str!("known/google/type/latlng.proto"),
    ),
    (
        "google/type/money.proto",
        include_str!("known/google/type/money.proto"),
    ),
    (
        "google/type/month.proto",
        include_str!("known/google/type/month.proto"),
    ),
    (
        "google/type/phone_number.proto",
        include_str!("known/google/type/phone_number.proto"),
    ),
    (
        "google/type/postal_address.proto",
        include_str!("known/google/type/postal_address.proto"),
    ),
    (
        "google/type/quaternion.proto",
        include_str!("known/google/type/quaternion.proto"),
    ),
    (
        "google/type/timeofday.proto",
        include_str!("known/google/type/timeofday.proto"),
    ),
];

/// Opens a built-in file, if `name` is one.
pub(super) fn open(name: &str) -> Option<Result<File, protox::Error>> {
    if let Some((_, text)) = EMBEDDED.iter().find(|(n, _)| *n == name) {
        return Some(File::from_source(name, text));
    }
    match GoogleFileResolver::new().open_file(name) {
        Ok(file) => Some(Ok(file)),
        Err(_) => None,
    }
}
