use std::collections::BTreeSet;
use std::path::Path;
use std::time::{Duration, Instant};

use super::super::go_graph::GoGraph;
use super::super::go_term::{Aspect, GoId};
use super::super::obo;
use super::obo_tests::{go, MINI_OBO};
use super::{assert_at, write};

fn set(ids: &[u32]) -> BTreeSet<GoId> {
    ids.iter().map(|&n| go(n)).collect()
}

fn mini() -> GoGraph {
    GoGraph::from_obo(&obo::from_reader("go-basic.obo", MINI_OBO.as_bytes()).unwrap()).unwrap()
}

#[test]
fn graph_keeps_live_go_terms_and_drops_cross_namespace_edges() {
    let g = mini();
    assert_eq!(g.len(), 9, "obsolete and external terms are left out");
    assert_eq!(g.dropped_edges(), 1);
    assert_eq!(g.roots(), vec![go(8150), go(5575), go(3674)]);
    assert_eq!(g.aspect(go(5737)), Some(Aspect::Cco));
    assert_eq!(g.name(go(5488)), Some("binding"));
    assert_eq!(g.resolve(go(5)), None, "obsolete");
    assert_eq!(g.resolve(go(6)), None, "external");
    assert_eq!(g.parents(go(44237)), vec![go(8152), go(9987)]);
}

#[test]
fn ancestors_are_transitive_over_is_a_and_part_of_and_exclude_self() {
    let g = mini();
    assert_eq!(g.ancestors(go(44237)), set(&[8150, 8152, 9987]));
    assert_eq!(
        g.ancestors(go(5737)),
        set(&[5575, 5622]),
        "part_of then is_a"
    );
    assert_eq!(g.ancestors(go(5488)), set(&[3674]));
    assert_eq!(g.ancestors(go(8150)), set(&[]));
    assert_eq!(g.ancestors(go(1234)), set(&[]), "unknown term");
    // alt id resolves to its primary term
    assert_eq!(g.resolve(go(44236)), Some(go(8152)));
    assert_eq!(g.ancestors(go(44236)), set(&[8150]));
}

#[test]
fn propagate_includes_self_and_ancestors_and_keeps_unknown_terms() {
    let g = mini();
    let p = g.propagate([go(44237), go(5737), go(44236), go(1234)]);
    assert_eq!(
        p,
        set(&[1234, 5575, 5622, 5737, 8150, 8152, 9987, 44237]),
        "alt id GO:0044236 becomes GO:0008152; unknown GO:0001234 is kept as is"
    );
    // topological order puts parents first
    let pos = |t| {
        let i = g.index_of(go(t)).unwrap() as u32;
        g.topological_order().iter().position(|&x| x == i).unwrap()
    };
    assert!(pos(8150) < pos(8152) && pos(8152) < pos(44237) && pos(9987) < pos(44237));
}

#[test]
fn cycles_are_errors_not_hangs() {
    let dir = tempfile::tempdir().unwrap();
    let text = "[Term]\nid: GO:0000001\nnamespace: biological_process\n\n\
                [Term]\nid: GO:0000003\nnamespace: biological_process\nis_a: GO:0000004\n\n\
                [Term]\nid: GO:0000004\nnamespace: biological_process\nis_a: GO:0000005\n\n\
                [Term]\nid: GO:0000005\nnamespace: biological_process\nrelationship: part_of GO:0000003\n\n\
                [Term]\nid: GO:0000002\nnamespace: biological_process\nis_a: GO:0000005\n";
    let p = write(dir.path(), "cyclic.obo", text);
    let start = Instant::now();
    let e = GoGraph::read(&p).unwrap_err();
    assert!(start.elapsed() < Duration::from_secs(5));
    // GO:0000003 is the lowest id on the cycle (GO:0000002 hangs below it)
    assert_at(&e, &p, 5, Some("is_a"));
    assert!(e.message.contains("GO:0000003"), "{}", e.message);
    assert!(!e.message.contains("GO:0000002"), "{}", e.message);
    // a self loop
    let e = GoGraph::from_obo(
        &obo::from_reader(
            "self.obo",
            "[Term]\nid: GO:0000001\nnamespace: biological_process\nis_a: GO:0000001\n".as_bytes(),
        )
        .unwrap(),
    )
    .unwrap_err();
    assert_at(&e, Path::new("self.obo"), 1, Some("is_a"));
}

#[test]
fn deep_chains_are_fast() {
    // a 3,000-term chain: ancestor sets total ~4.5M entries
    let mut text = String::from("[Term]\nid: GO:1000000\nnamespace: molecular_function\n");
    for i in 1..3000u32 {
        text.push_str(&format!(
            "\n[Term]\nid: GO:{:07}\nnamespace: molecular_function\nis_a: GO:{:07}\n",
            1_000_000 + i,
            1_000_000 + i - 1
        ));
    }
    let g = GoGraph::from_obo(&obo::from_reader("chain.obo", text.as_bytes()).unwrap()).unwrap();
    assert_eq!(g.ancestors(go(1_002_999)).len(), 2999);
}
