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

use serde_json::json;

use super::{
    require_at_least, JsonMap, ParamIssue, ParamSchema, ParamSpec, ParamType, RunContext, StageKind,
};
use crate::datasets::ecg::kaggle::{
    load_mitbih, load_ptb_split, Beats, BEAT_LEN, KAGGLE_FILES, MITBIH_CLASSES,
};
use crate::datasets::rng::SplitMix64;
use crate::datasets::SequenceData;

pub struct HeartbeatsKind {
    schema: ParamSchema,
}

impl HeartbeatsKind {
    pub fn new() -> Self {
        let p = ParamSpec::optional;
        HeartbeatsKind {
            schema: ParamSchema {
                params: vec![
                    p("dataset", ParamType::Choice(&["mitbih", "ptb"]), json!("mitbih"), "MIT-BIH (5 classes, official split) or PTB (normal/abnormal, seeded split)"),
                    p("dir", ParamType::String, json!("data/heartbeat"), "where the Kaggle CSVs are, relative to the pipeline file"),
                    p("bins", ParamType::Int, json!(32), "amplitude tokens: equal-width bins of [0, 1]"),
                    p("crop", ParamType::Int, json!(0), "training beats keep only their first `crop` samples (0: whole beats)"),
                    p("train_fraction", ParamType::Float, json!(0.8), "PTB: share of each class for training"),
                    p("max_train", ParamType::Int, json!(0), "seeded subsample of the training beats, for a CPU budget (0: all)"),
                    p("max_test", ParamType::Int, json!(0), "seeded subsample of the test beats (0: all)"),
                    p("seed", ParamType::Int, json!(0), "split and subsample seed"),
                ],
                open: false,
            },
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

    fn data_files(&self, params: &JsonMap) -> Vec<String> {
        let dir = params["dir"].as_str().unwrap_or("data/heartbeat");
        let files = if params["dataset"] == "ptb" {
            &KAGGLE_FILES[2..]
        } else {
            &KAGGLE_FILES[..2]
        };
        files.iter().map(|f| format!("{dir}/{f}")).collect()
    }

    fn resolve_params(&self, raw: &JsonMap) -> Result<JsonMap, Vec<ParamIssue>> {
        let params = self.schema.resolve(raw)?;
        let crop = params["crop"].as_i64().unwrap_or(0);
        if crop < 0 || crop as usize > BEAT_LEN {
            return Err(vec![ParamIssue {
                param: "crop".into(),
                message: format!("`crop` must be between 0 and {BEAT_LEN}"),
                help: None,
            }]);
        }
        require_at_least(&params, &[("bins", 2)])?;
        Ok(params)
    }

    fn run(&self, ctx: &RunContext<'_>) -> anyhow::Result<()> {
        let p = ctx.params;
        let dir = ctx
            .workspace
            .join(p["dir"].as_str().unwrap_or("data/heartbeat"));
        let seed = p["seed"].as_u64().unwrap_or(0);
        let ptb = p["dataset"] == "ptb";
        let (train, test) = if ptb {
            load_ptb_split(&dir, p["train_fraction"].as_f64().unwrap_or(0.8), seed)
        } else {
            load_mitbih(&dir)
        }
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        let mut rng = SplitMix64::new(seed ^ 0x4EA7);
        let train = subsample(
            train,
            p["max_train"].as_u64().unwrap_or(0) as usize,
            &mut rng,
        );
        let test = subsample(test, p["max_test"].as_u64().unwrap_or(0) as usize, &mut rng);
        let bins = p["bins"].as_u64().unwrap_or(32) as usize;
        let crop = match p["crop"].as_u64().unwrap_or(0) as usize {
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
        let info = json!({
            "task": "heartbeats", "dataset": p["dataset"],
            "n_states": classes.len(), "n_actions_vocab": bins, "length": BEAT_LEN,
            "train_length": crop, "fresh": false, "class_names": classes,
            "train_class_counts": train.class_counts(classes.len()),
            "test_class_counts": test.class_counts(classes.len()),
        });
        std::fs::write(
            ctx.out_dir.join("task.json"),
            serde_json::to_vec_pretty(&info)?,
        )?;
        Ok(())
    }
}
