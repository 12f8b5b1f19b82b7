//! Moving records between registries over their REST API: reading a registry's state
//! ([`remote`]) and keeping a read-only replica of one ([`follower`]). It sits beside the
//! HTTP layer: it uses the registry, never the other way round.

pub mod exporter;
pub mod follower;
pub mod remote;
