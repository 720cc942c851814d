//! `seqlab worker`: one instance executed in a process of its own — on a
//! cluster node under Slurm, or beside the controller for kinds that need a
//! process to themselves (training: the device RNG and thread pool are
//! process-wide).
//!
//! The controller writes a job file (`jobs/specs/ab/<key>.json`) holding
//! everything the instance needs: its kind, resolved params, key components,
//! the upstream instances' names, coordinates and output trees, and the
//! provenance a report shows. The worker needs neither the pipeline file nor
//! the index: it rebuilds a one-instance plan from the job file, runs it
//! through [`super::instance::execute`] (lock, lease, temp dir, objects, result
//! record) and exits 0 on success, 1 on a recorded failure, 2 when it could
//! not start.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use super::instance::{execute, Done, Failure, Job};
use crate::cache::key::KeyComponents;
use crate::cache::Cache;
use crate::fsutil::write_replace;
use crate::kind::Coords;
use crate::kind::{Backend, JsonMap, Progress, Registry, Setting, Settings, Upstream};
use crate::plan::{InputRef, Instance, Plan};

/// Bumped when the job file's shape changes.
const JOB_FORMAT: u32 = 1;

/// Prefix of the lines a worker prints on stdout for its controller.
pub(crate) const PROTOCOL_MARK: char = '\u{1e}';

/// One instance as the job file describes it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct InstanceDesc {
    pub name: String,
    pub stage: String,
    pub kind: String,
    pub params: JsonMap,
    pub coords: IndexMap<String, serde_json::Value>,
    pub deps: Vec<String>,
    /// Bindings with indices into [`JobFile::upstream_instances`].
    pub inputs: Vec<InputDesc>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct InputDesc {
    pub stage: String,
    pub gathered: bool,
    pub instances: Vec<usize>,
}

/// [`Upstream`] as stored in a job file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ProvenanceDesc {
    pub instance: String,
    pub stage: String,
    pub kind: String,
    pub tree: String,
    pub key: Option<String>,
    pub params: JsonMap,
    pub seconds: Option<f64>,
}

/// Everything a worker needs to execute one instance.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct JobFile {
    pub format: u32,
    pub key: String,
    pub components: KeyComponents,
    pub pipeline: String,
    pub workspace: PathBuf,
    /// The run's settings (see [`settings_of`]).
    pub settings: std::collections::BTreeMap<String, String>,
    pub target: InstanceDesc,
    pub upstream_instances: Vec<InstanceDesc>,
    /// (index into `upstream_instances`, output tree).
    pub input_trees: Vec<(usize, String)>,
    pub input_keys: Vec<String>,
    pub provenance: Vec<ProvenanceDesc>,
}

fn describe(inst: &Instance, inputs: Vec<InputDesc>) -> InstanceDesc {
    InstanceDesc {
        name: inst.name.clone(),
        stage: inst.stage.clone(),
        kind: inst.kind.name().to_string(),
        params: inst.params.clone(),
        coords: inst.coords.0.clone(),
        deps: inst.deps.clone(),
        inputs,
    }
}

/// The run's settings as text, for the job file.
fn settings_of(settings: &Settings) -> std::collections::BTreeMap<String, String> {
    [(
        "backend".to_string(),
        settings.value(Setting::Backend).to_string(),
    )]
    .into()
}

fn settings_from(map: &std::collections::BTreeMap<String, String>) -> anyhow::Result<Settings> {
    let mut s = Settings::default();
    if let Some(b) = map.get("backend") {
        s.backend = <Backend as clap::ValueEnum>::from_str(b, false)
            .map_err(|e| anyhow::anyhow!("the job file's backend `{b}`: {e}"))?;
    }
    Ok(s)
}

impl JobFile {
    /// The job file for `job` of `plan`.
    pub fn new(plan: &Plan, job: &Job, settings: &Settings) -> JobFile {
        let inst = &plan.instances[job.index];
        // Upstream instances in first-use order, renumbered from 0.
        let mut order: Vec<usize> = Vec::new();
        for u in inst.upstream() {
            if !order.contains(&u) {
                order.push(u);
            }
        }
        let pos = |u: usize| order.iter().position(|&x| x == u).expect("listed");
        let inputs = inst
            .inputs
            .iter()
            .map(|b| InputDesc {
                stage: b.stage.clone(),
                gathered: b.gathered,
                instances: b.instances.iter().map(|&u| pos(u)).collect(),
            })
            .collect();
        JobFile {
            format: JOB_FORMAT,
            key: job.key.clone(),
            components: job.components.clone(),
            pipeline: plan.pipeline.clone(),
            workspace: plan.workspace.clone(),
            settings: settings_of(settings),
            target: describe(inst, inputs),
            upstream_instances: order
                .iter()
                .map(|&u| describe(&plan.instances[u], Vec::new()))
                .collect(),
            input_trees: job
                .input_trees
                .iter()
                .map(|(u, t)| (pos(*u), t.clone()))
                .collect(),
            input_keys: job.input_keys.clone(),
            provenance: job
                .upstream
                .iter()
                .map(|u| ProvenanceDesc {
                    instance: u.instance.clone(),
                    stage: u.stage.clone(),
                    kind: u.kind.clone(),
                    tree: u.tree.clone(),
                    key: u.key.clone(),
                    params: u.params.clone(),
                    seconds: u.seconds,
                })
                .collect(),
        }
    }

    /// Write it to `path` (whole or not at all; not synced: a job whose file
    /// a crash lost fails, and the next run submits it again).
    pub(crate) fn write_to(&self, path: &Path) -> anyhow::Result<()> {
        std::fs::create_dir_all(path.parent().expect("has a parent"))?;
        write_replace(path, &serde_json::to_vec(self)?)
    }

    pub fn read(path: &Path) -> anyhow::Result<JobFile> {
        let bytes = std::fs::read(path)
            .with_context(|| format!("reading the job file {}", path.display()))?;
        let job: JobFile = serde_json::from_slice(&bytes)
            .with_context(|| format!("parsing the job file {}", path.display()))?;
        anyhow::ensure!(
            job.format == JOB_FORMAT,
            "{} was written by another seqlab version (job format {}, this one reads {JOB_FORMAT})",
            path.display(),
            job.format
        );
        Ok(job)
    }

    /// The one-instance plan, job and settings this file describes, checked
    /// against this binary: same key, same kind versions.
    pub(crate) fn into_parts(self, registry: &Registry) -> anyhow::Result<(Plan, Job, Settings)> {
        anyhow::ensure!(
            self.components.key() == self.key,
            "the job file's key components do not hash to its key {}",
            self.key
        );
        let kind = |name: &str| -> anyhow::Result<Arc<dyn crate::kind::StageKind>> {
            registry
                .get(name)
                .cloned()
                .with_context(|| format!("this seqlab has no stage kind `{name}`"))
        };
        let target_kind = kind(&self.target.kind)?;
        anyhow::ensure!(
            target_kind.version() == self.components.kind_version,
            "this seqlab implements `{}` version {}, the job needs version {}: run the controller and the workers from one seqlab build",
            self.target.kind,
            target_kind.version(),
            self.components.kind_version
        );
        let mut instances = Vec::new();
        for d in self.upstream_instances.iter() {
            instances.push(Instance {
                stage: d.stage.clone(),
                name: d.name.clone(),
                coords: Coords(d.coords.clone()),
                kind: kind(&d.kind)?,
                params: d.params.clone(),
                inputs: Vec::new(),
                deps: d.deps.clone(),
                resources: Default::default(),
                retries: 0,
            });
        }
        let index = instances.len();
        instances.push(Instance {
            stage: self.target.stage.clone(),
            name: self.target.name.clone(),
            coords: Coords(self.target.coords.clone()),
            kind: target_kind,
            params: self.target.params.clone(),
            inputs: self
                .target
                .inputs
                .iter()
                .map(|b| InputRef {
                    stage: b.stage.clone(),
                    gathered: b.gathered,
                    instances: b.instances.clone(),
                })
                .collect(),
            deps: self.target.deps.clone(),
            resources: Default::default(),
            retries: 0,
        });
        let plan = Plan {
            pipeline: self.pipeline.clone(),
            workspace: self.workspace.clone(),
            instances,
            graph: Default::default(),
            executor: None,
        };
        let job = Job {
            index,
            key: self.key.clone(),
            components: self.components.clone(),
            input_trees: self.input_trees.clone(),
            input_keys: self.input_keys.clone(),
            upstream: self
                .provenance
                .into_iter()
                .map(|p| Upstream {
                    instance: p.instance,
                    stage: p.stage,
                    kind: p.kind,
                    tree: p.tree,
                    key: p.key,
                    params: p.params,
                    seconds: p.seconds,
                })
                .collect(),
        };
        Ok((plan, job, settings_from(&self.settings)?))
    }
}

/// The job file of task `task` of a Slurm submission's directory.
pub(crate) fn batch_task_file(dir: &Path, task: usize) -> PathBuf {
    dir.join(format!("{task}.json"))
}

/// Progress sent to the controller as protocol lines on stdout.
struct StdoutProgress;

impl Progress for StdoutProgress {
    fn update(&self, done: u64, total: u64, message: &str) {
        let msg = message.replace(['\n', '\r'], " ");
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{PROTOCOL_MARK}progress {done} {total} {msg}");
        let _ = out.flush();
    }
}

/// What the worker is told besides its job file.
pub struct WorkerOptions {
    /// Print progress lines for the controller on stdout.
    pub progress: bool,
    /// Names the failure record of this attempt.
    pub attempt: String,
    /// The scheduler's job, for the lease and the record.
    pub job_label: String,
    /// Size of the thread pool; `None` keeps rayon's default (every core, or
    /// `RAYON_NUM_THREADS`).
    pub threads: Option<usize>,
}

/// Execute the job in `job_path` (see the module docs): an error when it
/// could not start, else how the instance ended.
pub fn run(
    cache: &Cache,
    registry: &Registry,
    job_path: &Path,
    opts: &WorkerOptions,
) -> anyhow::Result<Result<Done, Failure>> {
    if let Some(n) = opts.threads {
        // Only the first call in a process can size the global pool.
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(n.max(1))
            .build_global();
    }
    let file = JobFile::read(job_path)?;
    let (plan, job, settings) = file.into_parts(registry)?;
    let progress: Box<dyn Progress> = if opts.progress {
        Box::new(StdoutProgress)
    } else {
        Box::new(crate::kind::NoProgress)
    };
    let end = execute(
        cache,
        &plan,
        &job,
        &settings,
        progress.as_ref(),
        &opts.job_label,
        &opts.attempt,
    );
    if opts.progress && end.as_ref().is_ok_and(|d| d.reused) {
        println!("{PROTOCOL_MARK}reused");
    }
    Ok(end)
}

/// Set by the `seqlab` binary's entry point ([`crate::cli::main`]): this
/// process can start copies of itself as workers, whatever its file is
/// called (a renamed or copied binary included).
static IS_CLI: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Called once by the command line before any work.
pub(crate) fn mark_this_process_as_the_cli() {
    IS_CLI.store(true, std::sync::atomic::Ordering::Relaxed);
}

/// The `seqlab` binary to start workers with: `SEQLAB_WORKER_BIN`, or this
/// process when it is the command line. `None` inside other programs (a
/// test binary using the library): instances then run in-process.
pub(crate) fn worker_binary() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("SEQLAB_WORKER_BIN") {
        return Some(PathBuf::from(p));
    }
    if !IS_CLI.load(std::sync::atomic::Ordering::Relaxed) {
        return None;
    }
    std::env::current_exe().ok()
}
