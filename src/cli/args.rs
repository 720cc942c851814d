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
        /// Instances run in parallel (default: the number of cores).
        #[arg(short, long, value_name = "N")]
        jobs: Option<usize>,
        /// List what would run and why, without running anything.
        #[arg(long)]
        dry_run: bool,
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
    /// Remove stored objects that no recorded execution references.
    Gc {
        /// Only report what would be removed.
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum BenchWhat {
    /// Training steps/s for the reference models (batch 64, T = 32, width 64,
    /// 2 layers, AdamW): compare with `python3 bench/pytorch_bench.py`.
    Train {
        /// Timed steps per model (after 3 warm-up steps).
        #[arg(long, default_value = "30")]
        steps: usize,
        /// Models to time (default: all): transformer, lstm, lstm_fast,
        /// lstm_stock, lstm1, gru, linear_rnn, mlp.
        models: Vec<String>,
    },
}
