//! `heartbeats`: the Kaggle ECG heartbeat CSVs (`shayanfazeli/heartbeat`,
//! Kachuee et al. 2018) as a sequence classification data set.
//!
//! Each beat (187 samples at 125 Hz in [0, 1], zero-padded) becomes a
//! sequence of `bins` amplitude tokens; only the last position is labelled
//! (the beat's class), so a causal model classifies after reading the beat.
//! Training sequences may be cropped to their first `crop` samples while the
//! test beats stay whole: length generalization on real data. MIT-BIH keeps
//! its official train/test files; PTB is split by a seeded stratified split.
//!
//! The files are the user's (`dir`, default `data/heartbeat`); their content
//! is part of the cache key. Missing files fail with the download steps.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::datasets::ecg::kaggle::{
    load_mitbih, load_ptb_split, Beats, BEAT_LEN, KAGGLE_FILES, MITBIH_CLASSES,
};
use crate::datasets::rng::SplitMix64;
use crate::datasets::SequenceData;
use crate::kind::task::HeartbeatsTask;
use crate::kind::{read_params, JsonMap, ParamSchema, Params, RunContext, StageKind, TaskInfo};

fn d_dir() -> String {
    "data/heartbeat".into()
}
fn d_bins() -> usize {
    32
}
fn d_train_fraction() -> f64 {
    0.8
}

/// Which of the Kaggle data sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Dataset {
    /// MIT-BIH: 5 classes, official split
    #[default]
    Mitbih,
    /// PTB: normal/abnormal, seeded split
    Ptb,
}

impl Dataset {
    fn name(self) -> &'static str {
        match self {
            Dataset::Mitbih => "mitbih",
            Dataset::Ptb => "ptb",
        }
    }
}

/// The Kaggle ECG heartbeat CSVs (`shayanfazeli/heartbeat`, Kachuee et al.
/// 2018) as sequence classification: each beat a sequence of amplitude
/// tokens labelled at its last position; training beats may be cropped while
/// test beats stay whole. The files are the user's; their content is part
/// of the cache key.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct HeartbeatsParams {
    /// MIT-BIH (5 classes, official split) or PTB (normal/abnormal, seeded split)
    #[serde(default)]
    pub dataset: Dataset,
    /// where the Kaggle CSVs are, relative to the pipeline file
    #[serde(default = "d_dir")]
    pub dir: String,
    /// amplitude tokens: equal-width bins of [0, 1]
    #[serde(default = "d_bins")]
    #[schemars(range(min = 2))]
    pub bins: usize,
    /// training beats keep only their first `crop` samples (0: whole beats)
    #[serde(default)]
    #[schemars(range(max = BEAT_LEN))]
    pub crop: usize,
    /// PTB: share of each class for training
    #[serde(default = "d_train_fraction")]
    pub train_fraction: f64,
    /// seeded subsample of the training beats, for a CPU budget (0: all)
    #[serde(default)]
    pub max_train: usize,
    /// seeded subsample of the test beats (0: all)
    #[serde(default)]
    pub max_test: usize,
    /// split and subsample seed
    #[serde(default)]
    pub seed: u64,
}

impl Params for HeartbeatsParams {}

pub struct HeartbeatsKind {
    schema: ParamSchema,
}

impl HeartbeatsKind {
    pub fn new() -> Self {
        HeartbeatsKind {
            schema: ParamSchema::of::<HeartbeatsParams>(),
        }
    }
}

impl Default for HeartbeatsKind {
    fn default() -> Self {
        Self::new()
    }
}

fn subsample(beats: Beats, max: usize, rng: &mut SplitMix64) -> Beats {
    if max == 0 || beats.len() <= max {
        return beats;
    }
    let mut idx: Vec<usize> = (0..beats.len()).collect();
    rng.shuffle(&mut idx);
    let mut keep = idx[..max].to_vec();
    keep.sort_unstable();
    beats.select(&keep)
}

/// Beats as token sequences of length `len`, labelled at the last position.
fn sequences(beats: &Beats, len: usize, bins: usize) -> SequenceData {
    let mut d = SequenceData::classes(
        beats.len(),
        len,
        Vec::with_capacity(beats.len() * len),
        Vec::new(),
        Vec::with_capacity(beats.len() * len),
    );
    let mut labels = Vec::with_capacity(beats.len() * len);
    for (beat, &label) in beats.samples.iter().zip(&beats.labels) {
        for (i, &x) in beat[..len].iter().enumerate() {
            d.inputs
                .push(((x.clamp(0.0, 1.0) * bins as f32) as usize).min(bins - 1) as u32);
            labels.push(label as u32);
            d.mask.push(u8::from(i + 1 == len));
        }
    }
    d.target = crate::datasets::Target::Classes(labels);
    d
}

impl StageKind for HeartbeatsKind {
    fn name(&self) -> &'static str {
        "heartbeats"
    }

    fn version(&self) -> u32 {
        1
    }

    fn schema(&self) -> &ParamSchema {
        &self.schema
    }

    fn data_files(&self, params: &JsonMap) -> anyhow::Result<Vec<String>> {
        let p: HeartbeatsParams = read_params(params)?;
        let files = match p.dataset {
            Dataset::Ptb => &KAGGLE_FILES[2..],
            Dataset::Mitbih => &KAGGLE_FILES[..2],
        };
        Ok(files.iter().map(|f| format!("{}/{f}", p.dir)).collect())
    }

    fn run(&self, ctx: &RunContext<'_>) -> anyhow::Result<()> {
        let p: HeartbeatsParams = ctx.params()?;
        let dir = ctx.workspace.join(&p.dir);
        let seed = p.seed;
        let ptb = p.dataset == Dataset::Ptb;
        let (train, test) = if ptb {
            load_ptb_split(&dir, p.train_fraction, seed)
        } else {
            load_mitbih(&dir)
        }
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        let mut rng = SplitMix64::new(seed ^ 0x4EA7);
        let train = subsample(train, p.max_train, &mut rng);
        let test = subsample(test, p.max_test, &mut rng);
        let bins = p.bins;
        let crop = match p.crop {
            0 => BEAT_LEN,
            c => c,
        };
        sequences(&train, crop, bins).save(ctx.out_dir, "train")?;
        sequences(&test, BEAT_LEN, bins).save(ctx.out_dir, "test")?;
        let classes: Vec<&str> = if ptb {
            vec!["normal", "abnormal"]
        } else {
            MITBIH_CLASSES.to_vec()
        };
        TaskInfo::Heartbeats(HeartbeatsTask {
            dataset: p.dataset.name().into(),
            n_states: classes.len(),
            n_actions_vocab: bins,
            length: BEAT_LEN,
            train_length: crop,
            fresh: false,
            class_names: classes.iter().map(|c| c.to_string()).collect(),
            train_class_counts: train.class_counts(classes.len()),
            test_class_counts: test.class_counts(classes.len()),
        })
        .write(ctx.out_dir)
    }
}
