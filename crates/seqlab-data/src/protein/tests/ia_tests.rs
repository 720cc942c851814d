use std::path::Path;

use super::super::go_term::GoId;
use super::super::ia;
use super::{assert_at, write_gz};

#[test]
fn ia_parses_weights_and_defaults_to_zero() {
    let dir = tempfile::tempdir().unwrap();
    let p = write_gz(
        dir.path(),
        "IA.txt.gz",
        "GO:0000001 0.0\nGO:0000002\t1.5\n\nGO:0000003 nan\nGO:0000004 2e-1\n",
    );
    let w = ia::read(&p).unwrap();
    assert_eq!(w.len(), 4);
    let g = |n| GoId::from_number(n).unwrap();
    assert_eq!(w.get(g(2)), 1.5);
    assert_eq!(w.get(g(3)), 0.0, "nan is read as 0 like cafaeval");
    assert_eq!(w.get(g(4)), 0.2);
    assert_eq!(w.get(g(99)), 0.0, "unlisted terms weigh 0");
}

#[test]
fn ia_errors() {
    let n = Path::new("IA.txt");
    let e = ia::from_reader(n, "GO:0000001 1.0\nGO:0000002\n".as_bytes()).unwrap_err();
    assert_at(&e, n, 2, None);
    let e = ia::from_reader(n, "GO:0000001 1.0 extra\n".as_bytes()).unwrap_err();
    assert_at(&e, n, 1, None);
    let e = ia::from_reader(n, "GO:0000001 1.0\n\nGO:12 1.0\n".as_bytes()).unwrap_err();
    assert_at(&e, n, 3, Some("term"));
    let e = ia::from_reader(n, "GO:0000001 one\n".as_bytes()).unwrap_err();
    assert_at(&e, n, 1, Some("ia"));
    let e = ia::from_reader(n, "GO:0000001 -1\n".as_bytes()).unwrap_err();
    assert_at(&e, n, 1, Some("ia"));
    let e = ia::from_reader(n, "GO:0000001 1\nGO:0000001 2\n".as_bytes()).unwrap_err();
    assert_at(&e, n, 2, Some("term"));
    assert!(e.message.contains("first on line 1"));
}
