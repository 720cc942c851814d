//! `explain`: attributions, attention, probes and faithfulness checks for a trained model
//! on its automaton's test split (science §5; methods in [`crate::explain`]).
//!
//! Use it as `needs: [data, train]`, like `evaluate`. The first `n_examples` test sequences
//! are explained for one target per sequence (the predicted class or the label, at the last
//! position or at every position). Outputs, all deterministic:
//!
//! * `tokens.npy`, `labels.npy` (u32 `[n_examples, T]`): the explained sequences;
//! * `attributions_<method>.npy` (f32 `[n_examples, T]`) for `saliency`, `input_x_gradient`,
//!   `integrated_gradients`, `occlusion`, `random` (a seeded random ranking, the reference
//!   for the faithfulness figures) and, for a Transformer, `attention_last_layer` and
//!   `attention_rollout`, each also drawn as `attributions_<method>.svg` (examples ×
//!   positions, red positive, blue negative);
//! * Transformer only: `attention.npy` (f32 `[layers, heads, T, T]`, example 0) and
//!   `rollout.npy` (f32 `[T, T]`, example 0);
//! * `probes.json`, `faithfulness.json`, `explain.json` (summary); see `docs/pipeline.md`.

use std::path::Path;

use anyhow::{bail, Context};
use burn::module::Module;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::common::read_model_config;
use crate::datasets::npy::write_npy;
use crate::datasets::SequenceData;
use crate::explain::{
    self, Attribution, Baseline, Examples, OcclusionScore, Target, TargetClass, TargetPos,
};
use crate::kind::{ParamSchema, Params, RunContext, Setting, StageKind};
use crate::models::Model;
use crate::train::{backend, load_checkpoint, SplitMix64};

/// Deletion-curve percentages.
const PERCENTS: [u32; 11] = [0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100];
/// Ridge strength of the probes, relative to the mean feature variance.
const PROBE_RIDGE: f64 = 1e-3;

fn d_n_examples() -> usize {
    8
}
fn d_ig_steps() -> usize {
    64
}
fn d_one() -> usize {
    1
}
fn d_probe_sequences() -> usize {
    512
}

/// The integrated-gradients baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum IgBaseline {
    /// no token
    #[default]
    Zeros,
    /// 1/vocab everywhere
    Uniform,
}

/// Which class's logit is explained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum TargetChoice {
    #[default]
    Predicted,
    Label,
}

/// Which position's target is explained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum PositionChoice {
    #[default]
    Last,
    Every,
}

/// Attributions (saliency, input × gradient, integrated gradients,
/// occlusion, attention), linear probes and faithfulness checks for a
/// trained model on its automaton's test split. Use it as
/// `needs: [data, train]`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ExplainParams {
    /// test sequences explained (the first ones)
    #[serde(default = "d_n_examples")]
    #[schemars(range(min = 1))]
    pub n_examples: usize,
    /// integrated-gradients intervals (steps + 1 gradient evaluations)
    #[serde(default = "d_ig_steps")]
    #[schemars(range(min = 1))]
    pub ig_steps: usize,
    /// integrated-gradients baseline: no token, or 1/vocab everywhere
    #[serde(default)]
    pub ig_baseline: IgBaseline,
    /// positions blanked together
    #[serde(default = "d_one")]
    #[schemars(range(min = 1))]
    pub occlusion_window: usize,
    /// positions between occlusion windows
    #[serde(default = "d_one")]
    #[schemars(range(min = 1))]
    pub occlusion_stride: usize,
    /// explain the logit of the predicted class or of the true state
    #[serde(default)]
    pub target: TargetChoice,
    /// the target position: the last one, or every position with its own target (averaged)
    #[serde(default)]
    pub position: PositionChoice,
    /// test sequences for the linear probes (half fit, half score)
    #[serde(default = "d_probe_sequences")]
    pub probe_sequences: usize,
    /// seed of the random reference ranking
    #[serde(default)]
    pub seed: u64,
}

impl Params for ExplainParams {}

pub struct ExplainKind {
    schema: ParamSchema,
}

impl ExplainKind {
    pub fn new() -> Self {
        ExplainKind {
            schema: ParamSchema::of::<ExplainParams>(),
        }
    }
}

impl Default for ExplainKind {
    fn default() -> Self {
        Self::new()
    }
}

impl StageKind for ExplainKind {
    fn name(&self) -> &'static str {
        "explain"
    }

    fn version(&self) -> u32 {
        // 3: recurrent layers run as whole-sequence ops (other float bits).
        // 4: LSTM and GRU fold the embedding into the first input projection
        // (the predicted class an attribution explains comes from it).
        4
    }

    fn schema(&self) -> &ParamSchema {
        &self.schema
    }

    fn settings(&self) -> &[Setting] {
        &[Setting::Backend]
    }

    fn run(&self, ctx: &RunContext<'_>) -> anyhow::Result<()> {
        let p: ExplainParams = ctx.params()?;
        let (data_dir, task_info) = ctx.data_set()?;
        let Some(automaton) = task_info.automaton() else {
            bail!(
                "`explain` needs an automaton data set (its ground truth and probes use the automaton's states); `{}` is not one",
                task_info.name()
            );
        };
        let model_dir = ctx
            .inputs
            .iter()
            .find(|i| !i.gathered && i.path.join("model.safetensors").is_file())
            .map(|i| i.path.as_path())
            .context("this stage needs a `train` stage among its `needs` (no input has a model.safetensors)")?;
        let config = read_model_config(model_dir)?;
        let device = backend::device(ctx.settings.backend)?;
        let model =
            load_checkpoint(&config, &model_dir.join("model.safetensors"), &device)?.valid();
        let task = automaton.params.task()?;
        let test = SequenceData::load(data_dir, "test")?;
        if let Some(max) = config.max_len().filter(|&m| m < test.t) {
            bail!(
                "the model runs on at most {max} positions, the test split has {}",
                test.t
            );
        }
        let n = p.n_examples.min(test.n);
        if n == 0 {
            bail!("the test split is empty");
        }
        let t = test.t;
        let ex = Examples::new(
            test.inputs[..n * t].to_vec(),
            test.labels("explain")?[..n * t].to_vec(),
            n,
            t,
            config.vocab(),
        )?
        .with_mask(&test.mask[..n * t])?;
        let target = Target {
            class: match p.target {
                TargetChoice::Label => TargetClass::Label,
                TargetChoice::Predicted => TargetClass::Predicted,
            },
            pos: match p.position {
                PositionChoice::Every => TargetPos::Every,
                PositionChoice::Last => TargetPos::Last,
            },
        };
        let baseline = match p.ig_baseline {
            IgBaseline::Zeros => Baseline::Zeros,
            IgBaseline::Uniform => Baseline::Uniform,
        };
        let sel = target.resolve(&model, &ex)?;
        let out = ctx.out_dir;
        write_npy(&out.join("tokens.npy"), &[n, t], &ex.tokens)?;
        write_npy(&out.join("labels.npy"), &[n, t], &ex.labels)?;

        let steps = 6;
        ctx.progress.update(0, steps, "gradients");
        let mut methods: Vec<(&'static str, Attribution)> = vec![
            ("saliency", explain::saliency(&model, &ex, &sel)?),
            (
                "input_x_gradient",
                explain::input_x_gradient(&model, &ex, &sel)?,
            ),
        ];
        ctx.progress.update(1, steps, "integrated gradients");
        let ig = explain::integrated_gradients(&model, &ex, &sel, p.ig_steps, baseline)?;
        let gaps = ig.completeness_gap();
        let rel_gap = (0..n)
            .map(|i| {
                gaps[i]
                    / (ig.f_input[i] - ig.f_baseline[i])
                        .abs()
                        .max(explain::integrated::FLOOR)
            })
            .fold(0.0, f64::max);
        let ig_summary = json!({
            "steps": p.ig_steps, "baseline": p.ig_baseline,
            "f_input": ig.f_input, "f_baseline": ig.f_baseline,
            "gradient_evaluations": ig.evaluations,
            "max_completeness_gap": gaps.iter().copied().fold(0.0, f64::max),
            "max_relative_completeness_gap": rel_gap,
        });
        methods.push(("integrated_gradients", ig.attribution));
        ctx.progress.update(2, steps, "occlusion");
        methods.push((
            "occlusion",
            explain::occlusion(
                &model,
                &ex,
                &sel,
                p.occlusion_window,
                p.occlusion_stride,
                Baseline::Zeros,
                OcclusionScore::Logit,
            )?,
        ));
        methods.push(("random", random_attribution(n, t, p.seed)));
        let mut not_applicable = Map::new();
        ctx.progress.update(3, steps, "attention");
        match explain::attention_maps(&model, &ex) {
            Some(maps) => {
                let maps = maps?;
                write_npy(
                    &out.join("attention.npy"),
                    &[maps.layers, maps.heads, t, t],
                    &maps.example(0),
                )?;
                write_npy(
                    &out.join("rollout.npy"),
                    &[t, t],
                    &explain::rollout(&maps)[..t * t],
                )?;
                methods.push((
                    "attention_last_layer",
                    explain::last_layer_attribution(&maps, &sel),
                ));
                methods.push((
                    "attention_rollout",
                    explain::rollout_attribution(&maps, &sel),
                ));
            }
            None => {
                let why = format!("{} has no attention", config.family());
                not_applicable.insert("attention_last_layer".into(), json!(why));
                not_applicable.insert("attention_rollout".into(), json!(why));
            }
        }
        for (name, a) in &methods {
            write_npy(
                &out.join(format!("attributions_{name}.npy")),
                &[n, t],
                &a.values,
            )?;
            // The same attributions as a picture (examples × positions).
            let strip = crate::report::figures::Strip {
                title: format!(
                    "{name}: {} on {}",
                    config.family(),
                    crate::study::paper::task_label(&task)
                ),
                row_prefix: "ex".into(),
                tokens: ex.tokens[..t].iter().map(|&x| x as i64).collect(),
                values: (0..n)
                    .map(|i| {
                        a.values[i * t..(i + 1) * t]
                            .iter()
                            .map(|&v| v as f64)
                            .collect()
                    })
                    .collect(),
                ..Default::default()
            };
            std::fs::write(
                out.join(format!("attributions_{name}.svg")),
                crate::report::figures::strip(&strip)?,
            )?;
        }

        ctx.progress.update(4, steps, "faithfulness");
        let faith = faithfulness(&model, &ex, &sel, &methods, &task)?;
        write_json(&out.join("faithfulness.json"), &faith)?;

        ctx.progress.update(5, steps, "probes");
        let probes = probes(
            &model,
            &test,
            p.probe_sequences,
            config.n_classes(),
            &mut not_applicable,
        )?;
        write_json(&out.join("probes.json"), &probes)?;

        let summary = json!({
            "family": config.family(),
            "task": automaton.params.task,
            "n_examples": n,
            "length": t,
            "target": { "class": p.target, "position": p.position },
            "targets": sel.targets,
            "methods": methods.iter().map(|(m, _)| *m).collect::<Vec<_>>(),
            "not_applicable": not_applicable,
            "integrated_gradients": ig_summary,
            "occlusion": { "window": p.occlusion_window, "stride": p.occlusion_stride, "baseline": "zeros", "score": "logit" },
        });
        write_json(&out.join("explain.json"), &summary)?;
        tracing::info!(
            "{}: explained {n} sequences with {} methods",
            ctx.instance,
            methods.len()
        );
        Ok(())
    }
}

/// A seeded random ranking (uniform scores), the chance reference of the faithfulness checks.
fn random_attribution(n: usize, t: usize, seed: u64) -> Attribution {
    let mut rng = SplitMix64::new(seed);
    Attribution {
        n,
        t,
        values: (0..n * t).map(|_| rng.unit() as f32).collect(),
    }
}

/// Deletion curves and ground-truth agreement of every method.
fn faithfulness(
    model: &Model,
    ex: &Examples,
    sel: &explain::Selection,
    methods: &[(&'static str, Attribution)],
    task: &crate::datasets::automata::Task,
) -> anyhow::Result<Value> {
    let gt = explain::ground_truth(task, ex, sel);
    let mut per_method = Map::new();
    let mut chance = Value::Null;
    for (name, a) in methods {
        let curve = explain::deletion_curve(model, ex, sel, a, &PERCENTS, Baseline::Zeros)?;
        let agreement = gt
            .as_ref()
            .and_then(|g| explain::ground_truth_agreement(a, g, sel));
        if let Some((_, c)) = agreement {
            chance = json!(c);
        }
        per_method.insert(
            name.to_string(),
            json!({
                "deletion_curve": curve.iter().map(|(x, y)| [*x, *y]).collect::<Vec<_>>(),
                "deletion_auc": explain::area(&curve),
                "ground_truth_agreement": agreement.map(|(a, _)| a),
            }),
        );
    }
    let with_gt = gt
        .as_ref()
        .map(|g| g.sets.iter().filter(|s| s.is_some()).count());
    Ok(json!({
        "task": task.name(),
        "ground_truth": gt.as_ref().map(|g| g.description),
        "ground_truth_metric": "precision@|G|: fraction of the |G| top-attributed positions (up to the target) in the ground-truth set G, mean over examples with a non-empty G",
        "ground_truth_chance": chance,
        "n_with_ground_truth": with_gt,
        "deletion": "top-k% attributed positions up to the target blanked (zero rows); accuracy = the target class still predicted",
        "methods": per_method,
    }))
}

/// Linear probes on the first `count` test sequences (at least 2 needed).
fn probes(
    model: &Model,
    test: &SequenceData,
    count: usize,
    n_classes: usize,
    not_applicable: &mut Map<String, Value>,
) -> anyhow::Result<Value> {
    let m = count.min(test.n);
    if m < 2 {
        not_applicable.insert(
            "probes".into(),
            json!(format!("probes need at least 2 sequences, have {m}")),
        );
        return Ok(json!({ "layers": [], "chance": null }));
    }
    let t = test.t;
    let data = SequenceData::classes(
        m,
        t,
        test.inputs[..m * t].to_vec(),
        test.labels("explain's probes")?[..m * t].to_vec(),
        test.mask[..m * t].to_vec(),
    );
    let r = explain::probe_layers(model, &data, n_classes, PROBE_RIDGE)?;
    Ok(json!({
        "layers": r.layers,
        "chance": r.chance,
        "n_classes": r.n_classes,
        "n_fit": r.n_fit,
        "n_test": r.n_test,
        "ridge": PROBE_RIDGE,
        "method": "ridge least squares to one-hot states on the first half of the sequences, accuracy on the second half; chance = always the most frequent state of the first half",
    }))
}

fn write_json(path: &Path, v: &Value) -> anyhow::Result<()> {
    std::fs::write(path, serde_json::to_vec_pretty(v)?)
        .with_context(|| format!("writing {}", path.display()))
}
