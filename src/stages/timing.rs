//! `timing`: how one model family's train-step time and inference latency
//! grow with sequence length T, with the fitted growth exponent (the slope of
//! log time against log T) and the peak resident memory of each measurement.
//!
//! It needs no inputs: it builds the model for each length (the MLP and
//! learned positions have length-dependent weights), times `repeats` training
//! steps on random tokens after one warm-up step, then `repeats` forward
//! passes of the inference model, and keeps the medians.
//!
//! Times vary between runs and machines, so `verify --rerun` will report
//! differing bits for this kind: the cached figures are a measurement, not a
//! function of the inputs. The kind is exclusive: the scheduler runs it with
//! nothing else beside it in the process, so times and the peak memory are
//! its own.
//!
//! Outputs: `timing.json` (points and exponents), `timing.csv`, and
//! `metrics.json` (`train_exponent`, `infer_exponent`).

use std::fmt::Write as _;
use std::time::Instant;

use burn::module::Module;
use serde_json::{json, Value};

use super::train::{model_config, FAMILIES};
use super::{
    require_at_least, JsonMap, ParamIssue, ParamSchema, ParamSpec, ParamType, RunContext, Setting,
    StageKind,
};
use crate::study::stats::loglog_slope;
use crate::train::{backend, train, Batch, Batches, SplitMix64, TrainConfig};

pub struct TimingKind {
    schema: ParamSchema,
}

impl TimingKind {
    pub fn new() -> Self {
        let p = ParamSpec::optional;
        TimingKind {
            schema: ParamSchema {
                params: vec![
                    ParamSpec::required("model", ParamType::Choice(FAMILIES), "model family"),
                    p("layers", ParamType::Int, json!(2), "depth L"),
                    p("width", ParamType::Int, json!(64), "hidden width d"),
                    p(
                        "heads",
                        ParamType::Int,
                        json!(4),
                        "attention heads (transformer)",
                    ),
                    p(
                        "pos",
                        ParamType::Choice(&["learned", "sinusoidal", "rope", "alibi"]),
                        json!("rope"),
                        "positional encoding (transformer)",
                    ),
                    p(
                        "negative_eigenvalues",
                        ParamType::Bool,
                        json!(false),
                        "linear RNN gate range",
                    ),
                    p(
                        "lengths",
                        ParamType::IntList,
                        json!([16, 64, 256, 1024]),
                        "sequence lengths T to time",
                    ),
                    p("batch_size", ParamType::Int, json!(8), "sequences per step"),
                    p(
                        "repeats",
                        ParamType::Int,
                        json!(3),
                        "timed steps and forward passes per length (the median is kept)",
                    ),
                    p("vocab", ParamType::Int, json!(2), "input tokens"),
                    p("n_classes", ParamType::Int, json!(2), "output classes"),
                    p("seed", ParamType::Int, json!(0), "weights and token seed"),
                ],
                open: false,
            },
        }
    }
}

impl Default for TimingKind {
    fn default() -> Self {
        Self::new()
    }
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    let n = xs.len();
    if n == 0 {
        return f64::NAN;
    }
    if n % 2 == 1 {
        xs[n / 2]
    } else {
        (xs[n / 2 - 1] + xs[n / 2]) / 2.0
    }
}

/// Peak resident memory since the last reset, in MiB (Linux only). Resetting
/// makes each length's figure its own peak, though it is the whole process's.
mod peak_memory {
    pub fn reset() {
        let _ = std::fs::write("/proc/self/clear_refs", "5");
    }

    fn read(field: &str) -> Option<f64> {
        let status = std::fs::read_to_string("/proc/self/status").ok()?;
        let line = status.lines().find(|l| l.starts_with(field))?;
        let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kb / 1024.0)
    }

    /// Peak resident memory since the last reset.
    pub fn peak_mib() -> Option<f64> {
        read("VmHWM:")
    }

    /// Resident memory now (the allocator keeps freed memory, so this is
    /// the baseline a measurement's growth is counted from).
    pub fn current_mib() -> Option<f64> {
        read("VmRSS:")
    }
}

fn random_batch(b: usize, t: usize, vocab: u32, classes: u32, rng: &mut SplitMix64) -> Batch {
    let inputs = (0..b * t)
        .map(|_| rng.below(vocab as usize) as u32)
        .collect();
    let labels = (0..b * t)
        .map(|_| rng.below(classes as usize) as u32)
        .collect();
    Batch::new(inputs, labels, vec![1; b * t], b, t).expect("consistent shapes")
}

impl StageKind for TimingKind {
    fn name(&self) -> &'static str {
        "timing"
    }

    fn version(&self) -> u32 {
        3
    }

    fn schema(&self) -> &ParamSchema {
        &self.schema
    }

    fn settings(&self) -> &[Setting] {
        &[Setting::Backend]
    }

    fn exclusive(&self) -> bool {
        true
    }

    fn resolve_params(&self, raw: &JsonMap) -> Result<JsonMap, Vec<ParamIssue>> {
        let params = self.schema.resolve(raw)?;
        let lengths = params["lengths"].as_array().cloned().unwrap_or_default();
        if lengths.is_empty() || lengths.iter().any(|l| l.as_i64().unwrap_or(0) < 1) {
            return Err(vec![ParamIssue {
                param: "lengths".into(),
                message: "`lengths` must be a non-empty list of integers >= 1".into(),
                help: None,
            }]);
        }
        require_at_least(
            &params,
            &[
                ("layers", 1),
                ("width", 1),
                ("batch_size", 1),
                ("repeats", 1),
                ("vocab", 1),
                ("n_classes", 1),
            ],
        )?;
        Ok(params)
    }

    fn run(&self, ctx: &RunContext<'_>) -> anyhow::Result<()> {
        let p = ctx.params;
        let device = backend::device(&ctx.settings.backend)?;
        let lengths: Vec<usize> = p["lengths"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_u64)
                    .map(|v| v as usize)
                    .collect()
            })
            .unwrap_or_default();
        let b = p["batch_size"].as_u64().unwrap_or(8) as usize;
        let repeats = p["repeats"].as_u64().unwrap_or(3) as usize;
        let vocab = p["vocab"].as_u64().unwrap_or(2) as u32;
        let classes = p["n_classes"].as_u64().unwrap_or(2) as u32;
        let seed = p["seed"].as_u64().unwrap_or(0);
        let family = p["model"].as_str().unwrap_or_default().to_string();

        let mut points = Vec::new();
        let mut csv = String::from("length,train_step_ms,infer_ms,peak_rss_mib,peak_growth_mib\n");
        for (i, &t) in lengths.iter().enumerate() {
            ctx.progress
                .update(i as u64, lengths.len() as u64, &format!("T = {t}"));
            let mut params = p.clone();
            params.insert("model".into(), json!(family));
            params.insert("dropout".into(), json!(0.0));
            let task = serde_json::from_value::<JsonMap>(
                json!({ "n_actions_vocab": vocab, "n_states": classes, "length": t }),
            )?;
            let config = model_config(&params, &task)?;
            let cfg = TrainConfig {
                steps: 1 + repeats,
                batch_size: b,
                warmup_steps: 0,
                seed,
                eval_every: 1 + repeats,
                ..TrainConfig::default()
            };
            peak_memory::reset();
            let before = peak_memory::current_mib();
            let mut last = Instant::now();
            let mut step_ms = Vec::new();
            let gen = Batches::Fresh(Box::new(move |b, rng| {
                random_batch(b, t, vocab, classes, rng)
            }));
            let outcome = train(&config, &cfg, gen, None, &device, |s| {
                let now = Instant::now();
                if s.step > 0 {
                    step_ms.push(now.duration_since(last).as_secs_f64() * 1e3);
                }
                last = now;
            })
            .map_err(|e| anyhow::anyhow!("timing {family} at T = {t}: {e}"))?;
            let model = outcome.model.valid();
            let mut rng = SplitMix64::new(seed ^ t as u64);
            let batch = random_batch(b, t, vocab, classes, &mut rng);
            let x = batch.input_tensor(&device);
            let mut infer_ms = Vec::new();
            for r in 0..=repeats {
                let t0 = Instant::now();
                let y = model.forward(x.clone())?;
                let _ = y.into_data();
                if r > 0 {
                    infer_ms.push(t0.elapsed().as_secs_f64() * 1e3);
                }
            }
            let peak = peak_memory::peak_mib();
            let growth = peak.zip(before).map(|(p, b)| (p - b).max(0.0));
            let (tr, inf) = (median(step_ms), median(infer_ms));
            let _ = writeln!(
                csv,
                "{t},{tr:.4},{inf:.4},{},{}",
                peak.map(|m| format!("{m:.1}")).unwrap_or_default(),
                growth.map(|m| format!("{m:.1}")).unwrap_or_default()
            );
            points.push(
                json!({ "length": t, "train_step_ms": tr, "infer_ms": inf, "peak_rss_mib": peak, "peak_growth_mib": growth }),
            );
            tracing::info!(
                "{}: T = {t}: train step {tr:.2} ms, inference {inf:.2} ms",
                ctx.instance
            );
        }
        let series = |key: &str| -> Vec<(f64, f64)> {
            points
                .iter()
                .map(|pt| {
                    (
                        pt["length"].as_f64().unwrap_or(0.0),
                        pt[key].as_f64().unwrap_or(0.0),
                    )
                })
                .collect()
        };
        let train_exp = loglog_slope(&series("train_step_ms"));
        let infer_exp = loglog_slope(&series("infer_ms"));
        let report = json!({
            "family": family, "batch_size": b, "repeats": repeats, "points": points,
            "train_exponent": train_exp, "infer_exponent": infer_exp,
            "memory_note": "peak_rss_mib: the process's peak resident set while measuring one length (VmHWM after a reset), MiB; peak_growth_mib: that peak minus the resident set when the measurement started (the allocator keeps freed memory, so this is the measurement's own need)",
        });
        std::fs::write(
            ctx.out_dir.join("timing.json"),
            serde_json::to_vec_pretty(&report)?,
        )?;
        std::fs::write(ctx.out_dir.join("timing.csv"), csv)?;
        std::fs::write(
            ctx.out_dir.join("metrics.json"),
            serde_json::to_vec_pretty(
                &json!({ "train_exponent": train_exp, "infer_exponent": infer_exp }),
            )?,
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_even_and_odd() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(vec![4.0, 1.0, 2.0, 3.0]), 2.5);
    }
}
