//! `automaton`: train and test splits for one synthetic automaton (Liu et al.
//! 2023; exact semantics in `datasets::automata`), as `.npy` plus `task.json`.
//!
//! The test split always carries every label (sparse supervision, `p_reveal`,
//! is a training condition) and uses its own seed stream, so it never shares
//! rows with the training split.

use anyhow::Context;
use serde_json::{json, Value};

use super::{JsonMap, ParamIssue, ParamSchema, ParamSpec, ParamType, RunContext, StageKind};
use crate::datasets::automata::{try_generate, GenConfig, Task, TASK_NAMES};
use crate::datasets::SequenceData;

/// Offset between the training and test seeds.
const TEST_SEED_OFFSET: u64 = 0x5EED_7E57;

/// Parameters that belong to the task itself (only some tasks take each).
const TASK_KEYS: &[&str] = &["n", "n_actions", "k", "max_depth"];

pub struct AutomatonKind {
    schema: ParamSchema,
}

fn optional_int(name: &'static str, doc: &'static str) -> ParamSpec {
    ParamSpec {
        name,
        ty: ParamType::Int,
        default: Some(Value::Null),
        doc,
    }
}

impl AutomatonKind {
    pub fn new() -> Self {
        let p = ParamSpec::optional;
        AutomatonKind {
            schema: ParamSchema {
                params: vec![
                    ParamSpec::required("task", ParamType::Choice(&TASK_NAMES), "which automaton"),
                    optional_int("n", "size: states of C_n, cycle of D_n, n of A_n/S_n, values of flip-flop, cells of gridworld"),
                    optional_int("n_actions", "actions of C_n and S_n"),
                    optional_int("k", "bracket types of Dyck, streams of C_2^k"),
                    optional_int("max_depth", "maximum depth of Dyck"),
                    p("length", ParamType::Int, json!(32), "sequence length T (the maximum with random_length)"),
                    p("random_length", ParamType::Bool, json!(false), "lengths uniform in 1..=T, padded and masked"),
                    p("train_size", ParamType::Int, json!(10000), "training sequences"),
                    p("test_size", ParamType::Int, json!(2000), "test sequences"),
                    p("fresh", ParamType::Bool, json!(false), "training draws new sequences every step instead of a fixed split"),
                    p("seed", ParamType::Int, json!(0), "generator seed"),
                    p("p1", ParamType::Float, json!(0.5), "Pr[1] for parity, gridworld and C_2^k inputs"),
                    p("p_reveal", ParamType::Float, json!(1.0), "fraction of training labels supervised"),
                ],
                open: false,
            },
        }
    }
}

impl Default for AutomatonKind {
    fn default() -> Self {
        Self::new()
    }
}

/// The task's own parameters, for building a [`Task`].
fn task_params(params: &JsonMap) -> JsonMap {
    TASK_KEYS
        .iter()
        .filter_map(|k| {
            params
                .get(*k)
                .filter(|v| !v.is_null())
                .map(|v| (k.to_string(), v.clone()))
        })
        .collect()
}

/// The task a resolved params map describes.
pub fn task_of(params: &JsonMap) -> anyhow::Result<Task> {
    let name = params["task"].as_str().unwrap_or_default();
    Task::from_params(name, &task_params(params)).map_err(|e| anyhow::anyhow!("{e}"))
}

/// The generator settings a resolved params map describes.
pub fn gen_config(params: &JsonMap, p_reveal: f64) -> GenConfig {
    GenConfig {
        length: params["length"].as_u64().unwrap_or(32) as usize,
        random_length: params["random_length"].as_bool().unwrap_or(false),
        p1: params["p1"].as_f64().unwrap_or(0.5),
        p_reveal,
    }
}

/// The task's parameters with its defaults made explicit, so that writing a
/// default value and leaving it out give the same cache key.
fn explicit_task_params(task: &Task) -> Vec<(&'static str, usize)> {
    match *task {
        Task::Parity | Task::Quaternion => vec![],
        Task::Cyclic { n, n_actions } | Task::Symmetric { n, n_actions } => {
            vec![("n", n), ("n_actions", n_actions)]
        }
        Task::Dihedral { n }
        | Task::Alternating { n }
        | Task::FlipFlop { n }
        | Task::Gridworld { n } => vec![("n", n)],
        Task::Dyck { k, max_depth } => vec![("k", k), ("max_depth", max_depth)],
        Task::ProductC2 { k } => vec![("k", k)],
    }
}

impl StageKind for AutomatonKind {
    fn name(&self) -> &'static str {
        "automaton"
    }

    fn version(&self) -> u32 {
        1
    }

    fn schema(&self) -> &ParamSchema {
        &self.schema
    }

    fn resolve_params(&self, raw: &JsonMap) -> Result<JsonMap, Vec<ParamIssue>> {
        let mut params = self.schema.resolve(raw)?;
        let task = task_of(&params).map_err(|e| {
            let param = TASK_KEYS
                .iter()
                .find(|k| e.to_string().contains(*k))
                .unwrap_or(&"task");
            vec![ParamIssue {
                param: param.to_string(),
                message: e.to_string(),
                help: None,
            }]
        })?;
        for (k, v) in explicit_task_params(&task) {
            params.insert(k.to_string(), json!(v));
        }
        let config = gen_config(&params, params["p_reveal"].as_f64().unwrap_or(1.0));
        config.validate().map_err(|e| {
            vec![ParamIssue {
                param: "p1".into(),
                message: e.to_string(),
                help: Some("probabilities lie in [0, 1]".into()),
            }]
        })?;
        Ok(params)
    }

    fn run(&self, ctx: &RunContext<'_>) -> anyhow::Result<()> {
        let p = ctx.params;
        let task = task_of(p)?;
        let seed = p["seed"]
            .as_u64()
            .context("seed must be a non-negative integer")?;
        let size = |k: &str| p[k].as_u64().unwrap_or(0) as usize;
        let train_cfg = gen_config(p, p["p_reveal"].as_f64().unwrap_or(1.0));
        let test_cfg = gen_config(p, 1.0);
        let err = |e| anyhow::anyhow!("{e}");
        ctx.progress.update(0, 2, "generating");
        if !p["fresh"].as_bool().unwrap_or(false) {
            let train = try_generate(&task, size("train_size"), &train_cfg, seed).map_err(err)?;
            SequenceData::from_samples(train).save(ctx.out_dir, "train")?;
        }
        ctx.progress.update(1, 2, "generating");
        let test = try_generate(
            &task,
            size("test_size"),
            &test_cfg,
            seed.wrapping_add(TEST_SEED_OFFSET),
        )
        .map_err(err)?;
        SequenceData::from_samples(test).save(ctx.out_dir, "test")?;
        let mut info = p.clone();
        info.insert("n_states".into(), json!(task.n_states()));
        info.insert("n_actions_vocab".into(), json!(task.n_actions()));
        info.insert(
            "test_seed".into(),
            json!(seed.wrapping_add(TEST_SEED_OFFSET)),
        );
        std::fs::write(
            ctx.out_dir.join("task.json"),
            serde_json::to_vec_pretty(&info)?,
        )?;
        Ok(())
    }
}
