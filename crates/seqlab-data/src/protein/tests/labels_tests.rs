use super::super::annotations::GoAnnotations;
use super::super::go_graph::GoGraph;
use super::super::go_term::Aspect;
use super::super::labels::{
    build_go_labels, pfam_from_stockholm, pfam_from_swissprot, GoLabelConfig, LabelMatrix,
};
use super::super::obo;
use super::super::stockholm;
use super::super::swissprot;
use super::obo_tests::{go, MINI_OBO};
use super::swissprot_tests::TWO_ENTRIES;

fn annotations() -> GoAnnotations {
    let mut a = GoAnnotations::new();
    a.insert("P1", go(44237), Aspect::Bpo); // -> 44237, 8152, 9987, 8150
    a.insert("P1", go(5737), Aspect::Cco); // -> 5737, 5622, 5575
    a.insert("P2", go(44236), Aspect::Bpo); // alt id of 8152 -> 8152, 8150
    a.insert("P2", go(5), Aspect::Mfo); // obsolete: dropped with a graph
    a.insert("P3", go(9987), Aspect::Bpo); // -> 9987, 8150
    a
}

#[test]
fn go_labels_propagate_and_pick_top_k_per_aspect_with_id_ties() {
    let g =
        GoGraph::from_obo(&obo::from_reader("go-basic.obo", MINI_OBO.as_bytes()).unwrap()).unwrap();
    let cfg = GoLabelConfig {
        top_k: 2,
        aspects: Aspect::ALL.to_vec(),
    };
    let task = build_go_labels(&annotations(), Some(&g), &cfg);
    assert!(task.propagated);
    assert_eq!(task.proteins, vec!["P1", "P2", "P3"]);
    // BPO counts: 8150:3, 8152:2, 9987:2, 44237:1 -> 8150, then 8152 (id tie-break over 9987)
    // CCO counts: 5575:1, 5622:1, 5737:1 -> 5575, 5622 (ties by id); MFO: none
    assert_eq!(task.terms, vec![go(8150), go(8152), go(5575), go(5622)]);
    assert_eq!(
        task.term_aspects,
        vec![Aspect::Bpo, Aspect::Bpo, Aspect::Cco, Aspect::Cco]
    );
    assert_eq!(task.term_counts, vec![3, 2, 1, 1]);
    assert_eq!(task.labels.row(0), &[0, 1, 2, 3]);
    assert_eq!(task.labels.row(1), &[0, 1]);
    assert_eq!(task.labels.row(2), &[0]);
    assert_eq!(task.labels.dense_row(2), vec![1.0, 0.0, 0.0, 0.0]);
    assert!(task.notes.iter().any(|n| n.contains("propagated")));
    assert!(task
        .notes
        .iter()
        .any(|n| n.contains("1 annotations to obsolete")));
    assert!(task.notes.iter().any(|n| n.starts_with("MFO: only 0")));
}

#[test]
fn go_labels_without_graph_are_identity_and_say_so() {
    let cfg = GoLabelConfig {
        top_k: 10,
        aspects: vec![Aspect::Mfo, Aspect::Bpo],
    };
    let task = build_go_labels(&annotations(), None, &cfg);
    assert!(!task.propagated);
    assert!(task.notes[0].contains("propagation is the identity"));
    // MFO first (config order): the obsolete term is kept as given
    assert_eq!(task.terms, vec![go(5), go(9987), go(44236), go(44237)]);
    assert_eq!(task.labels.n_positives(), 4);
    assert_eq!(task.labels.column_counts(), vec![1, 1, 1, 1]);
}

#[test]
fn label_matrix_dense_round_trip() {
    let m = LabelMatrix::from_rows(3, vec![vec![2, 0, 2], vec![]]);
    assert_eq!(m.to_dense(), vec![1, 0, 1, 0, 0, 0]);
    assert!(m.get(0, 2) && !m.get(1, 0));
}

#[test]
fn pfam_labels_from_stockholm_and_swissprot() {
    let a = stockholm::from_reader(
        "a.sto",
        "# STOCKHOLM 1.0\n#=GF ID Pkinase\n#=GF AC PF00069.20\nK1 MK\nK2 M-\n//\n".as_bytes(),
    )
    .unwrap();
    let b = stockholm::from_reader(
        "b.sto",
        "# STOCKHOLM 1.0\n#=GF ID fn3\n#=GF AC PF00041.13\nF1 WW\nK1 WW\n//\n".as_bytes(),
    )
    .unwrap();
    let all: Vec<_> = a.into_iter().chain(b).collect();
    let t = pfam_from_stockholm(&all);
    assert_eq!(
        t.classes
            .iter()
            .map(|c| c.accession.as_str())
            .collect::<Vec<_>>(),
        vec!["PF00041", "PF00069"]
    );
    assert_eq!(t.classes[0].name, "fn3");
    let classes: Vec<(&str, usize)> = t
        .examples
        .iter()
        .map(|e| (e.id.as_str(), e.class))
        .collect();
    assert_eq!(classes, vec![("K1", 1), ("K2", 1), ("F1", 0), ("K1", 0)]);
    assert_eq!(t.examples[1].sequence, "M");
    assert!(t.notes[0].contains("1 sequence ids occur in more than one family"));

    let es = swissprot::from_reader("t.dat", TWO_ENTRIES.as_bytes()).unwrap();
    let t = pfam_from_swissprot(&es);
    // TEST2's first Pfam line is PF00069, TEST1's is PF00041
    assert_eq!(t.classes.len(), 2);
    assert_eq!(
        (t.examples[0].id.as_str(), t.examples[0].class),
        ("P12345", 0)
    );
    assert_eq!(
        (t.examples[1].id.as_str(), t.examples[1].class),
        ("Q00001", 1)
    );
}
