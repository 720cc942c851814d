//! `prices`: daily OHLCV prices (Yahoo, bokeh, arch or vega CSV layouts) as a
//! sequence data set the `train`, `evaluate` and `forecast` kinds read.
//!
//! One ticker's log returns are cut once in time (`train_fraction`; every
//! test target lies after every training target), standardised by a scaler
//! fitted on the training period only, clipped to ±`clip` standard
//! deviations and binned into `bins` equal-width tokens. Each window of
//! `window` returns is a sequence whose label at every position is the bin of
//! the next return, so a causal model is a next-return forecaster; its
//! prediction at the last position is the forecast `forecast` scores.
//!
//! Outputs: `train_*.npy`, `test_*.npy` (as `automaton` writes them),
//! `test_next_return.npy` and `test_last_return.npy` (f32, unscaled, one per
//! test window), and `task.json` (vocabulary, scaler, bin edges, dates, and
//! the training series' naive one-step MAE that MASE divides by).

use anyhow::Context;
use serde_json::json;

use super::{JsonMap, ParamIssue, ParamSchema, ParamSpec, ParamType, RunContext, StageKind};
use crate::datasets::npy::write_npy;
use crate::datasets::stock::features::{returns_with_dates, ChronoSplit, PriceColumn, Scaler};
use crate::datasets::stock::ohlcv::load_ohlcv;
use crate::datasets::SequenceData;
use crate::metrics::regression::naive_mae;

pub struct PricesKind {
    schema: ParamSchema,
}

impl PricesKind {
    pub fn new() -> Self {
        let p = ParamSpec::optional;
        PricesKind {
            schema: ParamSchema {
                params: vec![
                    ParamSpec::required(
                        "ticker",
                        ParamType::String,
                        "which ticker (for one-ticker files: any name, used as the label)",
                    ),
                    p(
                        "file",
                        ParamType::String,
                        json!(""),
                        "the CSV among the inputs (default: the only .csv or .csv.gz)",
                    ),
                    p(
                        "column",
                        ParamType::Choice(&["auto", "adj_close", "close"]),
                        json!("auto"),
                        "price column (auto: Adj Close when present)",
                    ),
                    p(
                        "window",
                        ParamType::Int,
                        json!(60),
                        "returns per input sequence",
                    ),
                    p(
                        "train_fraction",
                        ParamType::Float,
                        json!(0.9),
                        "share of the return series (oldest first) used for training",
                    ),
                    p(
                        "bins",
                        ParamType::Int,
                        json!(32),
                        "tokens: equal-width bins of the standardised return",
                    ),
                    p(
                        "clip",
                        ParamType::Float,
                        json!(4.0),
                        "standardised returns are clipped to ±clip before binning",
                    ),
                ],
                open: false,
            },
        }
    }
}

impl Default for PricesKind {
    fn default() -> Self {
        Self::new()
    }
}

/// Equal-width binning of standardised values on [-clip, clip].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bins {
    pub n: usize,
    pub clip: f64,
}

impl Bins {
    pub fn of(&self, z: f64) -> u32 {
        let u = (z.clamp(-self.clip, self.clip) + self.clip) / (2.0 * self.clip);
        ((u * self.n as f64) as usize).min(self.n - 1) as u32
    }

    /// The centre of bin `b`, in standardised units.
    pub fn centre(&self, b: usize) -> f64 {
        -self.clip + (b as f64 + 0.5) * 2.0 * self.clip / self.n as f64
    }
}

fn input_file(ctx: &RunContext<'_>) -> anyhow::Result<std::path::PathBuf> {
    let wanted = ctx.params["file"].as_str().unwrap_or_default();
    let mut found = Vec::new();
    for input in ctx.inputs.iter().filter(|i| !i.gathered) {
        for e in std::fs::read_dir(&input.path)?.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let is_csv = name.ends_with(".csv") || name.ends_with(".csv.gz");
            if (wanted.is_empty() && is_csv) || name == wanted {
                found.push(e.path());
            }
        }
    }
    match found.as_slice() {
        [one] => Ok(one.clone()),
        [] => anyhow::bail!(
            "no price CSV among the inputs{}: add a `fetch` stage to `needs`",
            if wanted.is_empty() {
                String::new()
            } else {
                format!(" named `{wanted}`")
            }
        ),
        _ => anyhow::bail!("several CSV files among the inputs; pick one with the `file` param"),
    }
}

/// Windows of tokens; the label at position i is the bin of return i + 1.
fn sequences(
    values: &[f64],
    targets: std::ops::Range<usize>,
    window: usize,
    scaler: &Scaler,
    bins: Bins,
) -> SequenceData {
    let mut d = SequenceData {
        n: targets.len(),
        t: window,
        inputs: Vec::new(),
        labels: Vec::new(),
        mask: Vec::new(),
    };
    for t in targets {
        for i in t - window..t {
            // position i reads return i and is labelled with return i + 1
            d.inputs.push(bins.of(scaler.transform(values[i])));
            d.labels.push(bins.of(scaler.transform(values[i + 1])));
            d.mask.push(1);
        }
    }
    d
}

impl StageKind for PricesKind {
    fn name(&self) -> &'static str {
        "prices"
    }

    fn version(&self) -> u32 {
        1
    }

    fn schema(&self) -> &ParamSchema {
        &self.schema
    }

    fn resolve_params(&self, raw: &JsonMap) -> Result<JsonMap, Vec<ParamIssue>> {
        let params = self.schema.resolve(raw)?;
        let bad = |param: &str, message: &str| {
            Err(vec![ParamIssue {
                param: param.into(),
                message: message.into(),
                help: None,
            }])
        };
        if params["window"].as_i64().unwrap_or(0) < 2 {
            return bad("window", "`window` must be at least 2");
        }
        if params["bins"].as_i64().unwrap_or(0) < 2 {
            return bad("bins", "`bins` must be at least 2");
        }
        if !(params["clip"].as_f64().unwrap_or(0.0) > 0.0) {
            return bad("clip", "`clip` must be positive");
        }
        Ok(params)
    }

    fn run(&self, ctx: &RunContext<'_>) -> anyhow::Result<()> {
        let p = ctx.params;
        let path = input_file(ctx)?;
        let ticker = p["ticker"].as_str().unwrap_or_default();
        let file = load_ohlcv(&path, Some(ticker)).map_err(|e| anyhow::anyhow!("{e}"))?;
        let series = file.get(ticker).map_err(|e| anyhow::anyhow!("{e}"))?;
        let column = match p["column"].as_str() {
            Some("adj_close") => PriceColumn::AdjClose,
            Some("close") => PriceColumn::Close,
            _ => PriceColumn::Auto,
        };
        let (values, dates) =
            returns_with_dates(series, column).map_err(|e| anyhow::anyhow!("{e}"))?;
        let window = p["window"].as_u64().unwrap_or(60) as usize;
        let split = ChronoSplit::with_dates(
            values.clone(),
            dates.clone(),
            p["train_fraction"].as_f64().unwrap_or(0.9),
            window,
        )
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        let scaler = Scaler::fit(&split.train());
        let bins = Bins {
            n: p["bins"].as_u64().unwrap_or(32) as usize,
            clip: p["clip"].as_f64().unwrap_or(4.0),
        };
        let cut = split.cut();
        // A window ending at e reads returns e-window..e and its last label
        // is return e: training windows end before the cut, test windows at
        // or after it (their earlier labels may lie in the training period;
        // the forecast is scored on the last position only).
        sequences(&values, window..cut, window, &scaler, bins).save(ctx.out_dir, "train")?;
        let test_targets = cut..values.len();
        let test = sequences(&values, test_targets.clone(), window, &scaler, bins);
        test.save(ctx.out_dir, "test")?;
        let next: Vec<f32> = test_targets.clone().map(|t| values[t] as f32).collect();
        let last: Vec<f32> = test_targets.clone().map(|t| values[t - 1] as f32).collect();
        write_npy(
            &ctx.out_dir.join("test_next_return.npy"),
            &[next.len()],
            &next,
        )?;
        write_npy(
            &ctx.out_dir.join("test_last_return.npy"),
            &[last.len()],
            &last,
        )?;
        let naive =
            naive_mae(split.train().values()).context("training series too short for MASE")?;
        let info = json!({
            "task": "prices", "ticker": ticker, "source_file": path.file_name().and_then(|n| n.to_str()),
            "n_states": bins.n, "n_actions_vocab": bins.n, "length": window,
            "fresh": false, "bins": bins.n, "clip": bins.clip,
            "scaler_mean": scaler.mean(), "scaler_std": scaler.std(),
            "train_windows": cut - window, "test_windows": test.n,
            "train_start": dates.first().map(|d| d.to_string()),
            "test_start": dates.get(cut).map(|d| d.to_string()),
            "test_end": dates.last().map(|d| d.to_string()),
            "naive_mae_train": naive,
        });
        std::fs::write(
            ctx.out_dir.join("task.json"),
            serde_json::to_vec_pretty(&info)?,
        )?;
        tracing::info!(
            "{}: {} training and {} test windows of {window} returns",
            ctx.instance,
            cut - window,
            test.n
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bins_cover_the_clipped_range() {
        let b = Bins { n: 4, clip: 2.0 };
        assert_eq!(
            [
                b.of(-9.0),
                b.of(-1.5),
                b.of(-0.1),
                b.of(0.1),
                b.of(1.99),
                b.of(9.0)
            ],
            [0, 0, 1, 2, 3, 3]
        );
        assert_eq!(b.centre(0), -1.5);
        assert_eq!(b.centre(3), 1.5);
    }
}
