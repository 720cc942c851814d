use super::super::annotations::GoAnnotations;
use super::super::fmax::{
    evaluate, fmax_unweighted, fmax_weighted, CapScope, FmaxConfig, Thresholds,
};
use super::super::go_graph::GoGraph;
use super::super::go_term::{Aspect, GoId};
use super::super::ia::IaWeights;
use super::super::obo;
use super::super::predictions::{self, naive_baseline, naive_scores, Predictions};
use super::obo_tests::go;

// The hand example's ontology (all molecular function):
//
//        R (GO:0000001, root)
//       / \
//      A   B      A = GO:0000002, B = GO:0000003 (is_a R)
//      |
//      C          C = GO:0000004 (is_a A)
const R: u32 = 1;
const A: u32 = 2;
const B: u32 = 3;
const C: u32 = 4;

fn graph() -> GoGraph {
    let text = "[Term]\nid: GO:0000001\nnamespace: molecular_function\n\n\
                [Term]\nid: GO:0000002\nnamespace: molecular_function\nis_a: GO:0000001\n\n\
                [Term]\nid: GO:0000003\nnamespace: molecular_function\nis_a: GO:0000001\n\n\
                [Term]\nid: GO:0000004\nnamespace: molecular_function\nis_a: GO:0000002\n";
    GoGraph::from_obo(&obo::from_reader("hand.obo", text.as_bytes()).unwrap()).unwrap()
}

fn truth() -> GoAnnotations {
    let mut t = GoAnnotations::new();
    t.insert("P1", go(C), Aspect::Mfo); // propagated: {C, A, R}
    t.insert("P2", go(B), Aspect::Mfo); // propagated: {B, R}
    t
}

fn preds() -> Predictions {
    let mut p = Predictions::new();
    p.insert("P1", go(C), 0.8);
    p.insert("P1", go(B), 0.3);
    p.insert("P2", go(B), 0.4);
    p.insert("P2", go(A), 0.55);
    p
}

fn three_taus() -> FmaxConfig {
    FmaxConfig {
        thresholds: Thresholds::Custom(vec![0.25, 0.5, 0.7]),
        ..FmaxConfig::default()
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-12
}

// Propagated predictions (max over descendants):
//   P1: C 0.8, A 0.8 (from C), R 0.8 (max of C 0.8, B 0.3), B 0.3
//   P2: A 0.55, R 0.55 (max of A 0.55, B 0.4), B 0.4
//
// Unweighted (every term weighs 1):
//   τ=0.25: P1 pred {C,A,R,B}, tp {C,A,R}: P=3/4, R=3/3
//           P2 pred {A,R,B},   tp {R,B}:   P=2/3, R=2/2
//           Pr=(3/4+2/3)/2=17/24, Rc=1, F=2·(17/24)/(17/24+1)=34/41≈0.8293
//   τ=0.5:  P1 {C,A,R}: P=1, R=1;  P2 {A,R}: tp {R}: P=1/2, R=1/2
//           Pr=3/4, Rc=3/4, F=3/4
//   τ=0.7:  P1 {C,A,R}: P=1, R=1;  P2 nothing: not in precision, R=0
//           Pr=1 (1 protein), Rc=1/2, F=2/3
//   F-max = 34/41 at τ=0.25.
#[test]
fn fmax_hand_computed_unweighted() {
    let r = fmax_unweighted(&graph(), &truth(), &preds(), &three_taus());
    assert_eq!(r.aspects.len(), 1, "only MFO has ground truth");
    let m = r.get(Aspect::Mfo).unwrap();
    assert_eq!(m.n_proteins, 2);
    let f: Vec<f64> = m.curve.iter().map(|p| p.f).collect();
    assert!(
        close(f[0], 34.0 / 41.0) && close(f[1], 0.75) && close(f[2], 2.0 / 3.0),
        "{f:?}"
    );
    assert!(close(m.curve[0].precision, 17.0 / 24.0) && close(m.curve[0].recall, 1.0));
    assert_eq!(m.curve[2].n_covered, 1);
    assert!(close(m.curve[2].precision, 1.0) && close(m.curve[2].recall, 0.5));
    assert!(close(m.fmax, 34.0 / 41.0));
    assert_eq!(m.tau, Some(0.25));
    assert!(close(r.mean_fmax, 34.0 / 41.0));
}

// IA: R=0 (roots carry no information), A=1, B=2, C=0.5.
// Truth weights: P1 {C,A,R} = 1.5; P2 {B,R} = 2.
//   τ=0.25: P1 pred {C,A,R,B} = 3.5, tp 1.5: P=3/7, R=1
//           P2 pred {A,R,B} = 3, tp {R,B} = 2: P=2/3, R=1
//           Pr=(3/7+2/3)/2=23/42, Rc=1, F=2·(23/42)/(23/42+1)=46/65≈0.7077
//   τ=0.5:  P1 {C,A,R} = 1.5, tp 1.5: P=1, R=1
//           P2 {A,R} = 1, tp {R} = 0: P=0, R=0
//           Pr=1/2, Rc=1/2, F=1/2
//   τ=0.7:  P1 P=1, R=1; P2 not covered: Pr=1, Rc=1/2, F=2/3
//   Weighted F-max = 46/65 at τ=0.25 (unweighted was 34/41).
#[test]
fn fmax_hand_computed_ia_weighted_differs() {
    let ia = IaWeights::from_pairs([(go(R), 0.0), (go(A), 1.0), (go(B), 2.0), (go(C), 0.5)]);
    let r = fmax_weighted(&graph(), &truth(), &preds(), &ia, &three_taus());
    let m = r.get(Aspect::Mfo).unwrap();
    let f: Vec<f64> = m.curve.iter().map(|p| p.f).collect();
    assert!(
        close(f[0], 46.0 / 65.0) && close(f[1], 0.5) && close(f[2], 2.0 / 3.0),
        "{f:?}"
    );
    assert!(close(m.curve[0].precision, 23.0 / 42.0));
    assert!(close(m.fmax, 46.0 / 65.0));
    assert!(r.weighted);
    assert!(!close(m.fmax, 34.0 / 41.0));
}

#[test]
fn weighted_precision_skips_proteins_predicting_only_zero_ia_terms() {
    // P2 predicts only the root (IA 0): covered for the unweighted metric
    // and for the coverage filter, but not averaged into weighted precision.
    let ia = IaWeights::from_pairs([(go(A), 1.0), (go(B), 2.0), (go(C), 0.5)]);
    let mut p = Predictions::new();
    p.insert("P1", go(C), 0.9);
    p.insert("P2", go(R), 0.9);
    let cfg = FmaxConfig {
        thresholds: Thresholds::Custom(vec![0.5]),
        ..FmaxConfig::default()
    };
    let w = fmax_weighted(&graph(), &truth(), &p, &ia, &cfg);
    let pt = &w.get(Aspect::Mfo).unwrap().curve[0];
    assert_eq!((pt.n_covered, pt.n_precision), (2, 1));
    // P1: P=1, R=1; P2: R=0 -> Pr=1, Rc=1/2, F=2/3
    assert!(close(pt.f, 2.0 / 3.0));
    let u = fmax_unweighted(&graph(), &truth(), &p, &cfg);
    let pt = &u.get(Aspect::Mfo).unwrap().curve[0];
    // P1: P=1, R=1; P2: {R}: P=1, R=1/2 -> Pr=1, Rc=3/4, F=6/7
    assert_eq!(pt.n_precision, 2);
    assert!(close(pt.f, 6.0 / 7.0));
}

// On the full grid a threshold the hand example skipped wins:
//   τ in (0.3, 0.4]: P1 {C,A,R}: P=1, R=1; P2 {A,R,B}: P=2/3, R=1
//                    Pr=5/6, Rc=1, F=10/11 ≈ 0.909
// Grid values 0.31..=0.40 all give it; the smallest, 0.31, is reported
// (τ₂₉ = 0.01 + 29·0.01 is exactly 0.3, so P1's B at 0.3 still passes it).
#[test]
fn cafaeval_grid_reports_the_smallest_best_threshold() {
    let r = fmax_unweighted(&graph(), &truth(), &preds(), &FmaxConfig::default());
    let m = r.get(Aspect::Mfo).unwrap();
    assert_eq!(m.curve.len(), 99);
    assert!(close(m.fmax, 10.0 / 11.0), "{}", m.fmax);
    assert_eq!(m.tau, Some(0.31));
    assert!(close(m.curve[29].f, 34.0 / 41.0) && close(m.curve[39].f, 10.0 / 11.0));
    let taus = Thresholds::Cafaeval.values();
    assert_eq!(taus[5], 0.060000000000000005, "np.arange(0.01, 1, 0.01)[5]");
    assert_eq!(taus[98], 0.99);
    assert_eq!(Thresholds::Inclusive.values()[99], 1.0);
    // above every score nothing is covered: those τ are left out
    let above = FmaxConfig {
        thresholds: Thresholds::Custom(vec![0.9]),
        ..FmaxConfig::default()
    };
    let r = fmax_unweighted(&graph(), &truth(), &preds(), &above);
    assert_eq!((r.aspects[0].fmax, r.aspects[0].tau), (0.0, None));
}

#[test]
fn a_score_of_exactly_0_06_misses_the_sixth_cafaeval_threshold() {
    let mut t = GoAnnotations::new();
    t.insert("P", go(A), Aspect::Mfo);
    let mut p = Predictions::new();
    p.insert("P", go(A), 0.06);
    let r = fmax_unweighted(&graph(), &t, &p, &FmaxConfig::default());
    let c = &r.aspects[0].curve;
    assert_eq!(
        (c[4].n_covered, c[5].n_covered),
        (1, 0),
        "0.06 >= 0.05 but not >= 0.060000000000000005"
    );
    let r = fmax_unweighted(
        &graph(),
        &t,
        &p,
        &FmaxConfig {
            thresholds: Thresholds::Inclusive,
            ..FmaxConfig::default()
        },
    );
    assert_eq!(
        r.aspects[0].curve[5].n_covered, 1,
        "k/100 grid: 0.06 >= 0.06"
    );
}

#[test]
fn predictions_are_propagated_to_ancestors_by_max() {
    // Truth {A} -> {A, R}. Only the leaf C is predicted (0.9), plus R at 0.2.
    let mut t = GoAnnotations::new();
    t.insert("P", go(A), Aspect::Mfo);
    let mut p = Predictions::new();
    p.insert("P", go(C), 0.9);
    p.insert("P", go(R), 0.2);
    let cfg = FmaxConfig {
        thresholds: Thresholds::Custom(vec![0.5]),
        ..FmaxConfig::default()
    };
    let r = fmax_unweighted(&graph(), &t, &p, &cfg);
    // at 0.5: pred {C, A (0.9 from C), R (max 0.2, 0.9)}: tp {A, R}: P=2/3, R=1
    let pt = &r.aspects[0].curve[0];
    assert!(close(pt.precision, 2.0 / 3.0) && close(pt.recall, 1.0));
}

#[test]
fn the_1500_term_cap_keeps_top_scores_before_propagation() {
    // 1,600 leaves under one root; leaf k scores 0.9 - k/2000 (k = 0..1600).
    let mut text = String::from("[Term]\nid: GO:0000001\nnamespace: molecular_function\n");
    for k in 0..1600u32 {
        text.push_str(&format!(
            "\n[Term]\nid: GO:{:07}\nnamespace: molecular_function\nis_a: GO:0000001\n",
            100_000 + k
        ));
    }
    let g = GoGraph::from_obo(&obo::from_reader("flat.obo", text.as_bytes()).unwrap()).unwrap();
    let leaf = |k: u32| go(100_000 + k);
    let mut t = GoAnnotations::new();
    t.insert("P", leaf(1550), Aspect::Mfo); // truth {leaf1550, root}
    let mut p = Predictions::new();
    for k in 0..1600 {
        p.insert("P", leaf(k), 0.9 - k as f64 / 2000.0);
    }
    let at = |max_terms| FmaxConfig {
        thresholds: Thresholds::Custom(vec![0.1]),
        max_terms,
        cap_scope: CapScope::PerProtein,
    };
    let all = fmax_unweighted(&g, &t, &p, &at(None));
    let pt = &all.aspects[0].curve[0];
    // 1,600 leaves + root predicted, both true terms hit
    assert!(close(pt.recall, 1.0) && close(pt.precision, 2.0 / 1601.0));
    let capped = fmax_unweighted(&g, &t, &p, &at(Some(1500)));
    let pt = &capped.aspects[0].curve[0];
    // leaves 0..1500 kept (+ root by propagation); leaf 1550 is cut
    assert!(
        close(pt.recall, 0.5) && close(pt.precision, 1.0 / 1501.0),
        "{pt:?}"
    );
    assert_eq!(FmaxConfig::default().max_terms, Some(1500));
}

#[test]
fn cap_scope_per_protein_versus_per_aspect() {
    let g = GoGraph::from_obo(
        &obo::from_reader(
            "two.obo",
            "[Term]\nid: GO:0000001\nnamespace: molecular_function\n\n\
             [Term]\nid: GO:0000002\nnamespace: molecular_function\nis_a: GO:0000001\n\n\
             [Term]\nid: GO:0000011\nnamespace: biological_process\n\n\
             [Term]\nid: GO:0000012\nnamespace: biological_process\nis_a: GO:0000011\n"
                .as_bytes(),
        )
        .unwrap(),
    )
    .unwrap();
    let mut t = GoAnnotations::new();
    t.insert("P", go(2), Aspect::Mfo);
    t.insert("P", go(12), Aspect::Bpo);
    let mut p = Predictions::new();
    p.insert("P", go(2), 0.9);
    p.insert("P", go(12), 0.8);
    let cfg = |cap_scope| FmaxConfig {
        thresholds: Thresholds::Custom(vec![0.5]),
        max_terms: Some(1),
        cap_scope,
    };
    let per_protein = evaluate(&g, &t, &p, None, &cfg(CapScope::PerProtein));
    assert_eq!(
        per_protein.get(Aspect::Bpo).unwrap().tau,
        None,
        "BPO term was cut"
    );
    assert!(close(per_protein.mean_fmax, 0.5));
    let per_aspect = evaluate(&g, &t, &p, None, &cfg(CapScope::PerAspect));
    assert!(close(per_aspect.mean_fmax, 1.0));
}

#[test]
fn alt_ids_unknown_terms_and_extra_proteins() {
    let text = "[Term]\nid: GO:0000001\nnamespace: molecular_function\n\n\
                [Term]\nid: GO:0000002\nnamespace: molecular_function\nalt_id: GO:0000009\nis_a: GO:0000001\n";
    let g = GoGraph::from_obo(&obo::from_reader("alt.obo", text.as_bytes()).unwrap()).unwrap();
    let mut t = GoAnnotations::new();
    t.insert("P", go(9), Aspect::Mfo); // alt id of GO:0000002
    t.insert("P", go(77), Aspect::Mfo); // unknown: dropped
    let mut p = Predictions::new();
    p.insert("P", go(9), 0.7); // alt id in predictions too
    p.insert("P", go(78), 0.9); // unknown: dropped
    p.insert("Q", go(2), 0.9); // no ground truth: ignored
    let r = fmax_unweighted(&g, &t, &p, &FmaxConfig::default());
    assert!(close(r.mean_fmax, 1.0));
    assert_eq!(r.notes.len(), 3, "{:?}", r.notes);
}

#[test]
fn naive_baseline_uses_per_aspect_frequencies() {
    let mut train = GoAnnotations::new();
    train.insert("T1", go(C), Aspect::Mfo); // {C, A, R}
    train.insert("T2", go(B), Aspect::Mfo); // {B, R}
    train.insert("T3", go(A), Aspect::Mfo); // {A, R}
    train.insert("T4", go(8150), Aspect::Bpo); // unknown to this graph: dropped
    let g = graph();
    let s = naive_scores(&train, Some(&g));
    let got: Vec<(GoId, f64)> = s.iter().map(|&(t, _, f)| (t, f)).collect();
    assert_eq!(
        got,
        vec![
            (go(R), 1.0),
            (go(A), 2.0 / 3.0),
            (go(B), 1.0 / 3.0),
            (go(C), 1.0 / 3.0)
        ]
    );
    let p = naive_baseline(&train, Some(&g), ["X", "Y"], Some(2));
    assert_eq!(p.len(), 2);
    assert_eq!(p.get("Y").unwrap().len(), 2);
    // evaluate the naive baseline on the hand truth: at τ=0.5 it predicts {R, A}
    let r = fmax_unweighted(
        &g,
        &truth(),
        &naive_baseline(&train, Some(&g), ["P1", "P2"], None),
        &three_taus(),
    );
    let pt = &r.aspects[0].curve[1];
    // P1: tp {R, A}: P=1, R=2/3; P2: tp {R}: P=1/2, R=1/2 -> Pr=3/4, Rc=7/12
    assert!(close(pt.precision, 0.75) && close(pt.recall, 7.0 / 12.0));
}

#[test]
fn prediction_files_round_trip_and_errors() {
    let text = "P1\tGO:0000004\t0.8\nP1\tGO:0000004\t0.9\nP2 GO:0000003 0.4 extra\n";
    let p = predictions::from_reader("pred.tsv", text.as_bytes()).unwrap();
    assert_eq!(p.get("P1").unwrap()[&go(4)], 0.9, "duplicates keep the max");
    let mut out = Vec::new();
    p.write_tsv(&mut out).unwrap();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "P1\tGO:0000004\t0.900\nP2\tGO:0000003\t0.400\n"
    );
    let n = std::path::Path::new("pred.tsv");
    let e = predictions::from_reader(n, "P1\tGO:0000004\t1.5\n".as_bytes()).unwrap_err();
    super::assert_at(&e, n, 1, Some("score"));
    let e = predictions::from_reader(n, "P1\tGO:4\t0.5\n".as_bytes()).unwrap_err();
    super::assert_at(&e, n, 1, Some("term"));
    let dense = Predictions::from_dense(
        &["a".into(), "b".into()],
        &[go(1), go(2)],
        &[0.5, 0.0, 0.0, 0.25],
    );
    assert_eq!(dense.n_pairs(), 2);
}
