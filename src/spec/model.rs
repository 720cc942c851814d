//! The typed shape of a pipeline file. Field names here are the user-facing
//! contract: extend them, never rename them.

use indexmap::IndexMap;
use serde::Deserialize;
use serde_yaml::Value;

/// A whole pipeline file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PipelineSpec {
    /// Names the pipeline in logs, the run history and report paths.
    pub name: String,
    /// Free text shown by `seqlab dag`.
    #[serde(default)]
    pub description: Option<String>,
    /// Stages in file order.
    pub stages: IndexMap<String, StageSpec>,
    /// Which executor runs the pipeline (`local` unless set; `--executor`
    /// overrides it).
    #[serde(default)]
    pub executor: Option<super::resources::ExecutorKind>,
}

/// One stage: a kind of work, its parameters, and how it fans out.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StageSpec {
    /// Which stage kind runs this stage (e.g. `command`).
    pub kind: String,
    #[serde(default)]
    pub description: Option<String>,
    /// One instance per instance of each named stage (joined on shared
    /// coordinates), crossed with this stage's own `matrix`.
    #[serde(default)]
    pub needs: Vec<String>,
    /// One instance per own matrix cell that receives every instance of each
    /// named stage (those agreeing with it on shared coordinates).
    #[serde(default)]
    pub gather: Vec<String>,
    /// Sweep axes: every combination of values becomes an instance; each axis
    /// is also passed to the kind as a parameter of the same name.
    #[serde(default)]
    pub matrix: IndexMap<String, Vec<Value>>,
    /// Expressions over coordinates; a cell is kept when all are true.
    #[serde(default, rename = "where")]
    pub where_: Option<WhereClause>,
    /// Parameters of the kind; unknown ones are rejected by validation.
    #[serde(default)]
    pub params: serde_yaml::Mapping,
    /// Workspace files (relative to the pipeline file) whose content goes
    /// into the cache key.
    #[serde(default)]
    pub deps: Vec<String>,
    /// What each instance may use (threads; memory, time, GPUs on Slurm).
    /// Not part of the cache key.
    #[serde(default)]
    pub resources: super::resources::ResourcesSpec,
    /// How many times an instance that the scheduler killed (time limit,
    /// memory, node failure, cancellation) is submitted again.
    #[serde(default)]
    pub retries: u32,
}

/// `where:` takes one expression or a list that must all hold.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum WhereClause {
    One(String),
    All(Vec<String>),
}

impl WhereClause {
    pub fn expressions(&self) -> Vec<&str> {
        match self {
            WhereClause::One(s) => vec![s.as_str()],
            WhereClause::All(v) => v.iter().map(String::as_str).collect(),
        }
    }
}
