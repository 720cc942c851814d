//! GO-term rows: proteins cut by a [`LongSequencePolicy`] into token rows
//! with multi-hot labels at each row's last residue.
//!
//! Under [`LongSequencePolicy::Crop`] (mode `Start`) every protein gives one
//! row, its first `max_len` residues: the `go_terms` stage's default, kept
//! bit for bit. Under [`LongSequencePolicy::Chunk`] every protein gives one
//! row per window (overlapping when `stride < window`, the last one aligned
//! to the protein's end), each carrying the whole protein's labels; which
//! protein a row came from is returned beside the rows so that `evaluate`
//! can combine a protein's chunk scores.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use super::crop::{expand, LongSequencePolicy};
use super::{Aspect, GoGraph, GoId};
use crate::datasets::{SequenceData, Target};

/// The `top_k` most frequent non-root terms of each aspect among `sets`
/// (ties by id), in BPO, CCO, MFO order, with their counts.
pub fn top_terms(graph: &GoGraph, sets: &[BTreeSet<GoId>], top_k: usize) -> Vec<(GoId, usize)> {
    let mut counts: BTreeMap<GoId, usize> = BTreeMap::new();
    for &t in sets.iter().flatten() {
        *counts.entry(t).or_default() += 1;
    }
    let roots: HashSet<GoId> = Aspect::ALL.iter().map(|a| a.root()).collect();
    let mut out = Vec::new();
    for a in Aspect::ALL {
        let mut ranked: Vec<(GoId, usize)> = counts
            .iter()
            .filter(|(t, _)| !roots.contains(t) && graph.aspect(**t) == Some(a))
            .map(|(&t, &c)| (t, c))
            .collect();
        ranked.sort_by(|x, y| y.1.cmp(&x.1).then(x.0.cmp(&y.0)));
        out.extend(ranked.into_iter().take(top_k));
    }
    out
}

/// One protein as the row builder sees it.
pub struct ProteinRow<'a> {
    /// Tokens (0 = padding never occurs inside a protein).
    pub tokens: &'a [u8],
    /// Propagated GO terms.
    pub terms: &'a BTreeSet<GoId>,
}

/// The rows of `proteins` under `policy`, padded to the longest row, with
/// `columns` as the multi-hot label columns; and for each row the index of
/// its protein in `proteins`.
pub fn go_rows(
    proteins: &[ProteinRow<'_>],
    policy: &LongSequencePolicy,
    columns: &[GoId],
) -> (SequenceData, Vec<u32>) {
    let lengths: Vec<usize> = proteins.iter().map(|p| p.tokens.len()).collect();
    let chunks = expand(&lengths, policy);
    let t = chunks
        .iter()
        .map(|c| c.window.len())
        .max()
        .unwrap_or(1)
        .max(1);
    let k = columns.len();
    let (mut inputs, mut mask) = (
        Vec::with_capacity(chunks.len() * t),
        Vec::with_capacity(chunks.len() * t),
    );
    let mut labels = vec![0u8; chunks.len() * k];
    for (r, c) in chunks.iter().enumerate() {
        let p = &proteins[c.item];
        let row = &p.tokens[c.window.start..c.window.end];
        inputs.extend(row.iter().map(|&x| x as u32));
        inputs.resize((r + 1) * t, 0);
        mask.extend((0..t).map(|i| u8::from(i + 1 == row.len())));
        for (j, term) in columns.iter().enumerate() {
            labels[r * k + j] = u8::from(p.terms.contains(term));
        }
    }
    let protein_of = chunks.iter().map(|c| c.item as u32).collect();
    (
        SequenceData {
            n: chunks.len(),
            t,
            inputs,
            target: Target::MultiLabel { k, labels },
            mask,
        },
        protein_of,
    )
}
