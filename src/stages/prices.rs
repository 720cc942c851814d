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
//! Outputs: the splits of [`crate::datasets::binned::write_splits`], and `task.json` (vocabulary, scaler, bin edges, dates, and
//! the training series' naive one-step MAE that MASE divides by).

use anyhow::Context;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::datasets::binned::{write_splits, Bins};
use crate::datasets::stock::features::{returns_with_dates, ChronoSplit, PriceColumn, Scaler};
use crate::datasets::stock::ohlcv::load_ohlcv;
use crate::kind::task::PricesTask;
use crate::kind::{ParamIssue, ParamSchema, Params, RunContext, StageKind, TaskInfo};
use crate::metrics::regression::naive_mae;

fn d_window() -> usize {
    60
}
fn d_train_fraction() -> f64 {
    0.9
}
fn d_bins() -> usize {
    32
}
fn d_clip() -> f64 {
    4.0
}

/// Which price the returns are computed from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Column {
    /// Adj Close when the file has it, else Close
    #[default]
    Auto,
    /// the adjusted close
    AdjClose,
    /// the close
    Close,
}

/// Daily OHLCV prices (Yahoo, bokeh, arch or vega CSV layouts) as a sequence
/// data set: one ticker's log returns, cut once in time, standardised on the
/// training period, clipped and binned into tokens; each window's label at
/// every position is the bin of the next return.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PricesParams {
    /// which ticker (for one-ticker files: any name, used as the label)
    pub ticker: String,
    /// the CSV among the inputs (default: the only .csv or .csv.gz)
    #[serde(default)]
    pub file: String,
    /// price column (auto: Adj Close when present)
    #[serde(default)]
    pub column: Column,
    /// returns per input sequence
    #[serde(default = "d_window")]
    #[schemars(range(min = 2))]
    pub window: usize,
    /// share of the return series (oldest first) used for training
    #[serde(default = "d_train_fraction")]
    pub train_fraction: f64,
    /// tokens: equal-width bins of the standardised return
    #[serde(default = "d_bins")]
    #[schemars(range(min = 2))]
    pub bins: usize,
    /// standardised returns are clipped to ±clip before binning
    #[serde(default = "d_clip")]
    pub clip: f64,
}

impl Params for PricesParams {
    fn check(&mut self) -> Result<(), Vec<ParamIssue>> {
        if !(self.clip > 0.0) {
            return Err(vec![ParamIssue::new("clip", "`clip` must be positive")]);
        }
        Ok(())
    }
}

pub struct PricesKind {
    schema: ParamSchema,
}

impl PricesKind {
    pub fn new() -> Self {
        PricesKind {
            schema: ParamSchema::of::<PricesParams>(),
        }
    }
}

impl Default for PricesKind {
    fn default() -> Self {
        Self::new()
    }
}

fn input_file(ctx: &RunContext<'_>, wanted: &str) -> anyhow::Result<std::path::PathBuf> {
    let suffixes: &[&str] = if wanted.is_empty() {
        &[".csv", ".csv.gz"]
    } else {
        &[wanted]
    };
    match ctx.input_files(suffixes).as_slice() {
        [one] => Ok(one.clone()),
        [] if wanted.is_empty() => {
            anyhow::bail!("no price CSV among the inputs: add a `fetch` stage to `needs`")
        }
        [] => anyhow::bail!(
            "no file named `{wanted}` among the inputs: add a `fetch` stage to `needs`"
        ),
        _ => anyhow::bail!("several CSV files among the inputs; pick one with the `file` param"),
    }
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

    fn run(&self, ctx: &RunContext<'_>) -> anyhow::Result<()> {
        let p: PricesParams = ctx.params()?;
        let path = input_file(ctx, &p.file)?;
        let ticker = p.ticker.as_str();
        let file = load_ohlcv(&path, Some(ticker)).map_err(|e| anyhow::anyhow!("{e}"))?;
        let series = file.get(ticker).map_err(|e| anyhow::anyhow!("{e}"))?;
        let column = match p.column {
            Column::AdjClose => PriceColumn::AdjClose,
            Column::Close => PriceColumn::Close,
            Column::Auto => PriceColumn::Auto,
        };
        let (values, dates) =
            returns_with_dates(series, column).map_err(|e| anyhow::anyhow!("{e}"))?;
        let window = p.window;
        let split =
            ChronoSplit::with_dates(values.clone(), dates.clone(), p.train_fraction, window)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
        let scaler = Scaler::fit(&split.train());
        let bins = Bins {
            n: p.bins,
            clip: p.clip,
        };
        let cut = split.cut();
        let (n_train, n_test) = write_splits(ctx.out_dir, &values, &split, &scaler, bins, 1)?;
        let naive =
            naive_mae(split.train().values()).context("training series too short for MASE")?;
        TaskInfo::Prices(PricesTask {
            ticker: ticker.to_string(),
            source_file: path.file_name().and_then(|n| n.to_str()).map(String::from),
            n_states: bins.n,
            n_actions_vocab: bins.n,
            length: window,
            fresh: false,
            bins: bins.n,
            clip: bins.clip,
            scaler_mean: scaler.mean(),
            scaler_std: scaler.std(),
            train_windows: n_train,
            test_windows: n_test,
            train_start: dates.first().map(|d| d.to_string()),
            test_start: dates.get(cut).map(|d| d.to_string()),
            test_end: dates.last().map(|d| d.to_string()),
            naive_mae_train: naive,
        })
        .write(ctx.out_dir)?;
        tracing::info!(
            "{}: {n_train} training and {n_test} test windows of {window} returns",
            ctx.instance
        );
        Ok(())
    }
}
