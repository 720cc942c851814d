//! Stage kinds: the units of work a pipeline names with `kind:`.
//!
//! Every kind implements [`StageKind`]; the engine (planner, cache key,
//! executor) knows nothing else about them, so a new kind is one new file plus
//! one line in [`Registry::builtin`].

pub mod automaton;
mod command;
pub mod ecg_record;
pub mod evaluate;
mod evaluate_go;
pub mod explain;
pub mod fetch;
pub mod forecast;
pub mod go_terms;
pub mod heartbeats;
pub mod length_generalize;
mod params;
pub mod pfam;
pub mod prices;
pub mod report;
pub mod summarize;
pub mod timing;
pub mod train;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use automaton::AutomatonKind;
pub use command::CommandKind;
pub use ecg_record::EcgRecordKind;
pub use evaluate::EvaluateKind;
pub use explain::ExplainKind;
pub use fetch::FetchKind;
pub use forecast::ForecastKind;
pub use go_terms::GoTermsKind;
pub use heartbeats::HeartbeatsKind;
pub use length_generalize::LengthGeneralizeKind;
pub use params::{
    require_at_least, require_fraction, JsonMap, ParamIssue, ParamSchema, ParamSpec, ParamType,
};
pub use pfam::PfamKind;
pub use prices::PricesKind;
pub use report::ReportKind;
pub use summarize::SummarizeKind;
pub use timing::TimingKind;
pub use train::TrainKind;

/// Execution settings that can change a kind's results; a kind lists the ones
/// it depends on and only those enter its cache key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Setting {
    /// The tensor backend (`flex`, `cuda`, ...): bits differ between backends.
    Backend,
}

/// Values of the settings for one run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub backend: String,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            backend: "flex".into(),
        }
    }
}

impl Settings {
    pub fn value(&self, s: Setting) -> &str {
        match s {
            Setting::Backend => &self.backend,
        }
    }
}

/// One upstream binding as the running stage sees it.
#[derive(Debug, Clone)]
pub struct InputDir {
    /// The upstream stage's name (the `SEQLAB_IN_<STAGE>` binding).
    pub stage: String,
    /// For `needs`: the upstream instance's outputs. For `gather`: a directory
    /// with one sub-directory per upstream instance, named by its coordinates.
    pub path: PathBuf,
    pub gathered: bool,
}

impl RunContext<'_> {
    /// Files directly inside the `needs` inputs (not gathered ones) whose
    /// name ends with one of `suffixes`, sorted by path.
    pub fn input_files(&self, suffixes: &[&str]) -> Vec<PathBuf> {
        let mut out: Vec<PathBuf> = self
            .inputs
            .iter()
            .filter(|i| !i.gathered)
            .flat_map(|i| std::fs::read_dir(&i.path).into_iter().flatten().flatten())
            .map(|e| e.path())
            .filter(|p| {
                let name = p
                    .file_name()
                    .map(|n| n.to_string_lossy())
                    .unwrap_or_default();
                suffixes.iter().any(|s| name.ends_with(s))
            })
            .collect();
        out.sort();
        out
    }
}

/// Receives progress from a running stage (a training loop's steps, say).
pub trait Progress: Send + Sync {
    /// `done` of `total` units, with a short message such as the loss.
    fn update(&self, done: u64, total: u64, message: &str);
}

/// A progress sink that drops everything (tests, `verify --rerun`).
pub struct NoProgress;
impl Progress for NoProgress {
    fn update(&self, _: u64, _: u64, _: &str) {}
}

/// Provenance of one upstream instance: what produced an input.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Upstream {
    pub instance: String,
    pub stage: String,
    pub kind: String,
    /// The input's output tree hash.
    pub tree: String,
    /// The cache key of the execution that produced it, if recorded.
    pub key: Option<String>,
    pub params: JsonMap,
    /// How long that execution took (varies run to run: a stage that shows
    /// it, like `report`, gives up bit-identical reruns for it).
    pub seconds: Option<f64>,
}

/// Everything a stage may read while running. Outputs go to `out_dir` only.
pub struct RunContext<'a> {
    /// The pipeline's name.
    pub pipeline: &'a str,
    pub instance: &'a str,
    pub params: &'a JsonMap,
    pub inputs: &'a [InputDir],
    pub out_dir: &'a Path,
    /// The directory the pipeline file is in; relative paths resolve here.
    pub workspace: &'a Path,
    /// A scratch directory removed after the run (not part of the outputs).
    pub scratch_dir: &'a Path,
    pub settings: &'a Settings,
    pub progress: &'a dyn Progress,
    /// Every upstream instance (direct inputs and gathered ones).
    pub upstream: &'a [Upstream],
}

/// A kind of stage.
pub trait StageKind: Send + Sync {
    /// The name used in `kind:`.
    fn name(&self) -> &'static str;

    /// The implementation version: bump it whenever a change could alter the
    /// outputs for the same params and inputs, so cached results are redone.
    fn version(&self) -> u32;

    /// The parameters this kind accepts, with types and defaults.
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

    /// Files the kind reads from the workspace for `params` (relative to the
    /// pipeline file), like `deps` but named by the kind: user data such as
    /// the Kaggle heartbeat CSVs. Their content enters the key; a missing one
    /// enters as absent, and the run reports how to get it.
    fn data_files(&self, _params: &JsonMap) -> Vec<String> {
        Vec::new()
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

    /// Whether an instance must run in a process of its own (a `seqlab
    /// worker`) to run beside others without serialising on process-wide
    /// state: training draws from the device's random state, which burn keeps
    /// per process, and sizes the process's thread pool.
    fn needs_process(&self) -> bool {
        false
    }

    /// Whether `run` reads `ctx.upstream` (looking provenance up in the index
    /// costs time, so only kinds that show it get it).
    fn wants_provenance(&self) -> bool {
        false
    }

    /// Where the outputs of an instance with `params` are copied after every
    /// run (relative to the working directory, like the cache), if this kind publishes
    /// them (the `report` kind's page).
    fn publish_dir(&self, _params: &JsonMap, _pipeline: &str) -> Option<PathBuf> {
        None
    }

    /// Do the work, writing outputs under `ctx.out_dir`. An error leaves no
    /// cache entry; the engine discards whatever was written.
    fn run(&self, ctx: &RunContext<'_>) -> anyhow::Result<()>;
}

/// The kinds a pipeline may name.
#[derive(Clone)]
pub struct Registry {
    kinds: BTreeMap<&'static str, Arc<dyn StageKind>>,
}

impl Registry {
    /// All kinds built into seqlab.
    pub fn builtin() -> Registry {
        let mut r = Registry {
            kinds: BTreeMap::new(),
        };
        r.add(Arc::new(CommandKind::new()));
        r.add(Arc::new(AutomatonKind::new()));
        r.add(Arc::new(TrainKind::new()));
        r.add(Arc::new(EvaluateKind::new()));
        r.add(Arc::new(LengthGeneralizeKind::new()));
        r.add(Arc::new(TimingKind::new()));
        r.add(Arc::new(SummarizeKind::new()));
        r.add(Arc::new(ExplainKind::new()));
        r.add(Arc::new(ReportKind::new()));
        r.add(Arc::new(FetchKind::new()));
        r.add(Arc::new(PricesKind::new()));
        r.add(Arc::new(ForecastKind::new()));
        r.add(Arc::new(HeartbeatsKind::new()));
        r.add(Arc::new(EcgRecordKind::new()));
        r.add(Arc::new(PfamKind::new()));
        r.add(Arc::new(GoTermsKind::new()));
        r
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
