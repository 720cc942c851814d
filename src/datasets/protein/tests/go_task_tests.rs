//! The GO.db SQLite loader, IA computed from annotations, and the top-k
//! label terms of the `go_terms` stage, on fixtures written here.

use std::collections::BTreeSet;

use rusqlite::Connection;

use super::super::go_graph::GoGraph;
use super::super::go_rows::top_terms;
use super::super::go_sqlite;
use super::super::go_term::{Aspect, GoId};
use super::super::ia;
use super::super::obo;
use super::write;

fn go(n: u32) -> GoId {
    GoId::from_number(n).unwrap()
}

/// A GO.db-shaped file: BP root 8150 with children 1 (isa) and 2 (isa 8150,
/// part of 1); 3 only *regulates* 1 (dropped) and isa 8150; CC root 5575 with
/// child 5737; the universal `all` above the roots; 4 is an alt id of 2.
fn write_go_db(path: &std::path::Path) {
    let db = Connection::open(path).unwrap();
    db.execute_batch(
        "CREATE TABLE metadata (name TEXT, value TEXT);
         INSERT INTO metadata VALUES ('GOSOURCEDATE', '2022-07-01');
         CREATE TABLE go_term (_id INTEGER PRIMARY KEY, go_id TEXT, term TEXT, ontology TEXT, definition TEXT);
         INSERT INTO go_term VALUES (1, 'GO:0008150', 'biological_process', 'BP', NULL),
           (2, 'GO:0000001', 'one', 'BP', NULL), (3, 'GO:0000002', 'two', 'BP', NULL),
           (4, 'GO:0000003', 'three', 'BP', NULL), (5, 'GO:0005575', 'cellular_component', 'CC', NULL),
           (6, 'GO:0005737', 'cytoplasm', 'CC', NULL), (7, 'GO:0003674', 'molecular_function', 'MF', NULL),
           (9, 'all', 'all', 'universal', NULL);
         CREATE TABLE go_bp_parents (_id INTEGER, _parent_id INTEGER, relationship_type TEXT);
         INSERT INTO go_bp_parents VALUES (1, 9, 'isa'), (2, 1, 'isa'), (3, 1, 'isa'), (3, 2, 'part of'),
           (4, 2, 'regulates'), (4, 1, 'isa');
         CREATE TABLE go_cc_parents (_id INTEGER, _parent_id INTEGER, relationship_type TEXT);
         INSERT INTO go_cc_parents VALUES (5, 9, 'isa'), (6, 5, 'part of');
         CREATE TABLE go_mf_parents (_id INTEGER, _parent_id INTEGER, relationship_type TEXT);
         INSERT INTO go_mf_parents VALUES (7, 9, 'isa');
         CREATE TABLE go_synonym (_id INTEGER, synonym TEXT, secondary TEXT, like_go_id INTEGER);
         INSERT INTO go_synonym VALUES (3, 'GO:0000004', 'GO:0000004', 1), (3, 'second thing', NULL, 0);",
    )
    .unwrap();
}

#[test]
fn go_db_sqlite_gives_the_is_a_part_of_graph() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("GO.sqlite");
    write_go_db(&path);
    let g = GoGraph::read_any(&path).unwrap();
    assert_eq!(g.len(), 7, "BP, CC and MF terms; `all` left out");
    assert_eq!(g.roots(), vec![go(8150), go(5575), go(3674)]);
    assert_eq!(g.parents(go(2)), vec![go(1), go(8150)], "isa + part of");
    assert_eq!(g.parents(go(3)), vec![go(8150)], "regulates is dropped");
    assert_eq!(g.ancestors(go(2)), [go(1), go(8150)].into_iter().collect());
    assert_eq!(g.ancestors(go(5737)), [go(5575)].into_iter().collect());
    assert_eq!(
        g.resolve(go(4)),
        Some(go(2)),
        "like_go_id synonyms are alt ids"
    );
    assert_eq!(g.aspect(go(5737)), Some(Aspect::Cco));
    assert_eq!(g.name(go(2)), Some("two"));
    let terms = go_sqlite::read_terms(&path).unwrap();
    assert_eq!(terms.data_version.as_deref(), Some("2022-07-01"));
}

#[test]
fn a_file_that_is_not_go_db_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let bad = write(
        dir.path(),
        "GO.sqlite",
        "format-version: 1.2\nthis is not sqlite\n",
    );
    let e = GoGraph::read_any(&bad).unwrap_err().to_string();
    assert!(
        e.contains("GO.sqlite") && e.contains("not a readable GO.db SQLite file"),
        "{e}"
    );
    assert!(e.contains("r-bioc-go.db"), "says where to get one: {e}");
    // An SQLite file without GO.db's tables.
    let other = dir.path().join("other.db");
    Connection::open(&other)
        .unwrap()
        .execute_batch("CREATE TABLE x (a INTEGER);")
        .unwrap();
    let e = GoGraph::read_any(&other).unwrap_err().to_string();
    assert!(e.contains("other.db") && e.contains("go_term"), "{e}");
    let e = GoGraph::read_any(&dir.path().join("missing.sqlite"))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("missing.sqlite") && e.contains("no such file"),
        "{e}"
    );
}

/// R (8150) <- A (1), R <- B (2); C (3) is_a A and part_of B.
const DIAMOND: &str = "format-version: 1.2

[Term]
id: GO:0008150
name: biological_process
namespace: biological_process

[Term]
id: GO:0000001
name: A
namespace: biological_process
is_a: GO:0008150

[Term]
id: GO:0000002
name: B
namespace: biological_process
is_a: GO:0008150

[Term]
id: GO:0000003
name: C
namespace: biological_process
is_a: GO:0000001
relationship: part_of GO:0000002

[Term]
id: GO:0005575
name: cellular_component
namespace: cellular_component

[Term]
id: GO:0005737
name: D
namespace: cellular_component
is_a: GO:0005575
";

fn diamond() -> GoGraph {
    GoGraph::from_obo(&obo::from_reader("diamond.obo", DIAMOND.as_bytes()).unwrap()).unwrap()
}

/// p1 {C}, p2 {A}, p3 {B}, p4 {A, B}, p5 {D}, propagated.
fn proteins(g: &GoGraph) -> Vec<BTreeSet<GoId>> {
    [vec![3], vec![1], vec![2], vec![1, 2], vec![5737]]
        .iter()
        .map(|ts| g.propagate(ts.iter().map(|&n| go(n))))
        .collect()
}

#[test]
fn ia_from_annotations_matches_the_hand_computation() {
    let g = diamond();
    let sets = proteins(&g);
    assert_eq!(
        sets[0],
        [go(1), go(2), go(3), go(8150)].into_iter().collect()
    );
    let w = ia::from_annotations(&g, &sets);
    // R: 4 BP proteins, all have it -> 0. A: 3 of the 4 with R. B: the same.
    // C: 1 of the 2 proteins with both A and B. D: 1 of the 1 CC protein.
    assert_eq!(w.get(go(8150)), 0.0);
    assert!(
        (w.get(go(1)) - (4.0f64 / 3.0).log2()).abs() < 1e-12,
        "{}",
        w.get(go(1))
    );
    assert!((w.get(go(2)) - (4.0f64 / 3.0).log2()).abs() < 1e-12);
    assert_eq!(w.get(go(3)), 1.0);
    assert_eq!(w.get(go(5737)), 0.0);
    assert_eq!(w.len(), 6, "every annotated term gets a weight");
    assert_eq!(w.get(go(5)), 0.0, "a term nobody carries weighs 0");
}

#[test]
fn top_k_counts_propagated_terms_per_ontology_without_roots() {
    let g = diamond();
    let sets = proteins(&g);
    // BP counts after propagation: A 3, B 3, C 1 (R excluded); CC: D 1.
    assert_eq!(
        top_terms(&g, &sets, 2),
        vec![(go(1), 3), (go(2), 3), (go(5737), 1)],
        "ties by id; the CC root is excluded too"
    );
    assert_eq!(
        top_terms(&g, &sets, 5),
        vec![(go(1), 3), (go(2), 3), (go(3), 1), (go(5737), 1)]
    );
}
