//! Every command and flag, with the help text `--help` shows.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::kind::Backend;

/// seqlab runs declarative, content-cached sequence-model experiments.
///
/// A pipeline (YAML) is a graph of stages with parameter sweeps. `seqlab run`
/// executes only what changed since the last run; everything it produced can
/// be traced (`show`, `log`) and checked (`verify`).
#[derive(Debug, Parser)]
#[command(name = "seqlab", version, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct Global {
    /// The cache directory (objects, index, locks). Shared safely by
    /// concurrent runs.
    #[arg(long, global = true, default_value = "cache", value_name = "DIR")]
    pub cache: PathBuf,
    /// The index file (default: DIR/index.sqlite). Keep it on a local disk
    /// when the cache is on a network file system: SQLite's WAL needs one.
    /// Two controllers may keep separate indexes of one cache.
    #[arg(long, global = true, value_name = "FILE", env = "SEQLAB_INDEX")]
    pub index: Option<PathBuf>,
    /// More log output (-v debug, -vv trace). SEQLAB_LOG=filter overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Only warnings and errors; no progress bars.
    #[arg(short, long, global = true)]
    pub quiet: bool,
}

/// Options shared by commands that read a pipeline.
#[derive(Debug, Args)]
pub struct PipelineArgs {
    /// The pipeline file (YAML).
    pub pipeline: PathBuf,
    /// Override a value: STAGE.params.NAME=VALUE or STAGE.matrix.AXIS=[a, b].
    /// VALUE is read as YAML. Repeatable.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub sets: Vec<String>,
    /// Tensor backend for training stages (part of their cache key).
    #[arg(long, value_enum, default_value_t = Backend::Flex)]
    pub backend: Backend,
    /// The most instances the plan may have (matrix cells times fan-out,
    /// all stages); a larger plan is refused before it is built.
    #[arg(long, value_name = "N", default_value_t = crate::spec::Limits::default().max_instances)]
    pub max_instances: usize,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum TextOrJson {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum GraphFormat {
    Text,
    Dot,
    Mermaid,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a pipeline: execute every instance whose cache key has no stored
    /// result, reuse the rest. Exits non-zero if anything failed.
    Run {
        #[command(flatten)]
        pipeline: PipelineArgs,
        /// Instances run in parallel on this machine (default: the number of
        /// cores).
        #[arg(short, long, value_name = "N")]
        jobs: Option<usize>,
        /// Threads per instance where its stage's `resources: { threads }`
        /// does not say (default: the cores shared among the jobs; on Slurm 1).
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=4096))]
        threads: Option<u32>,
        /// List what would run and why, without running anything.
        #[arg(long)]
        dry_run: bool,
        /// Where instances run: `local` (this machine) or `slurm` (one job or
        /// array task each). Default: the pipeline's `executor:`, else local.
        #[arg(long, value_name = "NAME", env = "SEQLAB_EXECUTOR")]
        executor: Option<crate::spec::ExecutorKind>,
        #[command(flatten)]
        slurm: SlurmArgs,
    },
    /// For each instance: cached, stale (with the key component that changed
    /// since its last execution), or never run.
    Status {
        #[command(flatten)]
        pipeline: PipelineArgs,
        /// `json` prints an array of {instance, state, reason}.
        #[arg(long, value_enum, default_value = "text")]
        format: TextOrJson,
    },
    /// Metrics and params side by side: across the instances of a sweep
    /// (from the cache, nothing runs), or between two recorded runs with
    /// `--run A --run B` (run ids from `seqlab log`).
    Compare {
        #[command(flatten)]
        pipeline: PipelineArgs,
        /// Only these stages (repeatable); default: every stage whose
        /// instances wrote a metrics.json.
        #[arg(long, value_name = "STAGE")]
        stage: Vec<String>,
        /// Compare two runs instead: give `--run` twice (ids from `seqlab log`).
        #[arg(long, value_name = "RUN_ID", num_args = 1)]
        run: Vec<i64>,
        /// Also write the table as CSV to this file.
        #[arg(long, value_name = "FILE")]
        csv: Option<std::path::PathBuf>,
    },
    /// Show the instance graph.
    Dag {
        #[command(flatten)]
        pipeline: PipelineArgs,
        /// `text` (indented tree), `dot` (Graphviz) or `mermaid`.
        #[arg(long, value_enum, default_value = "text")]
        format: GraphFormat,
    },
    /// The execution history, newest first (all instances, or one).
    Log {
        /// An instance name such as `make[i=1,mode=a]`.
        instance: Option<String>,
        /// At most this many rows.
        #[arg(short = 'n', long, default_value = "50")]
        limit: usize,
        /// Output format: `text` for people, `json` for programs.
        #[arg(long, value_enum, default_value = "text")]
        format: TextOrJson,
    },
    /// Provenance of an instance or artifact: key, params, inputs, outputs,
    /// and the metrics in its `metrics.json`.
    Show {
        /// An instance name, or a prefix (6+ hex digits) of an output tree
        /// hash or a cache key.
        what: String,
        /// Output format: `text` for people, `json` for programs.
        #[arg(long, value_enum, default_value = "text")]
        format: TextOrJson,
    },
    /// Re-hash every stored object and report damage (damaged results are
    /// invalidated so the next run redoes them); with --rerun, re-execute
    /// one instance and check its outputs are bit-identical.
    Verify {
        /// The pipeline the instance belongs to (needed with --rerun).
        #[arg(required_if_eq("rerun", "any"))]
        pipeline: Option<PathBuf>,
        /// Re-execute this instance into a scratch directory and compare.
        #[arg(long, value_name = "INSTANCE", requires = "pipeline")]
        rerun: Option<String>,
        /// Override values as in `run` (with --rerun).
        #[arg(long = "set", value_name = "PATH=VALUE")]
        sets: Vec<String>,
        /// Backend, as in `run` (with --rerun).
        #[arg(long, value_enum, default_value_t = Backend::Flex)]
        backend: Backend,
        /// Output format: `text` for people, `json` for programs.
        #[arg(long, value_enum, default_value = "text")]
        format: TextOrJson,
    },
    /// Benchmarks that print figures (not tests).
    Bench {
        #[command(subcommand)]
        what: BenchWhat,
    },
    /// The stage kinds and their params (`--markdown`: the reference in
    /// docs/kinds.md).
    Kinds {
        /// The full params reference as Markdown.
        #[arg(long)]
        markdown: bool,
    },
    /// Free space: remove stored objects no cached result references. With
    /// roots (`--keep`, `--keep-last`, `--since`), first drop every cached
    /// result outside them (history stays; a dropped result reruns when
    /// needed). Waits for running `seqlab run`s on the cache.
    Gc {
        /// Only report what would be removed.
        #[arg(long)]
        dry_run: bool,
        /// Keep what these pipelines' current plans reference (at their
        /// params now, with `--set` and `--backend` as given here).
        #[arg(long, value_name = "PIPELINE", num_args = 1..)]
        keep: Vec<PathBuf>,
        /// Override values of the kept pipelines, as in `run`. Repeatable.
        #[arg(long = "set", value_name = "PATH=VALUE", requires = "keep")]
        sets: Vec<String>,
        /// Backend of the kept pipelines' training stages, as in `run`.
        #[arg(long, value_enum, default_value_t = Backend::Flex)]
        backend: Backend,
        /// Keep the results of the newest N runs.
        #[arg(long, value_name = "N")]
        keep_last: Option<usize>,
        /// Keep the results of runs started since DATE (`2024-05-01`,
        /// `2024-05-01 13:45` in UTC, or RFC 3339).
        #[arg(long, value_name = "DATE", value_parser = crate::ops::gc::parse_since)]
        since: Option<f64>,
        /// Output format: `text` for people, `json` for programs.
        #[arg(long, value_enum, default_value = "text")]
        format: TextOrJson,
    },
    /// The index: rebuild it from the result records, or check it.
    Index {
        #[command(subcommand)]
        what: IndexWhat,
    },
    /// Execute one instance from a job file (started by `seqlab run`'s
    /// executors; not for people).
    #[command(hide = true)]
    Worker {
        /// The job file.
        #[arg(long, value_name = "FILE", conflicts_with = "batch")]
        job: Option<PathBuf>,
        /// A Slurm submission's job directory; the task is $SLURM_ARRAY_TASK_ID.
        #[arg(long, value_name = "DIR")]
        batch: Option<PathBuf>,
        /// Names this attempt's failure record.
        #[arg(long, value_name = "ID")]
        attempt: Option<String>,
        /// Size of the thread pool (default: $SLURM_CPUS_PER_TASK, or all cores).
        #[arg(long, value_name = "N")]
        threads: Option<usize>,
        /// Print progress lines for the controller on stdout.
        #[arg(long)]
        progress: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum IndexWhat {
    /// Recreate the index from the result records (`results/`), keeping the
    /// current file aside. Restores every result, failure and `log`/`show`
    /// entry; the run history lives only in the index and is not restored.
    Rebuild,
    /// Run SQLite's integrity check on the index (changes nothing).
    Check,
}

/// Run-wide settings of the Slurm executor; a stage's `resources:` wins.
#[derive(Debug, Args)]
pub struct SlurmArgs {
    /// Slurm partition for every job.
    #[arg(long, value_name = "NAME")]
    pub slurm_partition: Option<String>,
    /// Time limit per job (minutes, HH:MM:SS or D-HH:MM:SS).
    #[arg(long, value_name = "TIME", value_parser = parse_time_arg)]
    pub slurm_time: Option<u64>,
    /// Memory per job (megabytes, or 500M, 4G).
    #[arg(long, value_name = "MEM", value_parser = parse_mem_arg)]
    pub slurm_mem: Option<u64>,
    /// An extra `sbatch` option for every job, e.g. `--slurm-sbatch=--qos=low`
    /// (repeatable).
    #[arg(long, value_name = "OPTION", allow_hyphen_values = true)]
    pub slurm_sbatch: Vec<String>,
    /// Tasks per job array at most (keep it below the cluster's MaxArraySize).
    #[arg(long, value_name = "N", default_value = "1000", value_parser = clap::value_parser!(u32).range(1..))]
    pub slurm_array_max: u32,
    /// At most this many tasks of one array run at once (`--array=…%K`).
    #[arg(long, value_name = "K", value_parser = clap::value_parser!(u32).range(1..))]
    pub slurm_array_throttle: Option<u32>,
    /// Seconds between queue polls at first; the interval grows 1.5× while
    /// nothing changes, up to --slurm-poll-max.
    #[arg(long, value_name = "SECONDS", default_value = "2", value_parser = parse_seconds)]
    pub slurm_poll: f64,
    /// The longest interval between queue polls, in seconds.
    #[arg(long, value_name = "SECONDS", default_value = "60", value_parser = parse_seconds)]
    pub slurm_poll_max: f64,
    /// Seconds a job may be gone from the queue before its missing result
    /// record counts as a failure (shared file systems show files late).
    #[arg(long, value_name = "SECONDS", default_value = "60", value_parser = parse_seconds)]
    pub slurm_grace: f64,
}

fn parse_time_arg(s: &str) -> Result<u64, String> {
    crate::spec::resources::parse_time(s)
        .filter(|&t| t > 0)
        .ok_or_else(|| format!("cannot read the time `{s}`: write minutes, HH:MM:SS or D-HH:MM:SS"))
}

fn parse_mem_arg(s: &str) -> Result<u64, String> {
    crate::spec::resources::parse_mem(&serde_yaml::Value::String(s.to_string()))
}

fn parse_seconds(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(x) if x.is_finite() && x > 0.0 && x <= 86_400.0 => Ok(x),
        _ => Err(format!(
            "`{s}` is not a number of seconds between 0 and 86400"
        )),
    }
}

#[derive(Debug, Subcommand)]
pub enum BenchWhat {
    /// Training steps/s for the reference models (batch 64, T = 32, width 64,
    /// 2 layers, AdamW): compare with `python3 bench/pytorch_bench.py`, or run
    /// both with `bench/compare.sh`.
    Train {
        /// Timed steps per model (after 3 warm-up steps).
        #[arg(long, default_value = "30")]
        steps: usize,
        /// Sequence length T of the batches.
        #[arg(long, default_value = "32", value_name = "T")]
        seq_len: usize,
        /// Models to time (default: all): transformer, lstm, lstm_fast,
        /// lstm_stock, lstm1, gru, linear_rnn, mlp.
        models: Vec<String>,
    },
}
