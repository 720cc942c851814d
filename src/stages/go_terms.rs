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
use serde_json::{json, Value};

use super::{
    require_at_least, require_fraction, JsonMap, ParamIssue, ParamSchema, ParamSpec, ParamType,
    RunContext, StageKind,
};
use crate::datasets::npy::write_npy;
use crate::datasets::protein::crop::{ChunkReduce, CropMode, LongSequencePolicy};
use crate::datasets::protein::go_rows::{go_rows, top_terms, ProteinRow};
use crate::datasets::protein::go_term::{Aspect, GoId};
use crate::datasets::protein::tokenize::{tokenize, VOCAB_SIZE};
use crate::datasets::protein::{go_sqlite, ia, obo, swissprot, GoGraph, IaWeights};
use crate::datasets::rng::SplitMix64;
use crate::datasets::SequenceData;

pub struct GoTermsKind {
    schema: ParamSchema,
}

impl GoTermsKind {
    pub fn new() -> Self {
        let p = ParamSpec::optional;
        GoTermsKind {
            schema: ParamSchema {
                params: vec![
                    p(
                        "top_k",
                        ParamType::Int,
                        json!(32),
                        "label terms per ontology (most frequent in training, roots excluded)",
                    ),
                    p(
                        "train_fraction",
                        ParamType::Float,
                        json!(0.8),
                        "share of proteins for training",
                    ),
                    p(
                        "crop",
                        ParamType::Int,
                        json!(256),
                        "training proteins keep their first `crop` residues",
                    ),
                    p(
                        "max_len",
                        ParamType::Int,
                        json!(1024),
                        "test proteins keep their first `max_len` residues",
                    ),
                    p(
                        "policy",
                        ParamType::Choice(&["crop", "chunk"]),
                        json!("crop"),
                        "long proteins: `crop` (first `crop` / `max_len` residues) or `chunk` (overlapping windows, scores combined per protein)",
                    ),
                    p(
                        "window",
                        ParamType::Int,
                        Value::Null,
                        "chunk length (policy chunk; default: `crop`)",
                    ),
                    p(
                        "stride",
                        ParamType::Int,
                        Value::Null,
                        "distance between chunk starts, 1..=window (policy chunk; default: half the window)",
                    ),
                    p(
                        "reduce",
                        ParamType::Choice(&["max", "mean"]),
                        json!("max"),
                        "how `evaluate` combines a protein's chunk scores (policy chunk)",
                    ),
                    p("seed", ParamType::Int, json!(0), "split seed"),
                ],
                open: false,
            },
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

/// The chunk policy of resolved params, `None` under `policy: crop`.
pub fn chunk_policy(params: &JsonMap) -> Option<LongSequencePolicy> {
    if params["policy"].as_str() != Some("chunk") {
        return None;
    }
    let int = |k: &str| params[k].as_u64().unwrap_or(0) as usize;
    Some(LongSequencePolicy::Chunk {
        window: int("window"),
        stride: int("stride"),
        reduce: ChunkReduce::parse(params["reduce"].as_str().unwrap_or_default())
            .unwrap_or(ChunkReduce::Max),
    })
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

    fn resolve_params(&self, raw: &JsonMap) -> Result<JsonMap, Vec<ParamIssue>> {
        let params = self.schema.resolve(raw)?;
        require_fraction(&params, &["train_fraction"])?;
        let mut params = params;
        require_at_least(&params, &[("top_k", 1), ("crop", 1), ("max_len", 1)])?;
        if params["policy"].as_str() != Some("chunk") {
            // Unused under crop: null, so they do not split the cache key
            // of crop instances (as `train` does with other families' params).
            for k in ["window", "stride", "reduce"] {
                params.insert(k.into(), Value::Null);
            }
            return Ok(params);
        }
        require_at_least(&params, &[("window", 1), ("stride", 1)])?;
        let window = params["window"]
            .as_u64()
            .or(params["crop"].as_u64())
            .unwrap_or(1);
        let stride = params["stride"].as_u64().unwrap_or((window / 2).max(1));
        if stride > window {
            return Err(vec![ParamIssue {
                param: "stride".into(),
                message: format!("`stride` ({stride}) is larger than `window` ({window}): residues between chunks would be skipped"),
                help: Some(format!("set `stride` to at most {window}, e.g. {}", (window / 2).max(1))),
            }]);
        }
        params.insert("window".into(), json!(window));
        params.insert("stride".into(), json!(stride));
        Ok(params)
    }

    fn run(&self, ctx: &RunContext<'_>) -> anyhow::Result<()> {
        let p = ctx.params;
        let int = |k: &str| p[k].as_u64().unwrap_or(0) as usize;
        let (top_k, crop, max_len) = (int("top_k"), int("crop"), int("max_len"));
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
        SplitMix64::new(p["seed"].as_u64().unwrap_or(0)).shuffle(&mut order);
        let frac = p["train_fraction"].as_f64().unwrap_or(0.8);
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
        let chunk = chunk_policy(p);
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

        let terms: Vec<_> = columns
            .iter()
            .map(|&(t, c)| json!({ "id": t.to_string(), "name": graph.name(t), "ontology": graph.aspect(t).map(|a| a.code()), "ia": ia_weights.get(t), "train_count": c }))
            .collect();
        let per_aspect: BTreeMap<&str, usize> = Aspect::ALL
            .iter()
            .map(|&a| {
                (
                    a.code(),
                    columns
                        .iter()
                        .filter(|c| graph.aspect(c.0) == Some(a))
                        .count(),
                )
            })
            .collect();
        let mut info = json!({
            "task": "go_terms", "n_states": columns.len(), "n_actions_vocab": VOCAB_SIZE,
            "length": test_data.t.max(train_data.t), "train_length": train_data.t,
            "fixed_window": train_data.t, "crop": crop, "max_len": max_len, "fresh": false,
            "terms": terms, "terms_per_ontology": per_aspect, "top_k": top_k,
            "ia_source": ia_source, "ontology": onto_name, "ontology_terms": graph.len(),
            "ontology_version": obo.data_version,
            "train_proteins": train.len(), "test_proteins": test.len(),
            "test_longer_than_crop": test.iter().filter(|p| p.tokens.len() > crop).count(),
            "test_cut_to_max_len": test.iter().filter(|p| p.tokens.len() > max_len).count(),
            "files": dat.iter().map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned())).collect::<Vec<_>>(),
            "notes": [
                format!("{dropped_terms} GO annotations to terms the ontology lacks (obsolete or unknown) were dropped"),
                format!("{no_go} entries without a known GO term and {duplicates} duplicate accessions were skipped"),
            ],
        });
        if let Some(LongSequencePolicy::Chunk {
            window,
            stride,
            reduce,
        }) = chunk
        {
            // Rows are at most `window` long: a fixed-length model is built
            // for all of them, so it reads every residue of every protein.
            let length = test_data.t.max(train_data.t);
            let o = info.as_object_mut().expect("an object");
            o.insert("fixed_window".into(), json!(length));
            o.insert("test_cut_to_max_len".into(), json!(0));
            o.insert(
                "policy".into(),
                json!({ "kind": "chunk", "window": window, "stride": stride, "reduce": reduce.name() }),
            );
            o.insert("train_rows".into(), json!(train_data.n));
            o.insert("test_rows".into(), json!(test_data.n));
        }
        std::fs::write(
            ctx.out_dir.join("task.json"),
            serde_json::to_vec_pretty(&info)?,
        )?;
        Ok(())
    }
}
