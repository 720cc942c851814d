//! `go_terms`: multi-label GO-term prediction from Swiss-Prot flat files
//! (`.dat`, `.dat.gz`) and the GO ontology (`GO.sqlite` from Bioconductor's
//! GO.db, or `go-basic.obo`), all among its `needs` inputs.
//!
//! Each protein's `DR GO` terms are resolved (alt ids → primary, obsolete
//! dropped) and propagated to their ancestors over is_a + part_of. The label
//! columns are the `top_k` most frequent **training** terms of each ontology
//! (BPO, CCO, MFO), the three roots excluded (every annotated protein has
//! them). The split is seeded (`train_fraction`); proteins are deduplicated
//! by primary accession, first file wins.
//!
//! Long proteins (`policy`, [`go_rows`]): under `crop` (the default, as
//! `pfam`) training proteins keep their first `crop` residues, test proteins
//! their first `max_len`. Under `chunk` every protein, training and test, is
//! cut into windows of `window` residues (default: `crop`) starting every
//! `stride` (default: half the window), the last aligned to the protein's
//! end; each chunk is a row with its protein's labels. Test proteins are
//! chunked whole (`max_len` is not used: the point of chunking is that no
//! residue is lost), and `test_protein.npy` (u32, one per test row) names
//! each row's protein (its row in `test_proteins.tsv`) so that `evaluate`
//! combines a protein's chunk scores with `reduce`. Every row is then at
//! most `window` long, so a fixed-length model (the MLP) reads whole
//! proteins. Either way the K labels sit at each row's last residue (a
//! [`crate::datasets::Target::MultiLabel`]).
//!
//! IA: from an `IA.txt` among the inputs when one is given, otherwise
//! computed from the propagated training annotations (Clark & Radivojac
//! 2013, [`ia::from_annotations`]); `task.json` says which.
//!
//! Outputs, beside the splits: `task.json` (terms with names, ontology, IA
//! and training count), `test_truth.tsv` (every propagated annotation of the
//! test proteins: the ground truth, not just the K columns),
//! `test_proteins.tsv` (accession and full length per test row),
//! `train_frequencies.tsv` (the naive baseline: each training term's share
//! of training proteins), `ia.tsv` (IA.txt format) and `go_subset.obo` (the
//! terms reachable from the annotations, so `evaluate` propagates without
//! the 85 MB ontology; every parent edge is written as `is_a`, which
//! propagates identically).

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::{bail, Context};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::datasets::npy::write_npy;
use crate::datasets::protein::crop::{CropMode, LongSequencePolicy};
use crate::datasets::protein::go_rows::{go_rows, top_terms, ProteinRow};
use crate::datasets::protein::go_term::{Aspect, GoId};
use crate::datasets::protein::tokenize::{tokenize, VOCAB_SIZE};
use crate::datasets::protein::{go_sqlite, ia, obo, swissprot, GoGraph, IaWeights};
use crate::datasets::rng::SplitMix64;
use crate::datasets::SequenceData;
use crate::kind::task::{ChunkInfo, GoColumn, GoTermsTask, PolicyTag, Reduce};
use crate::kind::{
    require_fraction, ParamIssue, ParamSchema, Params, RunContext, StageKind, TaskInfo,
};

fn d_top_k() -> usize {
    32
}
fn d_train_fraction() -> f64 {
    0.8
}
fn d_crop() -> usize {
    256
}
fn d_max_len() -> usize {
    1024
}

/// How long proteins are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Policy {
    /// the first `crop` (training) / `max_len` (test) residues
    #[default]
    Crop,
    /// overlapping windows, scores combined per protein
    Chunk,
}

/// Multi-label GO-term prediction from Swiss-Prot flat files and the GO
/// ontology among the `needs` inputs: the `top_k` most frequent training
/// terms of each ontology as label columns, after propagation; long
/// proteins cropped or cut into chunks.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct GoTermsParams {
    /// label terms per ontology (most frequent in training, roots excluded)
    #[serde(default = "d_top_k")]
    #[schemars(range(min = 1))]
    pub top_k: usize,
    /// share of proteins for training
    #[serde(default = "d_train_fraction")]
    pub train_fraction: f64,
    /// training proteins keep their first `crop` residues
    #[serde(default = "d_crop")]
    #[schemars(range(min = 1))]
    pub crop: usize,
    /// test proteins keep their first `max_len` residues
    #[serde(default = "d_max_len")]
    #[schemars(range(min = 1))]
    pub max_len: usize,
    /// long proteins: `crop` (first `crop` / `max_len` residues) or `chunk` (overlapping windows, scores combined per protein)
    #[serde(default)]
    pub policy: Policy,
    /// chunk length (policy chunk; default: `crop`)
    #[serde(default)]
    #[schemars(range(min = 1))]
    pub window: Option<usize>,
    /// distance between chunk starts, 1..=window (policy chunk; default: half the window)
    #[serde(default)]
    #[schemars(range(min = 1))]
    pub stride: Option<usize>,
    /// how `evaluate` combines a protein's chunk scores (policy chunk)
    #[serde(default)]
    pub reduce: Reduce,
    /// split seed
    #[serde(default)]
    pub seed: u64,
}

impl Params for GoTermsParams {
    fn check(&mut self) -> Result<(), Vec<ParamIssue>> {
        require_fraction(&[("train_fraction", self.train_fraction)])?;
        match self.policy {
            Policy::Crop => Ok(()),
            Policy::Chunk => {
                let window = *self.window.get_or_insert(self.crop);
                let stride = *self.stride.get_or_insert((window / 2).max(1));
                if stride > window {
                    return Err(vec![ParamIssue::new(
                        "stride",
                        format!("`stride` ({stride}) is larger than `window` ({window}): residues between chunks would be skipped"),
                    )
                    .with_help(format!("set `stride` to at most {window}, e.g. {}", (window / 2).max(1)))]);
                }
                Ok(())
            }
        }
    }

    /// Under crop the chunk params are null, so they do not split the cache
    /// key of crop instances (as `train` does with other families' params).
    fn unused(&self) -> Vec<&'static str> {
        match self.policy {
            Policy::Crop => vec!["window", "stride", "reduce"],
            Policy::Chunk => Vec::new(),
        }
    }
}

impl GoTermsParams {
    /// The chunk policy, `None` under crop.
    pub(crate) fn chunk_policy(&self) -> Option<LongSequencePolicy> {
        match self.policy {
            Policy::Crop => None,
            Policy::Chunk => Some(LongSequencePolicy::Chunk {
                window: self.window.unwrap_or(self.crop),
                stride: self.stride.unwrap_or(1),
                reduce: self.reduce.chunk_reduce(),
            }),
        }
    }
}

pub struct GoTermsKind {
    schema: ParamSchema,
}

impl GoTermsKind {
    pub fn new() -> Self {
        GoTermsKind {
            schema: ParamSchema::of::<GoTermsParams>(),
        }
    }
}

impl Default for GoTermsKind {
    fn default() -> Self {
        Self::new()
    }
}

/// One protein: accession, tokens, propagated terms.
struct Protein {
    accession: String,
    tokens: Vec<u8>,
    terms: BTreeSet<GoId>,
}

/// The rows of `proteins` under `policy` (see [`go_rows`]) and each row's
/// protein.
fn split_data(
    proteins: &[&Protein],
    policy: &LongSequencePolicy,
    columns: &[GoId],
) -> (SequenceData, Vec<u32>) {
    let rows: Vec<ProteinRow<'_>> = proteins
        .iter()
        .map(|p| ProteinRow {
            tokens: &p.tokens,
            terms: &p.terms,
        })
        .collect();
    go_rows(&rows, policy, columns)
}

/// The terms of `sets` (closed under ancestors already) as OBO stanzas.
fn subset_obo(graph: &GoGraph, terms: &BTreeSet<GoId>, source: &str) -> String {
    let mut s = format!(
        "format-version: 1.2\nremark: GO terms reachable from the annotations, cut from {source}; every is_a/part_of parent is written as is_a\n"
    );
    for &t in terms {
        let aspect = graph.aspect(t).expect("graph terms have an aspect");
        let _ = write!(
            s,
            "\n[Term]\nid: {t}\nname: {}\nnamespace: {}\n",
            graph.name(t).unwrap_or_default(),
            aspect.namespace()
        );
        for p in graph.parents(t) {
            let _ = writeln!(s, "is_a: {p}");
        }
    }
    s
}

fn one_file(files: &[PathBuf], what: &str, how: &str) -> anyhow::Result<Option<PathBuf>> {
    match files {
        [] => Ok(None),
        [one] => Ok(Some(one.clone())),
        many => bail!(
            "`go_terms` found {} {what} files among its inputs ({}); {how}",
            many.len(),
            many.iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

impl StageKind for GoTermsKind {
    fn name(&self) -> &'static str {
        "go_terms"
    }

    fn version(&self) -> u32 {
        1
    }

    fn schema(&self) -> &ParamSchema {
        &self.schema
    }

    fn run(&self, ctx: &RunContext<'_>) -> anyhow::Result<()> {
        let p: GoTermsParams = ctx.params()?;
        let (top_k, crop, max_len) = (p.top_k, p.crop, p.max_len);
        let dat = ctx.input_files(&[".dat", ".dat.gz"]);
        if dat.is_empty() {
            bail!("`go_terms` needs Swiss-Prot flat files (.dat or .dat.gz) among its inputs; add a `fetch` stage for them to `needs`");
        }
        let onto = one_file(
            &ctx.input_files(&[".sqlite", ".db", ".obo", ".obo.gz"]),
            "ontology",
            "give exactly one (GO.sqlite or go-basic.obo)",
        )?
        .context("`go_terms` needs the GO ontology among its inputs: GO.db's GO.sqlite (Debian r-bioc-go.db) or go-basic.obo")?;
        let ia_file = one_file(
            &ctx.input_files(&["IA.txt", "IA.txt.gz"]),
            "IA",
            "give at most one IA.txt",
        )?;
        // Read once (GO.sqlite is 85 MB) for both the graph and its version.
        let is_sqlite = matches!(
            onto.extension().and_then(|e| e.to_str()),
            Some("sqlite" | "db")
        );
        let obo = if is_sqlite {
            go_sqlite::read_terms(&onto)
        } else {
            obo::read(&onto)
        }
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        let graph = GoGraph::from_obo(&obo).map_err(|e| anyhow::anyhow!("{e}"))?;
        let onto_name = onto
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();

        let mut seen = HashSet::new();
        let mut proteins = Vec::new();
        let (mut dropped_terms, mut no_go, mut duplicates) = (0usize, 0usize, 0usize);
        for f in &dat {
            for e in swissprot::read(f).map_err(|e| anyhow::anyhow!("{e}"))? {
                if !seen.insert(e.primary_accession().to_string()) {
                    duplicates += 1;
                    continue;
                }
                let known: Vec<GoId> = e.go.iter().filter_map(|x| graph.resolve(x.term)).collect();
                dropped_terms += e.go.len() - known.len();
                if known.is_empty() {
                    no_go += 1;
                    continue;
                }
                proteins.push(Protein {
                    accession: e.primary_accession().to_string(),
                    tokens: tokenize(&e.sequence),
                    terms: graph.propagate(known),
                });
            }
        }
        if proteins.len() < 4 {
            bail!(
                "`go_terms` found {} proteins with GO terms the ontology knows in {}; it needs at least 4 to split",
                proteins.len(),
                dat.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
            );
        }
        let mut order: Vec<usize> = (0..proteins.len()).collect();
        SplitMix64::new(p.seed).shuffle(&mut order);
        let frac = p.train_fraction;
        let n_train =
            ((proteins.len() as f64 * frac).round() as usize).clamp(1, proteins.len() - 1);
        let train: Vec<&Protein> = order[..n_train].iter().map(|&i| &proteins[i]).collect();
        let test: Vec<&Protein> = order[n_train..].iter().map(|&i| &proteins[i]).collect();
        let train_sets: Vec<BTreeSet<GoId>> = train.iter().map(|p| p.terms.clone()).collect();

        let (ia_weights, ia_source): (IaWeights, String) = match &ia_file {
            Some(f) => (
                ia::read(f).map_err(|e| anyhow::anyhow!("{e}"))?,
                format!("read from {}", f.file_name().unwrap_or_default().to_string_lossy()),
            ),
            None => (
                ia::from_annotations(&graph, &train_sets),
                format!("computed from the {} training proteins' propagated annotations (Clark & Radivojac 2013); terms unseen in training weigh 0", train.len()),
            ),
        };
        let columns = top_terms(&graph, &train_sets, top_k);
        let column_ids: Vec<GoId> = columns.iter().map(|c| c.0).collect();
        let chunk = p.chunk_policy();
        let cut = |max_len| LongSequencePolicy::Crop {
            max_len,
            mode: CropMode::Start,
        };
        let (train_data, _) = split_data(&train, &chunk.unwrap_or(cut(crop)), &column_ids);
        let (test_data, test_protein) =
            split_data(&test, &chunk.unwrap_or(cut(max_len)), &column_ids);
        train_data.save(ctx.out_dir, "train")?;
        test_data.save(ctx.out_dir, "test")?;
        if chunk.is_some() {
            // Under crop each test row is its protein: no map (the crop
            // outputs stay as they were).
            write_npy(
                &ctx.out_dir.join("test_protein.npy"),
                &[test_protein.len()],
                &test_protein,
            )?;
        }

        let out = |name: &str, text: String| std::fs::write(ctx.out_dir.join(name), text);
        let mut truth = String::from("protein\tterm\n");
        let mut lengths = String::from("protein\tlength\n");
        for pr in &test {
            for t in &pr.terms {
                let _ = writeln!(truth, "{}\t{t}", pr.accession);
            }
            let _ = writeln!(lengths, "{}\t{}", pr.accession, pr.tokens.len());
        }
        out("test_truth.tsv", truth)?;
        out("test_proteins.tsv", lengths)?;
        let mut counts: BTreeMap<GoId, usize> = BTreeMap::new();
        for &t in train_sets.iter().flatten() {
            *counts.entry(t).or_default() += 1;
        }
        let mut freq = String::from("term\taspect\tfrequency\n");
        let mut ia_txt = String::new();
        for (&t, &c) in &counts {
            let aspect = graph.aspect(t).expect("propagated terms are in the graph");
            let _ = writeln!(freq, "{t}\t{aspect}\t{}", c as f64 / train.len() as f64);
        }
        let mut ia_terms: Vec<(GoId, f64)> = ia_weights.iter().collect();
        ia_terms.sort_by_key(|x| x.0);
        for (t, w) in ia_terms {
            let _ = writeln!(ia_txt, "{t}\t{w}");
        }
        out("train_frequencies.tsv", freq)?;
        out("ia.tsv", ia_txt)?;
        let all_terms: BTreeSet<GoId> = proteins
            .iter()
            .flat_map(|p| p.terms.iter().copied())
            .collect();
        out("go_subset.obo", subset_obo(&graph, &all_terms, &onto_name))?;

        let terms: Vec<GoColumn> = columns
            .iter()
            .map(|&(t, c)| GoColumn {
                id: t.to_string(),
                name: graph.name(t).map(String::from),
                ontology: graph.aspect(t).map(|a| a.code().to_string()),
                ia: ia_weights.get(t),
                train_count: c,
            })
            .collect();
        let per_aspect: BTreeMap<String, usize> = Aspect::ALL
            .iter()
            .map(|&a| {
                (
                    a.code().to_string(),
                    columns
                        .iter()
                        .filter(|c| graph.aspect(c.0) == Some(a))
                        .count(),
                )
            })
            .collect();
        let mut info = GoTermsTask {
            n_states: columns.len(),
            n_actions_vocab: VOCAB_SIZE,
            length: test_data.t.max(train_data.t),
            train_length: train_data.t,
            fixed_window: train_data.t,
            crop,
            max_len,
            fresh: false,
            terms,
            terms_per_ontology: per_aspect,
            top_k,
            ia_source,
            ontology: onto_name,
            ontology_terms: graph.len(),
            ontology_version: obo.data_version.clone(),
            train_proteins: train.len(),
            test_proteins: test.len(),
            test_longer_than_crop: test.iter().filter(|p| p.tokens.len() > crop).count(),
            test_cut_to_max_len: test.iter().filter(|p| p.tokens.len() > max_len).count(),
            files: dat
                .iter()
                .map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
                .collect(),
            notes: vec![
                format!("{dropped_terms} GO annotations to terms the ontology lacks (obsolete or unknown) were dropped"),
                format!("{no_go} entries without a known GO term and {duplicates} duplicate accessions were skipped"),
            ],
            policy: None,
            train_rows: None,
            test_rows: None,
        };
        if let Some(LongSequencePolicy::Chunk {
            window,
            stride,
            reduce,
        }) = chunk
        {
            // Rows are at most `window` long: a fixed-length model is built
            // for all of them, so it reads every residue of every protein.
            info.fixed_window = test_data.t.max(train_data.t);
            info.test_cut_to_max_len = 0;
            info.policy = Some(ChunkInfo {
                kind: PolicyTag::Chunk,
                window,
                stride,
                reduce: p.reduce,
            });
            debug_assert_eq!(reduce, p.reduce.chunk_reduce());
            info.train_rows = Some(train_data.n);
            info.test_rows = Some(test_data.n);
        }
        TaskInfo::GoTerms(info).write(ctx.out_dir)?;
        Ok(())
    }
}
