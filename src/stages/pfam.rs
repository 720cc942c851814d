//! `pfam`: Pfam family classification from Stockholm seed alignments (one
//! family per file, gaps stripped), as amino-acid token sequences labelled at
//! their last residue.
//!
//! Split: seeded and stratified by family (`train_fraction`). Training
//! sequences are cropped to their first `crop` residues; test sequences stay
//! whole (up to `max_len`), so a model trained on short prefixes is scored on
//! longer proteins. Sequences are padded at the end to the split's longest
//! (token 0, unlabelled); the label sits at each sequence's last residue.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::datasets::protein::stockholm;
use crate::datasets::protein::tokenize::{tokenize, VOCAB_SIZE};
use crate::datasets::rng::SplitMix64;
use crate::datasets::SequenceData;
use crate::kind::task::{PfamFamily, PfamTask};
use crate::kind::{
    require_fraction, ParamIssue, ParamSchema, Params, RunContext, StageKind, TaskInfo,
};

fn d_train_fraction() -> f64 {
    0.7
}
fn d_crop() -> usize {
    64
}
fn d_max_len() -> usize {
    512
}

/// Pfam family classification from Stockholm seed alignments (one family
/// per file, gaps stripped), as amino-acid token sequences labelled at
/// their last residue; training sequences cropped, test sequences whole.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PfamParams {
    /// share of each family for training
    #[serde(default = "d_train_fraction")]
    pub train_fraction: f64,
    /// training sequences keep their first `crop` residues (0: whole)
    #[serde(default = "d_crop")]
    pub crop: usize,
    /// longer sequences are cut to this length
    #[serde(default = "d_max_len")]
    #[schemars(range(min = 1))]
    pub max_len: usize,
    /// split seed
    #[serde(default)]
    pub seed: u64,
}

impl Params for PfamParams {
    fn check(&mut self) -> Result<(), Vec<ParamIssue>> {
        require_fraction(&[("train_fraction", self.train_fraction)])
    }
}

pub struct PfamKind {
    schema: ParamSchema,
}

impl PfamKind {
    pub fn new() -> Self {
        PfamKind {
            schema: ParamSchema::of::<PfamParams>(),
        }
    }
}

impl Default for PfamKind {
    fn default() -> Self {
        Self::new()
    }
}

/// Token sequences padded to the longest, labelled at their last residue.
fn pad(items: &[(Vec<u8>, u32)]) -> SequenceData {
    let t = items.iter().map(|(s, _)| s.len()).max().unwrap_or(1).max(1);
    let (mut inputs, mut labels, mut mask) = (Vec::new(), Vec::new(), Vec::new());
    for (seq, label) in items {
        for i in 0..t {
            inputs.push(seq.get(i).copied().unwrap_or(0) as u32);
            labels.push(*label);
            mask.push(u8::from(i + 1 == seq.len()));
        }
    }
    SequenceData::classes(items.len(), t, inputs, labels, mask)
}

impl StageKind for PfamKind {
    fn name(&self) -> &'static str {
        "pfam"
    }

    fn version(&self) -> u32 {
        1
    }

    fn schema(&self) -> &ParamSchema {
        &self.schema
    }

    fn run(&self, ctx: &RunContext<'_>) -> anyhow::Result<()> {
        let p: PfamParams = ctx.params()?;
        let files = ctx.input_files(&[".sto", ".sto.gz"]);
        if files.len() < 2 {
            anyhow::bail!("`pfam` needs at least two Stockholm files (.sto, .sto.gz) among its inputs, one per family; found {}", files.len());
        }
        let max_len = p.max_len;
        let crop = match p.crop {
            0 => max_len,
            c => c.min(max_len),
        };
        let frac = p.train_fraction;
        let mut rng = SplitMix64::new(p.seed);
        let (mut train, mut test) = (Vec::new(), Vec::new());
        let mut families = Vec::new();
        for path in &files {
            let alignments = stockholm::read(path).map_err(|e| anyhow::anyhow!("{e}"))?;
            let label = families.len() as u32;
            let name = alignments
                .first()
                .and_then(|a| a.accession.clone().or_else(|| a.id.clone()))
                .unwrap_or_else(|| {
                    path.file_name()
                        .unwrap_or_default()
                        .to_string_lossy()
                        .into_owned()
                });
            let mut seqs: Vec<Vec<u8>> = alignments
                .iter()
                .flat_map(|a| a.sequences.iter())
                .map(|s| tokenize(&s.sequence))
                .filter(|s| !s.is_empty())
                .collect();
            rng.shuffle(&mut seqs);
            let n_train = ((seqs.len() as f64 * frac).round() as usize)
                .clamp(1, seqs.len().saturating_sub(1).max(1));
            for (i, mut s) in seqs.into_iter().enumerate() {
                if i < n_train {
                    s.truncate(crop);
                    train.push((s, label));
                } else {
                    s.truncate(max_len);
                    test.push((s, label));
                }
            }
            families.push(PfamFamily {
                family: name,
                file: path.file_name().and_then(|n| n.to_str()).map(String::from),
                train: n_train,
                sequences: alignments.iter().map(|a| a.sequences.len()).sum(),
            });
        }
        let (train, test) = (pad(&train), pad(&test));
        train.save(ctx.out_dir, "train")?;
        test.save(ctx.out_dir, "test")?;
        TaskInfo::Pfam(PfamTask {
            n_states: families.len(),
            n_actions_vocab: VOCAB_SIZE,
            length: test.t.max(train.t),
            train_length: train.t,
            fresh: false,
            class_names: families.iter().map(|f| f.family.clone()).collect(),
            families,
        })
        .write(ctx.out_dir)
    }
}
