//! The contract between the engine and the kinds of work: what a stage kind
//! is ([`StageKind`]), what it declares (typed params with their schema,
//! settings, data files), what it sees while running ([`RunContext`]), and
//! what data sets say about themselves ([`TaskInfo`]).
//!
//! `spec`, `plan`, `cache`, `exec` and `study` know kinds only through this
//! module; the concrete kinds live in `stages`. This module imports nothing
//! above the data layer (see docs/architecture.md).

pub mod context;
pub mod coords;
pub mod params;
pub mod schema;
pub mod settings;
pub mod suggest;
pub mod task;
pub mod values;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

pub use context::{InputDir, NoProgress, Progress, RunContext, Upstream};
pub use coords::{display, Coords};
pub use params::{read_params, require_fraction, JsonMap, ParamIssue, Params};
pub use schema::{ParamField, ParamSchema, ParamType};
pub use settings::{Backend, Setting, Settings};
pub use suggest::closest;
pub use task::TaskInfo;
pub use values::{Scalar, Verbatim};

/// A kind of stage.
pub trait StageKind: Send + Sync {
    /// The name used in `kind:`.
    fn name(&self) -> &'static str;

    /// The implementation version: bump it whenever a change could alter the
    /// outputs for the same params and inputs, so cached results are redone.
    fn version(&self) -> u32;

    /// The parameters this kind accepts: [`ParamSchema::of`] its params
    /// struct.
    fn schema(&self) -> &ParamSchema;

    /// Check `raw` params and fill in defaults. The result is what the cache
    /// key hashes, so it must be canonical (see `cache::key`).
    fn resolve_params(&self, raw: &JsonMap) -> Result<JsonMap, Vec<ParamIssue>> {
        self.schema().resolve(raw)
    }

    /// Settings whose values change this kind's outputs.
    fn settings(&self) -> &[Setting] {
        &[]
    }

    /// Files the kind reads from the workspace for resolved `params`
    /// (relative to the pipeline file), like `deps` but named by the kind:
    /// user data such as the Kaggle heartbeat CSVs. Their content enters the
    /// key; a missing one enters as absent, and the run reports how to get it.
    fn data_files(&self, _params: &JsonMap) -> anyhow::Result<Vec<String>> {
        Ok(Vec::new())
    }

    /// An output file `seqlab run` prints after the run (the `summarize`
    /// kind's table); only kinds that name one have their outputs read.
    fn printed_summary(&self) -> Option<&'static str> {
        None
    }

    /// Whether instances of this kind must run alone (no other instance of
    /// this process at the same time): measurements of time and memory.
    fn exclusive(&self) -> bool {
        false
    }

    /// Whether `run` reads `ctx.upstream` (looking provenance up in the index
    /// costs time, so only kinds that show it get it).
    fn wants_provenance(&self) -> bool {
        false
    }

    /// Where the outputs of an instance with resolved `params` are copied
    /// after every run (relative to the working directory, like the cache),
    /// if this kind publishes them (the `report` kind's page).
    fn publish_dir(&self, _params: &JsonMap, _pipeline: &str) -> anyhow::Result<Option<PathBuf>> {
        Ok(None)
    }

    /// Do the work, writing outputs under `ctx.out_dir`. An error leaves no
    /// cache entry; the engine discards whatever was written.
    fn run(&self, ctx: &RunContext<'_>) -> anyhow::Result<()>;
}

/// The kinds a pipeline may name (`stages::builtin_registry` has seqlab's).
#[derive(Clone, Default)]
pub struct Registry {
    kinds: BTreeMap<&'static str, Arc<dyn StageKind>>,
}

impl Registry {
    pub fn new() -> Registry {
        Registry::default()
    }

    pub fn add(&mut self, kind: Arc<dyn StageKind>) {
        self.kinds.insert(kind.name(), kind);
    }

    pub fn get(&self, name: &str) -> Option<&Arc<dyn StageKind>> {
        self.kinds.get(name)
    }

    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.kinds.keys().copied()
    }
}
