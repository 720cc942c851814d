//! seqlab: declarative, content-cached sequence-model experiments.
//!
//! The crate is a library under a thin binary. Reading order:
//! [`spec`] (the YAML and its validation) → [`plan`] (sweep expansion into an
//! instance DAG) → [`cache`] (keys, objects, index, locks) → [`exec`]
//! (deciding what runs and running it) → [`stages`] (the kinds of work) →
//! [`ops`] (one function per CLI command) → [`cli`] (argument parsing). The
//! engine knows the kinds only through their contract, [`kind`].
//!
//! The modules form layers; which may import which is the table in
//! `docs/architecture.md`, enforced by `tests/layers.rs`. The data sets and
//! metrics live in the burn-free `seqlab-data` crate (`crates/seqlab-data`),
//! re-exported here as [`datasets`] and [`metrics`] so that
//! `crate::datasets::…` paths read as before.

pub mod cache;
pub mod cli;
pub mod clock;
pub mod exec;
pub mod explain;
pub mod fetch;
pub mod fsutil;
pub mod kind;
pub mod models;
pub mod ops;
pub mod plan;
pub mod report;
pub mod spec;
pub mod stages;
pub mod study;
pub mod train;

pub use seqlab_data as datasets;
pub use seqlab_data::metrics;

/// The burn version seqlab is built against (pinned in Cargo.toml).
pub(crate) const BURN_VERSION: &str = "0.22.1";
