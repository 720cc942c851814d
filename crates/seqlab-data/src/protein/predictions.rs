//! [`Predictions`]: GO-term scores per protein, the CAFA submission format
//! (`protein<TAB>term<TAB>score`), and the naive frequency baseline.

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, Write};
use std::path::Path;

use indexmap::IndexMap;

use super::annotations::GoAnnotations;
use super::go_graph::GoGraph;
use super::go_term::{Aspect, GoId};
use crate::error::ParseResult;
use crate::io::LineReader;

/// Scores in [0, 1] per (protein, term). Inserting a pair twice keeps the
/// maximum, as `cafaeval` does.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Predictions {
    by_protein: IndexMap<String, HashMap<GoId, f64>>,
}

impl Predictions {
    /// Empty.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `score` for (protein, term), keeping the larger of two scores.
    pub fn insert(&mut self, protein: &str, term: GoId, score: f64) {
        let map = match self.by_protein.get_mut(protein) {
            Some(m) => m,
            None => self.by_protein.entry(protein.to_string()).or_default(),
        };
        let s = map.entry(term).or_insert(score);
        if score > *s {
            *s = score;
        }
    }

    /// From a dense row-major score matrix (`proteins.len() × terms.len()`),
    /// e.g. a model's sigmoid outputs over label columns. Scores `<= 0` are
    /// not stored (they can never pass a threshold).
    pub fn from_dense(proteins: &[String], terms: &[GoId], scores: &[f32]) -> Self {
        assert_eq!(
            scores.len(),
            proteins.len() * terms.len(),
            "scores must be proteins × terms"
        );
        let mut out = Predictions::new();
        for (r, p) in proteins.iter().enumerate() {
            let row = &scores[r * terms.len()..(r + 1) * terms.len()];
            for (&t, &s) in terms.iter().zip(row) {
                if s > 0.0 {
                    out.insert(p, t, f64::from(s));
                }
            }
        }
        out
    }

    /// The scores of `protein`.
    pub fn get(&self, protein: &str) -> Option<&HashMap<GoId, f64>> {
        self.by_protein.get(protein)
    }

    /// Proteins and their scores, in first-inserted order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &HashMap<GoId, f64>)> {
        self.by_protein.iter().map(|(p, m)| (p.as_str(), m))
    }

    /// Number of proteins.
    pub fn len(&self) -> usize {
        self.by_protein.len()
    }

    /// True when there are no proteins.
    pub fn is_empty(&self) -> bool {
        self.by_protein.is_empty()
    }

    /// Number of (protein, term) pairs.
    pub fn n_pairs(&self) -> usize {
        self.by_protein.values().map(HashMap::len).sum()
    }

    /// Writes the CAFA submission format, terms sorted by id per protein,
    /// scores with 3 decimals (as Kaggle CAFA-5 asked).
    pub fn write_tsv<W: Write>(&self, mut w: W) -> std::io::Result<()> {
        for (p, m) in &self.by_protein {
            let sorted: BTreeMap<GoId, f64> = m.iter().map(|(&t, &s)| (t, s)).collect();
            for (t, s) in sorted {
                writeln!(w, "{p}\t{t}\t{s:.3}")?;
            }
        }
        Ok(())
    }
}

/// Reads a prediction file: `protein term score` separated by blanks/tabs
/// (extra columns ignored, like cafaeval); blank lines skipped. Errors: fewer
/// than 3 columns, a malformed GO id (field `term`), a score that is not a
/// number in [0, 1] (field `score`).
pub fn read(path: &Path) -> ParseResult<Predictions> {
    parse(&mut LineReader::open(path)?)
}

/// [`read`] from a reader; `name` is used in errors.
pub fn from_reader<R: BufRead>(name: impl AsRef<Path>, reader: R) -> ParseResult<Predictions> {
    parse(&mut LineReader::new(name, reader))
}

fn parse<R: BufRead>(lines: &mut LineReader<R>) -> ParseResult<Predictions> {
    let mut out = Predictions::new();
    while lines.advance()? {
        let cols: Vec<&str> = lines.line().split_whitespace().collect();
        if cols.is_empty() {
            continue;
        }
        if cols.len() < 3 {
            return Err(lines.error(
                format!(
                    "expected 3 columns (protein, term, score), found {}",
                    cols.len()
                ),
                "one prediction per line: `P12345<TAB>GO:0005737<TAB>0.42`",
            ));
        }
        let Some(term) = GoId::parse(cols[1]) else {
            return Err(lines.field_error(
                "term",
                format!("`{}` is not a GO id", cols[1]),
                GoId::FORMAT_HINT,
            ));
        };
        let score: f64 = match cols[2].parse::<f64>() {
            Ok(s) if (0.0..=1.0).contains(&s) => s,
            _ => {
                return Err(lines.field_error(
                    "score",
                    format!("`{}` is not a score in [0, 1]", cols[2]),
                    "scores are probabilities between 0 and 1",
                ))
            }
        };
        out.insert(cols[0], term, score);
    }
    Ok(out)
}

/// The naive baseline's term scores: for each aspect, the fraction of
/// training proteins annotated in that aspect that carry the term, after
/// propagating their annotations with `graph` (alt ids resolved; terms the
/// graph does not know are dropped). Without a graph the annotations are
/// used as given (CAFA-5's `train_terms.tsv` is believed, unverified, to be
/// propagated already) with the aspects the source declared. Sorted by score descending, then term id.
pub fn naive_scores(train: &GoAnnotations, graph: Option<&GoGraph>) -> Vec<(GoId, Aspect, f64)> {
    let mut counts: HashMap<GoId, (Aspect, usize)> = HashMap::new();
    let mut n_per_aspect = [0usize; 3];
    for (_, terms) in train.iter() {
        let set: Vec<(GoId, Aspect)> = match graph {
            Some(g) => {
                let known = terms.iter().filter_map(|&t| g.resolve(t));
                g.propagate(known)
                    .into_iter()
                    .map(|t| (t, g.aspect(t).expect("resolved terms have an aspect")))
                    .collect()
            }
            None => terms
                .iter()
                .filter_map(|&t| train.aspect_of(t).map(|a| (t, a)))
                .collect(),
        };
        let mut seen = [false; 3];
        for (t, a) in set {
            seen[a.index()] = true;
            counts.entry(t).or_insert((a, 0)).1 += 1;
        }
        for a in 0..3 {
            n_per_aspect[a] += usize::from(seen[a]);
        }
    }
    let mut out: Vec<(GoId, Aspect, f64)> = counts
        .into_iter()
        .map(|(t, (a, c))| (t, a, c as f64 / n_per_aspect[a.index()] as f64))
        .collect();
    out.sort_by(|x, y| y.2.total_cmp(&x.2).then(x.0.cmp(&y.0)));
    out
}

/// The naive baseline: every target gets the same [`naive_scores`]. With
/// `max_terms = Some(k)` only the k best-scored terms are kept (CAFA-5
/// allowed 1,500 terms per protein); `None` keeps all.
pub fn naive_baseline<'a>(
    train: &GoAnnotations,
    graph: Option<&GoGraph>,
    targets: impl IntoIterator<Item = &'a str>,
    max_terms: Option<usize>,
) -> Predictions {
    let mut scores = naive_scores(train, graph);
    if let Some(k) = max_terms {
        scores.truncate(k);
    }
    let mut out = Predictions::new();
    for p in targets {
        for &(t, _, s) in &scores {
            out.insert(p, t, s);
        }
    }
    out
}
