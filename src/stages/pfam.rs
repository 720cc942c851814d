//! `pfam`: Pfam family classification from Stockholm seed alignments (one
//! family per file, gaps stripped), as amino-acid token sequences labelled at
//! their last residue.
//!
//! Split: seeded and stratified by family (`train_fraction`). Training
//! sequences are cropped to their first `crop` residues; test sequences stay
//! whole (up to `max_len`), so a model trained on short prefixes is scored on
//! longer proteins. Sequences are padded at the end to the split's longest
//! (token 0, unlabelled); the label sits at each sequence's last residue.

use serde_json::json;

use super::{
    require_at_least, require_fraction, JsonMap, ParamIssue, ParamSchema, ParamSpec, ParamType,
    RunContext, StageKind,
};
use crate::datasets::protein::stockholm;
use crate::datasets::protein::tokenize::{tokenize, VOCAB_SIZE};
use crate::datasets::rng::SplitMix64;
use crate::datasets::SequenceData;

pub struct PfamKind {
    schema: ParamSchema,
}

impl PfamKind {
    pub fn new() -> Self {
        let p = ParamSpec::optional;
        PfamKind {
            schema: ParamSchema {
                params: vec![
                    p(
                        "train_fraction",
                        ParamType::Float,
                        json!(0.7),
                        "share of each family for training",
                    ),
                    p(
                        "crop",
                        ParamType::Int,
                        json!(64),
                        "training sequences keep their first `crop` residues (0: whole)",
                    ),
                    p(
                        "max_len",
                        ParamType::Int,
                        json!(512),
                        "longer sequences are cut to this length",
                    ),
                    p("seed", ParamType::Int, json!(0), "split seed"),
                ],
                open: false,
            },
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

    fn resolve_params(&self, raw: &JsonMap) -> Result<JsonMap, Vec<ParamIssue>> {
        let params = self.schema.resolve(raw)?;
        require_fraction(&params, &["train_fraction"])?;
        require_at_least(&params, &[("max_len", 1), ("crop", 0)])?;
        Ok(params)
    }

    fn run(&self, ctx: &RunContext<'_>) -> anyhow::Result<()> {
        let p = ctx.params;
        let files = ctx.input_files(&[".sto", ".sto.gz"]);
        if files.len() < 2 {
            anyhow::bail!("`pfam` needs at least two Stockholm files (.sto, .sto.gz) among its inputs, one per family; found {}", files.len());
        }
        let max_len = p["max_len"].as_u64().unwrap_or(512) as usize;
        let crop = match p["crop"].as_u64().unwrap_or(0) as usize {
            0 => max_len,
            c => c.min(max_len),
        };
        let frac = p["train_fraction"].as_f64().unwrap_or(0.7);
        let mut rng = SplitMix64::new(p["seed"].as_u64().unwrap_or(0));
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
            families.push(json!({ "family": name, "file": path.file_name().and_then(|n| n.to_str()), "train": n_train, "sequences": alignments.iter().map(|a| a.sequences.len()).sum::<usize>() }));
        }
        let (train, test) = (pad(&train), pad(&test));
        train.save(ctx.out_dir, "train")?;
        test.save(ctx.out_dir, "test")?;
        let names: Vec<_> = families.iter().map(|f| f["family"].clone()).collect();
        let info = json!({
            "task": "pfam", "n_states": families.len(), "n_actions_vocab": VOCAB_SIZE,
            "length": test.t.max(train.t), "train_length": train.t, "fresh": false,
            "class_names": names, "families": families,
        });
        std::fs::write(
            ctx.out_dir.join("task.json"),
            serde_json::to_vec_pretty(&info)?,
        )?;
        Ok(())
    }
}
