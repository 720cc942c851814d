use std::path::Path;

use super::super::cafa_terms;
use super::super::go_term::{Aspect, GoId};
use super::{assert_at, write};

fn go(n: u32) -> GoId {
    GoId::from_number(n).unwrap()
}

#[test]
fn cafa_terms_parses_header_rows_and_letters() {
    let text = "EntryID\tterm\taspect\nA0A009IHW8\tGO:0008152\tBPO\nA0A009IHW8\tGO:0005575\tCCO\n\
                A0A009IHW8\tGO:0008152\tBPO\nQ1\tGO:0003674\tF\r\n\n";
    let ann = cafa_terms::from_reader("t.tsv", text.as_bytes()).unwrap();
    assert_eq!(ann.len(), 2);
    assert_eq!(ann.n_pairs(), 3);
    assert_eq!(ann.duplicates(), 1);
    assert_eq!(
        ann.terms("A0A009IHW8")
            .unwrap()
            .iter()
            .copied()
            .collect::<Vec<_>>(),
        vec![go(5575), go(8152)]
    );
    assert_eq!(ann.aspect_of(go(3674)), Some(Aspect::Mfo));
    assert_eq!(ann.aspect_of(go(8152)), Some(Aspect::Bpo));
    // header is optional
    let ann = cafa_terms::from_reader("t.tsv", "P1\tGO:0000001\tMFO\n".as_bytes()).unwrap();
    assert_eq!(ann.len(), 1);
}

#[test]
fn cafa_terms_bad_go_id_on_line_3_reports_line_3_field_term() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "train_terms.tsv",
        "EntryID\tterm\taspect\nP1\tGO:0008152\tBPO\nP1\tGO:815\tBPO\n",
    );
    let e = cafa_terms::read(&p).unwrap_err();
    assert_at(&e, &p, 3, Some("term"));
    assert_eq!(
        e.to_string(),
        format!(
            "{}:3: field `term`: `GO:815` is not a GO id (a GO id is `GO:` followed by exactly 7 digits, e.g. GO:0005737)",
            p.display()
        )
    );
}

#[test]
fn cafa_terms_errors() {
    let n = Path::new("t.tsv");
    let e = cafa_terms::from_reader(n, "P1\tGO:0008152\n".as_bytes()).unwrap_err();
    assert_at(&e, n, 1, None);
    assert!(e.message.contains("found 2"));
    let e = cafa_terms::from_reader(n, "P1 GO:0008152 BPO\n".as_bytes()).unwrap_err();
    assert_at(&e, n, 1, None);
    let e = cafa_terms::from_reader(n, "P1\tGO:0008152\tBPO\nP2\tGO:0008152\tXYZ\n".as_bytes())
        .unwrap_err();
    assert_at(&e, n, 2, Some("aspect"));
    let e = cafa_terms::from_reader(n, "\tGO:0008152\tBPO\n".as_bytes()).unwrap_err();
    assert_at(&e, n, 1, Some("EntryID"));
    let e = cafa_terms::from_reader(n, "P1\tgo:0008152\tBPO\n".as_bytes()).unwrap_err();
    assert_at(&e, n, 1, Some("term"));
    let e = cafa_terms::from_reader(n, "P1\tGO:00081520\tBPO\n".as_bytes()).unwrap_err();
    assert_at(&e, n, 1, Some("term"));
    // the same term with two aspects
    let e = cafa_terms::from_reader(n, "P1\tGO:0008152\tBPO\n\nP2\tGO:0008152\tMFO\n".as_bytes())
        .unwrap_err();
    assert_at(&e, n, 3, Some("aspect"));
    assert!(e.message.contains("on line 1"), "{}", e.message);
}
