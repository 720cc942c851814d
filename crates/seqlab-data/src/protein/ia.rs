//! CAFA `IA.txt`: information-accretion weights, two whitespace-separated
//! columns `GO:xxxxxxx <float>`, no header.
//!
//! Rules (following `cafaeval`'s reader and its `Graph.set_ia`):
//!
//! * exactly two columns per non-blank line; blank lines are skipped;
//! * the weight is parsed as `f64`; `nan` / `inf` are accepted and read
//!   as 0 (cafaeval applies `nan_to_num(.., nan=0, posinf=0, neginf=0)`);
//! * a negative finite weight is an error (IA is a -log2 probability);
//! * a term listed twice is an error (cafaeval silently keeps the last);
//! * a term that is not listed has weight 0, which removes it from the
//!   weighted metric (cafaeval's `toi_ia` is the terms with IA > 0).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::BufRead;
use std::path::Path;

use super::go_term::GoId;
use crate::error::ParseResult;
use crate::io::LineReader;

/// Information-accretion weight per GO term.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IaWeights {
    weights: HashMap<GoId, f64>,
}

impl IaWeights {
    /// Weights from pairs (non-finite values become 0).
    pub fn from_pairs(pairs: impl IntoIterator<Item = (GoId, f64)>) -> Self {
        IaWeights {
            weights: pairs
                .into_iter()
                .map(|(t, w)| (t, if w.is_finite() { w } else { 0.0 }))
                .collect(),
        }
    }

    /// The weight of `term`; 0 when not listed.
    pub fn get(&self, term: GoId) -> f64 {
        self.weights.get(&term).copied().unwrap_or(0.0)
    }

    /// Number of listed terms.
    pub fn len(&self) -> usize {
        self.weights.len()
    }

    /// True when no term is listed.
    pub fn is_empty(&self) -> bool {
        self.weights.is_empty()
    }

    /// Listed terms and weights (arbitrary order).
    pub fn iter(&self) -> impl Iterator<Item = (GoId, f64)> + '_ {
        self.weights.iter().map(|(&t, &w)| (t, w))
    }
}

/// Reads an `IA.txt` file (gunzipped if `*.gz`).
pub fn read(path: &Path) -> ParseResult<IaWeights> {
    parse(&mut LineReader::open(path)?)
}

/// Reads IA text from `reader`; `name` is used in errors.
pub fn from_reader<R: BufRead>(name: impl AsRef<Path>, reader: R) -> ParseResult<IaWeights> {
    parse(&mut LineReader::new(name, reader))
}

fn parse<R: BufRead>(lines: &mut LineReader<R>) -> ParseResult<IaWeights> {
    let mut weights: HashMap<GoId, f64> = HashMap::new();
    let mut first_line: HashMap<GoId, usize> = HashMap::new();
    while lines.advance()? {
        let cols: Vec<&str> = lines.line().split_whitespace().collect();
        if cols.is_empty() {
            continue;
        }
        if cols.len() != 2 {
            return Err(lines.error(
                format!(
                    "expected 2 whitespace-separated columns (term, ia), found {}",
                    cols.len()
                ),
                "each line is `GO:xxxxxxx <weight>`; IA.txt has no header",
            ));
        }
        let Some(term) = GoId::parse(cols[0]) else {
            return Err(lines.field_error(
                "term",
                format!("`{}` is not a GO id", cols[0]),
                GoId::FORMAT_HINT,
            ));
        };
        let w: f64 = cols[1].parse().map_err(|_| {
            lines.field_error(
                "ia",
                format!("`{}` is not a number", cols[1]),
                "write the weight as a decimal number, e.g. 0.5 or 1.2e-3",
            )
        })?;
        if w.is_finite() && w < 0.0 {
            return Err(lines.field_error(
                "ia",
                format!("negative weight {w} for {term}"),
                "information accretion is >= 0; check the column order",
            ));
        }
        if let Some(first) = first_line.insert(term, lines.line_no()) {
            return Err(lines.field_error(
                "term",
                format!("{term} is listed again (first on line {first})"),
                "keep one line per term",
            ));
        }
        weights.insert(term, if w.is_finite() { w } else { 0.0 });
    }
    Ok(IaWeights { weights })
}

/// Information accretion estimated from annotations (Clark & Radivojac
/// 2013): IA(t) = -log2 P(t | all parents of t annotated), counted over
/// `proteins`, each a set of terms **already propagated** to its ancestors
/// (so a protein with t has all of t's parents). A root's condition is
/// "annotated in the root's aspect", so roots weigh 0. A term no protein
/// carries gets no weight (0): with IA from a training set, terms seen only
/// in the test set drop out of the weighted F-max.
pub fn from_annotations(graph: &super::GoGraph, proteins: &[BTreeSet<GoId>]) -> IaWeights {
    let mut count: BTreeMap<GoId, usize> = BTreeMap::new();
    for &t in proteins.iter().flatten() {
        *count.entry(t).or_default() += 1;
    }
    let mut weights = HashMap::new();
    for (&t, &n) in &count {
        let parents = graph.parents(t);
        let given = if parents.is_empty() {
            let aspect = graph.aspect(t);
            proteins
                .iter()
                .filter(|s| s.iter().any(|&u| graph.aspect(u) == aspect))
                .count()
        } else {
            proteins
                .iter()
                .filter(|s| parents.iter().all(|p| s.contains(p)))
                .count()
        };
        // `given >= n` for propagated sets; max() keeps IA >= 0 otherwise.
        let w = if given == 0 {
            0.0
        } else {
            -(n as f64 / given.max(n) as f64).log2()
        };
        weights.insert(t, w + 0.0); // -0.0 -> 0.0
    }
    IaWeights { weights }
}
