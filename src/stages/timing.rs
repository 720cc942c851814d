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
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::train::transformer_fits;
use crate::kind::{ParamIssue, ParamSchema, Params, RunContext, Setting, StageKind};
use crate::models::{DataShape, Family, ModelConfig, ModelShape, PosEncoding};
use crate::study::stats::loglog_slope;
use crate::train::{backend, train, Batch, Batches, SplitMix64, TrainConfig};

fn d_layers() -> usize {
    2
}
fn d_width() -> usize {
    64
}
fn d_heads() -> usize {
    4
}
fn d_pos() -> PosEncoding {
    PosEncoding::Rope
}
fn d_lengths() -> Vec<usize> {
    vec![16, 64, 256, 1024]
}
fn d_batch_size() -> usize {
    8
}
fn d_repeats() -> usize {
    3
}
fn d_two() -> usize {
    2
}

/// How one model family's train-step time, inference latency and peak
/// memory grow with sequence length T, with the fitted growth exponents.
/// Needs no inputs; runs alone (nothing beside it in the process).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TimingParams {
    /// model family
    pub model: Family,
    /// depth L
    #[serde(default = "d_layers")]
    #[schemars(range(min = 1))]
    pub layers: usize,
    /// hidden width d
    #[serde(default = "d_width")]
    #[schemars(range(min = 1))]
    pub width: usize,
    /// attention heads (transformer)
    #[serde(default = "d_heads")]
    #[schemars(range(min = 1))]
    pub heads: usize,
    /// positional encoding (transformer)
    #[serde(default = "d_pos")]
    pub pos: PosEncoding,
    /// linear RNN gate range
    #[serde(default)]
    pub negative_eigenvalues: bool,
    /// sequence lengths T to time
    #[serde(default = "d_lengths")]
    pub lengths: Vec<usize>,
    /// sequences per step
    #[serde(default = "d_batch_size")]
    #[schemars(range(min = 1))]
    pub batch_size: usize,
    /// timed steps and forward passes per length (the median is kept)
    #[serde(default = "d_repeats")]
    #[schemars(range(min = 1))]
    pub repeats: usize,
    /// input tokens
    #[serde(default = "d_two")]
    #[schemars(range(min = 1))]
    pub vocab: usize,
    /// output classes
    #[serde(default = "d_two")]
    #[schemars(range(min = 1))]
    pub n_classes: usize,
    /// weights and token seed
    #[serde(default)]
    pub seed: u64,
}

impl Params for TimingParams {
    fn check(&mut self) -> Result<(), Vec<ParamIssue>> {
        if self.lengths.is_empty() || self.lengths.contains(&0) {
            return Err(vec![ParamIssue::new(
                "lengths",
                "`lengths` must be a non-empty list of integers >= 1",
            )]);
        }
        match self.model {
            Family::Transformer => transformer_fits(self.width, self.heads, self.pos),
            Family::Lstm | Family::Gru | Family::Mlp | Family::LinearRnn => Ok(()),
        }
    }
}

pub struct TimingKind {
    schema: ParamSchema,
}

impl TimingKind {
    pub fn new() -> Self {
        TimingKind {
            schema: ParamSchema::of::<TimingParams>(),
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
    pub(crate) fn reset() {
        let _ = std::fs::write("/proc/self/clear_refs", "5");
    }

    fn read(field: &str) -> Option<f64> {
        let status = std::fs::read_to_string("/proc/self/status").ok()?;
        let line = status.lines().find(|l| l.starts_with(field))?;
        let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kb / 1024.0)
    }

    /// Peak resident memory since the last reset.
    pub(crate) fn peak_mib() -> Option<f64> {
        read("VmHWM:")
    }

    /// Resident memory now (the allocator keeps freed memory, so this is
    /// the baseline a measurement's growth is counted from).
    pub(crate) fn current_mib() -> Option<f64> {
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
        // 4: LSTM and GRU fold the embedding into the first input projection (faster).
        4
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

    fn run(&self, ctx: &RunContext<'_>) -> anyhow::Result<()> {
        let p: TimingParams = ctx.params()?;
        let device = backend::device(ctx.settings.backend)?;
        let (b, repeats, seed) = (p.batch_size, p.repeats, p.seed);
        let (vocab, classes) = (p.vocab as u32, p.n_classes as u32);
        let family = p.model.name();
        let shape = ModelShape {
            family: p.model,
            layers: p.layers,
            width: p.width,
            heads: p.heads,
            pos: p.pos,
            dropout: 0.0,
            bos: false,
            d_ff: None,
            negative_eigenvalues: p.negative_eigenvalues,
        };

        let mut points = Vec::new();
        let mut csv = String::from("length,train_step_ms,infer_ms,peak_rss_mib,peak_growth_mib\n");
        for (i, &t) in p.lengths.iter().enumerate() {
            ctx.progress
                .update(i as u64, p.lengths.len() as u64, &format!("T = {t}"));
            let config = ModelConfig::for_data(
                &shape,
                &DataShape {
                    vocab: p.vocab,
                    n_classes: p.n_classes,
                    length: t,
                    fixed_window: None,
                },
            );
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
