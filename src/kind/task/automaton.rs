//! An automaton data set: the `automaton` kind's params are its whole
//! description (a training on `fresh` data regenerates sequences from them),
//! so they live here, in the contract, beside the `task.json` that carries
//! them.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::datasets::automata::{GenConfig, Task, TaskSizes, TASK_NAMES};
use crate::kind::params::{JsonMap, ParamIssue, Params};

fn d_length() -> usize {
    32
}
fn d_train_size() -> usize {
    10_000
}
fn d_test_size() -> usize {
    2_000
}
fn d_half() -> f64 {
    0.5
}
fn d_one() -> f64 {
    1.0
}

fn task_names(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({ "type": "string", "enum": TASK_NAMES })
}

/// Train and test splits of one synthetic automaton (Liu et al. 2023), as
/// `.npy` plus `task.json`. The test split carries every label and has its
/// own seed stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AutomatonParams {
    /// which automaton
    #[schemars(schema_with = "task_names")]
    pub task: String,
    /// size: states of C_n, cycle of D_n, n of A_n/S_n, values of flip-flop, cells of gridworld
    #[serde(default)]
    pub n: Option<usize>,
    /// actions of C_n and S_n
    #[serde(default)]
    pub n_actions: Option<usize>,
    /// bracket types of Dyck, streams of C_2^k
    #[serde(default)]
    pub k: Option<usize>,
    /// maximum depth of Dyck
    #[serde(default)]
    pub max_depth: Option<usize>,
    /// sequence length T (the maximum with random_length)
    #[serde(default = "d_length")]
    #[schemars(range(min = 1))]
    pub length: usize,
    /// lengths uniform in 1..=T, padded and masked
    #[serde(default)]
    pub random_length: bool,
    /// training sequences
    #[serde(default = "d_train_size")]
    pub train_size: usize,
    /// test sequences
    #[serde(default = "d_test_size")]
    pub test_size: usize,
    /// training draws new sequences every step instead of a fixed split
    #[serde(default)]
    pub fresh: bool,
    /// generator seed
    #[serde(default)]
    pub seed: u64,
    /// Pr[1] for parity, gridworld and C_2^k inputs
    #[serde(default = "d_half")]
    pub p1: f64,
    /// fraction of training labels supervised
    #[serde(default = "d_one")]
    pub p_reveal: f64,
}

impl AutomatonParams {
    /// The task these params describe.
    pub fn task(&self) -> Result<Task, crate::datasets::automata::TaskError> {
        Task::from_sizes(
            &self.task,
            &TaskSizes {
                n: self.n,
                n_actions: self.n_actions,
                k: self.k,
                max_depth: self.max_depth,
            },
        )
    }

    /// The generator settings, with `p_reveal` (1 for test data).
    pub(crate) fn gen_config(&self, p_reveal: f64) -> GenConfig {
        GenConfig {
            length: self.length,
            random_length: self.random_length,
            p1: self.p1,
            p_reveal,
        }
    }
}

impl Params for AutomatonParams {
    fn check(&mut self) -> Result<(), Vec<ParamIssue>> {
        let task = self
            .task()
            .map_err(|e| vec![ParamIssue::new(e.param().unwrap_or("task"), e.to_string())])?;
        // Defaults explicit, so that writing a default and leaving it out
        // give the same cache key.
        let s = task.sizes();
        (self.n, self.n_actions, self.k, self.max_depth) = (s.n, s.n_actions, s.k, s.max_depth);
        self.gen_config(self.p_reveal).validate().map_err(|e| {
            let m = e.to_string();
            let param = if m.contains("p_reveal") {
                "p_reveal"
            } else {
                "p1"
            };
            vec![ParamIssue::new(param, m).with_help("probabilities lie in [0, 1]")]
        })
    }
}

/// `task.json` of an automaton: its params, then what the task implies.
#[derive(Debug, Clone, PartialEq)]
pub struct AutomatonTask {
    pub params: AutomatonParams,
    /// States (output classes).
    pub n_states: usize,
    /// Input tokens.
    pub n_actions_vocab: usize,
    /// The seed the test split was drawn with.
    pub test_seed: u64,
}

impl AutomatonTask {
    /// As `task.json` holds it: the params in key order, then the rest.
    pub(super) fn to_json(&self) -> JsonMap {
        let params = match serde_json::to_value(&self.params) {
            Ok(serde_json::Value::Object(m)) => m,
            _ => JsonMap::new(),
        };
        let sorted: std::collections::BTreeMap<String, serde_json::Value> =
            params.into_iter().collect();
        let mut out: JsonMap = sorted.into_iter().collect();
        out.insert("n_states".into(), self.n_states.into());
        out.insert("n_actions_vocab".into(), self.n_actions_vocab.into());
        out.insert("test_seed".into(), self.test_seed.into());
        out
    }
}
