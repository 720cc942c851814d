//! CAFA F-max, per ontology (aspect), IA-weighted or unweighted, following
//! the official evaluator `cafaeval` (BioComputingUP/CAFA-evaluator; read:
//! the `kaggle` branch used for CAFA-5, main v1.2.1 and PyPI 1.3.0, whose
//! F-max arithmetic is the same; the `kaggle` branch does not yet map alt
//! ids). The parity test (`tests/cafaeval_parity.rs`) checks 48 F-max values
//! and thresholds against cafaeval 1.3.0 run on the same random files
//! (agreement to 1e-12, identical τ). Rules, with `cafaeval`'s behaviour
//! where it is subtle:
//!
//! 1. **Ground truth** terms are mapped through the ontology: alt ids to
//!    primary ids, terms not in the graph (obsolete / unknown) dropped. Each
//!    term goes to its graph namespace; each protein's set is propagated to
//!    all ancestors over is_a + part_of. A protein is a ground-truth protein
//!    of an aspect when it has at least one term there.
//! 2. **Predictions** are only read for ground-truth proteins of that aspect
//!    (others are ignored and counted in the notes). Alt ids are mapped,
//!    unknown terms dropped, duplicate scores keep the max.
//! 3. **Cap**: at most `max_terms` (default 1,500) terms per protein are
//!    kept, **before** propagation, choosing the highest scores (ties by
//!    term id); scores `<= 0` are dropped first. *Deviation*: cafaeval's
//!    `-max_terms` keeps the first terms in file order, per protein and
//!    namespace, and because it checks `count_nonzero <= max_terms` before
//!    inserting it keeps `max_terms + 1`. We keep exactly `max_terms` top
//!    scores; [`CapScope`] picks per protein (all aspects together, the
//!    Kaggle submission rule, default) or per protein and aspect (cafaeval).
//! 4. **Propagation** of predictions: a term's score becomes the max of its
//!    own score and those of all its descendants (cafaeval `prop='max'`).
//! 5. **Thresholds**: τ = 0.01 + i·0.01 for i = 0..99 computed in `f64`,
//!    exactly `np.arange(0.01, 1, 0.01)` — so 0.01..=0.99, **not** 1.00,
//!    and some τ are not the decimal (τ₅ = 0.060000000000000005, so a score
//!    of exactly 0.06 does not pass it). [`Thresholds::Inclusive`] gives
//!    k/100 for k = 1..=100 instead. A term is predicted at τ when
//!    score ≥ τ.
//! 6. **Weights**: unweighted = every term of the namespace weighs 1 (roots
//!    included: cafaeval's default keeps orphans). Weighted = IA(term);
//!    terms with IA = 0 or no IA line drop out of the weighted metric.
//! 7. Per protein at τ: P = Σw(pred ∩ true) / Σw(pred), R = Σw(pred ∩ true)
//!    / Σw(true) (0 when Σw(true) = 0). **Precision** is averaged over the
//!    proteins with at least one predicted term at τ (weighted: at least one
//!    predicted term with IA > 0); **recall** over all ground-truth proteins
//!    of the aspect. F = 2PR/(P+R), 0 when P+R = 0.
//! 8. Thresholds at which no ground-truth protein has any prediction
//!    (unweighted coverage 0) are left out — also for the weighted metric —
//!    and F-max is the max F over the rest; the reported τ is the smallest
//!    one reaching it (pandas `idxmax`). No threshold left → F-max 0, τ
//!    `None` (cafaeval reports nothing for that aspect).
//! 9. The summary is the mean over the aspects that have ground truth.
//!
//! Sums run in a different order than numpy's, so results can differ from
//! cafaeval in the last bits of a `f64` (seen: ≤ 2e-15).

use std::collections::HashMap;

use serde::Serialize;

use super::annotations::GoAnnotations;
use super::go_graph::GoGraph;
use super::go_term::Aspect;
use super::ia::IaWeights;
use super::predictions::Predictions;

/// The threshold grid.
#[derive(Debug, Clone, PartialEq)]
pub enum Thresholds {
    /// `np.arange(0.01, 1, 0.01)`: 99 values 0.01..=0.99 (cafaeval, default).
    Cafaeval,
    /// k/100 for k = 1..=100 (0.01..=1.00).
    Inclusive,
    /// Any increasing values in (0, 1].
    Custom(Vec<f64>),
}

impl Thresholds {
    /// The τ values.
    pub fn values(&self) -> Vec<f64> {
        match self {
            Thresholds::Cafaeval => (0..99).map(|i| 0.01 + i as f64 * 0.01).collect(),
            Thresholds::Inclusive => (1..=100).map(|k| k as f64 / 100.0).collect(),
            Thresholds::Custom(v) => {
                assert!(
                    v.iter().all(|&t| t > 0.0 && t <= 1.0) && v.windows(2).all(|w| w[0] < w[1]),
                    "custom thresholds must increase strictly and lie in (0, 1]"
                );
                v.clone()
            }
        }
    }
}

/// Where the `max_terms` cap applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CapScope {
    /// Per protein over all aspects (Kaggle CAFA-5 submission rule).
    PerProtein,
    /// Per protein and aspect (cafaeval `-max_terms`).
    PerAspect,
}

/// Evaluation settings.
#[derive(Debug, Clone, PartialEq)]
pub struct FmaxConfig {
    /// Threshold grid.
    pub thresholds: Thresholds,
    /// Keep at most this many top-scored terms per protein (before
    /// propagation); `None` = no cap.
    pub max_terms: Option<usize>,
    /// Scope of the cap.
    pub cap_scope: CapScope,
}

impl Default for FmaxConfig {
    fn default() -> Self {
        FmaxConfig {
            thresholds: Thresholds::Cafaeval,
            max_terms: Some(1500),
            cap_scope: CapScope::PerProtein,
        }
    }
}

/// One point of the precision-recall curve.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CurvePoint {
    /// Threshold.
    pub tau: f64,
    /// Averaged precision.
    pub precision: f64,
    /// Averaged recall.
    pub recall: f64,
    /// F-measure.
    pub f: f64,
    /// Ground-truth proteins with ≥ 1 predicted term at τ (unweighted).
    pub n_covered: usize,
    /// Proteins over which precision was averaged (weighted: ≥ 1 predicted
    /// term with IA > 0).
    pub n_precision: usize,
}

/// F-max of one aspect.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AspectFmax {
    /// The aspect.
    pub aspect: Aspect,
    /// Max F over the thresholds with coverage.
    pub fmax: f64,
    /// The smallest τ reaching it.
    pub tau: Option<f64>,
    /// Precision at that τ.
    pub precision: f64,
    /// Recall at that τ.
    pub recall: f64,
    /// Fraction of ground-truth proteins covered at that τ.
    pub coverage: f64,
    /// Ground-truth proteins of the aspect (the recall denominator).
    pub n_proteins: usize,
    /// The whole curve, every threshold.
    pub curve: Vec<CurvePoint>,
}

/// F-max of every aspect.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FmaxReport {
    /// IA-weighted or not.
    pub weighted: bool,
    /// Aspects with ground truth, in BPO, CCO, MFO order.
    pub aspects: Vec<AspectFmax>,
    /// Mean F-max over `aspects` (0 when there are none).
    pub mean_fmax: f64,
    /// What was dropped or ignored.
    pub notes: Vec<String>,
}

impl FmaxReport {
    /// The entry for `aspect`.
    pub fn get(&self, aspect: Aspect) -> Option<&AspectFmax> {
        self.aspects.iter().find(|a| a.aspect == aspect)
    }
}

/// IA-weighted F-max (the CAFA-5 metric).
pub fn fmax_weighted(
    graph: &GoGraph,
    truth: &GoAnnotations,
    predictions: &Predictions,
    ia: &IaWeights,
    config: &FmaxConfig,
) -> FmaxReport {
    evaluate(graph, truth, predictions, Some(ia), config)
}

/// Unweighted F-max (every term weighs 1).
pub fn fmax_unweighted(
    graph: &GoGraph,
    truth: &GoAnnotations,
    predictions: &Predictions,
    config: &FmaxConfig,
) -> FmaxReport {
    evaluate(graph, truth, predictions, None, config)
}

/// F-max per aspect; weighted when `ia` is given. See the module docs.
pub fn evaluate(
    graph: &GoGraph,
    truth: &GoAnnotations,
    predictions: &Predictions,
    ia: Option<&IaWeights>,
    config: &FmaxConfig,
) -> FmaxReport {
    let taus = config.thresholds.values();
    let weight: Vec<f64> = match ia {
        Some(ia) => (0..graph.len()).map(|i| ia.get(graph.id_at(i))).collect(),
        None => vec![1.0; graph.len()],
    };
    let mut notes = Vec::new();
    let mut acc: Vec<Acc> = Aspect::ALL.iter().map(|_| Acc::new(taus.len())).collect();
    let mut dropped_truth = 0usize;
    let mut dropped_pred = 0usize;
    let mut scratch = vec![0.0f64; graph.len()];
    let mut in_truth = vec![false; graph.len()];
    for (protein, terms) in truth.iter() {
        // Ground truth, split by aspect and propagated.
        let mut gt: [Vec<u32>; 3] = Default::default();
        for &t in terms {
            match graph.index_of(t) {
                Some(i) => {
                    let a = graph.aspect_at(i).index();
                    gt[a].push(i as u32);
                    gt[a].extend_from_slice(graph.ancestor_indices(i));
                }
                None => dropped_truth += 1,
            }
        }
        // Predictions: resolve, max over duplicates, drop <= 0, cap.
        let mut pred: Vec<(u32, f64)> = Vec::new();
        if let Some(scores) = predictions.get(protein) {
            let mut best: HashMap<u32, f64> = HashMap::new();
            for (&t, &s) in scores {
                match graph.index_of(t) {
                    Some(i) if s > 0.0 => {
                        let e = best.entry(i as u32).or_insert(s);
                        *e = e.max(s);
                    }
                    Some(_) => {}
                    None => dropped_pred += 1,
                }
            }
            pred = best.into_iter().collect();
            pred.sort_by(|x, y| {
                y.1.total_cmp(&x.1)
                    .then(graph.id_at(x.0 as usize).cmp(&graph.id_at(y.0 as usize)))
            });
            if let (Some(k), CapScope::PerProtein) = (config.max_terms, config.cap_scope) {
                pred.truncate(k);
            }
        }
        for a in Aspect::ALL {
            let g = &mut gt[a.index()];
            if g.is_empty() {
                continue;
            }
            g.sort_unstable();
            g.dedup();
            let mut mine = pred
                .iter()
                .filter(|(i, _)| graph.aspect_at(*i as usize) == a)
                .copied();
            let capped: Vec<(u32, f64)> = match (config.max_terms, config.cap_scope) {
                (Some(k), CapScope::PerAspect) => mine.by_ref().take(k).collect(),
                _ => mine.collect(),
            };
            acc[a.index()].add(
                graph,
                g,
                &capped,
                &weight,
                &taus,
                ia.is_some(),
                &mut scratch,
                &mut in_truth,
            );
        }
    }
    let ignored = predictions
        .iter()
        .filter(|(p, _)| truth.terms(p).is_none())
        .count();
    if ignored > 0 {
        notes.push(format!(
            "{ignored} predicted proteins have no ground truth and were ignored"
        ));
    }
    if dropped_truth > 0 {
        notes.push(format!(
            "{dropped_truth} ground-truth annotations to terms not in the ontology were dropped"
        ));
    }
    if dropped_pred > 0 {
        notes.push(format!(
            "{dropped_pred} predictions of terms not in the ontology were dropped"
        ));
    }
    let mut aspects = Vec::new();
    for a in Aspect::ALL {
        let ac = &acc[a.index()];
        if ac.n_proteins == 0 {
            continue;
        }
        let r = ac.result(a, &taus);
        if r.tau.is_none() {
            notes.push(format!(
                "{a}: no ground-truth protein has a prediction; F-max set to 0"
            ));
        }
        aspects.push(r);
    }
    let mean_fmax = if aspects.is_empty() {
        0.0
    } else {
        aspects.iter().map(|a| a.fmax).sum::<f64>() / aspects.len() as f64
    };
    FmaxReport {
        weighted: ia.is_some(),
        aspects,
        mean_fmax,
        notes,
    }
}

/// Per-aspect sums over proteins, one slot per threshold.
struct Acc {
    n_proteins: usize,
    n_covered: Vec<usize>,
    n_precision: Vec<usize>,
    precision_sum: Vec<f64>,
    recall_sum: Vec<f64>,
}

impl Acc {
    fn new(n: usize) -> Self {
        Acc {
            n_proteins: 0,
            n_covered: vec![0; n],
            n_precision: vec![0; n],
            precision_sum: vec![0.0; n],
            recall_sum: vec![0.0; n],
        }
    }

    /// Adds one ground-truth protein: `truth` are propagated term indices,
    /// `pred` unpropagated (index, score) pairs of this aspect.
    #[allow(clippy::too_many_arguments)]
    fn add(
        &mut self,
        graph: &GoGraph,
        truth: &[u32],
        pred: &[(u32, f64)],
        weight: &[f64],
        taus: &[f64],
        weighted: bool,
        scratch: &mut [f64],
        in_truth: &mut [bool],
    ) {
        self.n_proteins += 1;
        // Propagate: each term takes the max score of its descendants.
        let mut touched: Vec<u32> = Vec::new();
        for &(i, s) in pred {
            let i = i as usize;
            for j in std::iter::once(i as u32).chain(graph.ancestor_indices(i).iter().copied()) {
                let slot = &mut scratch[j as usize];
                if *slot == 0.0 {
                    touched.push(j);
                }
                if s > *slot {
                    *slot = s;
                }
            }
        }
        for &t in truth {
            in_truth[t as usize] = true;
        }
        // (score, weight, weight if true positive) sorted by score, high first.
        let mut items: Vec<(f64, f64, f64)> = touched
            .iter()
            .map(|&j| {
                let j = j as usize;
                let w = weight[j];
                (scratch[j], w, if in_truth[j] { w } else { 0.0 })
            })
            .collect();
        items.sort_by(|x, y| y.0.total_cmp(&x.0));
        let truth_w: f64 = truth.iter().map(|&t| weight[t as usize]).sum();
        for &j in &touched {
            scratch[j as usize] = 0.0;
        }
        for &t in truth {
            in_truth[t as usize] = false;
        }
        // Prefix sums: predicted weight, true-positive weight, and count of
        // terms with positive weight.
        let mut cum = Vec::with_capacity(items.len() + 1);
        cum.push((0.0f64, 0.0f64, 0usize));
        for &(_, w, tp) in &items {
            let &(a, b, c) = cum.last().expect("non-empty");
            cum.push((a + w, b + tp, c + usize::from(w > 0.0)));
        }
        for (k, &tau) in taus.iter().enumerate() {
            let n = items.partition_point(|it| it.0 >= tau);
            if n == 0 {
                break; // taus increase: nothing is predicted from here on
            }
            self.n_covered[k] += 1;
            let (pred_w, tp_w, n_pos) = cum[n];
            let covered = if weighted { n_pos > 0 } else { true };
            if covered {
                self.n_precision[k] += 1;
                if pred_w > 0.0 {
                    self.precision_sum[k] += tp_w / pred_w;
                }
            }
            if truth_w > 0.0 {
                self.recall_sum[k] += tp_w / truth_w;
            }
        }
    }

    fn result(&self, aspect: Aspect, taus: &[f64]) -> AspectFmax {
        let n = self.n_proteins as f64;
        let curve: Vec<CurvePoint> = taus
            .iter()
            .enumerate()
            .map(|(k, &tau)| {
                let np = self.n_precision[k];
                let precision = if np > 0 {
                    self.precision_sum[k] / np as f64
                } else {
                    0.0
                };
                let recall = self.recall_sum[k] / n;
                let d = precision + recall;
                let f = if d > 0.0 {
                    2.0 * precision * recall / d
                } else {
                    0.0
                };
                CurvePoint {
                    tau,
                    precision,
                    recall,
                    f,
                    n_covered: self.n_covered[k],
                    n_precision: np,
                }
            })
            .collect();
        let mut best: Option<&CurvePoint> = None;
        for p in curve.iter().filter(|p| p.n_covered > 0) {
            if best.is_none_or(|b| p.f > b.f) {
                best = Some(p);
            }
        }
        AspectFmax {
            aspect,
            fmax: best.map_or(0.0, |b| b.f),
            tau: best.map(|b| b.tau),
            precision: best.map_or(0.0, |b| b.precision),
            recall: best.map_or(0.0, |b| b.recall),
            coverage: best.map_or(0.0, |b| b.n_covered as f64 / n),
            n_proteins: self.n_proteins,
            curve,
        }
    }
}
