//! Label builders:
//!
//! * [`build_go_labels`]: a multi-label GO task — propagate each protein's
//!   terms to their ancestors, keep the `top_k` most frequent terms of each
//!   aspect (ties broken by term id), return a sparse 0/1 matrix;
//! * [`pfam_from_stockholm`] / [`pfam_from_swissprot`]: single-label Pfam
//!   family classification.
//!
//! Without a [`GoGraph`] propagation is the identity — the returned
//! `notes` say so (CAFA-5's `train_terms.tsv` is believed to be propagated
//! already — unverified; raw Swiss-Prot `DR GO` lines are not).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;

use super::annotations::GoAnnotations;
use super::go_graph::GoGraph;
use super::go_term::{Aspect, GoId};
use super::stockholm::StockholmAlignment;
use super::swissprot::SwissProtEntry;

/// A sparse 0/1 matrix: for each row, the sorted columns that are 1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LabelMatrix {
    /// Rows (proteins).
    pub n_rows: usize,
    /// Columns (terms).
    pub n_cols: usize,
    rows: Vec<Vec<u32>>,
}

impl LabelMatrix {
    /// From per-row positive columns (sorted and deduplicated here).
    pub(crate) fn from_rows(n_cols: usize, mut rows: Vec<Vec<u32>>) -> Self {
        for r in &mut rows {
            r.sort_unstable();
            r.dedup();
            assert!(
                r.iter().all(|&c| (c as usize) < n_cols),
                "column out of range"
            );
        }
        LabelMatrix {
            n_rows: rows.len(),
            n_cols,
            rows,
        }
    }

    /// Entry (r, c).
    pub fn get(&self, r: usize, c: usize) -> bool {
        self.rows[r].binary_search(&(c as u32)).is_ok()
    }

    /// Positive columns of row `r`.
    pub fn row(&self, r: usize) -> &[u32] {
        &self.rows[r]
    }

    /// Row `r` as 0.0/1.0 floats (a training target).
    pub fn dense_row(&self, r: usize) -> Vec<f32> {
        let mut v = vec![0.0; self.n_cols];
        for &c in &self.rows[r] {
            v[c as usize] = 1.0;
        }
        v
    }

    /// Row-major dense 0/1 bytes (`n_rows × n_cols`).
    pub fn to_dense(&self) -> Vec<u8> {
        let mut v = vec![0u8; self.n_rows * self.n_cols];
        for (r, cols) in self.rows.iter().enumerate() {
            for &c in cols {
                v[r * self.n_cols + c as usize] = 1;
            }
        }
        v
    }

    /// Number of 1s per column.
    pub fn column_counts(&self) -> Vec<usize> {
        let mut n = vec![0; self.n_cols];
        for &c in self.rows.iter().flatten() {
            n[c as usize] += 1;
        }
        n
    }

    /// Total number of 1s.
    pub fn n_positives(&self) -> usize {
        self.rows.iter().map(Vec::len).sum()
    }
}

/// Settings of [`build_go_labels`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoLabelConfig {
    /// Terms kept per aspect.
    pub top_k: usize,
    /// Aspects to include (columns follow this order).
    pub aspects: Vec<Aspect>,
}

impl Default for GoLabelConfig {
    fn default() -> Self {
        GoLabelConfig {
            top_k: 500,
            aspects: Aspect::ALL.to_vec(),
        }
    }
}

/// A multi-label GO task.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GoLabelTask {
    /// Row ids, in the annotations' order (every annotated protein).
    pub proteins: Vec<String>,
    /// Column terms: per aspect (config order), most frequent first.
    pub terms: Vec<GoId>,
    /// Aspect of each column.
    pub term_aspects: Vec<Aspect>,
    /// Proteins carrying each column term (after propagation).
    pub term_counts: Vec<usize>,
    /// `proteins × terms`.
    pub labels: LabelMatrix,
    /// Whether annotations were propagated with a GO graph.
    pub propagated: bool,
    /// What was done or dropped (always says whether propagation happened).
    pub notes: Vec<String>,
}

/// Builds a multi-label GO task (see the module docs). With a graph, alt ids
/// are mapped to primary ids, terms the graph does not know (obsolete or
/// missing) are dropped, and aspects come from the graph; without one, terms
/// are used as given with the aspects the source declared.
pub fn build_go_labels(
    annotations: &GoAnnotations,
    graph: Option<&GoGraph>,
    config: &GoLabelConfig,
) -> GoLabelTask {
    let mut notes = Vec::new();
    let mut dropped = 0usize;
    let mut sets: Vec<BTreeSet<GoId>> = Vec::with_capacity(annotations.len());
    let mut aspect_of: HashMap<GoId, Aspect> = HashMap::new();
    for (_, terms) in annotations.iter() {
        let set = match graph {
            Some(g) => {
                let known: Vec<GoId> = terms.iter().filter_map(|&t| g.resolve(t)).collect();
                dropped += terms.len() - known.len();
                let set = g.propagate(known);
                for &t in &set {
                    aspect_of.insert(t, g.aspect(t).expect("graph terms have an aspect"));
                }
                set
            }
            None => {
                for &t in terms {
                    if let Some(a) = annotations.aspect_of(t) {
                        aspect_of.insert(t, a);
                    }
                }
                terms.clone()
            }
        };
        sets.push(set);
    }
    match graph {
        Some(g) => notes.push(format!(
            "annotations propagated to ancestors over is_a + part_of with {} ({} terms)",
            g.source().display(),
            g.len()
        )),
        None => notes.push(
            "no GO graph given: propagation is the identity (labels are the annotations as given)"
                .to_string(),
        ),
    }
    if dropped > 0 {
        notes.push(format!(
            "{dropped} annotations to obsolete or unknown terms were dropped"
        ));
    }
    let mut counts: BTreeMap<GoId, usize> = BTreeMap::new();
    for &t in sets.iter().flatten() {
        *counts.entry(t).or_default() += 1;
    }
    let mut terms = Vec::new();
    let mut term_aspects = Vec::new();
    let mut term_counts = Vec::new();
    for &a in &config.aspects {
        let mut ranked: Vec<(GoId, usize)> = counts
            .iter()
            .filter(|(t, _)| aspect_of.get(t) == Some(&a))
            .map(|(&t, &c)| (t, c))
            .collect();
        ranked.sort_by(|x, y| y.1.cmp(&x.1).then(x.0.cmp(&y.0)));
        if ranked.len() < config.top_k {
            notes.push(format!(
                "{a}: only {} distinct terms, fewer than top_k = {}",
                ranked.len(),
                config.top_k
            ));
        }
        for (t, c) in ranked.into_iter().take(config.top_k) {
            terms.push(t);
            term_aspects.push(a);
            term_counts.push(c);
        }
    }
    let col: HashMap<GoId, u32> = terms
        .iter()
        .enumerate()
        .map(|(i, &t)| (t, i as u32))
        .collect();
    let rows: Vec<Vec<u32>> = sets
        .iter()
        .map(|s| s.iter().filter_map(|t| col.get(t).copied()).collect())
        .collect();
    let empty = rows.iter().filter(|r| r.is_empty()).count();
    if empty > 0 {
        notes.push(format!(
            "{empty} proteins have no positive label among the kept terms"
        ));
    }
    GoLabelTask {
        proteins: annotations.proteins().map(String::from).collect(),
        labels: LabelMatrix::from_rows(terms.len(), rows),
        terms,
        term_aspects,
        term_counts,
        propagated: graph.is_some(),
        notes,
    }
}

/// A Pfam family (class).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct PfamClass {
    /// Accession without version (`PF00041`), or the ID when there is none.
    pub accession: String,
    /// Family id (`fn3`), when known.
    pub name: String,
}

/// One labelled sequence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClassExample {
    /// Sequence name or protein accession.
    pub id: String,
    /// Residues.
    pub sequence: String,
    /// Index into `classes`.
    pub class: usize,
}

/// A single-label classification task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClassTask {
    /// Classes sorted by accession.
    pub classes: Vec<PfamClass>,
    /// Examples in input order.
    pub examples: Vec<ClassExample>,
    /// What was skipped.
    pub notes: Vec<String>,
}

fn class_task(raw: Vec<(PfamClass, String, String)>, mut notes: Vec<String>) -> ClassTask {
    let mut classes: Vec<PfamClass> = raw.iter().map(|r| r.0.clone()).collect();
    classes.sort();
    classes.dedup_by(|a, b| a.accession == b.accession);
    let index: HashMap<&str, usize> = classes
        .iter()
        .enumerate()
        .map(|(i, c)| (c.accession.as_str(), i))
        .collect();
    let examples: Vec<ClassExample> = raw
        .iter()
        .map(|(c, id, seq)| ClassExample {
            id: id.clone(),
            sequence: seq.clone(),
            class: index[c.accession.as_str()],
        })
        .collect();
    let mut per_id: HashMap<&str, BTreeSet<usize>> = HashMap::new();
    for e in &examples {
        per_id.entry(e.id.as_str()).or_default().insert(e.class);
    }
    let multi = per_id.values().filter(|s| s.len() > 1).count();
    if multi > 0 {
        notes.push(format!(
            "{multi} sequence ids occur in more than one family"
        ));
    }
    ClassTask {
        classes,
        examples,
        notes,
    }
}

/// One class per alignment (a Pfam seed file holds one family; files with
/// the same accession merge). Class key: `#=GF AC` without version, else
/// `#=GF ID`, else `alignment<N>` (noted).
pub fn pfam_from_stockholm(alignments: &[StockholmAlignment]) -> ClassTask {
    let mut notes = Vec::new();
    let mut raw = Vec::new();
    for (n, aln) in alignments.iter().enumerate() {
        let name = aln.id.clone().unwrap_or_default();
        let accession = match (aln.family_accession(), &aln.id) {
            (Some(acc), _) => acc.to_string(),
            (None, Some(id)) => id.clone(),
            (None, None) => {
                notes.push(format!("alignment {n} (line {}) has no AC or ID", aln.line));
                format!("alignment{n}")
            }
        };
        let class = PfamClass { accession, name };
        for s in &aln.sequences {
            raw.push((class.clone(), s.name.clone(), s.sequence.clone()));
        }
    }
    class_task(raw, notes)
}

/// One class per entry: its first `DR   Pfam` family. Entries without Pfam
/// are skipped (noted).
pub fn pfam_from_swissprot(entries: &[SwissProtEntry]) -> ClassTask {
    let mut raw = Vec::new();
    let mut skipped = 0;
    for e in entries {
        match e.pfam.first() {
            Some(p) => raw.push((
                PfamClass {
                    accession: p.accession.clone(),
                    name: p.name.clone(),
                },
                e.primary_accession().to_string(),
                e.sequence.clone(),
            )),
            None => skipped += 1,
        }
    }
    let mut notes = Vec::new();
    if skipped > 0 {
        notes.push(format!(
            "{skipped} entries without a Pfam cross-reference were skipped"
        ));
    }
    class_task(raw, notes)
}
