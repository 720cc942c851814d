//! What a running stage sees: its params, its inputs, where to write, and
//! where to report progress.

use std::path::{Path, PathBuf};

use anyhow::Context as _;

use super::params::{read_params, JsonMap, Params};
use super::settings::Settings;
use super::task::TaskInfo;

/// One upstream binding as the running stage sees it.
#[derive(Debug, Clone)]
pub struct InputDir {
    /// The upstream stage's name (the `SEQLAB_IN_<STAGE>` binding).
    pub stage: String,
    /// For `needs`: the upstream instance's outputs. For `gather`: a directory
    /// with one sub-directory per upstream instance, named by its coordinates
    /// ([`super::Coords::label`]).
    pub path: PathBuf,
    pub gathered: bool,
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
    /// The canonical params (read them typed with [`RunContext::params`]).
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

impl RunContext<'_> {
    /// The params as the kind's params struct.
    pub fn params<P: Params>(&self) -> anyhow::Result<P> {
        read_params(self.params).with_context(|| format!("instance {}", self.instance))
    }

    /// Files directly inside the `needs` inputs (not gathered ones) whose
    /// name ends with one of `suffixes`, sorted by path.
    pub(crate) fn input_files(&self, suffixes: &[&str]) -> Vec<PathBuf> {
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

    /// The data set among the `needs` inputs (the one with a `task.json`):
    /// its directory and its description.
    pub(crate) fn data_set(&self) -> anyhow::Result<(&Path, TaskInfo)> {
        let dir = self
            .inputs
            .iter()
            .find(|i| !i.gathered && i.path.join(TaskInfo::FILE).is_file())
            .map(|i| i.path.as_path())
            .context(
                "this stage needs a data stage (`automaton`, `prices`, `heartbeats`, …) among its `needs` (no input has a task.json)",
            )?;
        Ok((dir, TaskInfo::read_dir(dir)?))
    }
}
